package main

// doctor checks a learner's machine before the workshop: everything the
// lessons need, each with the fix when it is missing. It also downloads
// the modules, so that the workbook works offline afterwards.

import (
	"context"
	"errors"
	"fmt"
	"go/version"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"example.com/echo-workbook/tools/internal/cli"
	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/lessons"
	"example.com/echo-workbook/tools/internal/term"
)

// A check looks at one thing: what it found, or an error and a fix.
type check struct {
	name     string
	optional bool // a ✗ here does not fail doctor
	run      func(root string) (found, fix string, err error)
}

// MinGo is the oldest Go the lessons build with (their go.mod says 1.26.0).
const MinGo = "go1.26"

func runDoctor(args []string) int {
	fs := cli.Flags("doctor")
	port := fs.Int("port", DefaultPort, "the port make lesson-NN run will use (make: PORT)")
	if cli.Parse(fs, args) != nil {
		return 2
	}
	root, all, _, err := workbook(nil)
	if err != nil {
		return fail("doctor", err)
	}
	checks := []check{
		{"Go " + strings.TrimPrefix(MinGo, "go") + " or newer", false, checkGo},
		{"race detector (cgo and a C compiler)", false, checkRace},
		{"git", false, checkGit},
		{"make (optional: without it, go run ./tools/cmd/workbook help)", true, checkMake},
		{"nc, to talk to your server by hand", true, checkNc},
		{fmt.Sprintf("port %d free on 127.0.0.1 (make lesson-NN run)", *port), false, func(string) (string, string, error) {
			return checkPort(*port)
		}},
		{"Go modules downloaded (offline use)", false, checkModules},
		{"lesson 01's tests build", false, checkLessonBuilds},
	}
	sc := term.New(os.Stdout)
	sc.Printf("%s\n\n", sc.Bold("Echo Workbook: checking this machine"))
	failed := 0
	for _, c := range checks {
		found, fix, err := c.run(root)
		switch {
		case err == nil:
			sc.Printf("%s %s: %s\n", sc.Green("✓"), c.name, found)
		case c.optional:
			sc.Printf("%s %s: %v\n    %s\n", sc.Yellow("✗"), c.name, err, fix)
		default:
			failed++
			sc.Printf("%s %s: %v\n    %s %s\n", sc.Red("✗"), c.name, err, sc.Bold("fix:"), fix)
		}
	}
	lessons.OpenStarters(root, all, true) // without git, this is when the starters are copied: before any edit
	sc.Printf("\n")
	if failed > 0 {
		sc.Printf("%s\n", sc.Red(fmt.Sprintf("%d problem(s) to fix; then run make doctor again.", failed)))
		return 1
	}
	sc.Printf("%s Start here: %s\n", sc.Green("All set."), sc.Cyan("make lesson-01 test"))
	return 0
}

// install says how to install something here.
func install(debian, mac string) string {
	if runtime.GOOS == "darwin" {
		return mac
	}
	return debian + " (Debian, Ubuntu, WSL; or your system's package manager)"
}

func checkGo(string) (string, string, error) {
	fix := "install Go " + strings.TrimPrefix(MinGo, "go") + " or newer from https://go.dev/dl/ and put its bin folder on your PATH (an older go can fetch a newer one: GOTOOLCHAIN=" + MinGo + ".0)"
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "", fix, fmt.Errorf("cannot run go: %w", err)
	}
	v := strings.TrimSpace(string(out))
	// A development build ("devel go1.27-…") is newer than any release.
	if version.IsValid(v) && version.Compare(v, MinGo) < 0 {
		return "", fix, fmt.Errorf("found %s", v)
	}
	return v, "", nil
}

func checkRace(string) (string, string, error) {
	if p := gotest.RaceProblem(); p != "" {
		return "", gotest.RaceFix + " (meanwhile, tests run without the race detector, and say so)", errors.New(p)
	}
	return "cgo on, and a C compiler", "", nil
}

func checkMake(string) (string, string, error) {
	fix := install("sudo apt-get install make", "xcode-select --install")
	out, err := exec.Command("make", "--version").Output()
	if err != nil {
		return "", fix + "; or use go run ./tools/cmd/workbook instead of make (go run ./tools/cmd/workbook help)", errors.New("make not found")
	}
	first, _, _ := strings.Cut(string(out), "\n")
	if !strings.Contains(first, "GNU Make") {
		return "", "install GNU make (" + fix + "); on BSD it is gmake", fmt.Errorf("%s is not GNU make", first)
	}
	return first, "", nil
}

func checkGit(root string) (string, string, error) {
	out, err := exec.Command("git", "--version").Output()
	if err != nil {
		return "", install("sudo apt-get install git", "xcode-select --install") + "; without git, reset restores the copy of the starters in .workbook/starter/", errors.New("git not found")
	}
	v := strings.TrimSpace(string(out))
	if _, err := lessons.Git(root, "rev-parse", "HEAD"); err != nil {
		return "", "clone the workbook with git clone, rather than downloading an archive; until then, reset restores the copy of the starters in .workbook/starter/", fmt.Errorf("%s, but the workbook is not a git checkout", v)
	}
	return v, "", nil
}

func checkNc(string) (string, string, error) {
	for _, name := range []string{"nc", "ncat", "netcat"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, "", nil
		}
	}
	return "", "install it to type at your server: " + install("sudo apt-get install netcat-openbsd", "it comes with macOS") + "; the tests do not need it", errors.New("not found")
}

func checkPort(port int) (string, string, error) {
	if err := portFree(false, net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err != nil {
		find := fmt.Sprintf("ss -ltnp | grep %d", port)
		if runtime.GOOS == "darwin" {
			find = fmt.Sprintf("lsof -nP -iTCP:%d -sTCP:LISTEN", port)
		}
		return "", fmt.Sprintf("stop what listens there (a make lesson-NN run left running? find it: %s), or use another port: make lesson-NN run PORT=%d", find, port+1), err
	}
	return "free", "", nil
}

func checkModules(root string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := gotest.Go(ctx, root, []string{"GOWORK=" + filepath.Join(root, "go.work")}, "mod", "download")
	if err != nil {
		return "", "connect to the internet once and run make doctor again (it runs go mod download); behind a proxy, set GOPROXY; in a room without internet, see make offline-kit",
			fmt.Errorf("go mod download failed: %s", strings.TrimSpace(gotest.Tail(out, 3)))
	}
	cache, _ := gotest.Go(ctx, root, nil, "env", "GOMODCACHE")
	return "every module the lessons and tools need is in " + strings.TrimSpace(cache), "", nil
}

func checkLessonBuilds(root string) (string, string, error) {
	all, err := lessons.List(root)
	if err != nil || len(all) == 0 {
		return "", "run make doctor from the workbook's folder", errors.New("no lessons found")
	}
	l := all[0]
	args, how := []string{"test", "-run", "^$"}, "without -race"
	if gotest.RaceProblem() == "" {
		args, how = append(args, "-race"), "with -race"
	}
	if out, err := gotest.Go(context.Background(), filepath.Join(root, l.Dir), nil, append(args, "./...")...); err != nil {
		return "", "read the error; make lesson-" + l.Num + " test shows it whole", errors.New(strings.TrimSpace(gotest.Tail(out, 3)))
	}
	return fmt.Sprintf("%s builds %s", l.Dir, how), "", nil
}
