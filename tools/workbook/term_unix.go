//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// The terminal is driven with stty(1) rather than a termios library: it is
// on every Unix the workbook runs on (Linux, macOS, WSL), costs no
// dependency, and its cbreak mode keeps what raw mode would take away:
// Ctrl-C still interrupts, and "\n" still starts a new line.

// termSize returns the size of the controlling terminal, or zeros.
func termSize() (rows, cols int) {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return 0, 0
	}
	defer tty.Close()
	out, err := stty(tty, "size")
	if err == nil {
		fmt.Sscan(out, &rows, &cols)
	}
	return rows, cols
}

// openKeys opens the terminal for single key presses: no Enter needed, no
// echo. restore puts the terminal back as it was and closes it, which also
// ends a Read waiting on it.
func openKeys() (keys *os.File, restore func(), err error) {
	// Opened anew, rather than os.Stdin, so that Go's poller owns it and
	// Close can interrupt a pending Read.
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("no terminal to read keys from: %w", err)
	}
	saved, err := stty(tty, "-g")
	if err != nil {
		tty.Close()
		return nil, nil, err
	}
	if _, err := stty(tty, "-icanon", "-echo", "min", "1", "time", "0"); err != nil {
		tty.Close()
		return nil, nil, err
	}
	return tty, func() {
		stty(tty, strings.TrimSpace(saved))
		tty.Close()
	}, nil
}

// stty runs stty on the terminal tty; stty acts on its standard input.
func stty(tty *os.File, args ...string) (string, error) {
	cmd := exec.Command("stty", args...)
	cmd.Stdin = tty
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("stty %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}

// ownProcessGroup makes cmd the leader of a new process group, and
// cancelling it kill the whole group: go test runs the test binary as its
// child, and killing go alone would leave that binary running until its
// -timeout.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// isTTY reports whether f is a terminal: unlike a character device test,
// it says no for /dev/null.
func isTTY(f *os.File) bool {
	_, err := stty(f, "-g")
	return err == nil
}
