// Package bench puts the workbook's reference echo servers side by side
// under lesson 10's load generator (make bench): round trips a second,
// streaming MB/s, memory per idle connection, and CPU once every client
// has left. Each server is its solution's cmd/echoserver, built and run
// as a process of its own, so that its memory and CPU are its own; the
// load is solutions/10-measure/cmd/echoload, run as a process too.
//
// It measures on the real clock, on whatever machine runs it: numbers for
// a person to read, as ratios between servers measured at the same time,
// never a pass or a fail.
package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/lessons"
)

// Loader is the lesson whose cmd/echoload puts the load on every server.
const Loader = "10-measure"

// Options says what to measure.
type Options struct {
	Root        string
	All         []lessons.Lesson
	Runs        int   // each load this many times per server, the median reported
	Conns       []int // connections for the round trips: a load with each many
	Trips       int   // round trips in all in each of those loads, shared among its connections
	StreamConns int   // connections for streaming
	StreamMB    int   // megabytes each way on each
	Idle        int   // idle connections held
	Out         io.Writer
}

// A result is what one server measured.
type result struct {
	name       string
	perSecond  [][]float64 // round trips a second: per o.Conns, one per run
	p50, p99   []float64   // µs, with the most connections
	mbps       []float64
	idleBytes  float64 // RSS growth per idle connection
	idleFiles  float64 // open files per idle connection
	idleNote   string  // why it is not there
	cpuPercent float64 // of one core, once every client has left
	cpuNote    string
}

// tcpNetwork is how a program names TCP to net.Listen, a ListenConfig or
// a Dialer: "tcp", "tcp4" or "tcp6".
var tcpNetwork = regexp.MustCompile(`"tcp[46]?"`)

// Candidates are the solutions with a TCP echo server to run: a
// cmd/echoserver whose main names a TCP network. A new one (lesson 08's)
// joins by existing; whether it serves two clients at once is checked
// when it runs.
func Candidates(root string, all []lessons.Lesson) []lessons.Lesson {
	var out []lessons.Lesson
	for _, l := range all {
		b, err := os.ReadFile(filepath.Join(root, l.Ref, "cmd", "echoserver", "main.go"))
		if err == nil && tcpNetwork.Match(b) {
			out = append(out, l)
		}
	}
	return out
}

// Run measures every candidate and prints the table. It returns an error
// when nothing could be measured.
func Run(ctx context.Context, o Options) error {
	out := o.Out
	tmp, err := os.MkdirTemp("", "echo-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	i := slices.IndexFunc(o.All, func(l lessons.Lesson) bool { return l.Name == Loader })
	if i < 0 || !lessons.IsDir(filepath.Join(o.Root, o.All[i].Ref, "cmd", "echoload")) {
		return fmt.Errorf("no load generator: solutions/%s/cmd/echoload is missing", Loader)
	}
	loader := filepath.Join(tmp, "echoload")
	if err := build(ctx, filepath.Join(o.Root, o.All[i].Ref), "./cmd/echoload", loader); err != nil {
		return err
	}

	// A Go server whose handler is io.Copy(conn, conn) holds, on Linux,
	// three files per idle connection: its socket, and the two ends of the
	// pipe that splice(2) moves the bytes through.
	limit, note := raiseOpenFiles(3*o.Idle + 200)
	if note != "" {
		fmt.Fprintf(out, "bench: %s\n", note)
	}
	idle := o.Idle
	if fit := (limit - 200) / 3; fit < idle {
		idle = max(fit, 0)
		fmt.Fprintf(out, "bench: holding %d idle connections instead of %d: a server may need 3 files per connection, and the limit is %d\n", idle, o.Idle, limit)
	}

	var servers []*server
	var names []string
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for _, l := range Candidates(o.Root, o.All) {
		bin := filepath.Join(tmp, "echoserver-"+l.Num)
		if err := build(ctx, filepath.Join(o.Root, l.Ref), "./cmd/echoserver", bin); err != nil {
			fmt.Fprintf(out, "bench: %s left out: %v\n", l.Name, err)
			continue
		}
		args := []string{"-addr", "127.0.0.1:0"}
		if hasFlag(ctx, bin, "max-conns") {
			// A cap on clients at once (lesson 08's) stays on, above
			// every load bench puts on it, so it refuses no one.
			args = append(args, "-max-conns", fmt.Sprint(idle+slices.Max(o.Conns)+o.StreamConns+16))
		}
		s, err := startServer(ctx, l.Name, bin, args...)
		if err != nil {
			fmt.Fprintf(out, "bench: %s left out: %v\n", l.Name, err)
			continue
		}
		if err := s.servesTwoAtOnce(); err != nil {
			fmt.Fprintf(out, "bench: %s left out: %v\n", l.Name, err)
			s.stop()
			continue
		}
		servers, names = append(servers, s), append(names, s.name)
	}
	if len(servers) == 0 {
		return errors.New("no TCP echo server to measure")
	}
	fmt.Fprintf(out, "bench: %s, under %s's load generator; %d cores; load average %s\n",
		strings.Join(names, ", "), Loader, runtime.NumCPU(), loadAverage())

	results := make([]*result, len(servers))
	for i, s := range servers {
		results[i] = &result{name: s.name, perSecond: make([][]float64, len(o.Conns))}
		// First, on a server that has done nothing yet: memory per idle connection.
		if idle > 0 {
			fmt.Fprintf(out, "bench: %s: holding %d idle connections\n", s.name, idle)
			results[i].idleBytes, results[i].idleFiles, results[i].idleNote = s.idleMemory(ctx, loader, idle)
		}
	}
	// One connection's round trips: each waits for the server to wake up,
	// then for the client to. Woken on another core of a virtual machine,
	// that costs 10 to 100 µs by chance, run to run, which swamps what the
	// servers do: on Linux, the server and the generator share one core
	// for that load (taskset).
	_, noTaskset := exec.LookPath("taskset")
	if noTaskset == nil {
		fmt.Fprintln(out, "bench: round trips on 1 connection: server and load generator on one core (taskset)")
	} else {
		fmt.Fprintln(out, "bench: round trips on 1 connection on any core (no taskset: expect wake-up noise)")
	}
	// The loads go round the servers, run by run, so that a change in the
	// machine's load falls on all of them alike.
	for run := 1; run <= o.Runs && ctx.Err() == nil; run++ {
		for i, s := range servers {
			fmt.Fprintf(out, "bench: run %d of %d: %s\n", run, o.Runs, s.name)
			r := results[i]
			for c, n := range o.Conns {
				var rt struct{ PerSecond, P50us, P99us float64 }
				prog := []string{loader}
				if n == 1 && noTaskset == nil {
					if err := s.oneCore(ctx, true); err != nil {
						return err
					}
					prog = []string{"taskset", "-c", "0", loader}
				}
				err := load(ctx, prog, s.addr, &rt, "-conns", fmt.Sprint(n), "-rounds", fmt.Sprint(max(1, o.Trips/n)), "-stream", "0")
				if len(prog) > 1 {
					if err := s.oneCore(ctx, false); err != nil {
						return err
					}
				}
				if err != nil {
					return fmt.Errorf("%s: %w", s.name, err)
				}
				r.perSecond[c] = append(r.perSecond[c], rt.PerSecond)
				if c == len(o.Conns)-1 {
					r.p50, r.p99 = append(r.p50, rt.P50us), append(r.p99, rt.P99us)
				}
			}
			var st struct{ Mbps float64 }
			if err := load(ctx, []string{loader}, s.addr, &st, "-rounds", "0", "-stream-conns", fmt.Sprint(o.StreamConns), "-stream", fmt.Sprint(o.StreamMB)); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			r.mbps = append(r.mbps, st.Mbps)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// Every client has left: a server should now use no CPU at all.
	time.Sleep(time.Second)
	before := make([]float64, len(servers))
	for i, s := range servers {
		before[i], _ = cpuSeconds(s.pid())
	}
	const window = 3 * time.Second
	time.Sleep(window)
	for i, s := range servers {
		after, ok := cpuSeconds(s.pid())
		if !ok {
			results[i].cpuNote = "not measured (needs /proc: Linux)"
			continue
		}
		results[i].cpuPercent = 100 * (after - before[i]) / window.Seconds()
	}
	report(out, o, idle, results)
	fmt.Fprintf(out, "bench: load average now %s\n", loadAverage())
	return nil
}

// build builds pkg of the module in dir into bin, alone (GOWORK=off), as
// a learner's go run would.
func build(ctx context.Context, dir, pkg, bin string) error {
	if out, err := gotest.Go(ctx, dir, []string{"GOWORK=off"}, "build", "-o", bin, pkg); err != nil {
		return fmt.Errorf("go build %s in %s: %v\n%s", pkg, dir, errors.Unwrap(err), out)
	}
	return nil
}

// load runs the load generator (prog: its path, after any command that
// runs it) once against addr, with args, and decodes its one JSON line
// into v.
func load(ctx context.Context, prog []string, addr string, v any, args ...string) error {
	cmd := exec.CommandContext(ctx, prog[0], slices.Concat(prog[1:], []string{"-addr", addr, "-json"}, args)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("echoload %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return json.Unmarshal(out, v)
}

// oneCore puts every thread of the server on the first core, or, when
// !on, back on all of them.
func (s *server) oneCore(ctx context.Context, on bool) error {
	cpus := fmt.Sprintf("0-%d", runtime.NumCPU()-1)
	if on {
		cpus = "0"
	}
	if out, err := exec.CommandContext(ctx, "taskset", "-a", "-p", "-c", cpus, fmt.Sprint(s.pid())).CombinedOutput(); err != nil {
		return fmt.Errorf("taskset %s for %s: %v: %s", cpus, s.name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// A server is one solution's echoserver, running.
type server struct {
	name string
	addr string
	cmd  *exec.Cmd
	done chan struct{}
}

var listening = regexp.MustCompile(`listening on (\S+?)[;\s]`)

// hasFlag says whether the command bin lists -name in its -h usage.
func hasFlag(ctx context.Context, bin, name string) bool {
	out, _ := exec.CommandContext(ctx, bin, "-h").CombinedOutput()
	return strings.Contains(string(out), "-"+name+" ")
}

// listenAddr finds the address in the server's "listening on" log line.
func listenAddr(line string) (string, bool) {
	m := listening.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// startServer runs bin on a free loopback port and waits for the line
// that says where it listens.
func startServer(ctx context.Context, name, bin string, args ...string) (*server, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{name: name, cmd: cmd, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if addr, ok := listenAddr(sc.Text()); ok {
				select {
				case found <- addr:
				default:
				}
			}
		}
		cmd.Wait()
	}()
	select {
	case s.addr = <-found:
		return s, nil
	case <-s.done:
		return nil, errors.New("it exited without saying where it listens")
	case <-time.After(time.Minute):
		s.stop()
		return nil, errors.New(`it did not say "listening on ADDR;" within a minute`)
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop interrupts the server, as Ctrl-C would, and kills it if it has
// not ended 10s later.
func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// servesTwoAtOnce: while one client stays connected and quiet, a second
// one gets its echo. Lesson 01's server does not, and would hold up
// every load; it is left out.
func (s *server) servesTwoAtOnce() error {
	a, err := net.Dial("tcp", s.addr)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := s.echoOne(10 * time.Second); err != nil {
		return fmt.Errorf("no echo to a second client within 10s while a first stayed connected (%v): it serves one client at a time", err)
	}
	return nil
}

// echoOne echoes one byte on a new connection.
func (s *server) echoOne(patience time.Duration) error {
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(patience))
	if _, err := c.Write([]byte{'x'}); err != nil {
		return err
	}
	_, err = io.ReadFull(c, make([]byte, 1))
	return err
}

// idleMemory holds n idle connections to s with the load generator and
// returns how much the server's resident memory grew per connection, and
// how many more files it had open, per connection; or why it could not
// tell.
func (s *server) idleMemory(ctx context.Context, loader string, n int) (bytes, files float64, why string) {
	base, ok := residentBytes(s.pid())
	if !ok {
		return 0, 0, "not measured (needs /proc: Linux)"
	}
	fds0 := openFiles(s.pid())
	cmd := exec.CommandContext(ctx, loader, "-addr", s.addr, "-json", "-rounds", "0", "-stream", "0", "-idle", fmt.Sprint(n))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err.Error()
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return 0, 0, err.Error()
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	if !bufio.NewScanner(stdout).Scan() {
		cmd.Wait()
		return 0, 0, fmt.Sprintf("echoload -idle %d failed: %s", n, strings.TrimSpace(stderr.String()))
	}
	// The server accepts in order: once a new connection is echoed, every
	// idle one before it has been accepted. Then give the handlers a
	// moment to reach their first Read.
	if err := s.echoOne(20 * time.Second); err != nil {
		return 0, 0, fmt.Sprintf("no answer with %d idle connections held (%v): %d files open, the limit %s",
			n, err, openFiles(s.pid()), fileLimit())
	}
	time.Sleep(2 * time.Second)
	fds := openFiles(s.pid())
	if fds0 >= 0 && fds-fds0 < n {
		return 0, 0, fmt.Sprintf("the server had only %d more files open with %d idle connections held", fds-fds0, n)
	}
	rss, _ := residentBytes(s.pid())
	return float64(rss-base) / float64(n), float64(fds-fds0) / float64(n), ""
}

// report prints the table, each number also as a ratio to the first server's.
func report(out io.Writer, o Options, idle int, rs []*result) {
	var conns, head []string
	for _, n := range o.Conns {
		conns = append(conns, fmt.Sprint(n))
		head = append(head, fmt.Sprintf("trips/s on %d", n))
	}
	most := slices.Max(o.Conns)
	fmt.Fprintf(out, "\nmedian of %d runs. round trips: %d in all on %s connections, 64-byte messages; streaming: %d connections × %d MB each way; idle: %d connections\n",
		o.Runs, o.Trips, strings.Join(conns, ", then "), o.StreamConns, o.StreamMB, idle)
	row := func(cells ...string) {
		fmt.Fprintf(out, "%-22s", cells[0])
		for _, c := range cells[1 : len(cells)-1] {
			fmt.Fprintf(out, " %-20s", c)
		}
		fmt.Fprintf(out, " %s\n", cells[len(cells)-1])
	}
	row(slices.Concat([]string{"server"}, head, []string{fmt.Sprintf("p50 / p99 µs on %d", most), "streaming MB/s", "memory per idle conn", "files per conn", "CPU once clients left"})...)
	first := rs[0]
	memBase := 0.0 // the first server whose memory was measured
	if i := slices.IndexFunc(rs, func(r *result) bool { return r.idleNote == "" }); i >= 0 {
		memBase = rs[i].idleBytes
	}
	for _, r := range rs {
		mem, files := r.idleNote, ""
		if mem == "" {
			mem = fmt.Sprintf("%.1f KiB %s", r.idleBytes/1024, ratio(r.idleBytes, memBase))
			files = fmt.Sprintf("%.1f", r.idleFiles)
		}
		cpu := r.cpuNote
		if cpu == "" {
			cpu = fmt.Sprintf("%.1f%% of a core", r.cpuPercent)
		}
		cells := []string{r.name}
		for c := range o.Conns {
			cells = append(cells, fmt.Sprintf("%.0f %s", median(r.perSecond[c]), ratio(median(r.perSecond[c]), median(first.perSecond[c]))))
		}
		row(append(cells,
			fmt.Sprintf("%.0f / %.0f", median(r.p50), median(r.p99)),
			fmt.Sprintf("%.0f %s", median(r.mbps), ratio(median(r.mbps), median(first.mbps))),
			mem, files, cpu)...)
	}
	fmt.Fprintf(out, "(×: against %s, measured side by side on this machine; read the ratios, not the numbers)\n", first.name)
}

// ratio is a as a multiple of b: "(1.04×)".
func ratio(a, b float64) string {
	if b == 0 {
		return "(–)"
	}
	return fmt.Sprintf("(%.2f×)", a/b)
}

// median of xs, 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
