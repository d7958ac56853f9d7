// The kit, part 2: watching the code under test. Waits that measure
// progress instead of wall time; which goroutines of the code under test
// run, and where; which sockets it left open; what it logged.

//lint:file-ignore U1000 shared by every lesson; not every lesson uses every helper

package echo

import (
	"fmt"
	"log"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ---- progress, and waits bounded by the lack of it ----

// moved counts the bytes that crossed any connection the kit wraps: the
// test's clients, the peers' ends, the clientConns.
var moved atomic.Int64

// progressMark changes whenever something makes progress: a byte moves, or
// a goroutine of the code under test starts, ends, or blocks somewhere
// else. A goroutine that runs without blocking leaves it unchanged: a busy
// loop makes no progress, however fast it spins.
func progressMark(gs map[int]goroutine) string {
	var b strings.Builder
	fmt.Fprint(&b, moved.Load())
	for _, id := range sortedIDs(gs) {
		g := gs[id]
		// A wait for a mutex counts as busy too: busy loops that share a
		// lock flip between running and waiting for it, which is no progress.
		if g.busy() || strings.HasPrefix(g.state, "sync.Mutex.Lock") || strings.HasPrefix(g.state, "sync.RWMutex") {
			fmt.Fprintf(&b, "\n%d busy", id)
		} else {
			fmt.Fprintf(&b, "\n%d %s\n%s", id, g.state, g.frames)
		}
	}
	return b.String()
}

// waitUntil calls ready until it reports true, and then returns ok. It
// gives up when nothing has made progress for patience, or after stallCap
// however much moves, and returns what it saw, for the message.
func waitUntil(ready func() bool) (s stall, ok bool) { return waitOn(ready, nil) }

// waitClosed waits, by progress, until ch is closed, and returns the
// moment it is.
func waitClosed(ch <-chan struct{}) (stall, bool) {
	return waitOn(func() bool {
		return isClosed(ch)
	}, ch)
}

// waitOn is waitUntil, woken at once when wake is closed.
func waitOn(ready func() bool, wake <-chan struct{}) (stall, bool) {
	w := newWatch(patience)
	for i := 1; ; i++ {
		if ready() {
			return stall{}, true
		}
		// A goroutine dump costs more than ready: look every 16ms or so.
		if i%8 == 0 {
			if st, ok := w.look(); !ok {
				return st, false
			}
		}
		select {
		case <-wake:
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// A watch tells progress from a stall. It counts the time nothing has
// moved, but only the time the code under test could have used: on a
// machine so busy that the test waits for a CPU, the code under test waits
// too, and that is not its fault. Two signs of such a wait: a look that
// comes late (each look counts for lookGap at most), and a goroutine that
// could run but has not moved since the last look (runnable, at the very
// same place). A goroutine that spins in a tight loop looks the same, but
// it uses the CPU: where the process's CPU time can be read, a runnable
// goroutine counts as starved only for the time the process did not run.
type watch struct {
	patience    time.Duration
	start, last time.Time
	mark        string
	runnable    map[int]string // frames of the goroutines runnable at the last look
	still       time.Duration  // since anything last moved, in time the code could run
	starved     time.Duration  // time it could not
	all         time.Duration  // still and moving, in time the code could run
	cpu         time.Duration  // the process's CPU time at the last look
	cpuStill    time.Duration  // CPU time used since anything last moved
	measured    bool           // processCPU works here
}

// lookGap is the most time one look counts: a look that comes later than
// that means the process was not running.
const lookGap = 100 * time.Millisecond

func newWatch(patience time.Duration) *watch {
	gs := ourGoroutines()
	now := time.Now()
	cpu, measured := processCPU()
	return &watch{patience: patience, start: now, last: now, mark: progressMark(gs), runnable: runnable(gs),
		cpu: cpu, measured: measured}
}

// processCPU returns the CPU time this process has used so far, and false
// where it cannot tell (kit_cpu_unix_test.go tells, on Linux and macOS).
var processCPU = func() (time.Duration, bool) { return 0, false }

// runnable returns the frames of the goroutines that wait for a CPU.
func runnable(gs map[int]goroutine) map[int]string {
	r := map[int]string{}
	for id, g := range gs {
		if g.state == "runnable" {
			r[id] = g.frames
		}
	}
	return r
}

// look reports false, and the stall, once nothing has moved for patience,
// or after stallCap of it however much moves.
func (w *watch) look() (stall, bool) {
	gs := ourGoroutines()
	now := time.Now()
	gap := now.Sub(w.last)
	counted := min(gap, lookGap)
	w.starved += gap - counted
	w.last = now
	waiting := false // for a CPU: runnable, and not moved at all since the last look
	for id, frames := range runnable(gs) {
		waiting = waiting || w.runnable[id] == frames
	}
	w.runnable = runnable(gs)
	cpu, _ := processCPU()
	ran := cpu - w.cpu // by every thread of the process, the watcher's too
	w.cpu = cpu
	switch m := progressMark(gs); {
	case m != w.mark:
		w.mark, w.still, w.cpuStill = m, 0, 0
		w.all += counted
	case waiting && w.measured:
		// It waited for a CPU only as far as the process did not run.
		spun := min(counted, ran)
		w.still += spun
		w.all += spun
		w.starved += counted - spun
		w.cpuStill += ran
	case waiting:
		w.starved += counted
	default:
		w.still += counted
		w.all += counted
		w.cpuStill += ran
	}
	if w.still < w.patience && w.all < stallCap && now.Sub(w.start) < 2*stallCap {
		return stall{}, true
	}
	return stall{patience: w.patience, capped: w.still < w.patience, waited: now.Sub(w.start), still: w.still,
		starved: w.starved, spun: w.measured && w.cpuStill >= w.patience/2, gs: gs}, false
}

// A stall is how a wait ended without what it waited for.
type stall struct {
	patience time.Duration     // how long nothing had moved
	capped   bool              // or: things kept moving, for stallCap
	waited   time.Duration     // in all, on the clock
	still    time.Duration     // of that, time the test could run and nothing moved, at the end
	starved  time.Duration     // of that, time the process was kept from running
	spun     bool              // while nothing moved, the process used the CPU most of the time
	gs       map[int]goroutine // the code under test's goroutines, at the end
}

// busy counts the goroutines of the code under test that were running,
// or could run, when the wait ended: not blocked.
func (s stall) busy() int {
	n := 0
	for _, g := range s.gs {
		if g.busy() {
			n++
		}
	}
	return n
}

// String says what the wait saw, in words: stuck, or slow or stuck (when
// the two cannot be told apart), or still moving at the cap.
func (s stall) String() string {
	busy := s.busy()
	var what string
	switch {
	case s.capped && s.starved > s.waited/2:
		what = fmt.Sprintf("still not done after %v on the clock, but this machine let the test run only %v of it, "+
			"and for the last %v of that nothing moved", s.waited.Round(time.Second),
			(s.waited - s.starved).Round(100*time.Millisecond), s.still.Round(100*time.Millisecond))
		if busy > 0 {
			what += fmt.Sprintf(", while %s of your code kept running without ever blocking",
				count(busy, "goroutine", "goroutines"))
		}
		return what + " (a loop that never waits, or a machine too busy: re-run to tell)"
	case s.capped:
		what = fmt.Sprintf("still not done after %v, though bytes or goroutines kept moving", s.waited.Round(time.Second))
	case busy > 0 && s.spun:
		what = fmt.Sprintf("a busy loop: for %v that it could run, no byte moved and no goroutine of your code blocked or woke, "+
			"while %s of your code kept running without ever blocking: a loop that never waits, or that waits for "+
			"a change nothing makes (see where it runs, below)",
			s.patience, count(busy, "goroutine", "goroutines"))
	case busy > 0:
		what = fmt.Sprintf("slow or stuck: for %v no byte moved, while %s of your code kept running without ever "+
			"blocking: a loop that never waits, or a machine too busy to run it (re-run to tell; if it fails again, "+
			"see where it runs, below)", s.patience, count(busy, "goroutine", "goroutines"))
	case len(s.gs) == 0:
		what = fmt.Sprintf("nothing moved for %v, and no goroutine of your code was running", s.patience)
	default:
		what = fmt.Sprintf("nothing moved for %v: no byte crossed the test's connections, and every goroutine of "+
			"your code stayed blocked where it was", s.patience)
	}
	if s.starved > s.patience/2 {
		what += fmt.Sprintf(" (counting only the time the test could run: this machine kept it waiting %v more)",
			s.starved.Round(100*time.Millisecond))
	}
	return what
}

// ---- the goroutines of the code under test ----

// A goroutine is one goroutine running the package's non-test code.
type goroutine struct {
	id     int
	state  string // what it waits for: "IO wait", "chan receive", "sync.WaitGroup.Wait"; or "runnable", "running", "syscall"
	frames string // its stack, cut to the package's own frames and the one it is in now
}

// busy reports whether g is running, or could run, or is in a system call:
// not blocked anywhere that another goroutine could end. Its frames change
// as it runs, so waits do not count them as progress.
func (g goroutine) busy() bool {
	return g.state == "running" || g.state == "runnable" || g.state == "syscall"
}

// in reports whether g is in the package's function name (Exchange, handle…).
func (g goroutine) in(name string) bool { return strings.Contains(g.frames, "."+name+"  ") }

// ourGoroutines returns, by id, the goroutines running a function from
// this package's non-test files: the code under test, not the tests.
func ourGoroutines() map[int]goroutine {
	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Dir(self)
	found := map[int]goroutine{}
	for _, text := range strings.Split(allStacks(), "\n\n") {
		lines := strings.Split(text, "\n")
		// "goroutine 7 [IO wait, 2 minutes]:" or "[chan receive (durable), synctest bubble 1]:"
		head := strings.Fields(lines[0])
		if len(head) < 3 || head[0] != "goroutine" {
			continue
		}
		id, _ := strconv.Atoi(head[1])
		state, _, _ := strings.Cut(strings.Trim(strings.SplitN(lines[0], "[", 2)[1], "]:"), ",")
		state = strings.TrimSuffix(state, " (durable)")
		var frames []string
		ours := false
		// Frames come in pairs: "function(args)", then "\tfile:line +0x…".
		for i := 1; i+1 < len(lines); i += 2 {
			if strings.HasPrefix(lines[i], "created by ") {
				break // the rest is where it was started, not where it runs
			}
			at, _, _ := strings.Cut(strings.TrimSpace(lines[i+1]), " ")
			file, _, _ := strings.Cut(at, ":")
			mine := filepath.Dir(file) == dir && !strings.HasSuffix(file, "_test.go")
			ours = ours || mine
			if mine || i == 1 {
				fn := lines[i]
				if j := strings.LastIndex(fn, "("); j > 0 {
					fn = fn[:j] // drop the arguments, keep net.(*pipe).read whole
				}
				frames = append(frames, "    "+fn+"  "+filepath.Base(file)+at[len(file):])
			} else if frames[len(frames)-1] != "    …" {
				frames = append(frames, "    …")
			}
		}
		if ours {
			found[id] = goroutine{id: id, state: state, frames: strings.Join(frames, "\n")}
		}
	}
	return found
}

// stackBuf is reused: waits take a dump every few milliseconds, sometimes
// with the garbage collector held off (trackSockets).
var stackBuf struct {
	sync.Mutex
	b []byte
}

// allStacks returns the stacks of every goroutine.
func allStacks() string {
	stackBuf.Lock()
	defer stackBuf.Unlock()
	for {
		if n := runtime.Stack(stackBuf.b, true); n < len(stackBuf.b) {
			return string(stackBuf.b[:n])
		}
		stackBuf.b = make([]byte, max(64<<10, 2*len(stackBuf.b)))
	}
}

func sortedIDs(gs map[int]goroutine) []int {
	ids := make([]int, 0, len(gs))
	for id := range gs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// startedSince returns the goroutines of the code under test running now
// that were not in before.
func startedSince(before map[int]goroutine) map[int]goroutine {
	now := ourGoroutines()
	for id := range before {
		delete(now, id)
	}
	return now
}

// where shows where goroutines are: each place once, with the goroutines
// there ("goroutines 7, 9 [IO wait]:"), at most five places.
func where(gs map[int]goroutine) string {
	if len(gs) == 0 {
		return "(no goroutine of your code was running)"
	}
	var places []string
	ids := map[string][]string{}
	// Busy goroutines first: a loop that never blocks is the news.
	order := sortedIDs(gs)
	slices.SortStableFunc(order, func(a, b int) int {
		return map[bool]int{true: 0, false: 1}[gs[a].busy()] - map[bool]int{true: 0, false: 1}[gs[b].busy()]
	})
	for _, id := range order {
		g := gs[id]
		place := "[" + g.state + "]:\n" + g.frames
		if ids[place] == nil {
			places = append(places, place)
		}
		ids[place] = append(ids[place], strconv.Itoa(id))
	}
	var out []string
	for i, place := range places {
		if i == 5 {
			out = append(out, fmt.Sprintf("… and %d more places", len(places)-i))
			break
		}
		word := map[bool]string{true: "goroutine", false: "goroutines"}[len(ids[place]) == 1]
		out = append(out, word+" "+firstFew(ids[place], 5)+" "+place)
	}
	return strings.Join(out, "\n\n")
}

// checkNoLeaks makes the test fail if, once it and its cleanups are over, a
// goroutine it started is still running the package's code. Call it first
// in every test, so that its check runs last. It also captures the log
// (captureLog): a log.Fatal becomes this test's failure.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	logs := captureLog(t) // first: its cleanup runs after the check below
	before := ourGoroutines()
	t.Cleanup(func() {
		if t.Failed() {
			return // the first failure says more than the leak it caused
		}
		if news := logs.fatalNews(); news != "" {
			t.Error(news)
			return
		}
		var left map[int]goroutine
		s, ok := waitUntil(func() bool {
			left = startedSince(before)
			return len(left) == 0
		})
		if !ok {
			t.Errorf("%s still running your code after the test ended: %s. Every goroutine needs an end. Where:\n\n%s",
				count(len(left), "goroutine was", "goroutines were"), s, where(left))
		}
	})
}

// expectEnded fails the test unless every goroutine of the code under test
// that was not in before has ended, or ends while things still move.
// what describes the moment ("ExchangeAll returned, but"); why says what
// to do.
func expectEnded(t *testing.T, before map[int]goroutine, what, why string) {
	t.Helper()
	var left map[int]goroutine
	s, ok := waitUntil(func() bool {
		left = startedSince(before)
		return len(left) == 0
	})
	if !ok {
		sending := ""
		if !slices.ContainsFunc(slices.Collect(maps.Values(left)), func(g goroutine) bool { return g.state != "chan send" }) {
			sending = " (blocked sending on a channel that no one receives from any more)"
		}
		t.Fatalf("%s %s still running%s: %s. %s Where:\n\n%s",
			what, count(len(left), "goroutine it started was", "goroutines it started were"), sending, s, why, where(left))
	}
}

// blockedIn returns how many goroutines of the code under test wait for
// the network in fn (a function's name: "send", "Serve").
func blockedIn(fn string) int {
	n := 0
	for _, g := range ourGoroutines() {
		if g.in(fn) && g.state == "IO wait" {
			n++
		}
	}
	return n
}

// ---- sockets ----

// sockets tracks the sockets this process opens during a test.
type sockets struct {
	before map[string]os.FileInfo // by file descriptor
}

// trackSockets notes the sockets open now, and holds off the garbage
// collector until the test ends: the finalizer of a connection no one
// references closes its socket, and would hide a leak. It returns nil
// where it cannot count sockets (no /dev/fd: Windows, say).
func trackSockets(t *testing.T) *sockets {
	open, ok := openSockets()
	if !ok {
		return nil
	}
	gc := debug.SetGCPercent(-1)
	t.Cleanup(func() { debug.SetGCPercent(gc) })
	return &sockets{before: open}
}

// openSockets returns the sockets this process has open, by file
// descriptor. /dev/fd lists the open files on Linux and macOS alike; stat
// says which are sockets.
func openSockets() (map[string]os.FileInfo, bool) {
	fds, err := os.ReadDir("/dev/fd")
	if err != nil {
		return nil, false
	}
	open := map[string]os.FileInfo{}
	for _, fd := range fds {
		if fi, err := os.Stat("/dev/fd/" + fd.Name()); err == nil && fi.Mode()&os.ModeSocket != 0 {
			open[fd.Name()] = fi
		}
	}
	return open, true
}

// opened lists the sockets opened since trackSockets that are still open.
func (s *sockets) opened() []string {
	now, _ := openSockets()
	var fds []string
	for fd, fi := range now {
		if old, ok := s.before[fd]; !ok || !os.SameFile(old, fi) {
			fds = append(fds, "fd "+fd)
		}
	}
	slices.Sort(fds)
	return fds
}

// waitClosed waits, by progress, until every socket opened since
// trackSockets is closed, and returns those still open, and the stall.
func (s *sockets) waitClosed() ([]string, stall) {
	var left []string
	st, _ := waitUntil(func() bool {
		left = s.opened()
		return len(left) == 0
	})
	return left, st
}

// ---- the log ----

// keepLines is how many lines of the code under test's log a test keeps
// and passes on to stderr; the rest are counted, not shown.
const keepLines = 200

// theLog receives everything the package logs, in every test.
var theLog = new(logCapture)

func init() { log.SetOutput(theLog) }

// A logCapture is what the package logged during one test.
type logCapture struct {
	mu       sync.Mutex
	t        *testing.T
	lines    []string // the first keepLines lines
	more     int      // lines after those
	fatal    string   // what a log.Fatal or log.Panic call said, and where
	reported bool     // the test has said so
	silent   bool     // lines reach stderr only if the test fails (quiet)
}

// captureLog starts the test's capture of the log, if it has not started
// yet, and returns it. Lines still pass on to stderr, the first keepLines
// of them. When the test ends, it says how many it did not show, and
// fails the test if the code called log.Fatal and the test did not say so.
func captureLog(t *testing.T) *logCapture {
	c := theLog
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t == t {
		return c
	}
	noteTest(t) // a test that ends the process fails by name (kit_exit_test.go)
	c.t, c.lines, c.more, c.fatal, c.reported, c.silent = t, nil, 0, "", false, false
	t.Cleanup(func() {
		c.mu.Lock()
		if c.silent && t.Failed() {
			os.Stderr.WriteString(strings.Join(c.lines, ""))
		}
		c.silent = false // shown once, even by nested tests (a bubble's)
		more, news := c.more, ""
		if !c.reported {
			news = c.fatal
		}
		c.more, c.reported = 0, true // said once, even by nested tests (a bubble's)
		c.mu.Unlock()
		if more > 0 {
			fmt.Fprintf(os.Stderr, "… %d more lines of log output, not shown\n", more)
		}
		if news != "" && !t.Failed() {
			t.Error(news)
		}
	})
	return c
}

func (c *logCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if line == "" {
			continue
		}
		if len(c.lines) < keepLines {
			c.lines = append(c.lines, line)
			if !c.silent {
				os.Stderr.WriteString(line)
			}
		} else {
			c.more++
		}
	}
	fatal := fatalCall(strings.TrimSpace(string(p)))
	if fatal != "" && c.fatal == "" {
		c.fatal = fatal
	}
	c.mu.Unlock()
	if fatal != "" {
		// log.Fatal would now end the whole test binary (os.Exit), with
		// nothing to say which test or why. End only this goroutine: the
		// test then fails, and says why.
		runtime.Goexit()
	}
	return len(p), nil
}

// quiet keeps the test's log off stderr unless the test fails: a test
// that makes the code log on purpose (Accept failing again and again) must
// not print its lines into the output of the tests after it.
func (c *logCapture) quiet() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.silent = true
}

// fatalCall returns, if the caller is in a log.Fatal or log.Panic call,
// the news in words; "" otherwise.
func fatalCall(logged string) string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		name := strings.TrimPrefix(strings.TrimPrefix(f.Function, "log."), "(*Logger).")
		if strings.HasPrefix(f.Function, "log.") && (strings.HasPrefix(name, "Fatal") || strings.HasPrefix(name, "Panic")) {
			caller, _ := frames.Next()
			fn := caller.Function[strings.LastIndex(caller.Function, ".")+1:]
			ends := "would have ended the whole program (os.Exit), and every client with it"
			if strings.HasPrefix(name, "Panic") {
				ends = "would have crashed the whole program (a panic no one recovers), and every client with it"
			}
			return fmt.Sprintf("your code called log.%s in %s (%s:%d), which logged %q and %s; "+
				"here the test stopped that goroutine instead. Log the error (log.Printf) and carry on, "+
				"or return it to your caller: only main may decide that the program ends",
				name, fn, filepath.Base(caller.File), caller.Line, logged, ends)
		}
		if !more {
			return ""
		}
	}
}

// fatalNews returns what a log.Fatal or log.Panic call said, and marks
// it told; "" if there was none.
func (c *logCapture) fatalNews() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fatal == "" {
		return ""
	}
	c.reported = true
	return c.fatal
}

// failOnFatal fails the test if the code called log.Fatal (the kit stopped
// that goroutine): that, not what followed, is what to fix.
func failOnFatal(t *testing.T) {
	t.Helper()
	if news := theLog.fatalNews(); news != "" {
		t.Fatal(news)
	}
}

// calledFatal says whether the code called log.Fatal or log.Panic, and
// so whether captureLog ended a goroutine of its.
func (c *logCapture) calledFatal() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fatal != ""
}

// String returns the log, cut to keepLines lines.
func (c *logCapture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := strings.Join(c.lines, "")
	if c.more > 0 {
		s += fmt.Sprintf("… %d more lines\n", c.more)
	}
	if s == "" {
		return "(nothing)"
	}
	return s
}

// contains reports whether s is in the log's lines kept.
func (c *logCapture) contains(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.ContainsFunc(c.lines, func(line string) bool { return strings.Contains(line, s) })
}

// waitFor reports whether s shows up in the log before progress stops.
func (c *logCapture) waitFor(s string) bool {
	_, ok := waitUntil(func() bool { return c.contains(s) })
	return ok
}
