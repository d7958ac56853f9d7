package main

// Running a lesson's tests and reading what happened: the one place that
// decides whether a lesson passes. Progress is what `go test` says, never a
// marker in the code.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// testOptions are the go test flags a run uses.
type testOptions struct {
	race    bool
	timeout time.Duration // go test -timeout: a hang is cut off and reported
	fresh   bool          // -count=1: run again even if go has the result cached
}

func (o testOptions) args(extra ...string) []string {
	args := []string{"test", "-json", "-failfast", "-timeout", o.timeout.String()}
	if o.race {
		args = append(args, "-race")
	}
	if o.fresh {
		args = append(args, "-count=1")
	}
	return append(args, extra...)
}

type outcome int

const (
	notReady outcome = iota // no code or no tests yet: the lesson is being written
	passed
	failed
	broken // does not build, or go test could not run it
	hung   // cut off by -timeout
)

// testResult is what one run of a lesson's tests showed.
type testResult struct {
	outcome outcome
	passed  int      // top-level tests that passed
	test    string   // the first test that failed or hung
	message string   // one line: the failure, the first build error, why it hung
	details []string // what to show under it: the test's output, the build errors, where goroutines wait
	elapsed time.Duration
}

const (
	maxLineBytes = 1 << 20 // a test printing one endless line cannot eat the memory
	maxTestLines = 300     // lines of output kept per test: its first and last
	maxDumpLines = 20000   // lines of goroutine dump kept after a timeout
)

// runLessonTests runs the tests of the module in dir. A cancelled ctx stops
// the run; its result is then meaningless.
//
// It runs in two steps. First the lesson's own package, without go test's
// vet checks: while the learner works, the failure shows after one compile
// and one link (on 2 cores, a link with -race is most of the wait). Only
// when that passes does the whole module run, vet included, the way
// `make lesson-NN test` runs it; the package's result then comes from go's
// test cache (vet does not change the test binary).
func runLessonTests(ctx context.Context, dir string, opts testOptions) testResult {
	start := time.Now()
	if why := notReadyReason(dir); why != "" {
		return testResult{outcome: notReady, message: why}
	}
	res := testStep(ctx, dir, opts, "-vet=off", ".")
	if (res.outcome == passed || res.outcome == notReady) && ctx.Err() == nil {
		whole := opts
		whole.fresh = false // the package just ran; the rest is new anyway
		res = testStep(ctx, dir, whole, "./...")
	}
	res.elapsed = time.Since(start)
	return res
}

// testStep runs one go test in dir and reads its result.
func testStep(ctx context.Context, dir string, opts testOptions, extra ...string) testResult {
	p := newTestParser()
	stderr, err := goTest(ctx, dir, opts.args(extra...), func(string) *testParser { return p })
	return p.result(dir, opts, err, stderr)
}

// testLessons runs the lessons in dirs (relative to root, all ready) in
// the same two steps as runLessonTests, and calls done once per lesson,
// from one goroutine at a time, as soon as its result is known.
//
// The first step runs a go test per lesson, jobs at a time: with
// -failfast, a go test for several packages stops them all at the first
// failure. The second step, for the lessons that passed the first, is one
// go test for all of them: a go command costs about 0.2s of CPU before it
// does anything, and there most results come from go's test cache.
func testLessons(ctx context.Context, root string, dirs []string, opts testOptions, jobs int, done func(i int, r testResult)) {
	var mu sync.Mutex
	report := func(i int, r testResult) {
		mu.Lock()
		defer mu.Unlock()
		done(i, r)
	}
	passing := map[int]testResult{}
	sem := make(chan struct{}, max(jobs, 1))
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r := testStep(ctx, filepath.Join(root, dir), opts, "-vet=off", ".")
			if r.outcome == passed || r.outcome == notReady {
				mu.Lock()
				defer mu.Unlock()
				passing[i] = r
				return
			}
			report(i, r)
		})
	}
	wg.Wait()
	if len(passing) == 0 || ctx.Err() != nil {
		return
	}
	for i, r := range testLessonsStep(ctx, root, dirs, slices.Sorted(maps.Keys(passing)), opts, report, "/...") {
		report(i, r)
	}
}

// testLessonsStep runs one go test for the lessons picked from dirs, the
// package pattern being each lesson's folder followed by suffix. It
// reports each lesson that does not pass with done, and returns the
// results of the others. If a package fails, -failfast stops the packages
// after it: those lessons run alone.
func testLessonsStep(ctx context.Context, root string, dirs []string, picked []int, opts testOptions, done func(int, testResult), suffix string) map[int]testResult {
	var args, mods []string
	parsers := map[int]*testParser{}
	reported := map[int]bool{}
	for _, i := range picked {
		p := newTestParser()
		// A lesson is done as soon as one of its packages fails.
		p.onFinish = func() {
			if r := p.result(filepath.Join(root, dirs[i]), opts, nil, ""); !reported[i] && r.outcome != passed && r.outcome != notReady {
				reported[i] = true
				done(i, r)
			}
		}
		parsers[i] = p
		args = append(args, "./"+filepath.ToSlash(dirs[i])+suffix)
		mods = append(mods, modulePathOf(filepath.Join(root, dirs[i])))
	}
	_, err := goTest(ctx, root, opts.args(args...), func(pkg string) *testParser {
		for n, m := range mods {
			if m != "" && (pkg == m || strings.HasPrefix(pkg, m+"/")) {
				return parsers[picked[n]]
			}
		}
		return nil
	})
	rest := map[int]testResult{}
	for _, i := range picked {
		switch r := parsers[i].result(filepath.Join(root, dirs[i]), opts, nil, ""); {
		case ctx.Err() != nil || reported[i]:
		case err != nil:
			// Something failed, and -failfast may have kept this lesson's
			// packages from running; or go gave up on the whole run (a
			// lesson missing from go.work, say). Alone, the lesson gets
			// its own result.
			done(i, runLessonTests(ctx, filepath.Join(root, dirs[i]), opts))
		case r.outcome == passed || r.outcome == notReady:
			rest[i] = r
		default:
			done(i, r)
		}
	}
	return rest
}

// goTest runs go test -json with args in dir and hands each event to the
// parser route picks for its package (nil: none). It returns what go
// printed on stderr, and how it exited.
func goTest(ctx context.Context, dir string, args []string, route func(pkg string) *testParser) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	if os.Getenv("GORACE") == "" {
		// The race detector pauses 1s at exit by default: pure waiting.
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	}
	ownProcessGroup(cmd)
	cmd.WaitDelay = 2 * time.Second
	stderr := &capped{max: 64 << 10}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("cannot run go test: %w", err)
	}
	readLines(stdout, maxLineBytes, func(b []byte) {
		var ev event
		if json.Unmarshal(b, &ev) != nil {
			return // not JSON, or cut by maxLineBytes
		}
		pkg := ev.Package
		if pkg == "" {
			pkg, _, _ = strings.Cut(ev.ImportPath, " ") // "example.com/x [example.com/x.test]"
		}
		if p := route(pkg); p != nil {
			p.event(ev)
		}
	})
	err = cmd.Wait()
	return stderr.String(), err
}

// notReadyReason says why dir cannot be tested yet, or "" if it can.
func notReadyReason(dir string) string {
	code, tests := false, false
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && strings.HasSuffix(name, ".go") {
			if strings.HasSuffix(name, "_test.go") {
				tests = true
			} else {
				code = true
			}
		}
	}
	switch {
	case !isFile(filepath.Join(dir, "go.mod")):
		return "not ready yet: no go.mod"
	case !code:
		return "not ready yet: no Go code"
	case !tests:
		return "not ready yet: no tests"
	}
	return ""
}

// event is a line of go test -json (cmd/test2json), with the build events
// of Go 1.24 and later.
type event struct {
	Action     string
	Package    string
	ImportPath string
	Test       string
	Output     string
}

type testParser struct {
	output    map[string]*lineBuf // by test; "" is output outside any test
	firstFail string
	passed    int
	build     []string // compiler and vet output
	buildFail bool     // go test could not build or set up the tests
	pkgFail   bool     // a package failed, perhaps outside any test
	onFinish  func()   // called when a package's last event comes
	timeout   string   // "panic: test timed out after 2s"
	hungTest  string   // the test that was running then
	dump      []string // the goroutine dump after the timeout
}

func newTestParser() *testParser { return &testParser{output: map[string]*lineBuf{}} }

// lineBuf keeps the first and the last lines of a test's output: a test
// that logs in a loop reports its failure at the end, t.Fatal last.
type lineBuf struct {
	head, tail []string
	next       int // where the tail ring writes next
	cut        int // lines dropped in between
}

func (b *lineBuf) add(line string) {
	const headN = maxTestLines / 3
	switch tailN := maxTestLines - headN; {
	case len(b.head) < headN:
		b.head = append(b.head, line)
	case len(b.tail) < tailN:
		b.tail = append(b.tail, line)
	default:
		b.tail[b.next] = line
		b.next = (b.next + 1) % tailN
		b.cut++
	}
}

func (b *lineBuf) lines() []string {
	if b == nil {
		return nil
	}
	out := append([]string(nil), b.head...)
	if b.cut > 0 {
		out = append(out, fmt.Sprintf("… (%d lines cut)", b.cut))
	}
	return append(append(out, b.tail[b.next:]...), b.tail[:b.next]...)
}

func (p *testParser) event(ev event) {
	if ev.Test == "" && (ev.Action == "pass" || ev.Action == "fail" || ev.Action == "skip") {
		p.pkgFail = p.pkgFail || ev.Action == "fail"
		if p.onFinish != nil {
			defer p.onFinish()
		}
	}
	switch ev.Action {
	case "build-output":
		if len(p.build) < maxTestLines {
			p.build = append(p.build, strings.TrimRight(ev.Output, "\n"))
		}
	case "build-fail":
		p.buildFail = true
	case "output":
		line := strings.TrimRight(ev.Output, "\n")
		switch {
		case p.timeout != "":
			if len(p.dump) < maxDumpLines {
				p.dump = append(p.dump, line)
			}
		case strings.HasPrefix(line, "panic: test timed out after "):
			p.timeout, p.hungTest = line, ev.Test
		case strings.Contains(line, "[setup failed]"):
			p.buildFail = true
		}
		if p.timeout == "" {
			if p.output[ev.Test] == nil {
				p.output[ev.Test] = &lineBuf{}
			}
			p.output[ev.Test].add(line)
		}
	case "fail":
		if ev.Test != "" && p.firstFail == "" {
			p.firstFail = ev.Test
		}
	case "pass":
		if ev.Test != "" && !strings.Contains(ev.Test, "/") {
			p.passed++
		}
	}
}

// result turns what the run printed into a testResult. runErr is go test's
// exit, and stderr where go itself complains (a broken go.mod, say), when
// the run was for these packages alone.
func (p *testParser) result(dir string, opts testOptions, runErr error, stderr string) testResult {
	res := testResult{passed: p.passed}
	switch {
	case p.timeout != "":
		res.outcome, res.test = hung, p.hungTest
		if res.test == "" {
			res.test = runningTest(p.dump)
		}
		res.message = fmt.Sprintf("%s did not finish within %v: cut off by go test -timeout %v; something waits forever",
			orWord(res.test, "a test"), opts.timeout, opts.timeout)
		res.details = append(waitingGoroutines(p.dump, dir), "(the whole goroutine dump: "+testCommand(dir)+")")
	case p.buildFail:
		res.outcome = broken
		res.details = dropLines(p.build, func(l string) bool { return strings.HasPrefix(l, "# ") })
		if len(res.details) == 0 {
			res.details = nonEmpty(strings.Split(stderr, "\n"))
		}
		res.message = "does not build: " + firstOr(res.details, "go test could not build it")
	case p.firstFail != "":
		res.outcome, res.test = failed, p.firstFail
		res.message, res.details = failureReport(dropLines(p.output[p.firstFail].lines(), isFrameworkLine))
	case p.pkgFail || runErr != nil:
		// go test failed, yet no test did: the test binary died outside a
		// test (a panic in init, os.Exit in TestMain), or go itself gave up.
		out := dropLines(p.output[""].lines(), isFrameworkLine)
		if len(out) > 0 {
			res.outcome = failed
			res.message, res.details = failureReport(out)
		} else {
			res.outcome = broken
			res.details = nonEmpty(strings.Split(stderr, "\n"))
			res.message = firstOr(res.details, "go test failed")
		}
	case p.passed == 0:
		// Test files with no test in them yet (kit_test.go alone): a lesson
		// being written, not a lesson done.
		res.outcome, res.message = notReady, "not ready yet: no tests"
	default:
		res.outcome = passed
	}
	return res
}

// testCommand is how a learner runs the tests of the lesson in dir.
func testCommand(dir string) string {
	if m := lessonDir.FindStringSubmatch(filepath.Base(dir)); m != nil {
		return "make lesson-" + m[1] + " test"
	}
	return "go test ./..."
}

// isFrameworkLine: lines go test prints around a test's own output.
var frameworkLine = regexp.MustCompile(`^(=== (RUN|PAUSE|CONT|NAME)|--- (FAIL|PASS|SKIP):|(ok|FAIL|PASS)(\s|$)|\?\s)`)

func isFrameworkLine(line string) bool { return frameworkLine.MatchString(strings.TrimSpace(line)) }

// testReport matches what t.Error and t.Fatal print: "    echo_test.go:26: …".
var testReport = regexp.MustCompile(`^    \S+\.go:\d+: `)

// failureReport picks a failed test's headline, and orders its output so
// that the test's own report comes first: a server that logs in a loop
// must not push the one line that says what is wrong off the screen. The
// rest (log lines, a race report) follows, cut to 30 lines.
func failureReport(lines []string) (headline string, details []string) {
	var report, rest []string
	inReport := false
	for _, l := range lines {
		switch {
		case testReport.MatchString(l):
			inReport = true
			report = append(report, l)
		case inReport && strings.HasPrefix(l, "        "): // the report's next lines
			report = append(report, l)
		default:
			inReport = false
			if strings.Trim(strings.TrimSpace(l), "=") != "" { // not blank, not the race detector's rules
				rest = append(rest, l)
			}
		}
	}
	switch {
	case len(report) > 0:
		headline = strings.TrimSpace(report[0])
	default:
		headline = firstOr(rest, "failed")
		for _, l := range rest {
			if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") || l == "WARNING: DATA RACE" {
				headline = l
				break
			}
		}
	}
	details = report
	if len(rest) > 0 {
		if len(report) > 0 {
			details = append(details, "", "Output while it ran:")
		}
		if len(rest) > 30 {
			rest = append(rest[:30:30], fmt.Sprintf("… %d more lines", len(rest)-30))
		}
		details = append(details, rest...)
	}
	return headline, details
}

// runningTest finds the hung test in a timeout's "running tests:" list.
func runningTest(dump []string) string {
	for i, l := range dump {
		if strings.TrimSpace(l) == "running tests:" && i+1 < len(dump) {
			if f := strings.Fields(dump[i+1]); len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}

var goroutineHeader = regexp.MustCompile(`^goroutine (\d+) \[([^\]]*)\]:$`)

// waitingGoroutines reads a goroutine dump and says, for each goroutine
// stuck in the lesson's own code (code under dir), where it waits: that is
// the line to look at, not the testing package's frames around it.
func waitingGoroutines(dump []string, dir string) []string {
	abs, _ := filepath.Abs(dir)
	var out []string
	state, fn, found := "", "", false
	for _, l := range dump {
		if m := goroutineHeader.FindStringSubmatch(l); m != nil {
			state, found = m[2], false
			continue
		}
		if !strings.HasPrefix(l, "\t") {
			fn = l
			continue
		}
		file := strings.Fields(strings.TrimSpace(l))[0] // "/abs/path/echo.go:12"
		if found || state == "" || !strings.HasPrefix(file, abs+string(filepath.Separator)) {
			continue
		}
		found = true
		rel, _ := filepath.Rel(abs, file)
		if len(out) < 8 {
			out = append(out, fmt.Sprintf("a goroutine waits (%s) at %s, in %s", state, rel, funcName(fn)))
		}
	}
	return out
}

// funcName shortens a frame such as "example.com/x/lessons/01-a.(*server).handle(0xc000...)"
// to "(*server).handle": the package is the lesson, the name is enough.
func funcName(frame string) string {
	if i := strings.LastIndex(frame, "/"); i >= 0 {
		frame = frame[i+1:]
	}
	if _, name, ok := strings.Cut(frame, "."); ok {
		frame = name
	}
	if i := strings.LastIndex(frame, "("); i > 0 && strings.HasSuffix(frame, ")") {
		frame = frame[:i]
	}
	return frame
}

// readLines calls fn with each line of r, cut to max bytes, and reads r to
// its end whatever the lines' length: a writer blocked on a full pipe would
// hang the run.
func readLines(r io.Reader, max int, fn func([]byte)) {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	for {
		chunk, more, err := br.ReadLine()
		if room := max - len(line); room > 0 {
			line = append(line, chunk[:min(len(chunk), room)]...)
		}
		if err != nil {
			if len(line) > 0 {
				fn(line)
			}
			return
		}
		if !more {
			fn(line)
			line = line[:0]
		}
	}
}

// capped is a Writer that keeps the first max bytes it is given.
type capped struct {
	buf bytes.Buffer
	max int
}

func (c *capped) Write(b []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(b[:min(len(b), room)])
	}
	return len(b), nil
}

func (c *capped) String() string { return c.buf.String() }

func dropLines(lines []string, drop func(string) bool) []string {
	var out []string
	for _, l := range lines {
		if !drop(l) {
			out = append(out, l)
		}
	}
	return out
}

func nonEmpty(lines []string) []string {
	return dropLines(lines, func(l string) bool { return strings.TrimSpace(l) == "" })
}

func firstOr(lines []string, def string) string {
	if len(lines) == 0 {
		return def
	}
	return strings.TrimSpace(lines[0])
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
