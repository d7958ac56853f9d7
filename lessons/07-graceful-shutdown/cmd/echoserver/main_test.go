package main

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		want  string
		drain time.Duration
	}{
		{nil, "127.0.0.1:7007", 10 * time.Second}, // this machine only, unless asked
		{[]string{"-port", "9000"}, "127.0.0.1:9000", 10 * time.Second},
		{[]string{"-addr", "[::1]:7007", "-port", "9000"}, "[::1]:9000", 10 * time.Second},
		{[]string{"-addr", ":7007", "-drain", "1m"}, ":7007", time.Minute}, // every interface, because asked
	} {
		got, drain, err := parseFlags(tc.args)
		if got != tc.want || drain != tc.drain || err != nil {
			t.Errorf("parseFlags(%q) = %q, %v, %v; want %q, %v, nil", tc.args, got, drain, err, tc.want, tc.drain)
		}
	}
	if _, _, err := parseFlags([]string{"-addr", "no-port", "-port", "9000"}); err == nil {
		t.Errorf("parseFlags with -addr no-port: no error; want one about the address")
	}
}

// TestRunStopsOnSignals: the first signal starts a graceful shutdown
// with the drain deadline; a second one ends it at once.
func TestRunStopsOnSignals(t *testing.T) {
	srv := &fakeServer{shutdown: make(chan context.Context, 1), stop: make(chan struct{})}
	sigs := make(chan os.Signal, 2)
	ran := make(chan error, 1)
	go func() { ran <- run(srv, nil, sigs, time.Hour) }()

	sigs <- syscall.SIGTERM
	ctx := <-srv.shutdown
	if d, ok := ctx.Deadline(); !ok || time.Until(d) < 50*time.Minute {
		t.Errorf("after the first signal, Shutdown's ctx has deadline %v (set: %v); want the drain deadline, an hour from now", d, ok)
	}
	select {
	case <-ctx.Done():
		t.Fatalf("after one signal, Shutdown's ctx was already done (%v): the drain deadline is an hour", ctx.Err())
	default:
	}
	sigs <- os.Interrupt
	<-ctx.Done() // a second signal ends it at once: if not, go test's -timeout says so
	if err := <-ran; err != nil {
		t.Errorf("run returned %v after the second signal; want nil", err)
	}
}

// TestRunWaitsNoLongerThanTheDrain: one signal, and a drain deadline that
// passes: run returns.
func TestRunWaitsNoLongerThanTheDrain(t *testing.T) {
	srv := &fakeServer{shutdown: make(chan context.Context, 1), stop: make(chan struct{})}
	sigs := make(chan os.Signal, 2)
	sigs <- syscall.SIGTERM
	if err := run(srv, nil, sigs, time.Millisecond); err != nil {
		t.Errorf("run returned %v once the drain deadline passed; want nil", err)
	}
	if err := (<-srv.shutdown).Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown's ctx ended with %v; want context.DeadlineExceeded", err)
	}
}

// ---- plumbing for the tests above ----

// A fakeServer serves until Shutdown, whose ctx it hands to the test, and
// which waits for that ctx to end, as with a client that cannot be drained.
type fakeServer struct {
	shutdown chan context.Context
	stop     chan struct{}
}

func (s *fakeServer) Serve(net.Listener) error {
	<-s.stop
	return errServerClosed
}

func (s *fakeServer) Shutdown(ctx context.Context) error {
	close(s.stop)
	s.shutdown <- ctx
	<-ctx.Done()
	return ctx.Err()
}
