package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// The command's own tests are scripts (testdata/*.txtar): each writes a
// fixture workbook and runs workbook in it as a learner would, in an
// environment of its own (not the caller's GOWORK, TERM, NO_COLOR or CI).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"workbook": main})
}

func TestScripts(t *testing.T) {
	t.Parallel()
	makefile, err := os.ReadFile(filepath.Join("..", "..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(env *testscript.Env) error {
			// The go command needs its caches, which the script's fresh
			// environment (HOME=/no-home) does not have.
			for _, name := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
				out, err := exec.Command("go", "env", name).Output()
				if err != nil {
					return err
				}
				env.Setenv(name, strings.TrimSpace(string(out)))
			}
			env.Setenv("GOTOOLCHAIN", "local")
			// Fixtures run without the race detector: it only slows them.
			env.Setenv("RACE", "0")
			return os.WriteFile(filepath.Join(env.WorkDir, "Makefile"), makefile, 0o644)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"ctrlc": ctrlc,
		},
	})
}

// ctrlc runs a command in a process group of its own, as a terminal runs
// a job, waits for it to print a line containing the marker, then sends
// SIGINT to the whole group, as Ctrl-C does. It fails (or, negated,
// succeeds) when the command exits with a non-zero status.
//
//	ctrlc MARKER COMMAND ARGS...
func ctrlc(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: ctrlc MARKER COMMAND ARGS...")
	}
	path, err := exec.LookPath(args[1])
	ts.Check(err)
	cmd := exec.Command(path, args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, kv := range []string{"PATH", "HOME", "GOCACHE", "GOMODCACHE", "GOPATH", "GOTOOLCHAIN", "RACE", "TMPDIR", "PORT"} {
		cmd.Env = append(cmd.Env, kv+"="+ts.Getenv(kv))
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	ts.Check(err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	ts.Check(cmd.Start())
	seen := make(chan string)
	go func() {
		defer close(seen)
		var all strings.Builder
		found := false
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if !found && strings.Contains(sc.Text(), args[0]) {
				found = true
				seen <- ""
			}
		}
		io.Copy(io.Discard, out)
		seen <- all.String()
	}()
	select {
	case <-seen:
	case <-time.After(time.Minute):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		ts.Fatalf("no line with %q within a minute; stderr:\n%s", args[0], stderr.String())
	}
	ts.Check(syscall.Kill(-cmd.Process.Pid, syscall.SIGINT))
	var stdout string
	select {
	case stdout = <-seen:
	case <-time.After(time.Minute):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		ts.Fatalf("still running a minute after Ctrl-C; stderr:\n%s", stderr.String())
	}
	err = cmd.Wait()
	fmt.Fprint(ts.Stdout(), stdout)
	fmt.Fprint(ts.Stderr(), stderr.String())
	var exit *exec.ExitError
	switch {
	case err == nil && neg:
		ts.Fatalf("exited 0 after Ctrl-C")
	case errors.As(err, &exit) && !neg:
		ts.Fatalf("exited with %v after Ctrl-C", err)
	case err != nil && !errors.As(err, &exit):
		ts.Fatalf("%v", err)
	}
}
