// Command workbook runs the Echo Workbook's lessons and checks the
// workbook itself. The Makefile is its front end: `make help`.
package main

import (
	"fmt"
	"os"
	"slices"
)

// commands maps each subcommand to its function and a one-line summary.
var commands = map[string]struct {
	run  func(args []string) int
	help string
}{
	"status": {runStatus, "every lesson passing, failing or untouched, and what to run next"},
	"watch":  {runWatch, "re-run a lesson's tests on every save (keys: h hint, r run again, q quit)"},
	"hint":   {runHint, "show a lesson's next hint (-all: every hint; -n 1: start over)"},
	"reset":  {runReset, "put a lesson's starter code back, after a backup (asks first; -yes does not)"},
	"diff":   {runDiff, "a lesson's code against the reference solution, tests left out"},
	"doctor": {runDoctor, "check this machine has what the workshop needs"},
	"verify": {runVerify, "check every lesson: the starter fails, the solution passes, tests match, lint is clean"},
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "workbook: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	os.Exit(cmd.run(os.Args[2:]))
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: workbook <command> [flags] [lesson]  (most people run it through make: make help)")
	var names []string
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", name, commands[name].help)
	}
}

// fail reports err for command cmd and returns the exit status for it.
func fail(cmd string, err error) int {
	fmt.Fprintf(os.Stderr, "%s: %v\n", cmd, err)
	return 2
}
