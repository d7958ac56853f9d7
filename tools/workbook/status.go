package main

// status runs every lesson's tests, a few at a time, and shows where the
// learner is: each lesson untouched, failing (with its first failure),
// passing, not building, hanging, or not ready yet; a progress bar; the
// next command to run. Passing results come from go's test cache when the
// code has not changed. Untouched lessons (the code is the starter's, see
// starter.go) are not run by default: their tests fail by design.

import (
	"context"
	"flag"
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
)

// lessonStatus is one lesson's line: its test result, and whether the
// learner has changed its code at all.
type lessonStatus struct {
	lesson
	result    testResult // zero if the lesson was not run
	untouched bool       // the code is the starter's
	done      bool
}

// checkLessons runs the tests of every lesson, on as many cores as there
// are, and calls update (from one goroutine at a time) as each one's result
// comes. An untouched lesson is not run unless runUntouched is set: its
// starter fails by design (make verify proves it), so a run would only
// cost time.
func checkLessons(ctx context.Context, root string, lessons []lesson, st *starters, opts testOptions, runUntouched bool, update func(i int, s lessonStatus)) []lessonStatus {
	out := make([]lessonStatus, len(lessons))
	var mu sync.Mutex
	finish := func(i int, r testResult) {
		mu.Lock()
		defer mu.Unlock()
		out[i].result, out[i].done = r, true
		if update != nil {
			update(i, out[i])
		}
	}
	var dirs []string
	var index []int // dirs[n] is lessons[index[n]]
	for i, l := range lessons {
		out[i] = lessonStatus{lesson: l, untouched: isUntouched(st, root, l)}
		switch why := notReadyReason(filepath.Join(root, l.Dir)); {
		case why != "":
			finish(i, testResult{outcome: notReady, message: why})
		case out[i].untouched && !runUntouched:
			finish(i, testResult{})
		default:
			dirs, index = append(dirs, l.Dir), append(index, i)
		}
	}
	if len(dirs) > 0 {
		testLessons(ctx, root, dirs, opts, runtime.NumCPU(), func(n int, r testResult) { finish(index[n], r) })
	}
	return out
}

// isUntouched: the learner's files are the starter's, byte for byte.
func isUntouched(st *starters, root string, l lesson) bool {
	starter, err := st.files(l)
	if err != nil {
		return false // no starter to compare with: say what the tests say
	}
	mine, err := learnerFiles(filepath.Join(root, l.Dir))
	return err == nil && sameFiles(starter, mine)
}

// testFileLine is the "echo_test.go:48: " go test puts before a message.
var testFileLine = regexp.MustCompile(`^\S+\.go:\d+: `)

// statusLine renders one lesson's line.
func statusLine(sc *screen, s lessonStatus, spin string) string {
	name := fmt.Sprintf("%s %-24s", s.Num, strings.TrimPrefix(s.Name, s.Num+"-"))
	if !s.done {
		return fmt.Sprintf("  %s %s %s", sc.dim(spin), name, sc.dim("running"))
	}
	r := s.result
	var mark, state, what string
	switch {
	case r.outcome == passed:
		mark, state = sc.green("✓"), sc.green("passing  ")
		what = fmt.Sprintf("%d tests", r.passed)
	case s.untouched && (r.outcome == failed || r.outcome == notReady):
		// not run, or failing as the starter does
		mark, state, what = sc.dim("·"), "untouched", ""
	case r.outcome == notReady:
		mark, state, what = sc.dim("-"), sc.dim("not ready"), sc.dim(strings.TrimPrefix(r.message, "not ready yet: "))
	case r.outcome == broken:
		mark, state = sc.red("✗"), sc.red("no build ")
		what = strings.TrimPrefix(r.message, "does not build: ")
	case r.outcome == hung:
		mark, state, what = sc.yellow("✗"), sc.yellow("hangs    "), r.message
	default:
		mark, state = sc.red("✗"), sc.red("failing  ")
		what = testFileLine.ReplaceAllString(r.message, "")
		if r.test != "" {
			what = r.test + ": " + what
		}
	}
	return strings.TrimRight(fmt.Sprintf("  %s %s %s %s", mark, name, state, what), " ")
}

// nextStep says what to run next: the first lesson not passing yet.
func nextStep(sc *screen, all []lessonStatus) string {
	for _, s := range all {
		switch {
		case s.result.outcome == passed:
			continue
		case s.untouched:
			return fmt.Sprintf("Next: %s   (the task: %s)", sc.cyan("make lesson-"+s.Num+" test"), filepath.Join(s.Dir, "README.md"))
		case s.result.outcome == notReady:
			return fmt.Sprintf("Lesson %s is not ready yet; come back to it soon.", s.Num)
		default:
			return fmt.Sprintf("Next: %s   (re-runs the tests on every save; stuck? %s)", sc.cyan("make lesson-"+s.Num+" watch"), sc.cyan("make lesson-"+s.Num+" hint"))
		}
	}
	if len(all) == 0 {
		return "There are no lessons yet."
	}
	last := all[len(all)-1].Num
	return fmt.Sprintf("Every lesson passes. Compare your code with the reference: %s", sc.cyan("make lesson-"+last+" diff"))
}

func runStatus(args []string) int {
	flags := flag.NewFlagSet("status", flag.ContinueOnError)
	race := flags.Bool("race", true, "run the tests with the race detector")
	timeout := flags.Duration("timeout", 20*time.Second, "cut off a lesson whose tests run longer, and report it as hanging")
	runAll := flags.Bool("all", false, "run the tests of untouched lessons too (they fail by design, so by default they are not run)")
	if flags.Parse(args) != nil {
		return 2
	}
	root, err := findRoot()
	if err != nil {
		return fail("status", err)
	}
	lessons, err := findLessons(root)
	if err != nil {
		return fail("status", err)
	}
	lessons, err = pickLessons(lessons, flags.Args())
	if err != nil {
		return fail("status", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sc := newScreen(os.Stdout)
	start := time.Now()
	st := openStarters(root, lessons, true)
	all := showStatus(ctx, sc, root, lessons, st, testOptions{race: *race, timeout: *timeout}, *runAll)
	if ctx.Err() != nil {
		return 130
	}
	pass := 0
	for _, s := range all {
		if s.result.outcome == passed {
			pass++
		}
	}
	sc.printf("\n  %s %d of %d lessons pass %s\n\n  %s\n", sc.bar(pass, len(all), 24), pass, len(all),
		sc.dim(fmt.Sprintf("(%.1fs)", time.Since(start).Seconds())), nextStep(sc, all))
	return 0
}

// showStatus runs the lessons and shows them: on a terminal as a table
// that fills in live, elsewhere as lines once all are done.
func showStatus(ctx context.Context, sc *screen, root string, lessons []lesson, st *starters, opts testOptions, runAll bool) []lessonStatus {
	sc.printf("%s\n\n", sc.bold("Echo Workbook: your progress"))
	if !sc.color {
		all := checkLessons(ctx, root, lessons, st, opts, runAll, nil)
		for _, s := range all {
			sc.printf("%s\n", statusLine(sc, s, ""))
		}
		return all
	}
	// Live: print a line per lesson, then rewrite a line in place when its
	// lesson is done, and spin the ones still running.
	lines := make([]lessonStatus, len(lessons))
	var mu sync.Mutex
	frames := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
	for i, l := range lessons {
		lines[i] = lessonStatus{lesson: l}
		sc.printf("%s\n", sc.fit(statusLine(sc, lines[i], frames[0])))
	}
	redraw := func(i int, spin string) { // mu held
		up := len(lessons) - i
		sc.printf("\033[%dA\r\033[2K%s\r\033[%dB", up, sc.fit(statusLine(sc, lines[i], spin)), up)
	}
	stopSpin := make(chan struct{})
	spun := make(chan struct{})
	go func() {
		defer close(spun)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for n := 1; ; n++ {
			select {
			case <-stopSpin:
				return
			case <-tick.C:
			}
			mu.Lock()
			for i := range lines {
				if !lines[i].done {
					redraw(i, frames[n%len(frames)])
				}
			}
			mu.Unlock()
		}
	}()
	all := checkLessons(ctx, root, lessons, st, opts, runAll, func(i int, s lessonStatus) {
		mu.Lock()
		defer mu.Unlock()
		lines[i] = s
		redraw(i, "")
	})
	close(stopSpin)
	<-spun
	return all
}
