// Command workbook runs the Echo Workbook's lessons: a learner's and an
// instructor's every command. The Makefile is its front end (make help);
// without make, run it from the workbook's folder:
//
//	go run ./tools/cmd/workbook help
//
// Settings come as flags or, from make, as the variables of the same name
// in capitals (make lesson-01 test COUNT=1 is workbook test -count 1 01).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/lessons"
	"example.com/echo-workbook/tools/internal/term"
)

// commands are workbook's subcommands; make help lists them (from the
// Makefile) and the settings they take.
var commands = map[string]func(args []string) int{
	"help":     runHelp,
	"goal":     runGoal, // the Makefile's catch-all: a goal that does not exist
	"test":     runTest,
	"solution": runSolution,
	"watch":    runWatch,
	"hint":     runHint,
	"status":   runStatus,
	"reset":    runReset,
	"diff":     runDiff,
	"run":      runRun,
	"doctor":   runDoctor,
	"class":    runClass,
}

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if len(args) == 0 {
		return runHelp(nil)
	}
	cmd := commands[args[0]]
	if cmd == nil {
		fmt.Fprintf(os.Stderr, "workbook: no command %q; the commands: go run ./tools/cmd/workbook help\n", args[0])
		return 2
	}
	return cmd(args[1:])
}

// fail reports err for command name and returns the exit status for it.
func fail(name string, err error) int {
	fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	var no lessons.NoLessonError
	if errors.As(err, &no) {
		fmt.Fprintln(os.Stderr, "make help lists every goal.")
	}
	return 2
}

// workbook finds the root, every lesson, and the lessons args name.
func workbook(args []string) (root string, all, picked []lessons.Lesson, err error) {
	wd, err := os.Getwd()
	if err == nil {
		root, err = lessons.FindRoot(wd)
	}
	if err == nil {
		all, err = lessons.List(root)
	}
	if err == nil {
		picked, err = lessons.Pick(all, args)
	}
	return root, all, picked, err
}

// oneLesson finds the workbook and the one lesson args name.
func oneLesson(args []string) (string, []lessons.Lesson, lessons.Lesson, error) {
	if len(args) != 1 {
		return "", nil, lessons.Lesson{}, fmt.Errorf("name one lesson, e.g. make lesson-01 … (got %q)", strings.Join(args, " "))
	}
	root, all, picked, err := workbook(args)
	if err != nil {
		return "", nil, lessons.Lesson{}, err
	}
	return root, all, picked[0], nil
}

// useRace says whether to run with -race: asked for, and possible here.
// When it is not possible, it says so loudly on stderr: a race the tests
// cannot see is a bug the learner does not hear about.
func useRace(want bool) bool {
	if !want {
		return false
	}
	if p := gotest.RaceProblem(); p != "" {
		sc := term.New(os.Stderr)
		sc.Printf("%s the race detector cannot run: %s. Tests run WITHOUT -race.\n  To fix: %s. To silence this: RACE=0.\n",
			sc.Yellow("WARNING:"), p, gotest.RaceFix)
		return false
	}
	return true
}

// writeFile writes a file whole or not at all.
func writeFile(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	f.Chmod(0o644) // a report to share, not a secret
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
