package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"example.com/echo-workbook/tools/internal/cli"
	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/lessons"
	"example.com/echo-workbook/tools/internal/term"
)

// DefaultPort is where a lesson's programs meet: servers listen on it,
// clients dial it (make: PORT).
const DefaultPort = 7007

// runRun builds a lesson's program and runs it on PORT. A server's port is
// checked first: a busy one is a clear message, not a bind error. Ctrl-C
// goes to the program (it is in the terminal's process group); the
// program's own exit is this command's, so a clean shutdown on Ctrl-C
// ends quietly, with no "make: *** Error" after it.
func runRun(args []string) int {
	fs := cli.Flags("run")
	port := fs.Int("port", DefaultPort, "the port servers listen on and clients dial (make: PORT=7008)")
	name := fs.String("cmd", "", "which program of the lesson: echoserver when it has one (make: CMD=echoclient)")
	if cli.Parse(fs, args) != nil {
		return 2
	}
	rest := fs.Args()
	var extra []string
	if i := slices.Index(rest, "--"); i >= 0 {
		rest, extra = rest[:i], rest[i+1:]
	}
	extra = append(extra, strings.Fields(os.Getenv("ARGS"))...)
	root, _, l, err := oneLesson(rest)
	if err != nil {
		return fail("run", err)
	}
	dir, err := program(root, l, *name)
	if err != nil {
		return fail("run", err)
	}
	sc := term.New(os.Stderr)
	bin := filepath.Join(root, ".workbook", "bin", "lesson-"+l.Num+"-"+filepath.Base(dir))
	if out, err := gotest.Go(context.Background(), filepath.Join(root, l.Dir), nil, "build", "-o", bin, "./"+filepath.ToSlash(mustRel(filepath.Join(root, l.Dir), dir))); err != nil {
		fmt.Fprint(os.Stderr, out)
		return fail("run", fmt.Errorf("%s does not build; make lesson-%s test shows why", mustRel(root, dir), l.Num))
	}
	server := strings.HasSuffix(filepath.Base(dir), "server")
	udp := strings.Contains(l.Dir, "udp") // a lesson whose folder names UDP serves datagrams
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(*port))
	if server {
		if err := portFree(udp, addr); err != nil {
			return fail("run", fmt.Errorf("%v\n  Another port: make lesson-%s run PORT=%d   (clients then need the same PORT)", err, l.Num, *port+1))
		}
	}
	progArgs := append(portArgs(bin, *port), extra...)
	sc.Printf("%s %s\n", sc.Dim("running"), strings.Join(append([]string{mustRel(root, dir)}, progArgs...), " "))
	if server {
		nc := "nc"
		if udp {
			nc = "nc -u"
		}
		sc.Printf("%s\n", sc.Dim(fmt.Sprintf("talk to it from another terminal: %s 127.0.0.1 %d   (Ctrl-C here stops it)", nc, *port)))
	}

	// Ctrl-C is for the program: this command waits for it to finish.
	// Caught, not ignored: a program inherits an ignored signal, and one
	// without a handler of its own would then not stop on Ctrl-C.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	cmd := exec.Command(bin, progArgs...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && interrupted(exit):
		sc.Printf("%s\n", sc.Dim("stopped by Ctrl-C"))
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	return fail("run", err)
}

// program picks the lesson's program: name, or echoserver, or its only one.
func program(root string, l lessons.Lesson, name string) (string, error) {
	progs, _ := filepath.Glob(filepath.Join(root, l.Dir, "cmd", "*", "main.go"))
	var names []string
	for _, p := range progs {
		names = append(names, filepath.Base(filepath.Dir(p)))
	}
	switch {
	case len(names) == 0:
		return "", fmt.Errorf("lesson %s has no program to run (no %s/cmd/*/main.go)", l.Num, l.Dir)
	case name == "" && slices.Contains(names, "echoserver"):
		name = "echoserver"
	case name == "" && len(names) == 1:
		name = names[0]
	case name == "":
		return "", fmt.Errorf("lesson %s has several programs (%s): pick one, e.g. make lesson-%s run CMD=%s", l.Num, strings.Join(names, ", "), l.Num, names[0])
	case !slices.Contains(names, name):
		return "", fmt.Errorf("lesson %s has no program %s; it has %s", l.Num, name, strings.Join(names, ", "))
	}
	return filepath.Join(root, l.Dir, "cmd", name), nil
}

// portArgs tells the program which port to use: -port when it has the
// flag, else -addr with the loopback address.
func portArgs(bin string, port int) []string {
	out, _ := exec.Command(bin, "-h").CombinedOutput() // the flag package lists the flags
	if strings.Contains(string(out), "\n  -port") {
		return []string{"-port", strconv.Itoa(port)}
	}
	return []string{"-addr", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
}

// portFree says whether a server could listen on addr: a UDP one when
// udp, else a TCP one. The two kinds of port are separate: a TCP server on
// 7007 does not stop a UDP one, and the other way round.
func portFree(udp bool, addr string) error {
	var l io.Closer
	var err error
	if udp {
		l, err = net.ListenPacket("udp", addr)
	} else {
		l, err = net.Listen("tcp", addr)
	}
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("port %s is busy: something already listens on %s (another make lesson-NN run?)", addr[strings.LastIndex(addr, ":")+1:], addr)
		}
		return fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	return l.Close()
}

func mustRel(base, path string) string {
	if r, err := filepath.Rel(base, path); err == nil {
		return r
	}
	return path
}

// interrupted: the program ended because of Ctrl-C (or a kill): killed by
// the signal, or exiting with the shell's code for it.
func interrupted(e *exec.ExitError) bool {
	if ws, ok := e.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal() == syscall.SIGINT || ws.Signal() == syscall.SIGTERM
	}
	return e.ExitCode() == 130
}
