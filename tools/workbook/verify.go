package main

// verify checks the invariant every lesson keeps (docs/contributing.md):
// the starter builds, vets and fails by a named test within seconds; the
// solution passes with -race, repeatedly; both run the same tests; the
// solutions are gofmt, vet and staticcheck clean; every lesson has its
// README, hints and docs page; go.work lists every module.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
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

const (
	staticcheck = "honnef.co/go/tools/cmd/staticcheck@v0.8.2" // pinned: new checks must not turn a green workbook red
	modulePath  = "example.com/echo-workbook"

	// A starter's tests must fail soon after they start (the target is 3s;
	// the limit leaves room for a loaded machine) and must not wait out a
	// timeout. Both clocks start when the test binary does, after the build.
	starterFirstFailure = 5 * time.Second
	starterWhole        = 15 * time.Second
)

// report gathers what verify found: a line per check, and the violations.
type report struct {
	mu       sync.Mutex
	problems []string
	skipped  []string
}

func (r *report) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

func (r *report) skip(what, install string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skipped = append(r.skipped, fmt.Sprintf("SKIPPED: %s (install with: %s)", what, install))
}

func runVerify(args []string) int {
	flags := flag.NewFlagSet("verify", flag.ExitOnError)
	count := flags.Int("count", 3, "run each solution's tests this many times, so flakes show")
	flags.Parse(args)
	requireAll := os.Getenv("REQUIRE_ALL") == "1"

	root, err := findRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "verify:", err)
		return 2
	}
	all, err := findLessons(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "verify:", err)
		return 2
	}
	lessons, err := pickLessons(all, flags.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "verify:", err)
		return 2
	}
	start := time.Now()
	r := &report{}
	race := raceProblem()
	if race != "" {
		r.skip("the race detector: "+race, "a C compiler, e.g. apt-get install -y gcc")
	}
	fmt.Printf("verify: %d lessons, solutions run %d times%s\n", len(lessons), *count, map[bool]string{true: " with -race", false: " WITHOUT -race"}[race == ""])

	checkWorkspace(root, all, r)
	checkFormat(root, r)

	// Lessons run two at a time per core: most of a run is waiting on
	// sockets, not computing.
	sem := make(chan struct{}, max(2, runtime.NumCPU()))
	lines := make([]string, len(lessons))
	var wg sync.WaitGroup
	for i, l := range lessons {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			lines[i] = verifyLesson(root, l, *count, race == "", r)
		})
	}
	lint := make(chan string, 1)
	go func() { lint <- lintSolutions(root, r) }()
	tools := make(chan string, 1)
	go func() { tools <- testTools(root, race == "", r) }()
	wg.Wait()
	for _, line := range lines {
		fmt.Println(line)
	}
	fmt.Println(<-lint)
	fmt.Println(<-tools)
	var only []lesson // the recorded outputs of the lessons asked for
	if len(flags.Args()) > 0 {
		only = lessons
	}
	fmt.Println(verifyDocs(root, all, only, r))

	fmt.Println()
	for _, s := range r.skipped {
		fmt.Println(s)
	}
	if requireAll && len(r.skipped) > 0 {
		r.fail("REQUIRE_ALL=1, and %d check(s) were skipped", len(r.skipped))
	}
	if len(r.problems) > 0 {
		fmt.Printf("verify: FAILED, %d problem(s), %.0fs:\n", len(r.problems), time.Since(start).Seconds())
		for _, p := range r.problems {
			fmt.Println("  -", p)
		}
		return 1
	}
	fmt.Printf("verify: ok, %d lessons, %.0fs\n", len(lessons), time.Since(start).Seconds())
	return 0
}

// verifyLesson checks one lesson and returns its line of the summary.
func verifyLesson(root string, l lesson, count int, race bool, r *report) string {
	bad := func(format string, args ...any) {
		r.fail("%s: "+format, append([]any{l.Name}, args...)...)
	}
	before := len(r.problems)
	var notes []string

	if !isDir(filepath.Join(root, l.Ref)) {
		bad("no reference solution: %s is missing", l.Ref)
		return fmt.Sprintf("%-22s FAIL (no solution)", l.Name)
	}
	checkLessonFiles(root, l, bad)
	checkSameTests(root, l, bad)

	// Each module must also work alone, outside the workspace.
	for _, dir := range []string{l.Dir, l.Ref} {
		if out, err := goCmd(root, dir, []string{"GOWORK=off"}, "vet", "./..."); err != nil {
			bad("%s does not vet (GOWORK=off go vet ./...):\n%s", dir, indent(out))
		}
	}

	if note, ok := checkStarter(root, l, race, bad); ok {
		notes = append(notes, note)
	}
	if note, ok := checkSolution(root, l, count, race, bad); ok {
		notes = append(notes, note)
	}

	r.mu.Lock()
	n := len(r.problems) - before
	r.mu.Unlock()
	status := "ok  "
	if n > 0 {
		status = fmt.Sprintf("FAIL (%d)", n)
	}
	return fmt.Sprintf("%-22s %s  %s", l.Name, status, strings.Join(notes, "; "))
}

// checkLessonFiles: a README, ordered hints, a TODO in the starter.
func checkLessonFiles(root string, l lesson, bad func(string, ...any)) {
	readme, err := os.ReadFile(filepath.Join(root, l.Dir, "README.md"))
	if err != nil || !bytes.HasPrefix(readme, []byte("# ")) {
		bad("README.md is missing or does not start with a '# ' title")
	}
	hints, err := os.ReadFile(filepath.Join(root, l.Dir, "HINTS.md"))
	if n := len(numberedHint.FindAll(hints, -1)); err != nil || n < 3 {
		bad("HINTS.md needs at least 3 numbered hints ('## 1. …'), from a nudge to near the solution; found %d", n)
	}
	todo := false
	for _, f := range goFiles(filepath.Join(root, l.Dir), false) {
		b, _ := os.ReadFile(f)
		todo = todo || bytes.Contains(b, []byte("// TODO"))
	}
	if !todo {
		bad("the starter has no // TODO marker showing where the learner works")
	}
}

var (
	numberedHint = regexp.MustCompile(`(?m)^## \d+\. `)
	goLine       = regexp.MustCompile(`(?m)^go 1\.26\.0$`)
)

// checkSameTests: the learner and the reference run the same tests, and the
// shared test kit is the same everywhere.
func checkSameTests(root string, l lesson, bad func(string, ...any)) {
	rel := func(dir string) []string {
		var out []string
		for _, f := range goFiles(filepath.Join(root, dir), true) {
			r, _ := filepath.Rel(filepath.Join(root, dir), f)
			out = append(out, r)
		}
		return out
	}
	mine, ref := rel(l.Dir), rel(l.Ref)
	if !slices.Equal(mine, ref) {
		bad("test files differ: %s has %v, %s has %v", l.Dir, mine, l.Ref, ref)
		return
	}
	if len(mine) == 0 {
		bad("has no tests")
	}
	kit, _ := os.ReadFile(filepath.Join(root, "tools", "testkit", "kit_test.go"))
	for _, f := range mine {
		a, _ := os.ReadFile(filepath.Join(root, l.Dir, f))
		b, _ := os.ReadFile(filepath.Join(root, l.Ref, f))
		if !bytes.Equal(a, b) {
			bad("%s differs between %s and %s: the learner and the reference must run the same tests", f, l.Dir, l.Ref)
		}
		if f == "kit_test.go" && !bytes.Equal(a, kit) {
			bad("kit_test.go is not a copy of tools/testkit/kit_test.go (run: make kit)")
		}
	}
	if !slices.Contains(mine, "kit_test.go") {
		bad("kit_test.go is missing (run: make kit)")
	}
}

// checkStarter: the untouched starter fails by at least one named test,
// soon, without a build error, a panic or a timeout.
func checkStarter(root string, l lesson, race bool, bad func(string, ...any)) (string, bool) {
	if out, err := goCmd(root, l.Dir, nil, "vet", "./..."); err != nil {
		bad("the starter does not vet:\n%s", indent(out))
		return "", false
	}
	// Build first, so the clock below times the tests, not the compiler.
	if out, err := goCmd(root, l.Dir, nil, testArgs(race, 1, "-run", "^$")...); err != nil {
		bad("the starter's tests do not build:\n%s", indent(out))
		return "", false
	}
	run := runTests(root, l.Dir, testArgs(race, 1))
	switch {
	case run.panicked != "":
		bad("the starter panics or times out instead of failing a test: %s", run.panicked)
	case run.buildFailed:
		bad("the starter's tests do not build:\n%s", indent(run.output))
	case len(run.failed) == 0:
		bad("the starter passes its tests: a lesson must fail until the learner does the work")
	case run.firstFailure > starterFirstFailure:
		bad("the starter's first failure (%s) took %.1fs; a learner should be told within %v", run.failed[0], run.firstFailure.Seconds(), starterFirstFailure)
	case run.wall > starterWhole:
		bad("the starter's tests took %.1fs to fail; some test waits out a timeout instead of failing fast (limit %v)", run.wall.Seconds(), starterWhole)
	default:
		return fmt.Sprintf("starter fails %d of %d tests, first %s in %.1fs", len(run.failed), len(run.failed)+run.passed, run.failed[0], run.firstFailure.Seconds()), true
	}
	return "", false
}

// checkSolution: the reference passes, repeatedly, with -race.
func checkSolution(root string, l lesson, count int, race bool, bad func(string, ...any)) (string, bool) {
	run := runTests(root, l.Ref, testArgs(race, count))
	switch {
	case run.panicked != "":
		bad("the solution panics or times out: %s\n%s", run.panicked, indent(tail(run.output, 40)))
	case run.buildFailed:
		bad("the solution does not build:\n%s", indent(run.output))
	case len(run.failed) > 0:
		bad("the solution fails %v (in %d runs):\n%s", run.failed, count, indent(tail(run.output, 40)))
	case run.passed == 0:
		bad("the solution ran no tests")
	default:
		return fmt.Sprintf("solution passes ×%d in %.1fs", count, run.wall.Seconds()), true
	}
	return "", false
}

func testArgs(race bool, count int, extra ...string) []string {
	args := []string{"test", "-count", fmt.Sprint(count), "-timeout", "120s"}
	if race {
		args = append(args, "-race")
	}
	return append(append(args, extra...), "./...")
}

// testRun is what one `go test -json` run did.
type testRun struct {
	failed       []string // names of failed tests, in order
	passed       int
	buildFailed  bool
	panicked     string // the panic or timeout line, if any
	firstFailure time.Duration
	wall         time.Duration
	output       string
}

func runTests(root, dir string, args []string) testRun {
	var run testRun
	cmd := exec.Command("go", append([]string{args[0], "-json"}, args[1:]...)...)
	cmd.Dir = filepath.Join(root, dir)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	cmd.Stderr = new(bytes.Buffer)
	stdout, _ := cmd.StdoutPipe()
	started := time.Now()
	if err := cmd.Start(); err != nil {
		run.buildFailed, run.output = true, err.Error()
		return run
	}
	var out strings.Builder
	seen := map[string]bool{}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev struct{ Action, Test, Output string }
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		out.WriteString(ev.Output)
		if ev.Action == "start" && started.IsZero() {
			started = time.Now() // the test binary runs: the build is over
		}
		switch {
		case ev.Action == "build-fail":
			run.buildFailed = true
		case ev.Action == "fail" && ev.Test != "" && !seen[ev.Test]:
			if len(run.failed) == 0 {
				run.firstFailure = time.Since(started)
			}
			seen[ev.Test] = true
			run.failed = append(run.failed, ev.Test)
		case ev.Action == "pass" && ev.Test != "":
			run.passed++
		case ev.Action == "output" && (strings.HasPrefix(ev.Output, "panic: ") || strings.Contains(ev.Output, "[setup failed]")):
			if run.panicked == "" {
				run.panicked = strings.TrimSpace(ev.Output)
			}
		}
	}
	io.Copy(io.Discard, stdout) // after a line too long to scan: let go test finish
	err := cmd.Wait()
	run.wall = time.Since(started)
	out.WriteString(cmd.Stderr.(*bytes.Buffer).String())
	run.output = out.String()
	if err != nil && len(run.failed) == 0 && run.panicked == "" {
		run.buildFailed = true // go test failed, yet no test did: it never ran
	}
	return run
}

// checkWorkspace: go.work uses exactly the modules in the tree, and every
// module states the same Go version.
func checkWorkspace(root string, all []lesson, r *report) {
	out, err := goCmd(root, ".", nil, "work", "edit", "-json")
	if err != nil {
		r.fail("go.work: %v\n%s", err, indent(out))
		return
	}
	var work struct {
		Go  string
		Use []struct{ DiskPath string }
	}
	if err := json.Unmarshal([]byte(out), &work); err != nil {
		r.fail("go.work: %v", err)
		return
	}
	var used []string
	for _, u := range work.Use {
		used = append(used, filepath.Clean(u.DiskPath))
	}
	var mods []string
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if d.IsDir() && path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "site" || name == "node_modules") {
			return filepath.SkipDir
		}
		if name == "go.mod" {
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			mods = append(mods, rel)
			b, _ := os.ReadFile(path)
			if !goLine.Match(b) {
				r.fail("%s: the go line must read 'go 1.26.0' like every module's (x/sync v0.23+ needs it)", filepath.Join(rel, "go.mod"))
			}
			if want := modulePath + "/" + filepath.ToSlash(rel); !bytes.HasPrefix(b, []byte("module "+want+"\n")) {
				r.fail("%s: the module path must be %s", filepath.Join(rel, "go.mod"), want)
			}
		}
		return nil
	})
	slices.Sort(used)
	slices.Sort(mods)
	for _, m := range mods {
		if !slices.Contains(used, m) {
			r.fail("go.work does not use ./%s (run: go work use ./%s)", m, m)
		}
	}
	for _, u := range used {
		if !slices.Contains(mods, u) {
			r.fail("go.work uses ./%s, which is not a module", u)
		}
	}
	for _, l := range all {
		if !slices.Contains(mods, l.Dir) || !slices.Contains(mods, l.Ref) {
			r.fail("%s: both %s and %s must be modules (a go.mod each)", l.Name, l.Dir, l.Ref)
		}
	}
	for _, dir := range []string{"solutions"} {
		entries, _ := os.ReadDir(filepath.Join(root, dir))
		for _, e := range entries {
			if e.IsDir() && !isDir(filepath.Join(root, "lessons", e.Name())) {
				r.fail("%s/%s has no lesson in lessons/%s", dir, e.Name(), e.Name())
			}
		}
	}
}

// checkFormat: every Go file in the workbook is gofmt-clean.
func checkFormat(root string, r *report) {
	out, err := exec.Command("gofmt", "-l", filepath.Join(root, "lessons"), filepath.Join(root, "solutions"), filepath.Join(root, "tools")).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		r.fail("gofmt would change these files (run: gofmt -w <file>):\n%s", indent(string(out)))
	}
}

// lintSolutions runs staticcheck, at a pinned version, on every solution
// and on the workbook's own tools.
func lintSolutions(root string, r *report) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "run", staticcheck, modulePath+"/solutions/...", modulePath+"/tools/...")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.fail("staticcheck (%s) on the solutions:\n%s", staticcheck, indent(string(out)))
		return fmt.Sprintf("%-22s FAIL  staticcheck", "lint")
	}
	return fmt.Sprintf("%-22s ok    gofmt, go vet and staticcheck clean (%.1fs)", "lint", time.Since(start).Seconds())
}

// testTools runs the tests of the workbook's own commands (tools/...).
func testTools(root string, race bool, r *report) string {
	args := testArgs(race, 1)
	args[len(args)-1] = modulePath + "/tools/..."
	run := runTests(root, ".", args)
	if run.buildFailed || run.panicked != "" || len(run.failed) > 0 {
		r.fail("tools: go test %s/tools/... fails %v:\n%s", modulePath, run.failed, indent(tail(run.output, 40)))
		return fmt.Sprintf("%-22s FAIL  tests of tools/...", "tools")
	}
	return fmt.Sprintf("%-22s ok    %d tests of tools/... pass (%.1fs)", "tools", run.passed, run.wall.Seconds())
}

// verifyDocs: every lesson has a learner's page and an instructor's page,
// and the site passes its own checks (tools/docs check, see docs.go): the
// strict build, the recorded test outputs, the diagrams, and the pages in
// headless chromium. Those that need a missing tool are skipped, loudly.
func verifyDocs(root string, all, only []lesson, r *report) string {
	for _, l := range all {
		for _, page := range []string{"lessons", "instructor"} {
			if !isFile(filepath.Join(root, "docs", page, l.Name+".md")) {
				r.fail("%s: no docs page (docs/%s/%s.md; copy lesson 01's)", l.Name, page, l.Name)
			}
		}
	}
	return checkDocsSite(root, only, r)
}

// raceProblem says why -race cannot be used here, or "" if it can.
func raceProblem() string {
	out, err := exec.Command("go", "env", "CGO_ENABLED", "CC").Output()
	if err != nil {
		return err.Error()
	}
	f := strings.Fields(string(out))
	if len(f) < 2 || f[0] != "1" {
		return "cgo is disabled (CGO_ENABLED=0)"
	}
	if _, err := exec.LookPath(f[1]); err != nil {
		return "no C compiler (" + f[1] + ")"
	}
	return ""
}

// goFiles lists the .go files under dir: tests or non-tests.
func goFiles(dir string, tests bool) []string {
	var files []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") && strings.HasSuffix(path, "_test.go") == tests {
			files = append(files, path)
		}
		return nil
	})
	return files
}

func goCmd(root, dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Join(root, dir)
	cmd.Env = append(append(os.Environ(), "GORACE=atexit_sleep_ms=0"), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "      " + strings.ReplaceAll(s, "\n", "\n      ")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
