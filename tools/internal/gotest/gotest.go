// Package gotest runs `go test -json` and reads what it says: the one
// place that decides whether tests passed, which failed first and why,
// whether the race detector can be used, and how go commands are run.
package gotest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

// RaceProblem says why -race cannot be used here, or "" when it can: the
// race detector needs cgo, and cgo needs a C compiler. Decided once.
var RaceProblem = sync.OnceValue(func() string {
	out, err := exec.Command("go", "env", "CGO_ENABLED", "CC").Output()
	if err != nil {
		return fmt.Sprintf("cannot ask go about cgo: %v", err)
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		return fmt.Sprintf("go env said %q", out)
	}
	_, ccErr := exec.LookPath(f[1])
	switch {
	case f[0] != "1" && ccErr != nil:
		return "there is no C compiler (" + f[1] + "), so cgo is off"
	case f[0] != "1":
		return "cgo is off (CGO_ENABLED=0)"
	case ccErr != nil:
		return "there is no C compiler (" + f[1] + ")"
	}
	return ""
})

// RaceFix says how to get the race detector.
const RaceFix = "install a C compiler (Debian, Ubuntu, WSL: sudo apt-get install gcc; macOS: xcode-select --install)"

// Env is the environment for a go command: the caller's, with the race
// detector's 1s pause at exit turned off (it is pure waiting), and extra.
func Env(extra ...string) []string {
	env := os.Environ()
	if os.Getenv("GORACE") == "" {
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	return append(env, extra...)
}

// Options are the go test flags of a run.
type Options struct {
	Race     bool
	Failfast bool
	Count    int           // -count; 0 leaves go's test cache on
	Timeout  time.Duration // -timeout: a hang is cut off and reported
	Run      string        // -run
	Short    bool          // -short: tests that wait a minute on purpose skip themselves
	// Lean runs are judged by what the tests say, not debugged: no go
	// vet pass (-vet=off) and a test binary without DWARF (-ldflags=-w;
	// panics and race reports still name files and lines), a process
	// less and a quicker link per run.
	Lean bool
	// Trimpath builds with -trimpath: file names in the binary no longer
	// depend on the folder, so the build cache serves a package built
	// before in another folder (a scratch copy) from the same sources.
	Trimpath bool
}

// Flags returns the go test flags for o, without -json.
func (o Options) Flags() []string {
	var args []string
	add := func(on bool, flags ...string) {
		if on {
			args = append(args, flags...)
		}
	}
	add(o.Race, "-race")
	add(o.Failfast, "-failfast")
	add(o.Lean, "-vet=off", "-ldflags=-w")
	add(o.Trimpath, "-trimpath")
	add(o.Count > 0, fmt.Sprintf("-count=%d", o.Count))
	add(o.Timeout > 0, "-timeout", o.Timeout.String())
	add(o.Run != "", "-run", o.Run)
	add(o.Short, "-short")
	return args
}

// Event is a line of go test -json (cmd/test2json, with the build events
// of Go 1.24 and later).
type Event struct {
	Time        time.Time
	Action      string
	Package     string
	ImportPath  string
	Test        string
	Output      string
	FailedBuild string
}

// Run runs go test -json with o's flags on pkgs in dir, and returns what
// the run showed. env is added to Env's. A cancelled ctx kills the whole
// process group (go test runs the test binary as its child).
func Run(ctx context.Context, dir string, o Options, env []string, pkgs ...string) Result {
	start := time.Now()
	var p Parser
	stderr, err := Stream(ctx, dir, append(append([]string{"test", "-json"}, o.Flags()...), pkgs...), env, p.Event)
	r := p.Result(dir, o.Timeout, err, stderr)
	r.Wall = time.Since(start)
	return r
}

// RunEach runs go test -json once over pkgs, packages of the module in
// dir, and returns each package's result by import path: what a Run per
// package would return, for one go command's start and module loading.
// A package go test printed nothing for is not in the map.
func RunEach(ctx context.Context, dir string, o Options, env []string, pkgs ...string) map[string]Result {
	return RunGroups(ctx, dir, o, env, func(pkg string) string { return pkg }, pkgs...)
}

// RunGroups is RunEach with packages read together: group names the
// result a package's events go to, and each group's result is what a Run
// over just its packages would return.
func RunGroups(ctx context.Context, dir string, o Options, env []string, group func(pkg string) string, pkgs ...string) map[string]Result {
	start := time.Now()
	args := append([]string{"test", "-json"}, o.Flags()...)
	if o.Failfast {
		// go test -failfast starts no package's tests after one failed; each
		// test binary's own -test.failfast stops only that package.
		args = slices.DeleteFunc(args, func(a string) bool { return a == "-failfast" })
		pkgs = append(slices.Clip(pkgs), "-args", "-test.failfast=true") // with "=": go test caches only such flags
	}
	ps := map[string]*Parser{}
	stderr, err := Stream(ctx, dir, append(args, pkgs...), env, func(ev Event) {
		name := group(eventPackage(ev))
		if ps[name] == nil {
			ps[name] = &Parser{}
		}
		ps[name].Event(ev)
	})
	rs := map[string]Result{}
	for name, p := range ps {
		// go test fails when any package does: a package whose binary
		// said how it ended is judged on that alone.
		runErr := err
		if p.ended() {
			runErr = nil
		}
		r := p.Result(dir, o.Timeout, runErr, stderr)
		r.Wall = time.Since(start)
		rs[name] = r
	}
	return rs
}

// Stream runs go with args in dir and calls event for each JSON line it
// prints. It returns what go printed on stderr, and how it exited.
func Stream(ctx context.Context, dir string, args, env []string, event func(Event)) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = Env(env...)
	OwnProcessGroup(cmd)
	cmd.WaitDelay = 2 * time.Second
	stderr := &Capped{Max: 64 << 10}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("cannot run go: %w", err)
	}
	ReadLines(stdout, 1<<20, func(b []byte) {
		var ev Event
		if json.Unmarshal(b, &ev) == nil {
			event(ev)
		}
	})
	err = cmd.Wait()
	return stderr.String(), err
}

// ReadLines calls fn with each line of r, cut to max bytes, and reads r to
// its end whatever the lines' length: a writer blocked on a full pipe
// would hang the run.
func ReadLines(r io.Reader, max int, fn func([]byte)) {
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

// Capped is a Writer that keeps the first Max bytes it is given.
type Capped struct {
	buf []byte
	Max int
}

func (c *Capped) Write(b []byte) (int, error) {
	c.buf = append(c.buf, b[:min(len(b), max(c.Max-len(c.buf), 0))]...)
	return len(b), nil
}

func (c *Capped) String() string { return string(c.buf) }

// Go runs a go command in dir and returns its combined output.
func Go(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = Env(env...)
	OwnProcessGroup(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil {
		err = fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return string(out), err
}
