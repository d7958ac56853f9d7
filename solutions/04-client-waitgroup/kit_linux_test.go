// The kit, part 10: a listener whose queue is full, so that connecting to
// it hangs: how a client's dial meets a server too busy to accept. Setting
// it up needs Linux (a backlog of 0 still queues one connection there).

//lint:file-ignore U1000 shared by every lesson; not every lesson uses every helper

package echo

import (
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// fullListener returns the address of a listener whose queue of
// connections is full, so that connecting to it hangs.
func fullListener(t *testing.T) string {
	t.Helper()
	// net.Listen picks a long queue; ask the kernel for the shortest.
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	f := os.NewFile(uintptr(fd), "listener")
	defer f.Close()
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("bind: %v", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatalf("listen: %v", err)
	}
	l, err := net.FileListener(f)
	if err != nil {
		t.Fatalf("listener: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	addr := l.Addr().String()
	// Fill the queue (Linux keeps one connection even with a backlog of 0),
	// until a connection hangs.
	for range 3 {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("could not fill the listener's queue on this system")
	return ""
}
