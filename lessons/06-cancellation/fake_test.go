// An in-memory listener for the tests that run in a synctest bubble, and
// the bubble itself. You do not need to read this file to do the lesson.
//
// Inside a bubble, time is fake and synctest.Wait returns once every
// goroutine is blocked: after a cancel, "Serve has not returned" is a fact,
// not a guess. That only works if nothing blocks on a real socket, so the
// listener here hands out the server's end of a net.Pipe.

package echo

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// inBubble runs f in a synctest bubble. A bubble that ends with goroutines
// still blocked panics, which would end every test; inBubble turns that into
// this test's failure, showing where those goroutines are stuck.
func inBubble(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	before := goroutinesInPackage()
	// A goroutine that never blocks (a busy loop), or one stuck on a mutex,
	// stops fake time, and the bubble never ends: say so, rather than wait
	// for go test's -timeout. Nothing else can end the bubble from outside.
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-finished:
		case <-time.After(5 * patience):
			panic(fmt.Sprintf("%s: no progress for %v: some goroutine of your code never blocks, "+
				"so the test's fake clock cannot move (a loop that retries at once, without waiting? "+
				"a sync.Mutex locked twice?). Where your code is:\n\n%s",
				t.Name(), 5*patience, stacks()))
		}
	}()
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if err, ok := r.(error); !ok || !strings.HasPrefix(err.Error(), "deadlock") {
			panic(r)
		}
		if t.Failed() {
			return // the first failure says more than the goroutines it left stuck
		}
		var stuck []string
		for id, s := range goroutinesInPackage() {
			if _, old := before[id]; !old {
				stuck = append(stuck, s)
			}
		}
		t.Errorf("when the test ended, %d goroutine(s) of your code were still blocked, with nothing left that could "+
			"wake them: every goroutine needs an end. Where they are stuck:\n\n%s", len(stuck), strings.Join(stuck, "\n\n"))
	}()
	synctest.Test(t, f)
}

// acceptError is what a listener that ran out of file descriptors returns.
var acceptError = &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}

// fakeListener is a net.Listener for a synctest bubble: dial connects to
// it through net.Pipe. Create it inside the bubble.
type fakeListener struct {
	conns  chan *fakeConn
	closed chan struct{}

	mu       sync.Mutex
	closes   int
	fail     bool      // Accept fails with acceptError
	calls    int       // calls to Accept
	onAccept func()    // runs before Accept returns a connection
	last     time.Time // when Accept was last called,
	again    int       // and how many calls since then took no time at all
	spun     string    // why the test stopped a busy loop, if it did
}

func newFakeListener(t *testing.T) *fakeListener {
	l := &fakeListener{conns: make(chan *fakeConn), closed: make(chan struct{})}
	t.Cleanup(func() {
		if spun := l.busyLoop(); spun != "" && !t.Failed() {
			t.Error(spun)
		}
	})
	return l
}

func (l *fakeListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	l.calls++
	if now := time.Now(); now.Equal(l.last) {
		l.again++
	} else {
		l.last, l.again = now, 0
	}
	spinning, fail := l.again >= 100, l.fail
	l.mu.Unlock()
	select {
	case <-l.closed:
		if spinning {
			l.stop("Serve called Accept 100 times in a row, without pausing, after its listener was closed: " +
				"when accept fails with net.ErrClosed, stop accepting")
		}
		return nil, &net.OpError{Op: "accept", Net: "pipe", Err: net.ErrClosed}
	default:
	}
	if fail {
		if spinning {
			l.stop("Accept failed 100 times in a row with no pause in between: after a failure, pause before you retry")
		}
		return nil, acceptError
	}
	select {
	case c := <-l.conns:
		// Read only now: the test may set it while Accept waits.
		l.mu.Lock()
		onAccept := l.onAccept
		l.mu.Unlock()
		if onAccept != nil {
			onAccept()
		}
		return c, nil
	case <-l.closed:
		return nil, &net.OpError{Op: "accept", Net: "pipe", Err: net.ErrClosed}
	}
}

// stop ends the goroutine that called Accept: a busy loop would stop the
// bubble's clock for good. The test then fails with why.
func (l *fakeListener) stop(why string) {
	l.mu.Lock()
	l.spun = why + " (the test stopped that goroutine)"
	l.mu.Unlock()
	runtime.Goexit()
}

// fatalf fails the test, with the news of a busy loop first, if there was one:
// what follows from a stopped goroutine would only mislead.
func (l *fakeListener) fatalf(t *testing.T, format string, args ...any) {
	t.Helper()
	if spun := l.busyLoop(); spun != "" {
		t.Fatal(spun)
	}
	t.Fatalf(format, args...)
}

func (l *fakeListener) busyLoop() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.spun
}

func (l *fakeListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closes++
	if l.closes == 1 {
		close(l.closed)
		return nil
	}
	return &net.OpError{Op: "close", Net: "pipe", Err: net.ErrClosed}
}

func (l *fakeListener) Addr() net.Addr { return fakeAddr{} }

func (l *fakeListener) closeCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closes
}

func (l *fakeListener) acceptCalls() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls
}

// failAlways makes every Accept fail with acceptError, until Close.
func (l *fakeListener) failAlways() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail = true
}

// holdAccept makes the next Accept that has a connection keep it until
// release is closed, so that the test can stop the server in between.
func (l *fakeListener) holdAccept(release <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.onAccept = func() { <-release }
}

// dial connects a client to the fake listener Serve is using, and returns
// the client's end of the connection and the server's. It returns once Serve
// has accepted it.
func (s *server) dial(t *testing.T) (net.Conn, *fakeConn) {
	t.Helper()
	client, srv := net.Pipe()
	conn := &fakeConn{Conn: srv}
	t.Cleanup(func() {
		conn.release()
		client.Close()
	})
	select {
	case s.l.(*fakeListener).conns <- conn:
	case <-time.After(patience):
		s.fatalf(t, "Serve had not accepted a connection %v after a client connected: is it calling Accept?", patience)
	}
	client.SetDeadline(time.Now().Add(patience))
	return client, conn
}

type fakeAddr struct{}

func (fakeAddr) Network() string { return "pipe" }
func (fakeAddr) String() string  { return "pipe" }

// fakeConn is the server's end of a connection: a net.Pipe that counts its
// Close calls and, once told to, holds a Read or Write that fails after a
// Close until the test releases it.
type fakeConn struct {
	net.Conn
	mu       sync.Mutex
	closes   int
	hold     chan struct{}
	released bool
}

func (c *fakeConn) Close() error {
	c.mu.Lock()
	c.closes++
	c.mu.Unlock()
	return c.Conn.Close()
}

func (c *fakeConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.wait(err)
	return n, err
}

func (c *fakeConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.wait(err)
	return n, err
}

// wait holds the caller, if the connection failed because it was closed
// and the test asked for it, until the test releases it.
func (c *fakeConn) wait(err error) {
	c.mu.Lock()
	hold := c.hold
	c.mu.Unlock()
	if hold != nil && errors.Is(err, io.ErrClosedPipe) {
		<-hold
	}
}

func (c *fakeConn) holdAfterClose() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hold = make(chan struct{})
}

func (c *fakeConn) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hold != nil && !c.released {
		close(c.hold)
		c.released = true
	}
}

func (c *fakeConn) closeCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closes
}

// expectPipeEcho writes msg on the client's end of a pipe and expects it back.
func expectPipeEcho(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatalf("write %q: %v; is the connection echoed (handle, in a goroutine of its own)?", msg, err)
	}
	got := make([]byte, len(msg))
	if n, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		t.Fatalf("sent %q, got back %q and %v; is the connection echoed (handle, in a goroutine of its own)?", msg, got[:n], err)
	}
}
