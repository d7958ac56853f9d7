// Package verify checks the workbook's invariant (WORKBOOK.md, "make
// verify") for every lesson, in one run, on all cores:
//
//   - the starter compiles, vets clean, and fails by a named test, soon
//     after its test binary starts, without a panic, a build error or a hang;
//   - the solution passes with -race, several times over;
//   - every corpus mistake is caught by a named test whose first message
//     says the entry's want: phrase, with no hang, panic or build error;
//   - tests and the kit are the same everywhere; given code is identical;
//   - gofmt, go vet and staticcheck are clean; go.work is complete;
//   - README, hints and docs pages exist; the docs build strictly, their
//     diagrams and recorded outputs are current, and they pass the browser
//     check. A check whose tool is missing is SKIPPED loudly (an error
//     with RequireAll).
package verify

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/lessons"
)

// Options say what to verify.
type Options struct {
	Root       string
	All        []lessons.Lesson // every lesson
	Lessons    []lessons.Lesson // the ones to check (all when none are named)
	Count      int              // how many times each solution's tests run (default 3)
	RequireAll bool             // a skipped check is an error
	Docs       bool             // only the docs: the site, and the recorded outputs from their runs
	ToolsFull  bool             // the tools' own tests in full, afresh and with -race (make load; verify runs them -short, cached, without -race: CI saves a third build of every tool's module)
	Shots      bool             // the browser check saves a screenshot of every page at every width (CI's artifact; a third of the check's CPU)
	Out        io.Writer
}

// ModulePath is the workbook's module path prefix.
const ModulePath = "example.com/echo-workbook"

// starterPatience: a starter's first failure must come within this of its
// test binary's start. The lessons aim at a second or two; this leaves room
// for a machine several times slower, and still catches a test that waits
// out a long timeout before it fails.
const starterPatience = 20 * time.Second

// testTimeout cuts off a run that hangs, as make lesson-NN test does (a
// variable for this package's tests, which cannot wait a minute).
var testTimeout = 60 * time.Second

// v is one run of verify.
type v struct {
	Options
	race    bool // -race can be used
	scratch string
	sem     chan struct{}

	mu       sync.Mutex
	problems []string
	skipped  []string
}

// Run verifies and reports on o.Out; it returns whether all is well.
func Run(ctx context.Context, o Options) bool {
	if o.Count == 0 {
		o.Count = 3
	}
	start := time.Now()
	x, err := newV(o, "workbook-verify-")
	if err != nil {
		fmt.Fprintf(o.Out, "verify: %v\n", err)
		return false
	}
	defer os.RemoveAll(x.scratch)

	with := "with -race"
	if !x.race {
		with = "WITHOUT -race"
		x.skip("the race detector: "+gotest.RaceProblem(), gotest.RaceFix)
	}
	if o.Docs {
		fmt.Fprintf(o.Out, "verify -docs: the site, and the outputs of %d lessons it shows\n", len(o.Lessons))
	} else {
		fmt.Fprintf(o.Out, "verify: %d lessons; solutions run %d times %s; %d go commands at once\n", len(o.Lessons), o.Count, with, cap(x.sem))
	}

	var wg sync.WaitGroup
	line := func(name, format string, args ...any) {
		x.mu.Lock()
		defer x.mu.Unlock()
		fmt.Fprintf(o.Out, "%-22s %s\n", name, fmt.Sprintf(format, args...))
	}
	warmed := time.Now()
	x.warm(ctx)
	line("build", "      every package compiled once, before the checks run side by side (%.1fs)", time.Since(warmed).Seconds())
	// The longest jobs first: lint, the tools' tests and the site, then
	// the lessons; each job waits for a slot before it runs a go command.
	if !o.Docs {
		wg.Go(func() { x.lint(ctx, line) })
		wg.Go(func() { x.toolsTests(ctx, line) })
		x.workspace(line)
	}
	wg.Go(func() { x.site(ctx, line) })
	wg.Go(func() { x.examples(ctx, line) })
	for _, l := range o.Lessons {
		wg.Go(func() { x.lesson(ctx, l, line) })
	}
	wg.Wait()

	fmt.Fprintln(o.Out)
	for _, s := range x.skipped {
		fmt.Fprintln(o.Out, s)
	}
	if o.RequireAll && len(x.skipped) > 0 {
		x.fail("REQUIRE_ALL=1, and %d check(s) were skipped", len(x.skipped))
	}
	took := time.Since(start).Round(time.Second)
	if ctx.Err() != nil {
		fmt.Fprintf(o.Out, "verify: interrupted after %v\n", took)
		return false
	}
	if len(x.problems) > 0 {
		fmt.Fprintf(o.Out, "verify: FAILED, %d problem(s), %v:\n", len(x.problems), took)
		for _, p := range gotest.Cap(x.problems, 40) {
			fmt.Fprintln(o.Out, "  - "+p)
		}
		return false
	}
	fmt.Fprintf(o.Out, "verify: ok, %d lessons, %v\n", len(o.Lessons), took)
	return true
}

// newV starts a run of verify or Record: two go commands at once per core,
// and a scratch folder for the caller to remove.
func newV(o Options, scratch string) (*v, error) {
	dir, err := os.MkdirTemp("", scratch)
	x := &v{Options: o, race: gotest.RaceProblem() == "", scratch: dir, sem: make(chan struct{}, 2*runtime.NumCPU())}
	return x, err
}

// fail notes a problem. Each is capped, so that one cannot flood the report.
func (x *v) fail(format string, args ...any) {
	p := strings.Join(gotest.Cap(strings.Split(fmt.Sprintf(format, args...), "\n"), 25), "\n")
	x.mu.Lock()
	defer x.mu.Unlock()
	x.problems = append(x.problems, p)
}

func (x *v) skip(what, install string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	s := fmt.Sprintf("SKIPPED: %s (install with: %s)", what, install)
	if !slices.Contains(x.skipped, s) {
		x.skipped = append(x.skipped, s)
	}
}

// tally counts the problems of one section of the report, for its line:
// sections run at once, so the report's total says nothing about one.
type tally struct {
	x *v
	n atomic.Int32
}

func (t *tally) fail(format string, args ...any) {
	t.n.Add(1)
	t.x.fail(format, args...)
}

func (t *tally) failed() bool { return t.n.Load() > 0 }

// test runs go test in dir, outside the workspace (as a learner's run
// is, and the tools'), once a slot is free.
func (x *v) test(ctx context.Context, dir string, o gotest.Options, pkgs ...string) gotest.Result {
	x.sem <- struct{}{}
	defer func() { <-x.sem }()
	return gotest.Run(ctx, dir, o, []string{"GOWORK=off"}, pkgs...)
}

// goCmd runs another go command once a slot is free.
func (x *v) goCmd(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	x.sem <- struct{}{}
	defer func() { <-x.sem }()
	return gotest.Go(ctx, dir, env, args...)
}

// warm compiles, once, every package verify's go commands will build,
// before they run side by side. On an empty build cache (CI's) each of
// them would otherwise compile the standard library and the modules again,
// all at the same time: go commands do not share work in progress, and on
// 2 cores that duplicate work was a third of a cold verify. go list
// -export compiles without linking; failures are left to the checks.
func (x *v) warm(ctx context.Context) {
	all := []string{ModulePath + "/lessons/...", ModulePath + "/solutions/...", ModulePath + "/tools/..."}
	list := func(args ...string) {
		args = append([]string{"list", "-e", "-export", "-deps", "-test", "-f", "{{with .Error}}{{.}}{{end}}"}, args...)
		x.goCmd(ctx, x.Root, x.workspaceEnv(), args...)
	}
	var wg sync.WaitGroup
	// The linters that lint builds with go tool, beside everything else.
	wg.Go(func() {
		list(append(all, "honnef.co/go/tools/cmd/staticcheck", "github.com/rhysd/actionlint/cmd/actionlint")...)
	})
	// The corpus builds with -trimpath (runMistakes): what its entries
	// import, built that way.
	wg.Go(func() { list("-trimpath", all[0]) })
	if x.race && !x.Docs {
		race := all[1:2] // the solutions run with -race; the starters and the corpus without
		if x.ToolsFull {
			race = all[1:]
		}
		wg.Go(func() { list(append([]string{"-race"}, race...)...) })
	}
	wg.Wait()
}

// workspaceEnv runs go commands in the workbook's workspace, whatever the
// caller's GOWORK says.
func (x *v) workspaceEnv() []string {
	return []string{"GOWORK=" + x.Root + string(os.PathSeparator) + "go.work"}
}

func plural(n int, one, many string) string {
	if n != 1 {
		one = many
	}
	return fmt.Sprintf("%d %s", n, one)
}
