// A test that needs Linux to set up: a listener whose queue is full.

package echo

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestExchangeGivesUpDialling: the server is too busy to accept: its queue
// of connections waiting for Accept is full, so the kernel ignores new
// ones and connecting hangs. When ctx is cancelled, Exchange must give up.
func TestExchangeGivesUpDialling(t *testing.T) {
	checkNoLeaks(t)
	addr := fullListener(t)
	ctx, cancel := context.WithCancel(t.Context())
	x := exchange(ctx, addr, []string{"anyone there?"})
	time.AfterFunc(100*time.Millisecond, cancel) // most likely while it dials; if before, fine too
	_, err := x.wait(t, nil, func() string {
		return "Its ctx was cancelled while it was connecting to a server too busy to accept anyone: " +
			"net.Dial does not watch ctx; a net.Dialer's DialContext does."
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Exchange's ctx was cancelled while it was connecting, and it returned error %v; "+
			"want one that wraps context.Canceled (errors.Is)", err)
	}
}

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
