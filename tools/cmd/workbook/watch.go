package main

// watch runs a lesson's tests the way make lesson-NN test does, again on
// every save, on a cleared screen. Keys: h the next hint, r run again
// (without go's cache), q quit. A save during a run stops that run.

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"example.com/echo-workbook/tools/internal/cli"
	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/hints"
	"example.com/echo-workbook/tools/internal/lessons"
	"example.com/echo-workbook/tools/internal/term"
	"example.com/echo-workbook/tools/internal/watch"
)

type watchOptions struct {
	root   string
	lesson lessons.Lesson
	next   *lessons.Lesson
	test   gotest.Options
	cfg    watch.Config
}

// watchLoop runs until ctx ends or q is pressed. legend says how to use
// the keys.
func watchLoop(ctx context.Context, sc *term.Screen, o watchOptions, keys <-chan byte, legend string) {
	sc.W = &lockedWriter{w: sc.W} // a run and a hint may write at once
	l, dir := o.lesson, filepath.Join(o.root, o.lesson.Dir)
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	changes := watch.Watch(ctx, dir, o.cfg, watch.Fsnotify)
	mode := "file events"
	if o.cfg.Poll {
		mode = "polling"
	}
	cancelRun, running := context.CancelFunc(func() {}), make(chan struct{})
	close(running)
	start := func(why string, fresh bool) {
		cancelRun() // a newer save makes the running tests moot
		<-running
		var runCtx context.Context
		runCtx, cancelRun = context.WithCancel(ctx)
		running = make(chan struct{})
		sc.Clear()
		sc.Printf("%s %s\n\n", sc.Bold("Lesson "+l.Num+" ("+why+", "+time.Now().Format("15:04:05")+")"), sc.Dim("watching "+l.Dir+" by "+mode))
		opts := o.test
		if fresh {
			opts.Count = 1
		}
		go func() {
			defer close(running)
			passed, err := testLesson(runCtx, sc, dir, opts, false)
			if runCtx.Err() != nil {
				return
			}
			if err != nil {
				sc.Printf("%v\n", err)
			}
			next(sc, l, o.next, passed, "watch")
			sc.Printf("\n%s\n", sc.Dim(legend))
		}()
	}
	defer func() {
		cancelRun()
		<-running
		stop()
		for range changes { // the watcher closes it once it has stopped
		}
	}()
	start("starting", false)
	for {
		select {
		case <-ctx.Done():
			return
		case c, ok := <-changes:
			switch {
			case !ok:
				return
			case c.Note != "":
				mode = "polling"
				sc.Printf("\n%s\n", sc.Yellow(c.Note))
			case len(c.Files) == 1:
				start(c.Files[0]+" changed", false)
			default:
				start("files changed", false)
			}
		case k, ok := <-keys:
			switch {
			case !ok:
				keys = nil
			case k == 'q' || k == 'Q' || k == 3 || k == 4: // 3, 4: Ctrl-C, Ctrl-D as raw keys
				return
			case k == 'r' || k == 'R':
				// Run for real even if go has the result cached: the point
				// of a manual run is often a flaky concurrency test.
				start("run again", true)
			case k == 'h' || k == 'H':
				sc.Printf("\n")
				if err := hints.Next(sc, o.root, l, "press h"); err != nil {
					sc.Printf("%v\n", err)
				}
			}
		}
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// readKeys sends each byte read from r on keys until r fails or ctx ends.
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
	fs := cli.Flags("watch")
	race := fs.Bool("race", true, "run the tests with the race detector (make: RACE=0)")
	timeout := fs.Duration("timeout", time.Minute, "cut off tests that run longer, and say where they wait")
	poll := fs.Bool("poll", false, "notice saves by polling, not file events: for Docker mounts, network drives, WSL's /mnt/c (make: POLL=1)")
	if cli.Parse(fs, args) != nil {
		return 2
	}
	root, all, l, err := oneLesson(fs.Args())
	if err != nil {
		return fail("watch", err)
	}
	lessons.OpenStarters(root, all, true) // without git, remember the starters now
	o := watchOptions{root: root, lesson: l, next: lessons.Next(all, l), cfg: watch.Config{Poll: *poll},
		test: gotest.Options{Race: useRace(*race), Failfast: true, Timeout: *timeout}}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	sc := term.New(os.Stdout)
	keys := make(chan byte)
	legend := "Keys: h, r or q, then Enter: next hint, run again, quit."
	var tty *os.File
	if sc.Color {
		// Opened anew, not os.Stdin, so that Go's poller owns it and Close
		// ends readKeys' Read.
		tty, _ = os.OpenFile("/dev/tty", os.O_RDWR, 0)
	}
	if tty != nil {
		defer tty.Close()
		if raw, restore, err := term.Keys(tty, sc); err == nil {
			defer restore() // before the Close above
			sc, legend = raw, "Keys: [h] next hint   [r] run again   [q] quit"
		}
		go readKeys(ctx, tty, keys)
	} else {
		// No terminal: keys come as lines ("r" Enter). A read of stdin
		// cannot be interrupted; it ends with the process.
		go readKeys(ctx, os.Stdin, keys)
	}
	watchLoop(ctx, sc, o, keys, legend)
	return 0
}
