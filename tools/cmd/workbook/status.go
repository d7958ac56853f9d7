package main

// status runs every lesson's tests, a few at a time, and shows where the
// learner is: each lesson untouched, failing (with its first failure),
// passing, not building, hanging, or not ready yet; a progress bar; the
// next command to run. Passing results come from go's test cache while the
// code does not change. Untouched lessons (the code is the starter's) are
// not run unless asked: their tests fail by design.

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"example.com/echo-workbook/tools/internal/cli"
	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/lessons"
	"example.com/echo-workbook/tools/internal/term"
)

// lessonStatus is one lesson's line.
type lessonStatus struct {
	lessons.Lesson
	result    gotest.Result // zero if the lesson was not run
	untouched bool          // the code is the starter's
	done      bool
}

// showStatus runs the lessons' tests, NumCPU at a time, and shows a line
// for each, in order, as soon as it and the ones before it are done.
func showStatus(ctx context.Context, sc *term.Screen, root string, ls []lessons.Lesson, st *lessons.Starters, o gotest.Options, runUntouched bool) []lessonStatus {
	sc.Printf("%s\n\n", sc.Bold("Echo Workbook: your progress"))
	out := make([]lessonStatus, len(ls))
	for i, l := range ls {
		out[i] = lessonStatus{Lesson: l, untouched: st.Untouched(l)}
	}
	var mu sync.Mutex
	shown := 0
	finish := func(i int, r gotest.Result) {
		mu.Lock()
		defer mu.Unlock()
		out[i].result, out[i].done = r, true
		for ; shown < len(out) && out[shown].done; shown++ {
			sc.Printf("%s\n", sc.Fit(statusLine(sc, out[shown])))
		}
	}
	sem := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	for i, s := range out {
		dir := filepath.Join(root, s.Dir)
		switch why := lessons.NotReady(dir); {
		case why != "":
			finish(i, gotest.Result{Outcome: gotest.NotReady, Message: why})
		case s.untouched && !runUntouched:
			finish(i, gotest.Result{})
		default:
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				finish(i, gotest.Run(ctx, dir, o, nil, "./..."))
			})
		}
	}
	wg.Wait()
	return out
}

// testFileLine is the "echo_test.go:48: " go test puts before a message.
var testFileLine = regexp.MustCompile(`^\S+\.go:\d+: `)

// statusLine renders one lesson's line.
func statusLine(sc *term.Screen, s lessonStatus) string {
	name := fmt.Sprintf("%s %-24s", s.Num, strings.TrimPrefix(s.Name, s.Num+"-"))
	r := s.result
	var mark, state, what string
	switch {
	case r.Outcome == gotest.Passed:
		mark, state, what = sc.Green("✓"), sc.Green("passing  "), fmt.Sprintf("%d tests", r.Passed)
	case s.untouched && (r.Outcome == gotest.Failed || r.Outcome == gotest.NotReady):
		mark, state = sc.Dim("·"), "untouched" // not run, or failing as the starter does
	case r.Outcome == gotest.NotReady:
		mark, state, what = sc.Dim("-"), sc.Dim("not ready"), sc.Dim(strings.TrimPrefix(r.Message, "not ready yet: "))
	case r.Outcome == gotest.Broken:
		mark, state, what = sc.Red("✗"), sc.Red("no build "), strings.TrimPrefix(r.Message, "does not build: ")
	case r.Outcome == gotest.Hung:
		mark, state, what = sc.Yellow("✗"), sc.Yellow("hangs    "), r.Message
	default:
		r.Message = testFileLine.ReplaceAllString(r.Message, "")
		mark, state, what = sc.Red("✗"), sc.Red("failing  "), r.Headline()
	}
	return strings.TrimRight(fmt.Sprintf("  %s %s %s %s", mark, name, state, what), " ")
}

// nextStep says what to run next: the first lesson not passing yet.
func nextStep(sc *term.Screen, all []lessonStatus) string {
	for _, s := range all {
		switch {
		case s.result.Outcome == gotest.Passed:
			continue
		case s.untouched:
			return fmt.Sprintf("Next: %s   (the task: %s)", sc.Cyan("make lesson-"+s.Num+" test"), filepath.Join(s.Dir, "README.md"))
		case s.result.Outcome == gotest.NotReady:
			return fmt.Sprintf("Lesson %s is not ready yet; come back to it soon.", s.Num)
		default:
			return fmt.Sprintf("Next: %s   (re-runs the tests on every save; stuck? %s)", sc.Cyan("make lesson-"+s.Num+" watch"), sc.Cyan("make lesson-"+s.Num+" hint"))
		}
	}
	if len(all) == 0 {
		return "There are no lessons yet."
	}
	return fmt.Sprintf("Every lesson passes. Compare your code with the reference: %s", sc.Cyan("make lesson-"+all[len(all)-1].Num+" diff"))
}

func runStatus(args []string) int {
	fs := cli.Flags("status")
	race := fs.Bool("race", true, "run the tests with the race detector (make: RACE=0)")
	timeout := fs.Duration("timeout", 20*time.Second, "cut off a lesson whose tests run longer, and report it as hanging")
	runAll := fs.Bool("all", false, "run untouched lessons too (they fail by design, so by default they are not run) (make: ALL=1)")
	if cli.Parse(fs, args) != nil {
		return 2
	}
	root, all, picked, err := workbook(fs.Args())
	if err != nil {
		return fail("status", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sc := term.New(os.Stdout)
	start := time.Now()
	st := lessons.OpenStarters(root, all, true)
	o := gotest.Options{Race: useRace(*race), Failfast: true, Timeout: *timeout}
	res := showStatus(ctx, sc, root, picked, st, o, *runAll)
	if ctx.Err() != nil {
		return 130
	}
	pass := 0
	for _, s := range res {
		if s.result.Outcome == gotest.Passed {
			pass++
		}
	}
	sc.Printf("\n  %s %d of %d lessons pass %s\n\n  %s\n", sc.Bar(pass, len(res), 24), pass, len(res),
		sc.Dim(fmt.Sprintf("(%.1fs)", time.Since(start).Seconds())), nextStep(sc, res))
	return 0
}
