// Command workbook runs the Echo Workbook's lessons and checks the
// workbook itself. The Makefile is its front end: `make help`.
package main

import (
	"fmt"
	"os"
)

// commands maps each subcommand to its function and a one-line summary.
var commands = map[string]struct {
	run  func(args []string) int
	help string
}{
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
	fmt.Fprintln(os.Stderr, "usage: workbook <command> [arguments]  (most people run it through make: make help)")
	for name, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", name, c.help)
	}
}
