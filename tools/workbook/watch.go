package main

// watch re-runs a lesson's tests whenever one of its files is saved, and
// shows the result on a cleared screen: the first failure and its message,
// or, once the lesson passes, how to compare with the reference and what
// comes next. Keys: h the next hint, r run again, q quit.

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

type watchOptions struct {
	root      string
	lesson    lesson
	next      *lesson // the lesson after this one, if any
	test      testOptions
	cfg       watchConfig
	newSource func() (*eventSource, error) // file events; nil polls
}

// watchState is everything on the screen.
type watchState struct {
	mode    string      // "file events" or "polling"
	note    string      // e.g. why polling
	running string      // why a run is under way; "" when none is
	result  *testResult // the last complete run
	hint    string      // the last hint asked for, rendered
	keys    string      // how to press keys, if keys can be read
}

// What changed on the screen: a terminal redraws it all, plain output
// prints only the new part.
type redraw int

const (
	runStarted redraw = iota
	resultIn
	hintShown
	noteShown
)

const maxShownLines = 40 // of a failure's output, so the message stays on screen

// watchLoop runs until ctx ends or q is pressed. keys may be nil; legend
// says how to use them.
func watchLoop(ctx context.Context, sc *screen, o watchOptions, keys <-chan byte, legend string) {
	dir := filepath.Join(o.root, o.lesson.Dir)
	ctx, stop := context.WithCancel(ctx)
	changes := watch(ctx, dir, o.cfg, o.newSource)

	st := watchState{mode: "file events", keys: legend}
	if o.cfg.poll || o.newSource == nil {
		st.mode = "polling"
	}
	// Each run has an id; a result counts only if it is from the latest
	// run, since a cancelled run can still finish and report.
	type done struct {
		id  int
		res testResult
	}
	results := make(chan done)
	var (
		wg        sync.WaitGroup
		cancelRun context.CancelFunc = func() {}
		runID     int
	)
	defer func() {
		cancelRun()
		wg.Wait()
		stop()
		for range changes { // the watcher closes it when it has stopped
		}
	}()
	start := func(why string, fresh bool) {
		cancelRun() // a newer save makes the running tests moot
		var runCtx context.Context
		runCtx, cancelRun = context.WithCancel(ctx)
		runID++
		id := runID
		st.running = why
		renderWatch(sc, o, st, runStarted)
		opts := o.test
		opts.fresh = fresh
		wg.Go(func() {
			res := runLessonTests(runCtx, dir, opts)
			select {
			case results <- done{id, res}:
			case <-runCtx.Done():
			}
		})
	}
	start("starting", false)
	for {
		select {
		case <-ctx.Done():
			return
		case c, ok := <-changes:
			if !ok {
				return
			}
			if c.note != "" {
				st.note, st.mode = c.note, "polling"
			}
			if c.note != "" && len(c.files) == 0 {
				renderWatch(sc, o, st, noteShown)
				continue
			}
			start(changedWhat(c.files), false)
		case d := <-results:
			if d.id != runID {
				continue
			}
			res := d.res
			st.running, st.result = "", &res
			if res.outcome == passed {
				st.hint = ""
			}
			renderWatch(sc, o, st, resultIn)
		case k, ok := <-keys:
			if !ok {
				keys, st.keys = nil, ""
				continue
			}
			switch k {
			case 'q', 'Q', 4: // 4: Ctrl-D
				return
			case 'r', 'R':
				// Run for real even if go has the result cached: the point
				// of a manual run is often a flaky concurrency test.
				start("run again", true)
			case 'h', 'H':
				var b bytes.Buffer
				hs := &screen{w: &b, color: sc.color, width: sc.width}
				if err := nextHint(hs, o.root, o.lesson, "press h"); err != nil {
					fmt.Fprintln(&b, err)
				}
				st.hint = strings.TrimSpace(b.String())
				renderWatch(sc, o, st, hintShown)
			}
		}
	}
}

func changedWhat(files []string) string {
	files = nonEmpty(files)
	switch len(files) {
	case 0:
		return "files changed"
	case 1:
		return files[0] + " changed"
	default:
		return fmt.Sprintf("%s and %d more changed", files[0], len(files)-1)
	}
}

// renderWatch draws the screen. On a terminal it redraws all of it; in
// plain output it appends only what is new.
func renderWatch(sc *screen, o watchOptions, st watchState, what redraw) {
	l := o.lesson
	if !sc.color {
		switch what {
		case runStarted:
			sc.printf("\n• running lesson %s's tests (%s) at %s\n", l.Num, st.running, time.Now().Format("15:04:05"))
			return
		case hintShown:
			sc.printf("\n%s\n", st.hint)
			return
		case noteShown:
			sc.printf("\n%s\n", st.note)
			return
		}
	}
	sc.clear()
	sc.printf("%s %s\n", sc.bold("Lesson "+l.Num+": "+strings.TrimPrefix(l.Name, l.Num+"-")), sc.dim("· watching "+l.Dir+" ("+st.mode+")"))
	if st.note != "" {
		sc.printf("%s\n", sc.yellow(st.note))
	}
	sc.printf("\n")
	if st.running != "" {
		sc.printf("%s\n\n", sc.cyan("⋯ running the tests ("+st.running+")"))
	}
	if r := st.result; r != nil {
		if st.running != "" {
			sc.printf("%s\n", sc.dim("the previous run:"))
		}
		renderResult(sc, o, *r)
	}
	if st.hint != "" {
		sc.printf("\n%s\n", st.hint)
	}
	sc.printf("\n")
	if st.keys != "" {
		sc.printf("%s\n", sc.dim(st.keys))
	} else {
		sc.printf("%s\n", sc.dim("Ctrl-C stops watching"))
	}
}

func renderResult(sc *screen, o watchOptions, r testResult) {
	l := o.lesson
	took := sc.dim(fmt.Sprintf("(%.1fs)", r.elapsed.Seconds()))
	switch r.outcome {
	case passed:
		sc.printf("%s %s\n\n", sc.green(fmt.Sprintf("✓ Lesson %s passes: all %d tests.", l.Num, r.passed)), took)
		sc.printf("  Compare with the reference:  %s\n", sc.cyan("make lesson-"+l.Num+" diff"))
		if o.next != nil {
			sc.printf("  Next lesson:                 %s   (%s)\n", sc.cyan("make lesson-"+o.next.Num+" watch"), filepath.Join(o.next.Dir, "README.md"))
		} else {
			sc.printf("  That was the last lesson. Well done.\n")
		}
		return
	case notReady:
		sc.printf("%s\n", sc.dim(fmt.Sprintf("- Lesson %s is %s; watching for it.", l.Num, r.message)))
		return
	case broken:
		sc.printf("%s %s\n\n", sc.red("✗ The code does not build."), took)
	case hung:
		sc.printf("%s %s\n  %s\n\n", sc.yellow("✗ "+orWord(r.test, "A test")+" hangs."), took, r.message)
	default:
		ok := ""
		switch r.passed {
		case 0:
		case 1:
			ok = " (1 test passed before it)"
		default:
			ok = fmt.Sprintf(" (%d tests passed before it)", r.passed)
		}
		sc.printf("%s%s %s\n\n", sc.red("✗ "+orWord(r.test, "The tests fail")), ok, took)
	}
	lines := r.details
	if len(lines) > maxShownLines {
		lines = append(lines[:maxShownLines:maxShownLines], fmt.Sprintf("… %d more lines: make lesson-%s test", len(r.details)-maxShownLines, l.Num))
	}
	for _, line := range lines {
		// go test indents a test's output by 4; 2 is enough on its own.
		sc.printf("  %s\n", strings.TrimPrefix(line, "    "))
	}
	if r.outcome == failed {
		sc.printf("\n%s\n", sc.dim(fmt.Sprintf("Stuck? Press h, or make lesson-%s hint.", l.Num)))
	}
}

// readKeys sends each byte read from r on keys until r fails or ctx ends,
// then closes keys.
func readKeys(ctx context.Context, r io.Reader, keys chan<- byte) {
	defer close(keys)
	br := bufio.NewReader(r)
	for {
		b, err := br.ReadByte()
		if err != nil {
			return
		}
		select {
		case keys <- b:
		case <-ctx.Done():
			return
		}
	}
}

func runWatch(args []string) int {
	flags := flag.NewFlagSet("watch", flag.ContinueOnError)
	race := flags.Bool("race", true, "run the tests with the race detector")
	timeout := flags.Duration("timeout", 60*time.Second, "cut off tests that run longer, and say which hangs")
	poll := flags.Bool("poll", os.Getenv("WORKBOOK_POLL") == "1", "check for saves by polling instead of file events (for Docker mounts, network drives, WSL's /mnt/c)")
	interval := flags.Duration("interval", 250*time.Millisecond, "how often to poll")
	if flags.Parse(args) != nil {
		return 2
	}
	root, l, err := oneLesson(flags.Args())
	if err != nil {
		return fail("watch", err)
	}
	all, _ := findLessons(root)
	openStarters(root, all, true) // without git, remember the starters now
	o := watchOptions{
		root: root, lesson: l,
		test:      testOptions{race: *race, timeout: *timeout},
		cfg:       watchConfig{poll: *poll, interval: *interval},
		newSource: fsnotifySource,
	}
	for i, x := range all {
		if x.Name == l.Name && i+1 < len(all) {
			o.next = &all[i+1]
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	var keys chan byte
	legend := ""
	tty, restore, err := openKeys()
	switch {
	case err == nil:
		defer restore()
		keys, legend = make(chan byte), "[h] next hint   [r] run again   [q] quit"
		go readKeys(ctx, tty, keys) // ends when restore closes tty
	case !isTTY(os.Stdin):
		// Not a terminal (a pipe, a script): keys come as lines, "r\n".
		// A read of stdin cannot be interrupted; it ends with the process.
		keys, legend = make(chan byte), "h, r or q, then Enter: next hint, run again, quit"
		go readKeys(ctx, os.Stdin, keys)
	}
	var in <-chan byte
	if keys != nil {
		in = keys
	}
	watchLoop(ctx, newScreen(os.Stdout), o, in, legend)
	return 0
}
