package main

// The test output the pages show is recorded from real runs, never typed:
//
//	docs/outputs/NN-slug/starter.txt   `go test` on the untouched starter
//	docs/outputs/NN-slug/NAME.txtar    a common mistake, as edits to the reference
//	docs/outputs/NN-slug/NAME.txt      `go test` on the reference with that mistake
//
// Pages include the .txt files with pymdownx.snippets. `outputs` records
// them; `outputs -check` runs everything again and fails when what the
// tests now say no longer matches what a page shows: another test fails
// first, a message was reworded, a line moved. Exact bytes are not
// compared: ports, timings and counts change from run to run.
//
// A mistake file is a txtar archive. Its comment says what the mistake is
// (and may hold a line "run: TestName" to run only that test); each pair
// of files "-- echo.go: replace --" and "-- echo.go: with --" is one edit
// to the reference's echo.go, whose replace text must occur exactly once.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// The flags `make lesson-NN test` uses (Makefile: TEST_FLAGS), and
// -count=1 so that nothing says "(cached)".
var testFlags = []string{"-race", "-timeout", "60s", "-failfast", "-count=1"}

func runOutputs(args []string) int {
	flags := flag.NewFlagSet("outputs", flag.ExitOnError)
	check := flags.Bool("check", false, "do not write: fail if a recorded output no longer matches a fresh run")
	race := flags.Bool("race", true, "run with -race, as make lesson-NN test does (needs cgo)")
	flags.Parse(args)
	root, err := findRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "outputs:", err)
		return 2
	}
	if !*check {
		// Recordings copy the references as they are on disk: while a
		// mutation tester rewrites one in place, that would record a mutant.
		if out, err := exec.Command("git", "-C", root, "status", "--porcelain", "--", "solutions").Output(); err == nil && len(out) > 0 {
			fmt.Fprintf(os.Stderr, "outputs: solutions/ has uncommitted changes, and recordings are made from it; commit or restore them first:\n%s", out)
			return 2
		}
	}
	jobs, err := outputJobs(root, flags.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "outputs:", err)
		return 2
	}
	if *check {
		// A starter's output is recorded for every lesson, but only checked
		// where it was: a page that shows it fails the build without it.
		jobs = slices.DeleteFunc(jobs, func(j outputJob) bool {
			return j.mistake == "" && j.example == "" && !isFile(filepath.Join(root, j.out))
		})
	}
	tflags := testFlags
	if !*race {
		tflags = slices.DeleteFunc(slices.Clone(tflags), func(s string) bool { return s == "-race" })
	}
	start := time.Now()
	problems := make([]string, len(jobs))
	sem := make(chan struct{}, max(2, runtime.NumCPU()))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			problems[i] = j.do(root, tflags, *check)
		})
	}
	wg.Wait()
	bad := 0
	for _, p := range problems {
		if p != "" {
			bad++
			fmt.Println(p)
		}
	}
	verb := map[bool]string{true: "checked", false: "recorded"}[*check]
	if bad > 0 {
		fmt.Printf("outputs: %d of %d out of date or broken (%.0fs); record them again with: make docs-outputs\n", bad, len(jobs), time.Since(start).Seconds())
		return 1
	}
	fmt.Printf("outputs: %s %d test outputs in %.0fs\n", verb, len(jobs), time.Since(start).Seconds())
	return 0
}

// An outputJob is one recorded run: a starter, or the reference with a mistake.
type outputJob struct {
	lesson  string // 01-blocking-echo
	out     string // docs/outputs/01-blocking-echo/starter.txt
	mistake string // docs/outputs/01-blocking-echo/spin.txtar, or "" for the starter
	example string // or the name of an example program in tools/docs/examples
}

// outputJobs lists the starter of every lesson that has tests, and every
// mistake under docs/outputs, for the lessons named (all if none).
func outputJobs(root string, only []string) ([]outputJob, error) {
	entries, err := os.ReadDir(filepath.Join(root, "lessons"))
	if err != nil {
		return nil, err
	}
	var jobs []outputJob
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !lessonName.MatchString(name) {
			continue
		}
		if len(only) > 0 && !slices.ContainsFunc(only, func(n string) bool {
			return strings.HasPrefix(name, fmt.Sprintf("%02s-", strings.TrimPrefix(n, "lesson-"))) || n == name
		}) {
			continue
		}
		tests, _ := filepath.Glob(filepath.Join(root, "lessons", name, "*_test.go"))
		if len(tests) == 0 {
			continue // a lesson still being written
		}
		dir := filepath.Join("docs", "outputs", name)
		jobs = append(jobs, outputJob{lesson: name, out: filepath.Join(dir, "starter.txt")})
		mistakes, _ := filepath.Glob(filepath.Join(root, dir, "*.txtar"))
		for _, m := range mistakes {
			rel, _ := filepath.Rel(root, m)
			jobs = append(jobs, outputJob{lesson: name, out: strings.TrimSuffix(rel, ".txtar") + ".txt", mistake: rel})
		}
	}
	// Example programs for the concept pages: tools/docs/examples/NAME,
	// run with -race, recorded as docs/outputs/concepts/NAME.txt.
	if len(only) == 0 || slices.Contains(only, "concepts") {
		examples, _ := filepath.Glob(filepath.Join(root, "tools", "docs", "examples", "*", "main.go"))
		for _, e := range examples {
			name := filepath.Base(filepath.Dir(e))
			jobs = append(jobs, outputJob{example: name, out: filepath.Join("docs", "outputs", "concepts", name+".txt")})
		}
	}
	return jobs, nil
}

var lessonName = regexp.MustCompile(`^\d\d-[a-z0-9-]+$`)

// do records (or checks) one output and returns a problem, or "".
func (j outputJob) do(root string, tflags []string, check bool) string {
	out, err := j.run(root, tflags)
	if err != nil {
		return fmt.Sprintf("%s: %v", j.out, err)
	}
	if j.example != "" {
		// An example program shows a failure; it is fine as long as it fails.
	} else if !strings.Contains(out, "--- FAIL") && !strings.Contains(out, "\nFAIL") {
		if j.mistake == "" {
			return fmt.Sprintf("%s: the starter of %s passes its tests; a starter must fail", j.out, j.lesson)
		}
		return fmt.Sprintf("%s: the tests do not catch this mistake: with it, the reference still passes", j.mistake)
	}
	path := filepath.Join(root, j.out)
	if !check {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err.Error()
		}
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			return err.Error()
		}
		return ""
	}
	recorded, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("%s: missing", j.out)
	}
	if err != nil {
		return err.Error()
	}
	want, got := signature(string(recorded)), signature(out)
	if !sameSignature(want, got) {
		// Once more before calling it drift: a wrong server's failure can
		// depend on timing (which of two checks sees it first).
		if again, err := j.run(root, tflags); err == nil && sameSignature(want, signature(again)) {
			return ""
		}
		return fmt.Sprintf("%s: out of date. The page shows:\n%s\n  a fresh run says:\n%s", j.out, indent(want), indent(got))
	}
	return ""
}

// run runs the lesson's tests, on the starter or on the reference with the
// mistake, the way `make lesson-NN test` does, and returns the output with
// this machine's paths replaced by a learner's.
func (j outputJob) run(root string, tflags []string) (string, error) {
	lessonDir := filepath.Join(root, "lessons", j.lesson)
	dir := lessonDir
	var env []string
	if j.mistake != "" {
		tmp, err := os.MkdirTemp("", "workbook-mistake-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(tmp)
		dir = filepath.Join(tmp, j.lesson)
		if err := applyMistake(root, j.lesson, filepath.Join(root, j.mistake), dir); err != nil {
			return "", err
		}
		env = append(env, "GOWORK=off") // the copy is a module of its own
		if a, err := parseTxtar(filepath.Join(root, j.mistake)); err == nil && a.run != "" {
			tflags = append(slices.Clone(tflags), "-run", a.run)
		}
	}
	args := append(append([]string{"test"}, tflags...), "./...")
	if j.example != "" {
		dir = filepath.Join(root, "tools", "docs", "examples", j.example)
		// -race only where the program's comment runs it so: the race
		// detector's runtime hides a deadlock from the deadlock detector.
		args = []string{"run"}
		if src, _ := os.ReadFile(filepath.Join(dir, "main.go")); slices.Contains(tflags, "-race") && bytes.Contains(src, []byte("go run -race")) {
			args = append(args, "-race")
		}
		args = append(args, ".")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GORACE=atexit_sleep_ms=0"), env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return "", err
	}
	out := buf.String()
	if strings.Contains(out, "[build failed]") || strings.Contains(out, "[setup failed]") {
		return "", fmt.Errorf("the tests do not build:\n%s", indent(strings.Split(strings.TrimSpace(out), "\n")))
	}
	if j.example == "" {
		out = strings.ReplaceAll(out, dir, "~/echo-workbook/lessons/"+j.lesson)
	}
	out = strings.ReplaceAll(out, root, "~/echo-workbook")
	return shorten(out), nil
}

// shorten cuts the middle out of an output too long to read on a page (a
// log line repeated 50,000 times, say), and says how much it cut.
func shorten(out string) string {
	const head, tail = 12, 40
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) <= head+tail+10 {
		return out
	}
	cut := fmt.Sprintf("[… %d more lines, cut here to fit the page …]", len(lines)-head-tail)
	return strings.Join(slices.Concat(lines[:head], []string{cut}, lines[len(lines)-tail:]), "\n") + "\n"
}

// applyMistake makes dst a copy of the lesson's module with the
// reference's code (its non-test .go files at the top level; cmd/ stays
// the lesson's, which imports the lesson's package), then applies the
// mistake's edits.
func applyMistake(root, lesson, mistake, dst string) error {
	a, err := parseTxtar(mistake)
	if err != nil {
		return err
	}
	if err := os.CopyFS(dst, os.DirFS(filepath.Join(root, "lessons", lesson))); err != nil {
		return err
	}
	ref, _ := filepath.Glob(filepath.Join(root, "solutions", lesson, "*.go"))
	for _, f := range ref {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o644); err != nil {
			return err
		}
	}
	if len(a.edits) == 0 {
		return errors.New("no edits: a mistake needs at least one pair of files '-- echo.go: replace --' and '-- echo.go: with --'")
	}
	for _, e := range a.edits {
		path := filepath.Join(dst, e.file)
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("edit of %s: %w", e.file, err)
		}
		if n := bytes.Count(b, []byte(e.old)); n != 1 {
			return fmt.Errorf("the text to replace in %s occurs %d times in solutions/%s/%s, want exactly once (did the reference change?):\n%s",
				e.file, n, lesson, e.file, indent(strings.Split(strings.TrimRight(e.old, "\n"), "\n")))
		}
		if err := os.WriteFile(path, bytes.Replace(b, []byte(e.old), []byte(e.new), 1), 0o644); err != nil {
			return err
		}
	}
	return nil
}

type edit struct{ file, old, new string }

type mistakeFile struct {
	run   string // -run pattern, from a "run: …" line in the comment
	edits []edit
}

var txtarHeader = regexp.MustCompile(`^-- (.+?): (replace|with) --$`)

// parseTxtar reads a mistake file (txtar format, see the top of this file).
func parseTxtar(path string) (mistakeFile, error) {
	var m mistakeFile
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	var cur *strings.Builder
	var kinds []string
	var files []string
	var bodies []*strings.Builder
	for _, line := range strings.SplitAfter(string(b), "\n") {
		trimmed := strings.TrimRight(line, "\r\n")
		if h := txtarHeader.FindStringSubmatch(trimmed); h != nil {
			cur = new(strings.Builder)
			files, kinds, bodies = append(files, h[1]), append(kinds, h[2]), append(bodies, cur)
			continue
		}
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") {
			return m, fmt.Errorf("%s: %q: a file header must read '-- FILE: replace --' or '-- FILE: with --'", path, trimmed)
		}
		if cur == nil {
			if r, ok := strings.CutPrefix(trimmed, "run:"); ok {
				m.run = strings.TrimSpace(r)
			}
			continue
		}
		cur.WriteString(line)
	}
	for i := 0; i < len(files); i += 2 {
		if kinds[i] != "replace" || i+1 >= len(files) || kinds[i+1] != "with" || files[i+1] != files[i] {
			return m, fmt.Errorf("%s: each '-- %s: replace --' must be followed by '-- %s: with --'", path, files[i], files[i])
		}
		m.edits = append(m.edits, edit{file: files[i], old: bodies[i].String(), new: bodies[i+1].String()})
	}
	return m, nil
}

var (
	failLine  = regexp.MustCompile(`^\s*--- FAIL: (\S+)`)
	msgLine   = regexp.MustCompile(`^\s+(\w+\.go):\d+: (.*)$`)
	numbers   = regexp.MustCompile(`\d+`)
	sigEvents = []string{"panic: ", "WARNING: DATA RACE", "fatal error: ", "[build failed]", "goroutine 1 ["}
)

// signature is what must stay the same between a recorded output and a
// fresh run: which tests fail, in order, the file each message comes from
// and its first words, and any panic or race report. Not the timings,
// ports, counts or line numbers, which can change from run to run (the
// same check may fail on either of two lines, depending on timing).
func signature(out string) []string {
	var sig []string
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		if m := failLine.FindStringSubmatch(line); m != nil {
			sig = append(sig, "FAIL "+m[1])
			if i+1 < len(lines) {
				if mm := msgLine.FindStringSubmatch(lines[i+1]); mm != nil {
					words := strings.Fields(numbers.ReplaceAllString(mm[2], "N"))
					sig = append(sig, "  "+mm[1]+": "+strings.Join(words[:min(4, len(words))], " "))
				}
			}
		}
		for _, ev := range sigEvents {
			if strings.HasPrefix(strings.TrimSpace(line), ev) && !slices.Contains(sig, ev) {
				sig = append(sig, ev)
			}
		}
	}
	return sig
}

// sameSignature says whether a fresh run matches a recording. Whether the
// race detector sees a race depends on how the goroutines ran: for a
// recorded race, which test fails, how, and how many reports there are all
// vary, and what must hold is that it reports one; a recording without one
// still matches a run that also caught a race.
func sameSignature(want, got []string) bool {
	const race = "WARNING: DATA RACE"
	if slices.Contains(want, race) {
		return slices.Contains(got, race)
	}
	return slices.Equal(want, slices.DeleteFunc(slices.Clone(got), func(s string) bool { return s == race }))
}

func indent(lines []string) string {
	return "    " + strings.Join(lines, "\n    ")
}

// findRoot returns the workbook's root: the nearest directory, from the
// working directory up, that holds go.work and mkdocs.yml.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isFile(filepath.Join(dir, "go.work")) && isFile(filepath.Join(dir, "mkdocs.yml")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the workbook (no go.work next to mkdocs.yml above here)")
		}
		dir = parent
	}
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
