package main

// check runs every check of the site, as make docs-check and make verify
// do: the strict build, the recorded test outputs, the diagrams, and the
// browser test. A check whose tool is missing is skipped, loudly, with
// the command that installs it.

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const (
	installMkdocs   = "apt-get install -y mkdocs mkdocs-material python3-pymdownx"
	installChromium = "apt-get install -y chromium"
	screenshotDir   = ".artifacts/docs-screenshots"
)

// checkResult is what -json prints, for make verify.
type checkResult struct {
	Lines    []string   `json:"lines"`    // a line per check, for the summary
	Problems []string   `json:"problems"` // what fails the check
	Skipped  [][]string `json:"skipped"`  // {what, how to install}
}

func runCheck(args []string) int {
	flags := flag.NewFlagSet("check", flag.ExitOnError)
	asJSON := flags.Bool("json", false, "print the result as JSON on the last line (for make verify)")
	flags.Parse(args)
	root, err := findRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "check:", err)
		return 2
	}
	res := checkSite(root, flags.Args())
	if *asJSON {
		b, _ := json.Marshal(res)
		fmt.Println(string(b))
	} else {
		fmt.Println()
		for _, l := range res.Lines {
			fmt.Println(l)
		}
		for _, s := range res.Skipped {
			fmt.Printf("SKIPPED: %s (install with: %s)\n", s[0], s[1])
		}
		for _, p := range res.Problems {
			fmt.Println("  -", p)
		}
	}
	if len(res.Problems) > 0 {
		return 1
	}
	return 0
}

// checkSite runs the checks; only, if not empty, limits the recorded
// outputs to those lessons ("03"), as make verify LESSON=03 does.
func checkSite(root string, only []string) checkResult {
	var res checkResult
	var mu sync.Mutex
	add := func(line string, problems ...string) {
		mu.Lock()
		defer mu.Unlock()
		res.Lines = append(res.Lines, line)
		res.Problems = append(res.Problems, problems...)
	}
	skip := func(what, install string) {
		mu.Lock()
		defer mu.Unlock()
		res.Skipped = append(res.Skipped, []string{what, install})
	}
	var wg sync.WaitGroup

	// The recorded outputs run tests: start them first, they take longest.
	wg.Go(func() {
		start := time.Now()
		args := []string{"-check"}
		if !raceWorks() {
			args = append(args, "-race=false")
		}
		out, ok := self(root, append(append([]string{"outputs"}, args...), only...)...)
		if ok {
			add(fmt.Sprintf("%-22s ok    recorded test outputs match fresh runs (%.1fs)", "docs outputs", time.Since(start).Seconds()))
		} else {
			add(fmt.Sprintf("%-22s FAIL  recorded test outputs", "docs outputs"), "docs: "+strings.TrimSpace(out))
		}
	})

	// Diagrams: only hashes, no tools needed.
	if out, ok := self(root, "diagrams", "-check"); ok {
		add(fmt.Sprintf("%-22s ok    %s", "docs diagrams", strings.TrimPrefix(strings.TrimSpace(out), "diagrams: ")))
	} else {
		add(fmt.Sprintf("%-22s FAIL", "docs diagrams"), "docs: "+strings.TrimSpace(out))
	}

	// The strict build, then the browser test on what it built.
	if _, err := exec.LookPath("mkdocs"); err != nil {
		skip("the docs build (mkdocs build --strict) and the browser test", installMkdocs)
		add(fmt.Sprintf("%-22s SKIPPED (no mkdocs)", "docs build"))
	} else {
		site, err := os.MkdirTemp("", "workbook-site-")
		if err != nil {
			add("docs build", err.Error())
			wg.Wait()
			return res
		}
		defer os.RemoveAll(site)
		start := time.Now()
		cmd := exec.Command("mkdocs", "build", "--strict", "--site-dir", site)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			add(fmt.Sprintf("%-22s FAIL  mkdocs build --strict", "docs build"), "docs: mkdocs build --strict fails:\n"+tail(string(out), 30))
		} else {
			add(fmt.Sprintf("%-22s ok    mkdocs build --strict (%.1fs)", "docs build", time.Since(start).Seconds()))
			if _, err := exec.LookPath("chromium"); err != nil {
				skip("the browser test of the docs (headless chromium)", installChromium)
				add(fmt.Sprintf("%-22s SKIPPED (no chromium)", "docs in a browser"))
			} else {
				start := time.Now()
				problems, pages, err := browse(root, site, filepath.Join(root, screenshotDir))
				if err != nil {
					problems = append(problems, err.Error())
				}
				for i := range problems {
					problems[i] = "docs in chromium: " + problems[i]
				}
				status := "ok  "
				if len(problems) > 0 {
					status = "FAIL"
				}
				add(fmt.Sprintf("%-22s %s  %d pages in headless chromium (%.1fs); screenshots: %s", "docs in a browser", status, pages, time.Since(start).Seconds(), screenshotDir), problems...)
			}
		}
	}
	wg.Wait()
	return res
}

// self runs another command of this program (in this process's binary).
func self(root string, args ...string) (string, bool) {
	exe, err := os.Executable()
	if err != nil {
		return err.Error(), false
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = root
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err = cmd.Run()
	return buf.String(), err == nil
}

// raceWorks says whether -race can be used: cgo on, and a C compiler.
func raceWorks() bool {
	out, err := exec.Command("go", "env", "CGO_ENABLED", "CC").Output()
	if err != nil {
		return false
	}
	f := strings.Fields(string(out))
	if len(f) < 2 || f[0] != "1" {
		return false
	}
	_, err = exec.LookPath(f[1])
	return err == nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}
