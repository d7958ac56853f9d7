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
	"net"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ---- the server ----

// TestServeEchoesClientsAtOnce: lesson 02's server, still: every client is
// echoed at once, and its connection closed once it is done sending.
func TestServeEchoesClientsAtOnce(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	a := s.connect(t)
	a.expectEcho(t, "I am A\n")
	b := s.connect(t)
	b.expectEcho(t, "I am B, and A is still connected\n")

	want := randomBytes(1 << 20)
	got, err := a.sendAll(want)
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
	if got, err := s.connect(t).sendAll([]byte("hello\n")); string(got) != "hello\n" || err != nil {
		s.fatalf(t, "sent %q then CloseWrite, got back %q and %s", "hello\n", got, explain(err))
	}

	s.cancel() // the client has left: no handler is running
	if st, ok := waitClosed(s.done); !ok {
		select {
		case <-l.closed:
			t.Fatalf("ctx was cancelled and the listener closed, but Serve had not returned: %s. "+
				"When accept fails, Serve must stop accepting, wait for its handlers (none are left) and return.\n"+
				"Where your code is:\n\n%s", st, where(st.gs))
		default:
			t.Fatalf("ctx was cancelled, and Serve had neither returned nor closed its listener: %s. "+
				"Accept does not watch ctx, so it waits for a client forever. Close the listener when ctx is "+
				"cancelled (context.AfterFunc), and Accept returns net.ErrClosed", st)
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

// TestServeDisconnectsClientsWhenCancelled: cancelling ctx closes every client's
// connection, even while its handler is blocked reading from a quiet
// client, and Serve returns once the handlers have ended.
func TestServeDisconnectsClientsWhenCancelled(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	a := s.connect(t)
	a.expectEcho(t, "I am A, and I will stay quiet\n")
	b := s.connect(t)
	b.expectEcho(t, "I am B, quiet too\n")

	s.cancel()
	for _, client := range []struct {
		name string
		c    *client
	}{{"A", a}, {"B", b}} {
		name, c := client.name, client.c
		n, err := c.Read(make([]byte, 64)) // gives up after patience without a byte
		switch {
		case isTimeout(err):
			t.Fatalf("client %s was still connected %v after ctx was cancelled, with nothing sent: its handler waits in Read, "+
				"and Read does not watch ctx. Close each active connection when ctx is cancelled "+
				"(context.AfterFunc for each one, or keep them in a map under a mutex)", name, patience)
		case n > 0:
			t.Fatalf("after the cancel, client %s got %d bytes it never sent", name, n)
		case !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET):
			t.Fatalf("after the cancel, client %s read %v; want the server to close the connection", name, err)
		}
	}
	if st, ok := waitClosed(s.done); !ok {
		t.Fatalf("the clients were disconnected, but after ctx was cancelled Serve had not returned: %s. "+
			"Does it return once accept fails? Is it waiting for a handler that never ends?\n"+
			"Where your code is:\n\n%s", st, where(st.gs))
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
		quiet, quietConn := s.connectPipe(t)
		expectPipeEcho(t, quiet, "hello")
		quietConn.holdAfterClose()
		deaf, deafConn := s.connectPipe(t)
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

		// Again, with the listener closed (ctx lives on) just as Accept
		// returns a connection: Serve's next Accept fails at once. On one
		// CPU, a new goroutine runs only once the one that started it
		// blocks, so that handler has not run yet when Serve stops
		// accepting. It must be waited for all the same.
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		l2 := newFakeListener(t)
		s2 := start(t, l2)
		release := make(chan struct{})
		l2.holdAccept(release)
		c, _ := s2.connectPipe(t) // Accept has it, and holds it
		l2.Close()
		close(release)
		synctest.Wait()
		if s2.stopped() {
			why := "Count each handler before its goroutine starts: handlers.Go(…), or Add(1) before the go statement"
			if _, _, addAt, _ := waitGroupUse("Serve"); addAt != "" {
				why = "wg.Add is called inside the goroutine (" + addAt + "): Wait saw a count of 0 and returned before " +
					"that goroutine ran. Call Add before the go statement, or let wg.Go do it"
			}
			l2.fatalf(t, "its listener was closed just as Accept returned a connection, and Serve returned, with %s, while "+
				"that connection's handler was still running (its client is still connected): on one CPU, as here, a new "+
				"goroutine runs only once the one that started it blocks, so Serve can find the listener closed before the "+
				"handler has even started. %s", errText(s2.err), why)
		}
		c.Close() // the client leaves: its handler ends
		synctest.Wait()
		if !s2.stopped() {
			l2.fatalf(t, "its listener was closed and the only client had left, and Serve had not returned.\n"+
				"Where your code is:\n\n%s", where(ourGoroutines()))
		}
	})
}

// TestServeClosesConnectionAcceptedAsCancelled: a connection can arrive just as
// ctx is cancelled: Accept returns it after the listener was closed, and
// after the server closed the connections it knew about. That one must be
// closed too, and its handler waited for.
func TestServeClosesConnectionAcceptedAsCancelled(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		s := start(t, l)
		release := make(chan struct{})
		l.holdAccept(release)
		_, late := s.connectPipe(t) // Accept has it, and holds it
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
				"Where your code is:\n\n%s", where(ourGoroutines()))
		}
	})
}

// TestServeForgetsConnectionsThatEnded: once a client has left, the server
// holds on to nothing of it. A server that runs for months serves millions
// of connections; if it kept each one (in a map, or in a context.AfterFunc
// never stopped), it would grow until it died.
func TestServeForgetsConnectionsThatEnded(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		s := start(t, l)
		c, conn := s.connectPipe(t)
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
				"when accept fails with net.ErrClosed, Serve must return.\nWhere your code is:\n\n%s", where(ourGoroutines()))
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

// TestServePausesAfterAcceptErrorsUntilCancelled: when Accept keeps failing (here:
// out of file descriptors), accept logs, pauses and retries, the pause
// growing up to a second; a cancel during a pause takes effect at once,
// not when the pause is over. In a synctest bubble, time is fake: ten
// seconds of failures take no time at all, and "at once" is exact.
func TestServePausesAfterAcceptErrorsUntilCancelled(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		logs := captureLog(t)
		logs.quiet() // seventeen lines, on purpose: shown only if this test fails
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
		if n := len(l.acceptTimes()); n < 5 || n > 25 {
			l.fatalf(t, "Accept was called %d times in 10s while it kept failing; want about 17: "+
				"after each failure, pause (5ms at first, twice as long each time, never more than 1s), then try again", n)
		}
		// On the fake clock, pauses are exact: none may be longer than 1s,
		// not even the one still going on.
		calls := l.acceptTimes()
		at := make([]string, len(calls))
		for i := range calls {
			at[i] = calls[i].Sub(calls[0]).String()
		}
		for i, next := range append(calls[1:], time.Now()) {
			if pause := next.Sub(calls[i]); pause > time.Second {
				paused := fmt.Sprintf("paused %v after failure %d of %d", pause, i+1, len(calls))
				if i+1 == len(calls) {
					paused = fmt.Sprintf("had been pausing for %v since its last failure (%d of %d)", pause, i+1, len(calls))
				}
				l.fatalf(t, "while Accept kept failing, the server %s (Accept was called at %s, from the first call): "+
					"never pause more than 1s, or after a long spell of errors the server waits hours before it tries "+
					"again. Double the pause up to 1s: min(2*delay, time.Second)", paused, firstFew(at, 20))
			}
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

// TestServeLogsClientErrorsButNotTheStop: a client that resets its connection
// is worth a line in the log; the errors that a cancel causes on purpose
// (every connection closed under its handler's feet) are not.
func TestServeLogsClientErrorsButNotTheStop(t *testing.T) {
	checkNoLeaks(t)
	logs := captureLog(t)
	logs.quiet() // a line, on purpose: shown only if this test fails
	s := start(t, listen(t))
	rude := s.connect(t)
	rude.expectEcho(t, "about to vanish\n")
	rude.SetLinger(0) // close with a reset (RST) instead of a clean goodbye
	rude.Close()
	if !logs.waitFor(rude.LocalAddr().String()) {
		t.Fatalf("client %s reset its connection, and the server logged nothing about it: log the error handle "+
			"returns (log.Printf), so whoever runs the server can see what went wrong. The log:\n%s", rude.LocalAddr(), logs)
	}

	quiet := s.connect(t)
	quiet.expectEcho(t, "I will be here when you stop\n")
	s.cancel()
	if st, ok := waitClosed(s.done); !ok {
		t.Fatalf("after ctx was cancelled, Serve had not returned: %s. Where your code is:\n\n%s", st, where(st.gs))
	}
	if strings.Contains(logs.String(), quiet.LocalAddr().String()) {
		t.Fatalf("the server was stopped, and logged an error for client %s, which did nothing wrong: "+
			"after a cancel, handle fails because the server closed the connection itself. That is no news: "+
			"log handle's error only if ctx is not cancelled (ctx.Err() == nil). The log:\n%s", quiet.LocalAddr(), logs)
	}
}

// ---- the client ----

// TestExchangeReturnsEachReply: Exchange dials, sends the lines and returns
// what comes back.
func TestExchangeReturnsEachReply(t *testing.T) {
	checkNoLeaks(t)
	p := startPeer(t, (*peerConn).echo)
	lines := []string{"hello", "", "echo, echo, echo", "ünïcödé ✓"}
	got, err := exchange(t.Context(), p.addr, lines).wait(t, p, echoing(p))
	if err != nil {
		t.Fatalf("Exchange(ctx, %q, %q) returned error %v", p.addr, lines, err)
	}
	if diff := cmp.Diff(lines, got); diff != "" {
		t.Fatalf("Exchange(ctx, %q, %q): wrong lines (-sent +got):\n%s", p.addr, lines, diff)
	}
}

// TestExchangeReadsWhileWriting: 12 MiB of lines, to a server with 512
// KiB buffers. A client that sends everything before it reads waits
// forever: the server stops reading once no one reads its echo, and about
// 5 MiB fit on the way. The wait is bounded by progress (bytes still
// moving), not by a clock, so a slow machine only makes it longer. (Much
// smaller buffers can make loopback TCP itself pause for seconds between
// segments, even with a correct client.)
func TestExchangeReadsWhileWriting(t *testing.T) {
	checkNoLeaks(t)
	p := startPeer(t, func(c *peerConn) {
		c.tcp().SetReadBuffer(512 << 10)
		c.tcp().SetWriteBuffer(512 << 10)
		c.echo()
	})
	lines := manyLines(1536)
	got, err := exchange(t.Context(), p.addr, lines).wait(t, p, echoing(p))
	if err != nil {
		t.Fatalf("Exchange sent 1536 lines of 8 KiB and returned error %v", err)
	}
	if d := diffLines(lines, got); d != "" {
		t.Fatalf("Exchange sent 1536 lines of 8 KiB to an echo server, and returned %s", d)
	}
}

// TestExchangeReportsACutEcho: a server that hangs up in the middle of a
// line has not echoed everything: Exchange returns the lines that did come
// back whole, and an error that says the echo ended (io.EOF, or
// io.ErrUnexpectedEOF), as in lesson 04.
func TestExchangeReportsACutEcho(t *testing.T) {
	checkNoLeaks(t)
	p := startPeer(t, func(c *peerConn) {
		c.readAll() // every line, up to the client's CloseWrite
		io.WriteString(c, "first\nsec")
	})
	lines := []string{"first", "second"}
	got, err := exchange(t.Context(), p.addr, lines).wait(t, p, func() string {
		return "The server read every line, up to your CloseWrite, then echoed \"first\\nsec\" and hung up."
	})
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("the server echoed %q and hung up; Exchange returned error %v, want one that wraps io.EOF "+
			"(or io.ErrUnexpectedEOF): the echo ended before the last line", "first\nsec", err)
	}
	if diff := cmp.Diff([]string{"first"}, got); diff != "" {
		t.Fatalf("the server echoed %q and hung up; Exchange returned other lines (-want +got):\n%s", "first\nsec", diff)
	}
}

// TestExchangeStopsSendingWhenReadingFails: the reader fails first. The
// server reads one line, echoes half a line, says it is done (its own
// half-close) and reads nothing more, while the client still has megabytes
// to send: its sender is blocked in Write for good. Exchange must return
// the reader's error, at once, and leave no goroutine behind.
func TestExchangeStopsSendingWhenReadingFails(t *testing.T) {
	checkNoLeaks(t)
	p := startPeer(t, func(c *peerConn) {
		if _, err := c.readLine(); err != nil {
			return
		}
		io.WriteString(c, "half a li")
		c.closeWrite()
		c.waitEnd() // and read nothing more until the test ends
	})
	x := exchange(t.Context(), p.addr, manyLines(2048))
	_, err := x.wait(t, p, func() string {
		return "The server echoed half a line, half-closed and stopped reading (" + p.status() + "): your " +
			"reader got io.EOF, and your sender stays blocked in Write until the connection is closed. When one side " +
			"fails, close conn, so that the other one fails too (as lesson 04's Exchange does), then wait for it."
	})
	expectFirstErrorAlone(t, err, "the server echoed half a line, half-closed and stopped reading")
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("the server echoed half a line, half-closed and stopped reading; Exchange returned error %v, "+
			"want the reader's, which wraps io.EOF (or io.ErrUnexpectedEOF)", err)
	}
	x.expectNoneLeft(t, "Wait for every goroutine you start before you return.")
}

// TestExchangeReturnsTheFirstErrorAlone: both sides fail on their own. The
// server reads one line and then resets the connection while the client
// is still sending and waiting for its echo: its Read and its Write fail,
// in whichever order the kernel chooses. Exchange returns one error, the
// first, which says "reset" (or, for a reader that comes second, that the
// echo ended); the other one is dropped. (With -race, the
// test also sees two goroutines that record "the first error" without a
// lock or a sync.Once.)
func TestExchangeReturnsTheFirstErrorAlone(t *testing.T) {
	checkNoLeaks(t)
	p := startPeer(t, func(c *peerConn) {
		if _, err := c.readLine(); err != nil {
			return
		}
		c.reset() // closed by the kit when this returns, with unread lines: a reset
	})
	x := exchange(t.Context(), p.addr, manyLines(2048))
	_, err := x.wait(t, p, func() string {
		return "The server read one line, then reset the connection while your sender was still sending: " +
			"both your Read and your Write fail with it. Does each side report its failure, and close conn?"
	})
	expectFirstErrorAlone(t, err, "the server reset the connection")
	// Linux reports the reset to the first call that asks; the other side
	// may then read a plain end of stream.
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) && !errors.Is(err, io.EOF) {
		t.Fatalf("the server reset the connection; Exchange returned error %v, want the failure itself "+
			"(a reset, syscall.ECONNRESET; a broken pipe, EPIPE; or the end of the echo, io.EOF)", err)
	}
	x.expectNoneLeft(t, "Wait for every goroutine you start before you return.")
}

// TestExchangeClosesTheConnection: Exchange closes the connection it
// opened, also when ctx is never cancelled (context.Background() is
// common). It counts the process's open sockets (kit_watch_test.go).
func TestExchangeClosesTheConnection(t *testing.T) {
	checkNoLeaks(t)
	p := startPeer(t, (*peerConn).echo)
	socks := trackSockets(t) // and no garbage collection, which would close a leaked connection
	if socks == nil {
		t.Skip("cannot count this process's open sockets on " + runtime.GOOS)
	}
	if _, err := exchange(context.Background(), p.addr, []string{"bye"}).wait(t, p, echoing(p)); err != nil {
		t.Fatalf("Exchange returned error %v", err)
	}
	// The server closes its end once it has echoed everything.
	if left, st := socks.waitClosed(); len(left) > 0 {
		t.Fatalf("Exchange returned, with a ctx that is never cancelled, and %s it opened %s still open (%s): %s. "+
			"A context.AfterFunc closes the connection only if ctx is cancelled; close it when Exchange returns, too "+
			"(defer conn.Close())", count(len(left), "socket", "sockets"),
			map[bool]string{true: "was", false: "were"}[len(left) == 1], firstFew(left, 5), st)
	}
}

// TestExchangeLeavesNothingBehind: once Exchange has returned, with a
// ctx that lives on (a server's, say, that makes one call after another),
// nothing of that call is left: no goroutine, and no context.AfterFunc
// still registered on ctx, holding the connection until ctx ends.
func TestExchangeLeavesNothingBehind(t *testing.T) {
	checkNoLeaks(t)
	p := startPeer(t, (*peerConn).echo)
	ctx := &watchedContext{Context: t.Context()}
	x := exchange(ctx, p.addr, []string{"one", "two"})
	if _, err := x.wait(t, p, echoing(p)); err != nil {
		t.Fatalf("Exchange returned error %v", err)
	}
	x.expectNoneLeft(t, "Its ctx is not cancelled, and may never be: a goroutine that waits for <-ctx.Done() "+
		"waits as long as ctx lives. Close the connection with context.AfterFunc instead, and wait for your sender.")
	if n := ctx.registered(); n > 0 {
		t.Fatalf("Exchange returned, and left %s registered on its ctx, which is not cancelled: each "+
			"holds its connection until ctx ends, one more for every call. Call the stop function "+
			"context.AfterFunc returns when Exchange returns (defer stop())", count(n, "context.AfterFunc", "context.AfterFuncs"))
	}
}

// TestExchangeDoesNotDialWhenCancelled: with a ctx already cancelled,
// Exchange fails at once, without connecting, with an error that says why
// ctx ended: the dial's own error too is only the symptom.
func TestExchangeDoesNotDialWhenCancelled(t *testing.T) {
	checkNoLeaks(t)
	l := listen(t)
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(errStopped)
	_, err := exchange(ctx, l.Addr().String(), []string{"too late"}).wait(t, nil, func() string {
		return "Its ctx was cancelled before it was called."
	})
	if !errors.Is(err, context.Canceled) && !errors.Is(err, errStopped) {
		t.Fatalf("Exchange with a cancelled ctx returned error %v; want one that wraps context.Cause(ctx) "+
			"(errors.Is): dial with net.Dialer's DialContext, which fails at once, and return why ctx ended", err)
	}
	// A connection made is waiting for Accept already: a short bound only
	// lets a late one pass unseen.
	l.(*net.TCPListener).SetDeadline(time.Now().Add(100 * time.Millisecond))
	if c, err := l.Accept(); err == nil {
		c.Close()
		t.Fatalf("Exchange with a cancelled ctx still connected to the server: net.Dial (or a Dialer's Dial) does " +
			"not watch ctx; a net.Dialer's DialContext does, and does not even start")
	}
	expectCause(t, err, "Exchange was called with a ctx already cancelled")
}

// TestExchangeGivesUpWhenServerStalls: the server reads every line, echoes
// the first and then nothing, and keeps the connection open. Cancelling
// ctx must end Exchange at once, with an error that says why, and leave
// no goroutine behind.
func TestExchangeGivesUpWhenServerStalls(t *testing.T) {
	checkNoLeaks(t)
	heard := make(chan struct{})
	p := startPeer(t, func(c *peerConn) {
		line, err := c.readLine()
		if err != nil {
			return
		}
		c.Write([]byte(line))
		c.readAll() // everything else, up to the client's CloseWrite
		close(heard)
		c.waitEnd() // ...and stall: no echo, no close, until the test ends
	})
	ctx, cancel := context.WithCancelCause(t.Context())
	x := exchange(ctx, p.addr, []string{"first", "second", "third"})
	waitHeard(t, x, heard, "the 3 lines and the client's CloseWrite")

	cancel(errStopped)
	_, err := x.wait(t, p, func() string {
		return "After ctx was cancelled, against a server that stopped echoing. Read does not watch ctx, so it " +
			"waits for the server forever. Close the connection when ctx is done (context.AfterFunc)."
	})
	expectCause(t, err, "ctx was cancelled while the server stalled")
	x.expectNoneLeft(t, "The server kept the connection open: wait for every goroutine you start before you return.")
}

// TestExchangeGivesUpWhenServerStopsReading: the server reads one byte
// and then nothing more, so after a few MiB every Write blocks. When ctx
// is cancelled, Exchange must end at once: its writer too.
func TestExchangeGivesUpWhenServerStopsReading(t *testing.T) {
	checkNoLeaks(t)
	started := make(chan struct{})
	p := startPeer(t, func(c *peerConn) {
		c.Read(make([]byte, 1))
		close(started)
		c.waitEnd() // and read nothing more until the test ends
	})
	ctx, cancel := context.WithCancelCause(t.Context())
	x := exchange(ctx, p.addr, manyLines(2048))
	waitHeard(t, x, started, "a byte")

	cancel(errStopped)
	_, err := x.wait(t, p, func() string {
		return "After ctx was cancelled, against a server that stopped reading what it sends. Write does not watch " +
			"ctx, and neither does a read deadline. Close the connection when ctx is done (context.AfterFunc), and " +
			"the blocked Write returns too."
	})
	expectCause(t, err, "ctx was cancelled while the server was not reading")
	x.expectNoneLeft(t, "The server kept the connection open: wait for every goroutine you start before you return.")
}

// TestExchangeGivesUpWhileStillSending: the server answers every line at
// once, before it has read them, and then reads nothing more: the client's
// reader is done, its sender blocked in Write. Exchange must wait for its
// sender; cancelling ctx must end that Write too, and Exchange must say why.
// On one CPU, a goroutine Exchange starts runs only once Exchange blocks:
// the test holds Exchange as it registers its context.AfterFunc, after its
// dial, until the server has sent every answer, so that its reader is done
// before its sender has even started.
func TestExchangeGivesUpWhileStillSending(t *testing.T) {
	checkNoLeaks(t)
	lines := manyLines(2048)
	answered := make(chan struct{})
	p := startPeer(t, func(c *peerConn) {
		io.WriteString(c, strings.Repeat("ok\n", len(lines)))
		close(answered)
		c.waitEnd() // and read nothing until the test ends
	})
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	cause, cancel := context.WithCancelCause(t.Context())
	ctx := &heldContext{Context: cause, hold: func() { waitClosed(answered) }}
	x := exchange(ctx, p.addr, lines)
	// Cancel once the reader is done and the sender blocked: the given
	// receive has returned, and send has not. (Code that does not call
	// them is cancelled once nothing moves any more.)
	waitUntil(func() bool {
		sending, receiving := false, false
		for _, g := range startedSince(x.before) {
			sending = sending || g.in("send")
			receiving = receiving || g.in("receive")
		}
		select {
		case <-answered:
			return sending && !receiving || x.returned()
		default:
			return x.returned()
		}
	})

	if x.returned() {
		t.Fatalf("Exchange returned (%d lines, error %v) before ctx was cancelled, though the server had read none of "+
			"the lines it was sent: its sender cannot have finished%s", len(x.got), x.err, x.returnedEarly())
	}
	cancel(errStopped)
	_, err := x.wait(t, p, func() string {
		return "After ctx was cancelled, against a server that answered every line before reading them, and " +
			"then stopped reading: your reader was done, your sender blocked in Write. Write does not watch ctx, and " +
			"neither does a read deadline: close the connection when ctx is done (context.AfterFunc)."
	})
	if err == nil {
		why := "Does Exchange wait for its sender (wg.Wait()), and return its error? A deferred wg.Wait() is too late: " +
			"`return replies, first` reads first before deferred calls run, while the sender may still set it"
		if _, _, addAt, _ := waitGroupUse("Exchange"); addAt != "" {
			why = "wg.Add is called inside a goroutine it starts (" + addAt + "): Wait may have seen a count of 0 and " +
				"returned before that goroutine ran. Call Add before the go statement, or let wg.Go do it"
		}
		t.Fatalf("ctx was cancelled while Exchange was still sending, and Exchange returned no error, though the "+
			"server had read none of the lines it was sent. %s", why)
	}
	expectCause(t, err, "ctx was cancelled while Exchange was still sending")
	x.expectNoneLeft(t, "Wait for every goroutine you start before you return.")
}

// ---- plumbing for the tests above (the rest is in kit_*_test.go) ----

// start runs this lesson's Serve on l until the test ends (startServer,
// in kit_net_test.go, says what it checks then). It works on a real
// listener and, inside a bubble, on a fake one.
func start(t *testing.T, l net.Listener) *server {
	t.Helper()
	return startServer(t, l, Serve)
}

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

// exchange runs Exchange(ctx, addr, lines) in a goroutine of its own; wait
// for it with x.wait (kit_net_test.go).
func exchange(ctx context.Context, addr string, lines []string) *call[[]string] {
	return goCall("Exchange", func() ([]string, error) { return Exchange(ctx, addr, lines) })
}

// echoing says what an echo server saw, for an Exchange that did not
// return: does it send and read at the same time, and half-close?
func echoing(p *peer) func() string {
	return func() string {
		return "The test's server echoes each line as it comes (" + p.status() + "). Does Exchange send and read " +
			"at the same time, and half-close (CloseWrite) once every line is sent?"
	}
}

// waitHeard waits until the server has heard what it waits for (heard is
// closed), before the test cancels Exchange's ctx.
func waitHeard(t *testing.T, x *call[[]string], heard chan struct{}, what string) {
	t.Helper()
	st, _ := waitUntil(func() bool { return isClosed(heard) || x.returned() })
	switch {
	case isClosed(heard):
	case x.returned():
		t.Fatalf("Exchange returned (%d lines, %v) before the server had received %s", len(x.got), x.err, what)
	default:
		t.Fatalf("the server had not received %s after Exchange was called: %s", what, st)
	}
}

// manyLines returns n lines of 8 KiB (with their "\n"): 2048 of them,
// 16 MiB, are more than the buffers on the way hold once a server stops
// reading, so the client's sender blocks in Write.
func manyLines(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = strings.Repeat(string(rune('a'+i%26)), 8<<10-1)
	}
	return lines
}

// errStopped is the reason the tests give when they cancel a ctx.
var errStopped = errors.New("the test stopped it")

// expectCause fails the test unless err wraps errStopped, the reason the
// test gave when it cancelled Exchange's ctx.
func expectCause(t *testing.T, err error, when string) {
	t.Helper()
	switch {
	case errors.Is(err, errStopped):
	case errors.Is(err, context.Canceled):
		t.Fatalf("%s, with a reason (context.WithCancelCause: %q), and Exchange returned error %v: it wraps "+
			"context.Canceled (ctx.Err(), or what a dial cut short says), which tells only that ctx ended. "+
			"Return why: once ctx.Err() != nil, wrap context.Cause(ctx) with %%w, as in lesson 05", when, errStopped, err)
	default:
		t.Fatalf("%s, with a reason (context.WithCancelCause: %q), and Exchange returned error %v; want one that "+
			"wraps that reason (errors.Is). When ctx is done, the Read, Write or dial that failed is only the symptom: "+
			"once ctx.Err() != nil, wrap context.Cause(ctx) with %%w, as in lesson 05", when, errStopped, err)
	}
}

// expectFirstErrorAlone fails the test if err is more than the first
// failure: several errors joined, or the closed connection that the other
// side saw once the first one closed it.
func expectFirstErrorAlone(t *testing.T, err error, what string) {
	t.Helper()
	var joined interface{ Unwrap() []error }
	switch {
	case errors.As(err, &joined):
		t.Fatalf("%s; Exchange returned %d errors joined: %q. Return the first error alone, as lessons 03 to 05 "+
			"do: the other side failed because of it", what, len(joined.Unwrap()), err)
	case errors.Is(err, net.ErrClosed):
		t.Fatalf("%s; Exchange returned %q: \"use of closed network connection\" is what one side saw after the "+
			"connection was closed, because the other side had failed. Return the first error, which says what went wrong, "+
			"and drop the second (a sync.Once, or a channel both sides report on)", what, err)
	}
}

// A watchedContext counts the context.AfterFuncs registered on it and not
// yet stopped: context.AfterFunc asks a ctx that has an AfterFunc method,
// unless it finds a context of its own package underneath (through Value).
type watchedContext struct {
	context.Context
	mu    sync.Mutex
	count int
}

func (c *watchedContext) Value(key any) any { return nil }

func (c *watchedContext) AfterFunc(f func()) func() bool {
	c.mu.Lock()
	c.count++
	c.mu.Unlock()
	var once sync.Once
	stop := context.AfterFunc(c.Context, f)
	return func() bool {
		once.Do(func() {
			c.mu.Lock()
			c.count--
			c.mu.Unlock()
		})
		return stop()
	}
}

// registered returns how many AfterFuncs are registered and not stopped.
func (c *watchedContext) registered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// A heldContext runs hold when Exchange's own code (context.AfterFunc, not net's dial) asks for Done.
type heldContext struct {
	context.Context
	hold func()
}

func (c *heldContext) Done() <-chan struct{} {
	pcs := make([]uintptr, 10)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	f, more := frames.Next()
	for more && strings.HasPrefix(f.Function, "context.") {
		f, more = frames.Next()
	}
	if strings.HasSuffix(f.Function, ".Exchange") {
		c.hold()
	}
	return c.Context.Done()
}
