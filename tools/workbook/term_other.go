//go:build !unix

package main

import (
	"errors"
	"os"
	"os/exec"
)

// Elsewhere (Windows without WSL) there is no stty: no live terminal
// size, no single-key input. Watch still works; it reads whole lines.

func termSize() (rows, cols int) { return 0, 0 }

func openKeys() (*os.File, func(), error) {
	return nil, nil, errors.New("single-key input needs a Unix terminal")
}

func ownProcessGroup(cmd *exec.Cmd) {}

func isTTY(f *os.File) bool { return isTerminal(f) }
