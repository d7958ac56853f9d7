package main

// The load check (D11): the workbook's tests must fail on the code, never
// on the clock. CPU burners, two per core, compete with make verify and
// with every solution's tests run -race -count=20.

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"example.com/echo-workbook/tools/internal/cli"
	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/verify"
)

// burnFor bounds every burner: each stops by itself after this, even if
// this command is killed before it can stop them.
const burnFor = 45 * time.Minute

func runLoad(ctx context.Context, args []string) int {
	fs := cli.Flags("load")
	count := fs.Int("count", 20, "run every solution's tests this many times with -race (make: COUNT=n)")
	runs := fs.Int("runs", 1, "run verify this many times in a row (make: RUNS=n)")
	if cli.Parse(fs, args) != nil {
		return 2
	}
	o, err := options(fs.Args())
	if err != nil {
		return fail("load", err)
	}
	start := time.Now()
	stop, pids, err := burn(ctx, 2*runtime.NumCPU(), burnFor)
	if err != nil {
		return fail("load", err)
	}
	defer stop()
	fmt.Printf("load: %d CPU burners on %d cores (each stops within %v whatever happens)\n", len(pids), runtime.NumCPU(), burnFor)

	o.ToolsFull = true // under load, the tools' own tests in full, afresh, with -race
	failed := 0
	for i := 1; i <= *runs && ctx.Err() == nil; i++ {
		fmt.Printf("\nload: make verify, run %d of %d, beside the burners\n", i, *runs)
		if !verify.Run(ctx, o) {
			failed++
		}
	}
	fmt.Printf("\nload: every solution's tests, -race -count=%d, beside the burners\n", *count)
	race := gotest.RaceProblem() == ""
	if !race {
		fmt.Printf("load: WITHOUT -race: %s\n", gotest.RaceProblem())
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for _, l := range o.Lessons {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			opts := gotest.Options{Race: race, Count: *count, Timeout: time.Duration(*count) * time.Minute}
			r := gotest.Run(ctx, filepath.Join(o.Root, l.Ref), opts, []string{"GOWORK=off"}, "./...")
			mu.Lock()
			defer mu.Unlock()
			if r.Outcome == gotest.Passed {
				fmt.Printf("%-22s ok    %d runs pass (%.0fs)\n", l.Name, *count, r.Wall.Seconds())
				return
			}
			failed++
			fmt.Printf("%-22s FAIL  %s\n%s\n", l.Name, r.Headline(), gotest.Indent(strings.Join(gotest.Cap(r.Details, 15), "\n"), 6))
		})
	}
	wg.Wait()
	stop()
	if failed > 0 || ctx.Err() != nil {
		fmt.Printf("\nload: FAILED: %d of %d runs (%v)\n", failed, *runs+len(o.Lessons), time.Since(start).Round(time.Second))
		return 1
	}
	fmt.Printf("\nload: ok: verify %d time(s) and every solution %d times with -race, under load (%v)\n", *runs, *count, time.Since(start).Round(time.Second))
	return 0
}

// burn starts n burner processes, each for d, and returns a function that stops them
// and waits for them, and their first process ids. Each burner is a
// process of its own, so that the system spreads them over the cores as
// it would real competing work.
func burn(ctx context.Context, n int, d time.Duration) (stop func(), pids []int, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	stop = func() {
		cancel() // kills each burner (exec.CommandContext)
		wg.Wait()
	}
	start := func() (*exec.Cmd, error) {
		c := exec.CommandContext(ctx, exe, "burn", d.String())
		return c, c.Start()
	}
	for range n {
		c, err := start()
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("starting a CPU burner: %w", err)
		}
		pids = append(pids, c.Process.Pid)
		// A burner ends by itself after d, so none outlives a killed
		// load check for long; a check that runs longer starts the next,
		// so that its last runs are under load too.
		wg.Go(func() {
			for c.Wait(); ctx.Err() == nil; c.Wait() {
				if c, err = start(); err != nil {
					fmt.Fprintf(os.Stderr, "load: restarting a CPU burner: %v\n", err)
					return
				}
			}
		})
	}
	return stop, pids, nil
}

// runBurn keeps one core busy until its time is up.
func runBurn(ctx context.Context, args []string) int {
	d, err := time.ParseDuration(strings.Join(args, ""))
	if err != nil || d <= 0 || d > burnFor {
		return fail("burn", fmt.Errorf("burn takes a duration up to %v", burnFor))
	}
	runtime.GOMAXPROCS(1)
	deadline := time.Now().Add(d)
	sum := sha256.Sum256(nil)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		for range 10000 {
			sum = sha256.Sum256(sum[:])
		}
	}
	return 0
}
