// The kit, part 9: the process's CPU time, where the system tells it. A
// wait uses it to tell a busy loop (it uses the CPU) from a busy machine
// (the process waits for one). Elsewhere (Windows) waits do without.

//go:build unix

package echo

import (
	"syscall"
	"time"
)

func init() {
	processCPU = func() (time.Duration, bool) {
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
			return 0, false
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
	}
}
