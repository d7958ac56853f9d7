package gotest

import (
	"cmp"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Outcome is how a run ended.
type Outcome int

const (
	NotReady Outcome = iota // no test ran: no code or no tests yet
	Passed
	Failed
	Broken // does not build or vet, or go test could not run it
	Hung   // cut off by -timeout
)

// Result is what one run of go test showed.
type Result struct {
	Outcome Outcome
	Passed  int      // top-level tests that passed
	Failed  []string // top-level tests that failed, in order
	Test    string   // the first test that failed or hung
	Message string   // one line: the failure, the first build error, why it hung
	Details []string // what to show under it
	Output  []string // the first failed test's output, as go test prints it
	Panic   string   // "panic: …" or "fatal error: …": the test binary died
	Race    bool     // the race detector reported a race
	Cached  bool     // a package's result came from go's test cache
	Ended   bool     // every package's test binary said how it ended
	// FirstFail is the time from the start of the first failed test's
	// binary (after the build) to that test's end.
	FirstFail time.Duration
	Wall      time.Duration // the whole go test, build included
	Text      string        // the run as go test without -json prints it
	Stderr    string
}

// Headline is the failure in one line: the test, then its message.
func (r Result) Headline() string {
	if r.Test != "" && !strings.HasPrefix(r.Message, r.Test) {
		return r.Test + ": " + r.Message
	}
	return r.Message
}

// RaceFence opens and closes each report of the race detector.
const RaceFence = "=================="

const (
	maxTestLines = 300   // lines kept per test: its first and its last
	maxDumpLines = 20000 // lines of goroutine dump kept after a timeout
)

// Parser reads go test -json events into a Result.
type Parser struct {
	r         Result
	pkgs      []*pkgState
	firstPkg  *pkgState
	setupFail bool
	timeout   string   // "panic: test timed out after 2s"
	dump      []string // the goroutine dump after the timeout
}

type pkgState struct {
	name        string
	start       time.Time
	build       []string
	buildFailed bool
	failed      bool
	tests       []string            // in the order they ran, subtests too
	out         map[string]*lineBuf // by test; "" is output outside any test
	testFailed  map[string]bool
	ended       bool // its test binary's pass or fail came
}

// eventPackage is the import path an event is about.
func eventPackage(ev Event) string {
	if ev.Package != "" {
		return ev.Package
	}
	name, _, _ := strings.Cut(ev.ImportPath, " ") // "example.com/x [example.com/x.test]"
	return name
}

// ended reports whether every package the parser saw said how it ended.
func (p *Parser) ended() bool {
	return len(p.pkgs) > 0 && !slices.ContainsFunc(p.pkgs, func(s *pkgState) bool { return !s.ended })
}

// Event takes in one event.
func (p *Parser) Event(ev Event) {
	name := eventPackage(ev)
	i := slices.IndexFunc(p.pkgs, func(s *pkgState) bool { return s.name == name })
	if i < 0 {
		i = len(p.pkgs)
		p.pkgs = append(p.pkgs, &pkgState{name: name, out: map[string]*lineBuf{}, testFailed: map[string]bool{}})
	}
	s, r := p.pkgs[i], &p.r
	switch a := ev.Action; {
	case a == "build-output" && len(s.build) < maxTestLines:
		s.build = append(s.build, strings.TrimRight(ev.Output, "\n"))
	case a == "build-fail":
		s.buildFailed = true
	case a == "start":
		s.start = ev.Time
	case a == "run":
		s.tests = append(s.tests, ev.Test)
	case a == "output":
		p.output(s, ev.Test, strings.TrimRight(ev.Output, "\n"))
	case a == "skip" && ev.Test == "":
		s.ended = true // no test files: nothing to run, and that is its end
	case a != "pass" && a != "fail":
	case ev.Test == "":
		s.ended = true
		s.failed = a == "fail"
		s.buildFailed = s.buildFailed || ev.FailedBuild != ""
	case strings.Contains(ev.Test, "/"):
		s.testFailed[ev.Test] = a == "fail"
	case a == "pass":
		r.Passed++
	default:
		s.testFailed[ev.Test] = true
		r.Failed = append(r.Failed, ev.Test)
		if r.Test == "" {
			r.Test, p.firstPkg = ev.Test, s
			if !s.start.IsZero() {
				r.FirstFail = ev.Time.Sub(s.start)
			}
		}
	}
}

func (p *Parser) output(s *pkgState, test, line string) {
	switch r := &p.r; {
	case p.timeout != "":
		if len(p.dump) < maxDumpLines {
			p.dump = append(p.dump, line)
		}
		return
	case strings.HasPrefix(line, "panic: test timed out after "):
		p.timeout = line
		if r.Test == "" {
			r.Test = test
		}
		return
	case strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: "):
		r.Panic = cmp.Or(r.Panic, line)
	case line == "WARNING: DATA RACE":
		r.Race = true
	case strings.HasSuffix(line, "(cached)") && test == "":
		r.Cached = true
	case strings.Contains(line, "[setup failed]"):
		p.setupFail = true
	}
	if s.out[test] == nil {
		s.out[test] = &lineBuf{}
	}
	s.out[test].add(line)
}

// Result turns what the run printed into a Result. dir is the module the
// tests ran in (to find its code in a goroutine dump), timeout the run's
// -timeout, runErr how go test exited and stderr what go itself said.
func (p *Parser) Result(dir string, timeout time.Duration, runErr error, stderr string) Result {
	r := p.r
	r.Stderr, r.Text, r.Ended = stderr, p.text(), p.ended()
	var build []string
	broken := p.setupFail
	for _, s := range p.pkgs {
		broken = broken || s.buildFailed
		build = append(build, s.build...)
	}
	switch {
	case p.timeout != "":
		r.Outcome = Hung
		r.Test = cmp.Or(r.Test, runningTest(p.dump))
		r.Message = fmt.Sprintf("%s did not finish within %v: cut off by go test -timeout; something waits forever", cmp.Or(r.Test, "a test"), timeout)
		r.Details = WaitingGoroutines(p.dump, dir)
	case broken:
		r.Outcome = Broken
		r.Details = slices.DeleteFunc(build, func(l string) bool { return strings.HasPrefix(l, "# ") })
		if len(r.Details) == 0 {
			r.Details = NonEmpty(strings.Split(stderr, "\n"))
		}
		r.Message = "does not build: " + cmp.Or(strings.TrimSpace(append(r.Details, "")[0]), "go test could not build it")
	case r.Test != "":
		r.Outcome, r.Output = Failed, p.firstPkg.block(r.Test, 0)
		r.Message, r.Details = failureReport(r.Output)
	case runErr != nil || slices.ContainsFunc(p.pkgs, func(s *pkgState) bool { return s.failed }):
		// go test failed, yet no test did: the binary died outside a test
		// (a panic in init, os.Exit in TestMain), or go itself gave up.
		for _, s := range p.pkgs {
			r.Output = append(r.Output, s.out[""].lines()...)
		}
		if r.Message, r.Details = failureReport(r.Output); len(r.Details) > 0 {
			r.Outcome = Failed
		} else {
			r.Outcome, r.Details = Broken, NonEmpty(strings.Split(stderr, "\n"))
			r.Message = cmp.Or(strings.TrimSpace(append(r.Details, "")[0]), "go test failed")
		}
	case r.Passed == 0:
		// Test files with no test in them yet: a lesson being written.
		r.Outcome, r.Message = NotReady, "not ready yet: no tests"
	default:
		r.Outcome = Passed
	}
	return r
}

// block is a failed test's output as go test without -v prints it: what
// the code wrote straight to stdout or stderr, as it came; the "--- FAIL"
// line; what the test logged (t.Log, t.Error: indented, held back until
// the test ends); what came after (a panic); then its failed subtests'
// blocks, each level indented by 4 more.
func (s *pkgState) block(test string, depth int) []string {
	pad := strings.Repeat("    ", depth)
	var before, head, logged, after []string
	inRace := false // a race report's lines stay together, indented or not
	for _, l := range s.out[test].lines() {
		if l == RaceFence {
			inRace = !inRace
		}
		switch {
		case (inRace || l == RaceFence) && head == nil:
			before = append(before, l)
		case inRace || l == RaceFence:
			after = append(after, l)
		case strings.HasPrefix(l, "=== "), strings.HasPrefix(l, "--- PASS"), strings.HasPrefix(l, "--- SKIP"):
		case strings.HasPrefix(l, "--- FAIL"):
			head = append(head, pad+l)
		case head != nil:
			after = append(after, l)
		case strings.HasPrefix(l, "    "):
			logged = append(logged, pad+l)
		default:
			before = append(before, l)
		}
	}
	out := slices.Concat(before, head, logged, after)
	for _, sub := range s.tests {
		if i := strings.LastIndex(sub, "/"); i > 0 && sub[:i] == test && s.testFailed[sub] {
			out = append(out, s.block(sub, depth+1)...)
		}
	}
	return out
}

// text is the run as go test without -json prints it: build errors, the
// failed tests' blocks, each package's closing lines.
func (p *Parser) text() string {
	var lines []string
	failed := false
	for _, s := range p.pkgs {
		lines = append(lines, s.build...)
		for _, t := range s.tests {
			if !strings.Contains(t, "/") && s.testFailed[t] {
				lines = append(lines, s.block(t, 0)...)
			}
		}
		lines = append(lines, slices.DeleteFunc(s.out[""].lines(), func(l string) bool { return l == "PASS" })...)
		failed = failed || s.failed
	}
	if p.timeout != "" {
		lines = append(append(lines, p.timeout), p.dump...)
	}
	if failed {
		lines = append(lines, "FAIL")
	}
	return strings.Join(append(lines, ""), "\n")
}

// lineBuf keeps the first and the last lines of a test's output: a test
// that logs in a loop reports its failure at the end, t.Fatal last.
type lineBuf struct {
	head, tail []string
	cut        int // lines dropped in between
}

func (b *lineBuf) add(line string) {
	if len(b.head) < maxTestLines/3 {
		b.head = append(b.head, line)
		return
	}
	b.tail = append(b.tail, line)
	if len(b.tail) > maxTestLines-maxTestLines/3 {
		b.tail = b.tail[1:]
		b.cut++
	}
}

func (b *lineBuf) lines() []string {
	if b == nil {
		return nil
	}
	out := slices.Clone(b.head)
	if b.cut > 0 {
		out = append(out, fmt.Sprintf("… (%d lines cut)", b.cut))
	}
	return append(out, b.tail...)
}

var (
	// frameworkLine: what go test prints around a test's own output.
	frameworkLine = regexp.MustCompile(`^\s*(=== (RUN|PAUSE|CONT|NAME)|--- (FAIL|PASS|SKIP):|(ok|FAIL|PASS)(\s|$)|\?\s)`)
	// testReport: what t.Error and t.Fatal print, "    echo_test.go:26: …".
	testReport = regexp.MustCompile(`^\s*\S+\.go:\d+: `)
)

// failureReport picks a failed test's headline: its last report (t.Fatal
// ends a test; t.Log lines may come before), or else a panic or a race.
// The details put the test's reports first, so that a server logging in a
// loop cannot push them off the screen; the rest follows, cut to 30 lines.
func failureReport(lines []string) (headline string, details []string) {
	var report, rest []string
	indent := -1 // of the report being read; -1 outside one
	for _, l := range slices.DeleteFunc(slices.Clone(lines), frameworkLine.MatchString) {
		lead := len(l) - len(strings.TrimLeft(l, " "))
		switch {
		case testReport.MatchString(l):
			indent, headline = lead, strings.TrimSpace(l)
			report = append(report, l)
		case indent >= 0 && lead > indent && strings.TrimSpace(l) != "": // the report's next lines
			report = append(report, l)
		case strings.Trim(strings.TrimSpace(l), "=") != "": // not blank, not the race detector's rules
			indent = -1
			rest = append(rest, l)
			if headline == "" && (strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") || l == "WARNING: DATA RACE") {
				headline = l
			}
		}
	}
	if headline == "" && len(rest) > 0 {
		headline = strings.TrimSpace(rest[0])
	}
	if len(report) > 0 && len(rest) > 0 {
		report = append(report, "", "Output while it ran:")
	}
	return headline, append(report, Cap(rest, 30)...)
}

// runningTest finds the hung test in a timeout's "running tests:" list.
func runningTest(dump []string) string {
	i := slices.IndexFunc(dump, func(l string) bool { return strings.TrimSpace(l) == "running tests:" })
	if i < 0 || i+1 >= len(dump) {
		return ""
	}
	return append(strings.Fields(dump[i+1]), "")[0]
}

var goroutineHeader = regexp.MustCompile(`^goroutine \d+ \[([^\]]*)\]:$`)

// WaitingGoroutines reads a goroutine dump and says, for each goroutine
// stuck in code under dir, where it waits: that is the line to look at,
// not the testing package's frames around it.
func WaitingGoroutines(dump []string, dir string) []string {
	abs, _ := filepath.Abs(dir)
	var out []string
	state, fn, found := "", "", false
	for _, l := range dump {
		if m := goroutineHeader.FindStringSubmatch(l); m != nil {
			state, found = m[1], false
			continue
		}
		if !strings.HasPrefix(l, "\t") {
			fn = l
			continue
		}
		file := strings.Fields(l)[0] // "/abs/path/echo.go:12"
		if found || state == "" || !strings.HasPrefix(file, abs+string(filepath.Separator)) || len(out) == 8 {
			continue
		}
		found = true
		rel, _ := filepath.Rel(abs, file)
		// "example.com/x/lessons/01-a.(*server).handle(0xc000…)": the name is enough.
		fn = fn[strings.LastIndex(fn, "/")+1:]
		_, fn, _ = strings.Cut(fn, ".")
		if i := strings.LastIndex(fn, "("); i > 0 {
			fn = fn[:i]
		}
		out = append(out, fmt.Sprintf("a goroutine waits (%s) at %s, in %s", state, rel, fn))
	}
	return out
}

// NonEmpty drops blank lines.
func NonEmpty(lines []string) []string {
	return slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return strings.TrimSpace(l) == "" })
}

// Cap keeps the first n lines, and says how many more there were.
func Cap(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	return append(slices.Clip(lines[:n]), fmt.Sprintf("… %d more lines", len(lines)-n))
}

// Indent indents every line of s by n spaces.
func Indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad)
}

// Tail keeps the last n lines of s, marking the cut.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("… (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
