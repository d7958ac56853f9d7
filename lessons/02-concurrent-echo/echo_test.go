// Lesson 02 tests. The first ones are new: a server that serves many
// clients at once, whose goroutines end with their clients. The rest are
// lesson 01's, still true. Run them with `make lesson-02 test`; see
// README.md for the task.

package echo

import (
	"errors"
	"fmt"
	"io"
	"log"
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

// TestServesTwoClientsAtOnce: a client that stays connected and quiet
// does not keep the next client waiting.
func TestServesTwoClientsAtOnce(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	a := s.connect(t)
	s.expectEcho(t, a, "I am client A, and I will stay connected\n")

	b := s.connect(t)
	if _, err := b.Write([]byte("I am client B\n")); err != nil {
		s.fatalf(t, "client B: write: %v", err)
	}
	// The echo takes microseconds, and a server busy with A never sends it:
	// a bound shorter than patience, so the lesson's first failure comes fast.
	const bound = time.Second
	b.SetReadDeadline(time.Now().Add(bound))
	got := make([]byte, len("I am client B\n"))
	if n, err := io.ReadFull(b, got); err != nil {
		what := fmt.Sprintf("got %q and then %s", got[:n], explain(err))
		if n == 0 && isTimeout(err) {
			what = fmt.Sprintf("got no echo within %v", bound)
		}
		s.fatalf(t, "client B %s, while client A stayed connected: is each connection handled in its own goroutine (go ...)? "+
			"While Serve runs handle itself, it cannot Accept anyone else", what)
	}
	s.expectEcho(t, a, "A again\n") // and A is still served
}

// TestServesManyClientsAtOnce: twenty clients connect and stay connected;
// the last to arrive is served first, the first last.
func TestServesManyClientsAtOnce(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	var clients []*net.TCPConn
	for range 20 {
		clients = append(clients, s.connect(t))
	}
	for i := len(clients) - 1; i >= 0; i-- {
		msg := fmt.Sprintf("client %d of %d\n", i+1, len(clients))
		if _, err := clients[i].Write([]byte(msg)); err != nil {
			s.fatalf(t, "client %d: write: %v", i+1, err)
		}
		got := make([]byte, len(msg))
		if n, err := io.ReadFull(clients[i], got); err != nil || string(got) != msg {
			s.fatalf(t, "20 clients connected; client %d sent %q and got back %q and %s: "+
				"every connection needs its own goroutine, started as soon as it is accepted",
				i+1, msg, got[:n], explain(err))
		}
	}
}

// TestHandlersEndWhenClientsLeave: when a client leaves, however it
// leaves, the goroutine that served it ends.
func TestHandlersEndWhenClientsLeave(t *testing.T) {
	checkNoLeaks(t)
	before := goroutinesInPackage()
	s := start(t, listen(t))
	polite, rude, abrupt := s.connect(t), s.connect(t), s.connect(t)
	for _, c := range []*net.TCPConn{polite, rude, abrupt} {
		s.expectEcho(t, c, "hello\n")
	}
	if got, err := sendAll(polite, []byte("goodbye\n")); string(got) != "goodbye\n" || err != nil {
		s.fatalf(t, "sent %q then CloseWrite, got back %q and %s", "goodbye\n", got, explain(err))
	}
	rude.SetLinger(0) // a reset, not a goodbye
	rude.Close()
	abrupt.Close() // a goodbye without waiting for the server's

	var stacks []string // of the goroutines started since the test began
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		stacks = stacks[:0]
		for id, g := range goroutinesInPackage() {
			if _, old := before[id]; !old {
				stacks = append(stacks, g)
			}
		}
		if len(stacks) <= 1 { // Serve's own
			return
		}
	}
	t.Fatalf("3 clients left (one politely, one with a reset, one by closing), yet %v later %d goroutines "+
		"were still running this package's code; only Serve's should remain. A handler must return when its "+
		"client goes. Where they are:\n\n%s", patience, len(stacks), strings.Join(stacks, "\n\n"))
}

// TestEchoesEachMessage: what a client sends comes back, message after
// message, on one connection that stays open in between.
func TestEchoesEachMessage(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	c := s.connect(t)
	for _, msg := range []string{"hello\n", "echo, echo, echo\n", "no newline", "x"} {
		s.expectEcho(t, c, msg)
	}
}

// TestClosesConnectionWhenClientIsDone: once the client says it has nothing
// more to send, the server closes the connection. That close is how the
// client knows the echo is complete.
func TestClosesConnectionWhenClientIsDone(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	c := s.connect(t)
	s.expectEcho(t, c, "last words\n")
	if err := c.CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(patience))
	n, err := c.Read(make([]byte, 1))
	switch {
	case isTimeout(err):
		s.fatalf(t, "the client said it was done sending (CloseWrite), but the connection was still open %v later: "+
			"does handle close conn once io.Copy returns? A loop around io.Copy never gets there, "+
			"because after the client is done io.Copy returns at once, forever", patience)
	case n > 0:
		t.Fatalf("after the echo, the server sent %d more bytes; an echo server sends back only what it received", n)
	case !errors.Is(err, io.EOF):
		s.fatalf(t, "after CloseWrite, read %v; want io.EOF (a clean close, after every byte was echoed)", err)
	}
}

// TestEchoesEveryByte: a payload far larger than any buffer, random binary
// data that ends without a newline, comes back whole and unchanged.
func TestEchoesEveryByte(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	want := randomBytes(4 << 20)
	got, err := sendAll(s.connect(t), want)
	if d := mismatch(got, want); d != "" {
		s.fatalf(t, "sent %d random bytes then CloseWrite; %s (read error: %v). "+
			"TCP delivers the bytes in pieces of any size: keep reading and writing until Read says io.EOF, "+
			"and write back exactly the n bytes each Read returned", len(want), d, err)
	}
	if err != nil {
		s.fatalf(t, "got the whole echo back, then %s", explain(err))
	}
}

// TestServesClientsOneAfterAnother: when a client leaves, the server
// takes the next one.
func TestServesClientsOneAfterAnother(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	for i := 1; i <= 3; i++ {
		msg := fmt.Sprintf("client %d of 3\n", i)
		got, err := sendAll(s.connect(t), []byte(msg))
		if string(got) != msg || err != nil {
			s.fatalf(t, "client %d of 3 sent %q then CloseWrite, got back %q and %s; "+
				"after a client leaves, handle must return and Serve must Accept the next",
				i, msg, got, explain(err))
		}
	}
}

// TestKeepsServingAfterClientReset: a client that vanishes (its connection
// reset) is that client's problem, not the server's.
func TestKeepsServingAfterClientReset(t *testing.T) {
	checkNoLeaks(t)
	logs := captureLog(t)
	s := start(t, listen(t))
	c := s.connect(t)
	s.expectEcho(t, c, "about to vanish\n")
	c.SetLinger(0) // close with a reset (RST) instead of a clean goodbye
	c.Close()

	next := s.connect(t)
	got, err := sendAll(next, []byte("still there?\n"))
	if string(got) != "still there?\n" || err != nil {
		s.fatalf(t, "after a client reset its connection, the next client got %q and %s; "+
			"handle returns an error for the reset client: log it and keep serving", got, explain(err))
	}
	if !logs.waitFor(c.LocalAddr().String()) {
		t.Fatalf("the server kept serving, but logged nothing about client %s, whose connection was reset; "+
			"log the error handle returns (log.Printf) so whoever runs the server can see what went wrong. The log:\n%s",
			c.LocalAddr(), logs)
	}
	if strings.Contains(logs.String(), next.LocalAddr().String()) {
		t.Fatalf("the server logged an error for client %s, which did nothing wrong. The log:\n%s", next.LocalAddr(), logs)
	}
}

// TestSurvivesAcceptErrors: a failing Accept (here: out of file
// descriptors) does not stop the server; it tries again.
func TestSurvivesAcceptErrors(t *testing.T) {
	checkNoLeaks(t)
	logs := captureLog(t)
	l := &flakyListener{Listener: listen(t), failures: 3}
	s := start(t, l)
	got, err := sendAll(s.connect(t), []byte("hello after 3 failed Accepts\n"))
	if string(got) != "hello after 3 failed Accepts\n" || err != nil {
		s.fatalf(t, "Accept failed 3 times with %q, then a client got %q and %s; "+
			"only a closed listener (errors.Is(err, net.ErrClosed)) ends Serve: for other errors, wait a little and Accept again",
			acceptError, got, explain(err))
	}
	if !strings.Contains(logs.String(), "too many open files") {
		t.Fatalf("Accept failed 3 times with %q, and the server logged nothing about it; "+
			"log the error before you retry, or no one will know why clients wait. The log:\n%s", acceptError, logs)
	}
}

// TestPausesAfterAcceptErrors: when Accept keeps failing, the server waits
// between tries, longer each time but never more than a second, instead of
// spinning a CPU core at 100%. It runs on a fake clock (testing/synctest):
// ten seconds of failures take no time at all, and the pauses are exact.
func TestPausesAfterAcceptErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := new(failingListener)
		ended := make(chan struct{}) // closed when Serve's goroutine ends, however it ends
		var err error
		var early bool // Serve returned before the listener was closed
		go func() {
			defer close(ended)
			err = Serve(l)
			early = !l.isClosed()
		}()
		time.Sleep(10 * time.Second) // on the fake clock: no real time passes
		l.Close()
		stuck := false
		select {
		case <-ended:
		case <-time.After(2 * time.Second): // longer than any pause should be
			stuck = true
			l.stopNext()
			<-ended
		}

		l.mu.Lock()
		defer l.mu.Unlock()
		switch {
		case l.stopped != "":
			t.Fatal(l.stopped)
		case early:
			t.Fatalf("Serve returned (err = %v) while Accept was failing with %q; only a closed listener "+
				"(errors.Is(err, net.ErrClosed)) ends Serve: for other errors, pause and Accept again", err, acceptError)
		case stuck:
			t.Fatalf("the listener was closed, and 2s later Serve was still running (the test stopped it): " +
				"when Accept fails with net.ErrClosed, Serve must return")
		}
		pauses, longest := l.pauses(), time.Duration(0)
		for i, p := range pauses {
			if i > 0 && p < pauses[i-1] {
				t.Fatalf("after failed Accept number %d the server paused %v, after number %d only %v: "+
					"make each pause in a row at least as long as the one before (double it, up to 1s). The pauses: %v",
					i, pauses[i-1], i+1, p, pauses)
			}
			longest = max(longest, p)
		}
		if first := l.inFirstSecond(); first > 20 {
			t.Fatalf("Accept failed %d times in its first second; a failed Accept is usually still failing a moment later, "+
				"so pause before trying again: 5ms the first time, twice as long each time after, up to 1s. The pauses: %v", first, pauses)
		}
		if longest > time.Second {
			t.Fatalf("the server paused %v after a failed Accept: never more than a second, "+
				"or clients wait that long once the trouble has passed. The pauses: %v", longest, pauses)
		}
		if longest < 500*time.Millisecond {
			t.Fatalf("after 10s of failed Accepts the longest pause was %v: let the pause grow "+
				"(double it after each failure in a row) up to 1s, so a lasting failure costs next to nothing. The pauses: %v",
				longest, pauses)
		}
	})
}

// TestServeReturnsWhenListenerCloses: closing the listener is how a
// server is stopped, so Serve returns nil, not an error, even while a
// client is connected. That client is still served until it leaves.
func TestServeReturnsWhenListenerCloses(t *testing.T) {
	checkNoLeaks(t)
	l := listen(t)
	s := start(t, l)
	c := s.connect(t)
	s.expectEcho(t, c, "hello\n")
	l.Close()
	select {
	case <-s.done:
		if s.err != nil {
			t.Fatalf("after its listener was closed, Serve returned %q; want nil: "+
				"check errors.Is(err, net.ErrClosed) and return nil, the normal way to stop", s.err)
		}
	case <-time.After(patience):
		t.Fatalf("Serve had not returned %v after its listener was closed, while a client was connected: "+
			"Serve should be back in Accept (which then fails with net.ErrClosed), not busy with a client", patience)
	}
	s.expectEcho(t, c, "still here after Serve returned\n")
}

// ---- plumbing for the tests above ----

// server is the Serve under test, running in its own goroutine.
type server struct {
	addr string
	done chan struct{} // closed when Serve returns
	err  error         // what Serve returned; read it only after done
}

// start runs Serve(l) and makes sure it has returned by the end of the test.
func start(t *testing.T, l net.Listener) *server {
	t.Helper()
	s := &server{addr: l.Addr().String(), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.err = Serve(l)
		// A server that gave up answers no one: close the listener so
		// waiting clients fail now instead of at their deadline.
		l.Close()
	}()
	t.Cleanup(func() {
		l.Close()
		if t.Failed() {
			return // waiting on a broken Serve would only delay the first message
		}
		select {
		case <-s.done:
		case <-time.After(patience):
			var stacks []string
			for _, g := range goroutinesInPackage() {
				stacks = append(stacks, g)
			}
			t.Errorf("every client had left and the listener was closed, yet Serve had not returned %v later. "+
				"Does handle return when its client leaves (a loop around io.Copy never does)? "+
				"Does Serve return once Accept fails with net.ErrClosed? Where your code is:\n\n%s",
				patience, strings.Join(stacks, "\n\n"))
		}
	})
	return s
}

// fatalf fails the test. If Serve has returned, that is the real news, so
// the message leads with it.
func (s *server) fatalf(t *testing.T, format string, args ...any) {
	t.Helper()
	select {
	case <-s.done:
		t.Fatalf("Serve returned (err = %v) while clients still needed it; "+
			"it must keep accepting connections until its listener is closed.\nWhat the client saw: "+format,
			append([]any{s.err}, args...)...)
	case <-time.After(100 * time.Millisecond):
		t.Fatalf(format, args...)
	}
}

// connect dials the server. Every read and write on the connection gives
// up after patience, so no test waits forever on a silent server.
func (s *server) connect(t *testing.T) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.addr, patience)
	if err != nil {
		s.fatalf(t, "dial %s: %v", s.addr, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(patience))
	return c.(*net.TCPConn)
}

// expectEcho writes msg on c and expects it back.
func (s *server) expectEcho(t *testing.T, c *net.TCPConn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		s.fatalf(t, "write %q: %v", msg, err)
	}
	s.expectReply(t, c, msg)
}

// expectReply reads exactly len(msg) bytes from c and expects msg.
func (s *server) expectReply(t *testing.T, c *net.TCPConn, msg string) {
	t.Helper()
	got := make([]byte, len(msg))
	n, err := io.ReadFull(c, got)
	if err != nil {
		s.fatalf(t, "sent %q, got back %q and then %s; "+
			"handle must write back everything it reads, and keep the connection open until the client is done",
			msg, got[:n], explain(err))
	}
	if string(got) != msg {
		t.Fatalf("sent %q, got back %q; an echo sends back exactly the bytes it received", msg, got)
	}
}

// sendAll writes payload, tells the server it is done sending (CloseWrite,
// a TCP half-close), and reads until the server closes the connection.
func sendAll(c *net.TCPConn, payload []byte) ([]byte, error) {
	var wg sync.WaitGroup
	var werr error
	wg.Go(func() {
		if _, werr = c.Write(payload); werr == nil {
			werr = c.CloseWrite()
		}
	})
	got := make([]byte, len(payload))
	n, err := io.ReadFull(c, got)
	got = got[:n]
	if err == nil {
		c.SetReadDeadline(time.Now().Add(patience)) // the server closes at once
		var rest []byte
		rest, err = io.ReadAll(c)
		got = append(got, rest...)
	}
	wg.Wait()
	if err == nil && werr != nil {
		err = fmt.Errorf("write: %w", werr)
	}
	return got, err
}

// explain says in words what a read error means to an echo client.
func explain(err error) string {
	switch {
	case err == nil:
		return "a clean close"
	case isTimeout(err):
		return "nothing more before the deadline (the server neither sent nor closed)"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection"
	case errors.Is(err, syscall.ECONNRESET):
		return "the connection was reset"
	}
	return err.Error()
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// captureLog collects what the package logs until the test ends. Call it
// before start, so that logging goes back to normal only after Serve returned.
func captureLog(t *testing.T) *logBuffer {
	b := new(logBuffer)
	log.SetOutput(b)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	return b
}

// logBuffer is a log output that a test can read while the server writes.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor reports whether s shows up in the log within patience.
func (b *logBuffer) waitFor(s string) bool {
	for deadline := time.Now().Add(patience); !strings.Contains(b.String(), s); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// acceptError is what a listener that ran out of file descriptors returns.
var acceptError = &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}

// flakyListener fails its first Accepts with acceptError.
type flakyListener struct {
	net.Listener
	mu       sync.Mutex
	failures int
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	fail := l.failures > 0
	l.failures--
	l.mu.Unlock()
	if fail {
		return nil, acceptError
	}
	return l.Listener.Accept()
}

// failingListener fails every Accept with acceptError until it is closed,
// and notes when each call came, on the fake clock of the synctest bubble
// it runs in. A goroutine that would never let that clock move (it calls
// Accept again and again without a pause) is stopped, and the test says
// why; so is one that is told to stop.
type failingListener struct {
	mu      sync.Mutex
	calls   []time.Time
	closed  bool
	halt    bool   // stop the next caller
	stopped string // why the caller was stopped
}

func (l *failingListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if l.halt {
		runtime.Goexit() // Accept's deferred Unlock still runs
	}
	if l.closed {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: net.ErrClosed}
	}
	l.calls = append(l.calls, now)
	if n := len(l.calls); n >= 100 && l.calls[n-100].Equal(now) {
		l.stop(fmt.Sprintf("Accept failed with %q 100 times in a row without any pause: the server spins, "+
			"a CPU core at 100%%, and floods its log. Pause before trying again (time.Sleep), 5ms the first time, "+
			"twice as long each time after, up to 1s", acceptError))
	}
	return nil, acceptError
}

// stop ends the calling goroutine (l.mu held): on a fake clock, a busy loop
// would freeze time for good.
func (l *failingListener) stop(why string) {
	l.stopped = why + " (the test stopped that goroutine)"
	runtime.Goexit() // Accept's deferred Unlock still runs
}

func (l *failingListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	return nil
}

func (l *failingListener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// stopNext makes the next call to Accept end its goroutine.
func (l *failingListener) stopNext() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.halt = true
}

func (l *failingListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7} }

// pauses returns the time between each failed Accept and the next (l.mu held).
func (l *failingListener) pauses() []time.Duration {
	var ps []time.Duration
	for i := 1; i < len(l.calls); i++ {
		ps = append(ps, l.calls[i].Sub(l.calls[i-1]))
	}
	return ps
}

// inFirstSecond counts the calls in the first second of failures (l.mu held).
func (l *failingListener) inFirstSecond() int {
	n := 0
	for _, c := range l.calls {
		if c.Sub(l.calls[0]) < time.Second {
			n++
		}
	}
	return n
}
