// Command docs keeps the Echo Workbook's site honest: the test output its
// pages show comes from real runs, its diagrams are rendered from their
// sources, and its pages render in a real browser. The Makefile is its
// front end (make docs-outputs, make diagrams, make docs-check); make
// verify runs its checks.
package main

import (
	"fmt"
	"os"
	"sort"
)

var commands = map[string]struct {
	run  func(args []string) int
	help string
}{
	"outputs":  {runOutputs, "record the test output the pages show (docs/outputs); -check: say if it is out of date"},
	"diagrams": {runDiagrams, "render docs/diagrams/*.mmd to SVG (needs npm); -check: say if an SVG is out of date"},
	"browse":   {runBrowse, "open every page of a built site in headless chromium and check it rendered"},
	"check":    {runCheck, "all of the site's checks: strict build, outputs, diagrams, browser (make docs-check)"},
}

func main() {
	if len(os.Args) < 2 || commands[os.Args[1]].run == nil {
		fmt.Fprintln(os.Stderr, "usage: docs <command> [flags]   (run through make: make help)")
		var names []string
		for name := range commands {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			fmt.Fprintf(os.Stderr, "  %-9s %s\n", name, commands[name].help)
		}
		os.Exit(2)
	}
	os.Exit(commands[os.Args[1]].run(os.Args[2:]))
}
