//go:build !unix

package gotest

import "os/exec"

// OwnProcessGroup: elsewhere, cancelling kills go alone (exec's default).
func OwnProcessGroup(cmd *exec.Cmd) {}
