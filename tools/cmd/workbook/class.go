package main

// class is the instructor's view of a room (internal/class): every
// learner checkout in a folder, run lesson by lesson in scratch copies.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"example.com/echo-workbook/tools/internal/class"
	"example.com/echo-workbook/tools/internal/cli"
	"example.com/echo-workbook/tools/internal/lessons"
	"example.com/echo-workbook/tools/internal/term"
)

func runClass(args []string) int {
	fs := cli.Flags("class")
	dir := fs.String("dir", "", "the folder holding one checkout per learner (make: DIR=…)")
	format := fs.String("format", "text", "text (the terminal), html (one page to open or project) or json (make: FORMAT=html)")
	out := fs.String("out", "", "where the html or json goes; default: html to .workbook/class/report.html, json to stdout (make: OUT=…)")
	learner := fs.String("learner", "", "one learner's results, and their code against the reference (make: LEARNER=name)")
	lesson := fs.String("lesson", "", "only these lessons, e.g. 03 or 03,04 (make: LESSON=03)")
	timeout := fs.Duration("timeout", 60*time.Second, "cut off one run of a lesson's tests after this; the build gets "+class.BuildGrace.String()+" more (make: TIMEOUT=…)")
	jobs := fs.Int("jobs", 0, "lessons run at once, each by one go test; 0: one per core (make: JOBS=…)")
	race := fs.Bool("race", true, "run the tests with the race detector, as learners do (make: RACE=0)")
	count := fs.Int("count", 0, "go test -count; COUNT=1 runs passing code again instead of taking go's cached result")
	if cli.Parse(fs, args) != nil {
		return 2
	}
	if *dir == "" {
		return fail("class", fmt.Errorf("name the folder of learner checkouts: make class DIR=path/to/room"))
	}
	if *format != "text" && *format != "html" && *format != "json" {
		return fail("class", fmt.Errorf("FORMAT=%s: the formats are text, html and json", *format))
	}
	nums := fs.Args()
	if *lesson != "" {
		nums = append(nums, strings.Split(*lesson, ",")...)
	}
	root, _, picked, err := workbook(nums)
	if err != nil {
		return fail("class", err)
	}
	room, err := filepath.Abs(*dir)
	if err != nil {
		return fail("class", err)
	}
	var only []string
	if *learner != "" {
		only = []string{*learner}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	errScreen := term.New(os.Stderr)
	fmt.Fprintf(os.Stderr, "%s\n", errScreen.Dim("Running learners' code from "+room+" on this machine: bounded in time, not sandboxed (docs/instructor/class.md)."))
	start := time.Now()
	rep, err := class.Run(ctx, class.Options{
		Root: root, Room: room, Lessons: picked, Learners: only,
		Scratch: scratchDir(root),
		Jobs:    *jobs, Timeout: *timeout, Race: useRace(*race), Count: *count,
		Progress: progress(errScreen, start),
	})
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "\nclass: interrupted")
		return 130
	}
	if err != nil {
		return fail("class", err)
	}
	if errScreen.Color {
		fmt.Fprint(os.Stderr, "\r\033[K")
	}

	again := "make class DIR=" + *dir
	switch {
	case *format == "text" && *learner != "":
		class.LearnerText(term.New(os.Stdout), rep, rep.Learner(*learner))
	case *format == "text":
		class.Text(term.New(os.Stdout), rep, again)
		fmt.Printf("The same as one page to open or project: %s FORMAT=html\n", again)
	case *format == "json" && *out == "":
		err = class.JSON(os.Stdout, rep)
	default:
		if *out == "" {
			*out = filepath.Join(root, ".workbook", "class", "report.html")
		}
		write := class.HTML
		if *format == "json" {
			write = class.JSON
		}
		if err = writeFile(*out, func(w io.Writer) error { return write(w, rep) }); err == nil {
			abs, _ := filepath.Abs(*out)
			fmt.Printf("The report: %s (one file; it fetches nothing)\n", abs)
		}
	}
	if err != nil {
		return fail("class", err)
	}
	return 0
}

// scratchDir is where the scratch copies go: outside the workbook, where
// a copy left by a killed run (each has a go.mod) cannot trouble go or
// verify, and named by the workbook, so two workbooks never share one.
func scratchDir(root string) string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sum := sha256.Sum256([]byte(root))
	return filepath.Join(base, "echo-workbook", "class", hex.EncodeToString(sum[:6]))
}

// progress shows a live line on a terminal, and elsewhere a line at each
// tenth of the runs.
func progress(sc *term.Screen, start time.Time) func(done, total int, who string, l lessons.Lesson, c class.Cell) {
	shown := 0
	return func(done, total int, who string, l lessons.Lesson, c class.Cell) {
		line := fmt.Sprintf("%s %d/%d  %.0fs  %s %s: %s", sc.Bar(done, total, 20), done, total, time.Since(start).Seconds(), who, l.Num, c.State)
		switch {
		case sc.Color:
			fmt.Fprintf(sc.W, "\r\033[K%s", sc.Fit(line))
		case done*10/total > shown || done == total:
			shown = done * 10 / total
			fmt.Fprintln(sc.W, line)
		}
	}
}
