package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"example.com/echo-workbook/tools/internal/cli"
	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/lessons"
	"example.com/echo-workbook/tools/internal/term"
)

func runTest(args []string) int     { return runTests("test", args) }
func runSolution(args []string) int { return runTests("solution", args) }

// runTests is test, on the learner's code, and solution, on the reference;
// make's variables are the flags' defaults.
func runTests(name string, args []string) int {
	fs := cli.Flags(name)
	race := fs.Bool("race", true, "run with the race detector (make: RACE=0 turns it off)")
	count := fs.Int("count", 0, "run the tests this many times; 1 runs them even when go has the result cached (make: COUNT=1)")
	run := fs.String("run", "", "run only the tests matching this regexp (make: RUN=TestName)")
	allTests := fs.Bool("all", false, "run every test, not only up to the first failure (make: ALL=1)")
	verbose := fs.Bool("v", false, "print every test's name and log as it runs (make: V=1)")
	timeout := fs.Duration("timeout", time.Minute, "cut off tests that hang, with where each goroutine waits (make: TIMEOUT=60s)")
	if cli.Parse(fs, args) != nil {
		return 2
	}
	o := gotest.Options{Race: useRace(*race), Failfast: name == "test" && !*allTests, Count: *count, Run: *run, Timeout: *timeout}
	root, all, l, err := oneLesson(fs.Args())
	if err != nil {
		return fail(name, err)
	}
	dir := l.Dir
	if name == "solution" {
		dir = l.Ref
		if !lessons.IsDir(filepath.Join(root, dir)) {
			return fail(name, fmt.Errorf("lesson %s has no reference solution yet (%s)", l.Num, l.Ref))
		}
	}
	sc := term.New(os.Stdout)
	passed, err := testLesson(context.Background(), sc, filepath.Join(root, dir), o, *verbose)
	switch {
	case err != nil:
		return fail(name, err)
	case name == "test":
		next(sc, l, lessons.Next(all, l), passed, "test")
	case passed:
		sc.Printf("The reference passes lesson %s's tests. Your code next to it: %s\n", l.Num, sc.Cyan("make lesson-"+l.Num+" diff"))
	}
	if !passed {
		return 1
	}
	return 0
}

// testLesson runs go test in dir as a learner would type it, with go's own
// output, and then says what that output does not: that a result came
// from go's cache, what a race report is. The error is for go test that
// could not run at all.
func testLesson(ctx context.Context, sc *term.Screen, dir string, o gotest.Options, verbose bool) (passed bool, err error) {
	args := append([]string{"test"}, o.Flags()...)
	if verbose {
		args = append(args, "-v")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./...")...)
	cmd.Dir = dir
	cmd.Env = gotest.Env()
	gotest.OwnProcessGroup(cmd) // so that cancelling stops the test binary too
	cmd.Stderr = sc.W
	out, err := cmd.StdoutPipe()
	if err != nil {
		return false, err
	}
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("cannot run go: %w", err)
	}
	cached, race := false, false
	br := bufio.NewReader(out)
	for {
		line, err := br.ReadString('\n')
		io.WriteString(sc.W, line)
		cached = cached || strings.HasSuffix(strings.TrimSpace(line), "(cached)")
		race = race || strings.TrimSpace(line) == "WARNING: DATA RACE"
		if err != nil {
			break
		}
	}
	passed = cmd.Wait() == nil
	if cached {
		num, _, _ := strings.Cut(filepath.Base(dir), "-") // a lesson's or a solution's folder
		sc.Printf("\n%s means go reused the last result: nothing the tests depend on changed since. Run them anyway: %s\n",
			sc.Bold("(cached)"), sc.Cyan("make lesson-"+num+" test COUNT=1"))
	}
	if race {
		sc.Printf("\n%s is the race detector: two goroutines touched the same memory at once, one of them writing, with nothing ordering them. How to read its report: docs/concepts/reading-failures.md\n",
			sc.Bold("WARNING: DATA RACE"))
	}
	return passed, nil
}

// next says what to do after a run: on a failure, where help is; on a
// pass, how to compare and which lesson comes next (with the same goal).
func next(sc *term.Screen, l lessons.Lesson, after *lessons.Lesson, passed bool, goal string) {
	if !passed {
		sc.Printf("\nNot yet. Read the first failure above; stuck? %s\n", sc.Cyan("make lesson-"+l.Num+" hint"))
		if goal == "test" {
			sc.Printf("Re-run on every save: %s\n", sc.Cyan("make lesson-"+l.Num+" watch"))
		}
		return
	}
	sc.Printf("%s Compare with the reference: %s\n", sc.Green("Lesson "+l.Num+" passes."), sc.Cyan("make lesson-"+l.Num+" diff"))
	if after != nil {
		sc.Printf("Next: %s   (%s)\n", sc.Cyan("make lesson-"+after.Num+" "+goal), filepath.Join(after.Dir, "README.md"))
	} else {
		sc.Printf("That was the last lesson: %s shows them all.\n", sc.Cyan("make status"))
	}
}
