//go:build unix

package bench

import (
	"fmt"
	"syscall"
)

// raiseOpenFiles raises this process's open-file limit to need, which the
// servers and the load generator it starts inherit, and returns the limit
// it got and what it did, in words. Raising the soft limit up to the
// hard one is allowed; past it, only root may, and the system says no.
func raiseOpenFiles(need int) (int, string) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return need, fmt.Sprintf("cannot read the open-file limit (%v); trying anyway", err)
	}
	if lim.Cur >= uint64(need) {
		return need, ""
	}
	want := lim
	want.Cur = uint64(need)
	if want.Max < want.Cur {
		want.Max = want.Cur
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
		return need, fmt.Sprintf("open-file limit raised from %d to %d", lim.Cur, need)
	}
	// Past the hard limit: the system refused. Take what is allowed.
	got := lim
	got.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &got); err != nil {
		return int(lim.Cur), fmt.Sprintf("the system refused to raise the open-file limit (%v): it stays %d", err, lim.Cur)
	}
	return int(lim.Max), fmt.Sprintf("the system refused an open-file limit of %d (the hard limit is %d; ulimit -Hn, or limits.conf, raises it): raised from %d to %d",
		need, lim.Max, lim.Cur, lim.Max)
}
