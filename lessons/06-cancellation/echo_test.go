// Lesson 06 tests: first the server (server.go), then the client
// (client.go). Each test is one thing that must hold when a context is
// cancelled; its failure message says what to look at. Run them with
// `make lesson-06 test`; see README.md for the task.
//
// Some tests run on real loopback sockets; the ones about the order of
// events run in a synctest bubble on an in-memory listener (fake_test.go),
// where "Serve has not returned yet" can be checked exactly.

package echo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ---- the server ----

// TestEchoesClientsAtOnce: lesson 02's server, still: every client is
// echoed at once, and its connection closed once it is done sending.
func TestEchoesClientsAtOnce(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	a := s.connect(t)
	s.expectEcho(t, a, "I am A\n")
	b := s.connect(t)
	s.expectEcho(t, b, "I am B, and A is still connected\n")

	want := randomBytes(1 << 20)
	got, err := sendAll(a, want)
	if d := mismatch(got, want); d != "" || err != nil {
		s.fatalf(t, "client A sent %d random bytes then CloseWrite; %s, then %s. "+
			"Each connection is echoed (io.Copy) and closed when its client is done: "+
			"handle does that, called in a goroutine of its own", len(want), d, explain(err))
	}
}

// TestServeStopsWhenCancelled: with no client connected, cancelling ctx
// closes the listener and Serve returns nil, at once.
func TestServeStopsWhenCancelled(t *testing.T) {
	checkNoLeaks(t)
	l := &watchedListener{Listener: listen(t), closed: make(chan struct{})}
	s := start(t, l)
	if got, err := sendAll(s.connect(t), []byte("hello\n")); string(got) != "hello\n" || err != nil {
		s.fatalf(t, "sent %q then CloseWrite, got back %q and %s", "hello\n", got, explain(err))
	}

	s.cancel() // the client has left: no handler is running
	select {
	case <-s.done:
	case <-time.After(patience):
		select {
		case <-l.closed:
			t.Fatalf("ctx was cancelled and the listener closed, but Serve had not returned %v later: "+
				"when accept fails, Serve must stop accepting, wait for its handlers (none are left) and return.\n"+
				"Where your code is:\n\n%s", patience, stacks())
		default:
			t.Fatalf("Serve had not returned %v after ctx was cancelled, and had not closed its listener: "+
				"Accept does not watch ctx, so it waits for a client forever. Close the listener when ctx is "+
				"cancelled (context.AfterFunc), and Accept returns net.ErrClosed", patience)
		}
	}
	if s.err != nil {
		t.Fatalf("Serve returned %q after ctx was cancelled; want nil: a stop you asked for is not an error", s.err)
	}
	select {
	case <-l.closed:
	default:
		t.Fatalf("Serve returned after ctx was cancelled, but left its listener open: " +
			"clients can still connect, and no one will ever answer them. Close it")
	}
}

// TestCancelDisconnectsClients: cancelling ctx closes every client's
// connection, even while its handler is blocked reading from a quiet
// client, and Serve returns once the handlers have ended.
func TestCancelDisconnectsClients(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	a := s.connect(t)
	s.expectEcho(t, a, "I am A, and I will stay quiet\n")
	b := s.connect(t)
	s.expectEcho(t, b, "I am B, quiet too\n")

	s.cancel()
	for _, client := range []struct {
		name string
		c    *net.TCPConn
	}{{"A", a}, {"B", b}} {
		name, c := client.name, client.c
		c.SetReadDeadline(time.Now().Add(patience))
		n, err := c.Read(make([]byte, 64))
		switch {
		case isTimeout(err):
			t.Fatalf("client %s was still connected %v after ctx was cancelled: its handler waits in Read, "+
				"and Read does not watch ctx. Close each active connection when ctx is cancelled "+
				"(context.AfterFunc for each one, or keep them in a map under a mutex)", name, patience)
		case n > 0:
			t.Fatalf("after the cancel, client %s got %d bytes it never sent", name, n)
		case !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET):
			t.Fatalf("after the cancel, client %s read %v; want the server to close the connection", name, err)
		}
	}
	select {
	case <-s.done:
	case <-time.After(patience):
		t.Fatalf("the clients were disconnected, but Serve had not returned %v after ctx was cancelled: "+
			"does it return once accept fails? Is it waiting for a handler that never ends?\n"+
			"Where your code is:\n\n%s", patience, stacks())
	}
	if s.err != nil {
		t.Fatalf("Serve returned %q after ctx was cancelled; want nil: a stop you asked for is not an error", s.err)
	}
}

// TestServeWaitsForItsHandlers: Serve returns only after every handler
// has returned. In a synctest bubble, the test holds one handler inside
// its connection's Read after the connection is closed, so that handler
// is provably still running; Serve must not return until it is let go.
// The other handler is blocked writing an echo its client never reads:
// only Close wakes a Write, not a read deadline.
func TestServeWaitsForItsHandlers(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		s := start(t, l)
		quiet, quietConn := s.dial(t)
		expectPipeEcho(t, quiet, "hello")
		quietConn.holdAfterClose()
		deaf, deafConn := s.dial(t)
		if _, err := deaf.Write([]byte("nobody reads my echo")); err != nil {
			l.fatalf(t, "write to the server: %v", err)
		}
		synctest.Wait() // one handler blocked in Read, the other in Write

		s.cancel()
		synctest.Wait()
		if quietConn.closeCount() == 0 || deafConn.closeCount() == 0 {
			l.fatalf(t, "ctx was cancelled and the server had still not closed every connection "+
				"(the quiet client's: %d Close calls; the one blocked writing an echo its client does not read: %d): "+
				"close every active connection when ctx is cancelled: Close wakes a blocked Read and a blocked Write",
				quietConn.closeCount(), deafConn.closeCount())
		}
		if s.stopped() {
			l.fatalf(t, "Serve returned while a handler was still running (the test held it in its Read, after its connection "+
				"was closed): Serve must wait for every handler to return before it returns, e.g. with a sync.WaitGroup "+
				"that counts each handler before its goroutine starts (Serve returned %v)", s.err)
		}

		quietConn.release()
		synctest.Wait()
		if !s.stopped() {
			l.fatalf(t, "every handler had returned, but Serve had not: is it waiting for one that was never started, "+
				"or counted twice? (a WaitGroup's Add and Done must pair up)")
		}
		if s.err != nil {
			l.fatalf(t, "Serve returned %q after ctx was cancelled; want nil", s.err)
		}
	})
}

// TestClosesConnectionAcceptedAsCancelled: a connection can arrive just as
// ctx is cancelled: Accept returns it after the listener was closed, and
// after the server closed the connections it knew about. That one must be
// closed too, and its handler waited for.
func TestClosesConnectionAcceptedAsCancelled(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		s := start(t, l)
		release := make(chan struct{})
		l.holdAccept(release)
		_, late := s.dial(t) // Accept has it, and holds it
		s.cancel()
		synctest.Wait() // all the cancel set off is done, before Serve sees late
		close(release)
		synctest.Wait()
		if late.closeCount() == 0 {
			l.fatalf(t, "Accept returned a connection just after ctx was cancelled and the listener closed, "+
				"and the server never closed it: that client waits forever, and its handler with it. "+
				"A connection that arrives while the server is stopping must be closed too: "+
				"with context.AfterFunc, registered after the cancel, it is called at once; with a map of "+
				"connections, check under the mutex whether the server is stopping before adding one")
		}
		if !s.stopped() {
			l.fatalf(t, "Serve had not returned after ctx was cancelled and every connection closed.\n"+
				"Where your code is:\n\n%s", stacks())
		}
	})
}

// TestForgetsConnectionsThatEnded: once a client has left, the server
// holds on to nothing of it. A server that runs for months serves millions
// of connections; if it kept each one (in a map, or in a context.AfterFunc
// never stopped), it would grow until it died.
func TestForgetsConnectionsThatEnded(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		s := start(t, l)
		c, conn := s.dial(t)
		expectPipeEcho(t, c, "goodbye")
		c.Close() // the client leaves
		synctest.Wait()
		closed := conn.closeCount()
		if closed == 0 {
			l.fatalf(t, "the client left, and its handler did not close the connection: handle closes it when io.Copy returns")
		}

		s.cancel()
		synctest.Wait()
		if conn.closeCount() > closed {
			l.fatalf(t, "a connection whose client had left long before was closed again when ctx was cancelled: "+
				"the server was still holding on to it. When a handler returns, forget its connection: "+
				"call the stop function context.AfterFunc returned (defer stop()), or delete it from your map "+
				"(%d Close calls before the cancel, %d after)", closed, conn.closeCount())
		}
	})
}

// TestServeReturnsWhenListenerCloses: closing the listener also stops
// Serve, and then nothing of Serve is left waiting on ctx.
func TestServeReturnsWhenListenerCloses(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		s := start(t, l)
		l.Close() // someone else closes it; ctx is not cancelled
		synctest.Wait()
		if !s.stopped() {
			l.fatalf(t, "Serve had not returned after its listener was closed (no client was connected): "+
				"when accept fails with net.ErrClosed, Serve must return.\nWhere your code is:\n\n%s", stacks())
		}
		if s.err != nil {
			l.fatalf(t, "Serve returned %q after its listener was closed; want nil, as in lesson 01", s.err)
		}

		closes := l.closeCount()
		s.cancel()
		synctest.Wait()
		if l.closeCount() > closes {
			l.fatalf(t, "Serve had returned, yet cancelling its ctx afterwards still ran its code (it closed the listener again): "+
				"Serve left behind a context.AfterFunc it never stopped, or a goroutine waiting on ctx.Done(). "+
				"Call the stop function that context.AfterFunc returns when Serve returns (defer stop())")
		}
	})
}

// TestAcceptPausesAndCancelEndsThePause: when Accept keeps failing (here:
// out of file descriptors), accept logs, pauses and retries, the pause
// growing up to a second; a cancel during a pause takes effect at once,
// not when the pause is over. In a synctest bubble, time is fake: ten
// seconds of failures take no time at all, and "at once" is exact.
func TestAcceptPausesAndCancelEndsThePause(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		logs := captureLog(t)
		l := newFakeListener(t)
		l.failAlways()
		s := start(t, l)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if s.stopped() {
			l.fatalf(t, "Serve returned (err = %v) while Accept was failing with %q: "+
				"only a closed listener or a cancelled ctx ends Serve; for other errors, accept pauses and tries again",
				s.err, acceptError)
		}
		// With pauses of 5ms, 10ms, 20ms ... up to 1s, that is 17 calls.
		if n := l.acceptCalls(); n < 5 || n > 25 {
			l.fatalf(t, "Accept was called %d times in 10s while it kept failing; want about 17: "+
				"after each failure, pause (5ms at first, twice as long each time, never more than 1s), then try again", n)
		}
		if !strings.Contains(logs.String(), "too many open files") {
			l.fatalf(t, "Accept failed again and again with %q, and the server logged nothing about it; "+
				"log the error before you pause, or no one will know why clients wait. The log:\n%s", acceptError, logs)
		}

		s.cancel()
		synctest.Wait()
		if !s.stopped() {
			l.fatalf(t, "ctx was cancelled while accept was pausing between retries, and Serve had not returned: "+
				"it waits until the pause is over, up to a second of a shutdown spent doing nothing. "+
				"Wait for whichever comes first: select on time.After(delay) and ctx.Done()")
		}
		if s.err != nil {
			l.fatalf(t, "Serve returned %q after ctx was cancelled; want nil", s.err)
		}
	})
}

// TestLogsClientErrorsButNotTheStop: a client that resets its connection
// is worth a line in the log; the errors that a cancel causes on purpose
// (every connection closed under its handler's feet) are not.
func TestLogsClientErrorsButNotTheStop(t *testing.T) {
	checkNoLeaks(t)
	logs := captureLog(t)
	s := start(t, listen(t))
	rude := s.connect(t)
	s.expectEcho(t, rude, "about to vanish\n")
	rude.SetLinger(0) // close with a reset (RST) instead of a clean goodbye
	rude.Close()
	if !logs.waitFor(rude.LocalAddr().String()) {
		t.Fatalf("client %s reset its connection, and the server logged nothing about it: log the error handle "+
			"returns (log.Printf), so whoever runs the server can see what went wrong. The log:\n%s", rude.LocalAddr(), logs)
	}

	quiet := s.connect(t)
	s.expectEcho(t, quiet, "I will be here when you stop\n")
	s.cancel()
	select {
	case <-s.done:
	case <-time.After(patience):
		t.Fatalf("Serve had not returned %v after ctx was cancelled", patience)
	}
	if strings.Contains(logs.String(), quiet.LocalAddr().String()) {
		t.Fatalf("the server was stopped, and logged an error for client %s, which did nothing wrong: "+
			"after a cancel, handle fails because the server closed the connection itself. That is no news: "+
			"log handle's error only if ctx is not cancelled (ctx.Err() == nil). The log:\n%s", quiet.LocalAddr(), logs)
	}
}

// ---- the client ----

// TestExchangeEchoesLines: Exchange dials, sends the lines and returns
// what comes back.
func TestExchangeEchoesLines(t *testing.T) {
	checkNoLeaks(t)
	addr := newPeer(t, echoBack)
	lines := []string{"hello", "", "echo, echo, echo", "ünïcödé ✓"}
	got, err := callExchange(t.Context(), addr, lines).result(t)
	if err != nil {
		t.Fatalf("Exchange(ctx, %q, %q) returned error %v", addr, lines, err)
	}
	if diff := cmp.Diff(lines, got); diff != "" {
		t.Fatalf("Exchange(ctx, %q, %q): wrong lines (-sent +got):\n%s", addr, lines, diff)
	}
}

// TestExchangeReadsWhileSending: 8 MiB of lines, to a server with small
// buffers. A client that sends everything before it reads waits forever:
// the server stops reading once no one reads its echo.
func TestExchangeReadsWhileSending(t *testing.T) {
	checkNoLeaks(t)
	addr := newPeer(t, func(c net.Conn) {
		c.(*net.TCPConn).SetReadBuffer(64 << 10)
		c.(*net.TCPConn).SetWriteBuffer(64 << 10)
		echoBack(c)
	})
	lines := make([]string, 1024)
	for i := range lines {
		lines[i] = strings.Repeat(string(rune('a'+i%26)), 8<<10-1)
	}
	got, err := callExchange(t.Context(), addr, lines).result(t)
	if err != nil {
		t.Fatalf("Exchange sent 1024 lines of 8 KiB and returned error %v", err)
	}
	if !slices.Equal(got, lines) {
		t.Fatalf("Exchange sent 1024 lines of 8 KiB and got back %d lines, not the same", len(got))
	}
}

// TestExchangeReportsACutEcho: a server that hangs up in the middle of a
// line has not echoed everything: Exchange returns the lines that did come
// back whole, and an error that wraps io.ErrUnexpectedEOF.
func TestExchangeReportsACutEcho(t *testing.T) {
	checkNoLeaks(t)
	addr := newPeer(t, func(c net.Conn) {
		io.Copy(io.Discard, c) // every line, up to the client's CloseWrite
		io.WriteString(c, "first\nsec")
		c.Close()
	})
	lines := []string{"first", "second"}
	got, err := callExchange(t.Context(), addr, lines).result(t)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("the server echoed %q and hung up; Exchange returned error %v, want one that wraps io.ErrUnexpectedEOF", "first\nsec", err)
	}
	if diff := cmp.Diff([]string{"first"}, got); diff != "" {
		t.Fatalf("the server echoed %q and hung up; Exchange returned other lines (-want +got):\n%s", "first\nsec", diff)
	}
}

// TestExchangeClosesItsConnection: Exchange closes the connection it
// opened, also when ctx is never cancelled (context.Background() is
// common). Linux only: it counts the process's open sockets.
func TestExchangeClosesItsConnection(t *testing.T) {
	checkNoLeaks(t)
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("this test counts open sockets in /proc/self/fd, which this system does not have")
	}
	// No garbage collection meanwhile: the finalizer of a connection that
	// is no longer referenced closes its socket, and would hide the leak.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	addr := newPeer(t, func(c net.Conn) {
		// Not io.Copy(c, c): on Linux it borrows pipes, open files that outlive it.
		io.Copy(struct{ io.Writer }{c}, struct{ io.Reader }{c})
		c.Close()
	})
	before := openSockets()
	if _, err := callExchange(context.Background(), addr, []string{"bye"}).result(t); err != nil {
		t.Fatalf("Exchange returned error %v", err)
	}
	var left []string
	for deadline := time.Now().Add(patience); ; time.Sleep(10 * time.Millisecond) {
		left = left[:0]
		for fd, name := range openSockets() {
			if before[fd] != name {
				left = append(left, name)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		t.Fatalf("Exchange returned, with a ctx that is never cancelled, and %d socket(s) it opened were still open %v later: "+
			"a context.AfterFunc closes the connection only if ctx is cancelled; close it when Exchange returns, too "+
			"(defer conn.Close())", len(left), patience)
	}
}

// TestExchangeDoesNotDialWhenCancelled: with a ctx already cancelled,
// Exchange fails at once, without connecting.
func TestExchangeDoesNotDialWhenCancelled(t *testing.T) {
	checkNoLeaks(t)
	l := listen(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := callExchange(ctx, l.Addr().String(), []string{"too late"}).result(t)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Exchange with a cancelled ctx returned error %v; want one that wraps context.Canceled "+
			"(errors.Is): dial with net.Dialer's DialContext, and return its error", err)
	}
	l.(*net.TCPListener).SetDeadline(time.Now().Add(100 * time.Millisecond))
	if c, err := l.Accept(); err == nil {
		c.Close()
		t.Fatalf("Exchange with a cancelled ctx still connected to the server: net.Dial does not watch ctx; " +
			"a net.Dialer's DialContext does, and does not even start")
	}
}

// TestExchangeGivesUpWhenServerStalls: the server reads every line, echoes
// the first and then nothing, and keeps the connection open. Cancelling
// ctx must end Exchange at once, with an error that says why, and leave
// no goroutine behind.
func TestExchangeGivesUpWhenServerStalls(t *testing.T) {
	checkNoLeaks(t)
	heard := make(chan struct{})
	addr := newPeer(t, func(c net.Conn) {
		line := make([]byte, len("first\n"))
		io.ReadFull(c, line)
		c.Write(line)
		io.Copy(io.Discard, c) // everything else, up to the client's CloseWrite
		close(heard)
		// ...and stall: no echo, no close, until the test ends.
	})
	ctx, cancel := context.WithCancel(t.Context())
	before := goroutinesInPackage()
	call := callExchange(ctx, addr, []string{"first", "second", "third"})
	select {
	case <-heard:
	case <-call.done:
		t.Fatalf("Exchange returned (%q, %v) before the server had even read every line", call.got, call.err)
	case <-time.After(patience):
		t.Fatalf("the server had not received the 3 lines and the client's CloseWrite %v after Exchange was called", patience)
	}

	cancel()
	select {
	case <-call.done:
	case <-time.After(patience):
		t.Fatalf("Exchange had not returned %v after ctx was cancelled, against a server that stopped echoing: "+
			"Read does not watch ctx, so it waits for the server forever. Close the connection when ctx is done "+
			"(context.AfterFunc).\nWhere your code is:\n\n%s", patience, stacks())
	}
	if !errors.Is(call.err, context.Canceled) {
		t.Fatalf("after the cancel, Exchange returned error %v; want one that wraps ctx.Err() (errors.Is(err, context.Canceled)): "+
			"when ctx is done, the closed connection is the symptom, ctx.Err() is the reason: return that, wrapped with %%w", call.err)
	}
	expectNoneLeft(t, before, "Exchange returned, but")
}

// TestExchangeGivesUpWhenServerStopsReading: the server reads one byte
// and then nothing more, so after a few MiB every Write blocks. When ctx
// times out, Exchange must end at once: its writer too.
func TestExchangeGivesUpWhenServerStopsReading(t *testing.T) {
	checkNoLeaks(t)
	started := make(chan struct{})
	addr := newPeer(t, func(c net.Conn) {
		c.Read(make([]byte, 1))
		close(started)
		<-t.Context().Done() // and read nothing more until the test ends
	})
	lines := make([]string, 2048)
	for i := range lines {
		lines[i] = strings.Repeat("w", 8<<10-1)
	}
	ctx, cancel := context.WithCancel(t.Context())
	before := goroutinesInPackage()
	call := callExchange(ctx, addr, lines)
	select {
	case <-started:
	case <-call.done:
		t.Fatalf("Exchange returned (%d lines, %v) before the server had read anything", len(call.got), call.err)
	case <-time.After(patience):
		t.Fatalf("the server had not received a byte %v after Exchange was called", patience)
	}

	cancel()
	select {
	case <-call.done:
	case <-time.After(patience):
		t.Fatalf("Exchange had not returned %v after ctx was cancelled, against a server that stopped reading what it "+
			"sends: Write does not watch ctx, and neither does a read deadline. Close the connection when ctx is done "+
			"(context.AfterFunc), and the blocked Write returns too.\nWhere your code is:\n\n%s", patience, stacks())
	}
	if !errors.Is(call.err, context.Canceled) {
		t.Fatalf("after the cancel, Exchange returned error %v; want one that wraps ctx.Err() (errors.Is(err, context.Canceled))", call.err)
	}
	expectNoneLeft(t, before, "Exchange returned, but")
}

// ---- plumbing for the tests above ----

// server is the Serve under test, running in its own goroutine.
type server struct {
	l      net.Listener
	cancel context.CancelFunc // cancels Serve's ctx
	done   chan struct{}      // closed when Serve returns
	err    error              // what Serve returned; read it only after done
}

// start runs Serve(ctx, l) and makes sure it has stopped by the end of the
// test. It works on a real listener and, inside a bubble, on a fake one.
func start(t *testing.T, l net.Listener) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{l: l, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if s.err = Serve(ctx, l); s.err != nil {
			// A server that failed answers no one: close the listener so
			// that waiting clients fail now instead of at their deadline.
			l.Close()
		}
	}()
	t.Cleanup(func() {
		// Stop it both ways: lesson 02's Serve stops when its listener
		// closes, and that is all the first test asks of it.
		cancel()
		l.Close()
		if t.Failed() {
			return // waiting on a broken Serve would only delay the first message
		}
		select {
		case <-s.done:
		case <-time.After(patience):
			t.Errorf("Serve had not returned %v after ctx was cancelled and its listener closed, at the end of the test: "+
				"once accept fails, Serve must stop accepting and return.\nWhere your code is:\n\n%s", patience, stacks())
		}
	})
	return s
}

// stopped reports whether Serve has returned.
func (s *server) stopped() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// fatalf fails the test. If Serve has returned, that is the real news, so
// the message leads with it.
func (s *server) fatalf(t *testing.T, format string, args ...any) {
	t.Helper()
	select {
	case <-s.done:
		t.Fatalf("Serve returned (err = %v) while clients still needed it; "+
			"it must keep accepting connections until ctx is cancelled or its listener closed.\nWhat the client saw: "+format,
			append([]any{s.err}, args...)...)
	case <-time.After(100 * time.Millisecond):
		t.Fatalf(format, args...)
	}
}

// connect dials the server. Every read and write on the connection gives
// up after patience, so no test waits forever on a silent server.
func (s *server) connect(t *testing.T) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.l.Addr().String(), patience)
	if err != nil {
		s.fatalf(t, "%v", err)
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
	got := make([]byte, len(msg))
	if n, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		s.fatalf(t, "sent %q, got back %q and %s; each connection is echoed by handle, in a goroutine of its own",
			msg, got[:n], explain(err))
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
	got, err := io.ReadAll(c)
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

// watchedListener reports when it is closed.
type watchedListener struct {
	net.Listener
	once   sync.Once
	closed chan struct{}
}

func (l *watchedListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// stacks shows where the goroutines running this package's code are.
func stacks() string {
	var all []string
	for _, s := range goroutinesInPackage() {
		all = append(all, s)
	}
	if len(all) == 0 {
		return "(none of your code is running)"
	}
	return strings.Join(all, "\n\n")
}

// expectNoneLeft fails the test unless, within patience, every goroutine
// running this package's code that was not in before has ended.
func expectNoneLeft(t *testing.T, before map[string]string, what string) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(patience); ; time.Sleep(10 * time.Millisecond) {
		left = left[:0]
		for id, s := range goroutinesInPackage() {
			if _, old := before[id]; !old {
				left = append(left, s)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		t.Fatalf("%s %d of its goroutine(s) were still running %v later, while the server kept the connection open: "+
			"wait for every goroutine you start before you return. Where they are stuck:\n\n%s",
			what, len(left), patience, strings.Join(left, "\n\n"))
	}
}

// openSockets returns this process's open sockets, by file descriptor.
func openSockets() map[string]string {
	fds, _ := os.ReadDir("/proc/self/fd")
	found := map[string]string{}
	for _, fd := range fds {
		if name, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(name, "socket:") {
			found[fd.Name()] = name
		}
	}
	return found
}

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

// newPeer starts a server of the test's own for the client tests: it
// calls serveConn on each connection, in a goroutine. When the test ends it
// closes everything and waits for those goroutines.
func newPeer(t *testing.T, serveConn func(net.Conn)) string {
	l := listen(t)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { serveConn(c) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

// echoBack is a correct echo, for the client tests.
func echoBack(c net.Conn) {
	io.Copy(c, c)
	c.Close()
}

// exchangeCall is Exchange running in its own goroutine.
type exchangeCall struct {
	done chan struct{}
	got  []string
	err  error
}

func callExchange(ctx context.Context, addr string, lines []string) *exchangeCall {
	c := &exchangeCall{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.got, c.err = Exchange(ctx, addr, lines)
	}()
	return c
}

// result waits, within patience, for Exchange to return.
func (c *exchangeCall) result(t *testing.T) ([]string, error) {
	t.Helper()
	select {
	case <-c.done:
		return c.got, c.err
	case <-time.After(patience):
		t.Fatalf("Exchange had not returned %v later: does it send and read at the same time, "+
			"and half-close (CloseWrite) once every line is sent?\nWhere your code is:\n\n%s", patience, stacks())
		return nil, nil
	}
}
