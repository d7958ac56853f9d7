// The kit, part 4: tests on a fake clock. Inside a testing/synctest bubble,
// time is fake and synctest.Wait returns once every goroutine is blocked:
// "Serve has not returned yet" is a fact, not a guess, and ten seconds of
// retries take no time at all. That only works if nothing blocks on a real
// socket, so the listener here hands out the server's end of a net.Pipe.

//lint:file-ignore U1000 shared by every lesson; not every lesson uses every helper

package echo

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// inBubble runs f in a synctest bubble. A bubble that ends with goroutines
// still blocked panics, which would end every test; inBubble turns that
// into this test's failure, showing where those goroutines are stuck. A
// goroutine that never blocks (a busy loop) stops the fake clock, and the
// bubble never ends: nothing can end it from outside, so inBubble says so,
// once nothing has made progress for patience, instead of waiting for go
// test's -timeout.
func inBubble(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	logs := captureLog(t)
	before := ourGoroutines()
	finished := make(chan struct{})
	defer close(finished)
	go func() { // outside the bubble: on the real clock
		if st, ok := waitClosed(finished); !ok {
			panic(fmt.Sprintf("%s: the test's fake clock stopped: %s. Where your code is:\n\n%s", t.Name(), st, where(st.gs)))
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
		if news := logs.fatalNews(); news != "" {
			t.Error(news)
			return
		}
		stuck := startedSince(before)
		t.Errorf("when the test ended, %s of your code %s still blocked, with nothing left that could wake %s: "+
			"every goroutine needs an end. Where:\n\n%s", count(len(stuck), "goroutine", "goroutines"),
			map[bool]string{true: "was", false: "were"}[len(stuck) == 1],
			map[bool]string{true: "it", false: "them"}[len(stuck) == 1], where(stuck))
	}()
	synctest.Test(t, f)
}

// A fakeListener is a net.Listener for a synctest bubble: clients connect
// through net.Pipe (s.connectPipe). Create it inside the bubble.
type fakeListener struct {
	conns  chan *fakeConn
	closed chan struct{}
	next   []acceptResult // see script and queue
	leave  []net.Conn     // queue's clients: they leave when the listener is closed

	mu       sync.Mutex
	closes   int
	fail     bool        // Accept fails with acceptError
	calls    []time.Time // when Accept was called, on the fake clock
	onAccept func()      // runs before Accept returns a connection
	spun     string      // why the test stopped a busy loop, if it did
	halt     bool        // end the goroutine of every caller from now on
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
	if l.halt {
		l.mu.Unlock()
		runtime.Goexit()
	}
	now := time.Now()
	l.calls = append(l.calls, now)
	n := len(l.calls)
	// 100 calls at the same fake instant: a loop that never pauses, and
	// never lets the fake clock move.
	spinning, fail := n >= 100 && l.calls[n-100].Equal(now), l.fail
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
			l.stop(fmt.Sprintf("Accept failed with %q 100 times in a row without any pause: the server spins, "+
				"a CPU core at 100%%, and floods its log. Pause before trying again, 5ms the first time, "+
				"twice as long each time after, up to 1s", acceptError))
		}
		return nil, acceptError
	}
	l.mu.Lock()
	if len(l.next) > 0 {
		next := l.next[0]
		l.next = l.next[1:]
		l.mu.Unlock()
		if next.err != nil {
			return nil, next.err
		}
		return next.conn, nil
	}
	l.mu.Unlock()
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

// haltAccepts ends the goroutine of every later caller of Accept: a
// server that goes on accepting after it was told to stop would keep the
// bubble from ever ending.
func (l *fakeListener) haltAccepts() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.halt = true
}

// fatalf fails the test, with the news of a busy loop first, if there was
// one: what follows from a stopped goroutine would only mislead.
func (l *fakeListener) fatalf(t *testing.T, format string, args ...any) {
	t.Helper()
	if spun := l.busyLoop(); spun != "" {
		t.Fatal(spun)
	}
	if news := theLog.fatalNews(); news != "" {
		t.Fatal(news)
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
		for _, c := range l.leave {
			c.Close()
		}
		return nil
	}
	return &net.OpError{Op: "close", Net: "pipe", Err: net.ErrClosed}
}

func (l *fakeListener) Addr() net.Addr { return fakeAddr{} }

func (l *fakeListener) isClosed() bool {
	return isClosed(l.closed)
}

func (l *fakeListener) closeCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closes
}

// acceptTimes returns when Accept was called, on the fake clock.
func (l *fakeListener) acceptTimes() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.calls...)
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

// An acceptResult is what one Accept returns, set ahead by script or queue.
type acceptResult struct {
	conn *fakeConn
	err  error
}

// script has the next Accepts go as results say, in order (call it before
// the server starts): an error fails that Accept; nil hands out a client
// who leaves at once (a pipe whose other end is closed).
func (l *fakeListener) script(t *testing.T, results ...error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range results {
		next := acceptResult{err: err}
		if err == nil {
			client, conn := newPipe(t)
			client.Close()
			next.conn = conn
		}
		l.next = append(l.next, next)
	}
}

// queue has n clients connect at once, before Serve asks for them (call it
// before the server starts): the next n Accept calls each return one
// without waiting. It returns the server's ends. The clients leave when
// the listener is closed, as the test ends: by then the server's handlers
// must be able to end, and newPipe's cleanup would come too late, after
// the server's (cleanups run last first).
func (l *fakeListener) queue(t *testing.T, n int) []*fakeConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ends []*fakeConn
	for range n {
		client, conn := newPipe(t)
		ends = append(ends, conn)
		l.leave = append(l.leave, client)
		l.next = append(l.next, acceptResult{conn: conn})
	}
	return ends
}

// connectPipe connects a client to the server under test, which must be
// serving a fakeListener, and returns the client's end of the connection
// and the server's. It returns once Serve has accepted it.
func (s *server) connectPipe(t *testing.T) (net.Conn, *fakeConn) {
	t.Helper()
	client, conn, ok := s.tryConnectPipe(t)
	if !ok {
		s.l.(*fakeListener).fatalf(t, "Serve had not accepted a connection %v after a client connected: is it calling Accept?", patience)
	}
	return client, conn
}

// tryConnectPipe is connectPipe for a test with words of its own for a
// Serve that does not accept the client: ok is false then.
func (s *server) tryConnectPipe(t *testing.T) (_ net.Conn, _ *fakeConn, ok bool) {
	client, conn := newPipe(t)
	select {
	case s.l.(*fakeListener).conns <- conn:
	case <-time.After(patience): // on the fake clock: once nothing else can happen
		return client, conn, false
	}
	client.SetDeadline(time.Now().Add(patience))
	return client, conn, true
}

// newPipe returns a client's end of a pipe and the server's, closed when
// the test ends.
func newPipe(t *testing.T) (net.Conn, *fakeConn) {
	client, end := net.Pipe()
	conn := &fakeConn{Conn: end}
	t.Cleanup(func() {
		conn.release()
		client.Close()
	})
	return client, conn
}

type fakeAddr struct{}

func (fakeAddr) Network() string { return "pipe" }
func (fakeAddr) String() string  { return "pipe" }

// A fakeConn is the server's end of a connection: a net.Pipe that counts
// its Close calls and, once told to, holds a Read or Write that fails
// after a Close until the test releases it.
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

// pipeEcho writes msg on the client's end of a pipe and reads its echo,
// each with patience on the (fake) clock. A pipe the server closed reads
// as io.EOF: the client cannot tell more.
func pipeEcho(c net.Conn, msg string) error {
	c.SetDeadline(time.Now().Add(patience))
	if _, err := c.Write([]byte(msg)); err != nil {
		return closedAsEOF(err)
	}
	got := make([]byte, len(msg))
	n, err := io.ReadFull(c, got)
	if err == nil && string(got) != msg {
		return fmt.Errorf("%q instead", got[:n])
	}
	return closedAsEOF(err)
}

func closedAsEOF(err error) error {
	if errors.Is(err, io.ErrClosedPipe) {
		return io.EOF
	}
	return err
}

// readPipe reads up to n bytes from the client's end of a pipe, with
// patience on the (fake) clock.
func readPipe(c net.Conn, n int) ([]byte, error) {
	c.SetReadDeadline(time.Now().Add(patience))
	b := make([]byte, n)
	m, err := c.Read(b)
	return b[:m], err
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
