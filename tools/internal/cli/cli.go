// Package cli is what the workbook's two commands share: flags whose
// defaults come from the make variable of the same name.
package cli

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// Flags is a flag set for command name that reports on stderr.
func Flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	return fs
}

// Parse parses args into fs, each flag's default taken first from the
// environment variable of its name in capitals (-require-all:
// REQUIRE_ALL). make hands a recipe the variables given on its command
// line, so make lesson-01 test COUNT=1 is test -count 1 01.
func Parse(fs *flag.FlagSet, args []string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := os.Getenv(name); v != "" && err == nil {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%s: %w", name, v, e)
			}
		}
	})
	if err != nil {
		fmt.Fprintln(fs.Output(), err)
		return err
	}
	return fs.Parse(args)
}
