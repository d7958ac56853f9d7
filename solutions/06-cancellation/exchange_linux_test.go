// A test that needs Linux to set up: a listener whose queue is full.

package echo

import (
	"context"
	"errors"
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
			"net.Dial (or a Dialer's Dial) does not watch ctx; a net.Dialer's DialContext does."
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Exchange's ctx was cancelled while it was connecting, and it returned error %v; "+
			"want one that wraps context.Canceled (errors.Is)", err)
	}
}
