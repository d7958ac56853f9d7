// Command maintain checks and keeps up the Echo Workbook: verify (the
// invariant every lesson keeps), the load check, the docs' recorded
// outputs and diagrams, the kit, and the offline kit. It is the
// maintainer's and CI's command, apart from the learner's (workbook) so
// that a learner's first build stays small. The Makefile is its front end
// (make help); without make, from the workbook's folder:
//
//	go run ./tools/cmd/maintain verify
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"example.com/echo-workbook/tools/internal/cli"
	"example.com/echo-workbook/tools/internal/lessons"
	"example.com/echo-workbook/tools/internal/verify"
)

var commands = map[string]struct {
	run  func(ctx context.Context, args []string) int
	help string
}{
	"verify":       {runVerify, "check every lesson: starter fails, solution passes, corpus caught, tests match, lint, docs: verify [-count 3] [NN…]"},
	"load":         {runLoad, "verify and every solution's tests -race -count=20, beside CPU burners (2 per core): load [-count 20] [-runs 1]"},
	"docs-outputs": {runOutputs, "record the test output the docs show (docs/outputs) from real runs: docs-outputs [NN…]"},
	"diagrams":     {runDiagrams, "render docs/diagrams/*.mmd to the SVGs the pages show (needs npm and chromium)"},
	"docs":         {runDocs, "build the site into site/, strictly"},
	"docs-serve":   {runDocsServe, "serve the site at http://127.0.0.1:8000, reloading on edits"},
	"kit":          {runKit, "copy tools/testkit/*_test.go into every lesson and solution"},
	"offline-kit":  {runOfflineKit, "download every module and gather them into a folder to carry to a room without internet: offline-kit [-out DIR]"},
	"offline":      {runOffline, "prove make lesson-01 test works with the module proxy off, from the offline kit alone"},
	"burn":         {runBurn, "(for load) keep one core busy for a while: burn DURATION"},
	"bench":        {runBench, "the reference TCP servers side by side under lesson 10's load generator: bench [-runs 3] [-idle 5000]"},
}

var bare = map[string]bool{"diagrams": true, "docs": true, "docs-serve": true, "kit": true}

func main() {
	if len(os.Args) < 2 || commands[os.Args[1]].run == nil {
		fmt.Fprintln(os.Stderr, "usage: go run ./tools/cmd/maintain COMMAND   (make help lists them with their make goals)")
		for _, name := range []string{"verify", "load", "docs-outputs", "diagrams", "docs", "docs-serve", "kit", "offline-kit", "offline", "bench"} {
			fmt.Fprintf(os.Stderr, "  %-13s %s\n", name, commands[name].help)
		}
		os.Exit(2)
	}
	// A command without flags takes no arguments: "diagrams -h" must not
	// render the diagrams.
	if name, args := os.Args[1], os.Args[2:]; bare[name] && len(args) > 0 {
		fmt.Fprintf(os.Stderr, "%s takes no arguments (got %q): %s\n", name, args, commands[name].help)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := commands[os.Args[1]].run(ctx, os.Args[2:])
	stop()
	os.Exit(code)
}

func fail(name string, err error) int {
	fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	return 2
}

// options reads the workbook and the lessons args name.
func options(args []string) (verify.Options, error) {
	root, err := lessons.FindRoot(".")
	if err != nil {
		return verify.Options{}, err
	}
	all, err := lessons.List(root)
	if err != nil {
		return verify.Options{}, err
	}
	picked, err := lessons.Pick(all, args)
	return verify.Options{Root: root, All: all, Lessons: picked, Out: os.Stdout, RequireAll: os.Getenv("REQUIRE_ALL") == "1"}, err
}

func runVerify(ctx context.Context, args []string) int {
	fs := cli.Flags("verify")
	count := fs.Int("count", 3, "run each solution's tests this many times, so flakes show (make: COUNT=n)")
	docsOnly := fs.Bool("docs", false, "only the docs: the strict build, diagrams, recorded outputs and the browser check (make docs-check)")
	shots := fs.Bool("screenshots", false, "save a screenshot of every docs page at every width in "+verify.ScreenshotDir+" (make: SCREENSHOTS=1; always with -docs)")
	if cli.Parse(fs, args) != nil {
		return 2
	}
	o, err := options(fs.Args())
	if err != nil {
		return fail("verify", err)
	}
	// docs-check is for whoever wrote a page: they look at it.
	o.Count, o.Docs, o.Shots = *count, *docsOnly, *shots || *docsOnly
	if !verify.Run(ctx, o) {
		return 1
	}
	return 0
}

func runOutputs(ctx context.Context, args []string) int {
	o, err := options(args)
	if err != nil {
		return fail("docs-outputs", err)
	}
	if !verify.Record(ctx, o) {
		return 1
	}
	return 0
}
