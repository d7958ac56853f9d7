// Lesson 07 tests: a Server whose Shutdown is graceful. Each test is one
// thing a graceful shutdown must do; its failure message says what to look
// at. Run them with `make lesson-07 test`; see README.md for the task.
//
// Some tests run on real loopback sockets (a 4 MiB stream); the ones about
// the order of events ("Shutdown has not returned yet") run in a synctest
// bubble on an in-memory listener (kit_bubble_test.go), where that can be
// checked exactly, and where a drain deadline of seconds takes no time.

package echo

import (
	"context"
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

// ---- on real sockets ----

// TestServeEchoesClientsAtOnce: lesson 02's server, still: every client is
// echoed at once, and its connection closed once it is done sending.
func TestServeEchoesClientsAtOnce(t *testing.T) {
	checkNoLeaks(t)
	s, _ := start(t, listen(t))
	a := s.connect(t)
	a.expectEcho(t, "I am A\n")
	b := s.connect(t)
	b.expectEcho(t, "I am B, and A is still connected\n")

	want := randomBytes(1 << 20)
	got, err := a.sendAll(want)
	if d := mismatch(got, want); d != "" || err != nil {
		s.fatalf(t, "client A sent %d random bytes then CloseWrite; %s, then %s. "+
			"Each connection is echoed (handle) and closed when its client is done, in a goroutine of its own",
			len(want), d, explain(err))
	}
}

// TestServeLogsClientErrors: a client that resets its connection is
// worth a line in the log; one that leaves cleanly is not.
func TestServeLogsClientErrors(t *testing.T) {
	checkNoLeaks(t)
	logs := captureLog(t)
	logs.quiet() // it logs on purpose: shown only if this test fails
	s, _ := start(t, listen(t))
	polite := s.connect(t)
	if got, err := polite.sendAll([]byte("bye\n")); string(got) != "bye\n" || err != nil {
		s.fatalf(t, "sent %q then CloseWrite, got back %q and %s", "bye\n", got, explain(err))
	}
	rude := s.connect(t)
	rude.expectEcho(t, "about to vanish\n")
	rude.SetLinger(0) // close with a reset (RST) instead of a clean goodbye
	rude.Close()
	if !logs.waitFor(rude.LocalAddr().String()) {
		t.Fatalf("client %s reset its connection, and the server logged nothing about it: log the error handle "+
			"returns (log.Printf), so whoever runs the server can see what went wrong. The log:\n%s", rude.LocalAddr(), logs)
	}
	if logs.contains(polite.LocalAddr().String()) {
		t.Fatalf("client %s sent a line, half-closed, read its echo and left: nothing went wrong, and the server "+
			"logged it. Log only the errors handle returns. The log:\n%s", polite.LocalAddr(), logs)
	}
}

// TestShutdownStopsTheServer: with no client connected, Shutdown closes
// the listener, Serve returns ErrServerClosed, and Shutdown returns nil.
// Serve called after Shutdown returns ErrServerClosed at once.
func TestShutdownStopsTheServer(t *testing.T) {
	checkNoLeaks(t)
	s, srv := start(t, listen(t))
	if got, err := s.connect(t).sendAll([]byte("hello\n")); string(got) != "hello\n" || err != nil {
		s.fatalf(t, "sent %q then CloseWrite, got back %q and %s", "hello\n", got, explain(err))
	}

	if err := shutdown(srv, context.Background()).waitErr(t, func() string {
		return "Shutdown was called with no client connected (the only one had left)."
	}); errors.Is(err, errPanicked) {
		t.Fatalf("Shutdown, with no client connected, %v; want it to return nil", err)
	} else if err != nil {
		t.Fatalf("Shutdown with no client connected returned %v; want nil", err)
	}
	if st, ok := waitClosed(s.done); !ok {
		t.Fatalf("Shutdown returned, and Serve had not: %s. Shutdown must close the listener, so that Accept "+
			"fails and Serve returns. Where your code is:\n\n%s", st, where(st.gs))
	}
	if !errors.Is(s.err, ErrServerClosed) {
		t.Fatalf("after Shutdown, Serve returned %v; want ErrServerClosed, so that its caller can tell "+
			"a shutdown asked for from a failure", s.err)
	}
	if c, err := net.DialTimeout("tcp", s.addr, patience); err == nil {
		c.Close()
		t.Fatalf("Shutdown returned, and a new client could still connect to %s: close the listener", s.addr)
	}

	l := listen(t)
	x := goCall("Serve", func() (struct{}, error) { return struct{}{}, srv.Serve(l) })
	if _, err := x.wait(t, nil, func() string { return "Serve was called after Shutdown had returned." }); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve, called after Shutdown, returned %v; want ErrServerClosed at once: the server is closed", err)
	}
	if c, err := net.DialTimeout("tcp", l.Addr().String(), patience); err == nil {
		c.Close()
		t.Fatalf("Serve, called after Shutdown, returned and left its listener open: close it, " +
			"or clients connect and no one ever answers them")
	}
	if err := shutdown(srv, context.Background()).waitErr(t, func() string {
		return "Shutdown was called again, after Shutdown and then Serve had returned: is a lock left locked?"
	}); errors.Is(err, errPanicked) {
		t.Fatalf("Shutdown, called again once the server had stopped, %v. A second call must be harmless, "+
			"and return nil", err)
	} else if err != nil {
		t.Fatalf("Shutdown, called again once the server had stopped, returned %v; want nil: a second call must be harmless", err)
	}
}

// TestShutdownClosesIdleConnections: clients that are connected but quiet
// (everything they sent has been echoed) are told goodbye at once, with a
// clean close of the server's side, and Shutdown returns nil once they
// have closed theirs and their handlers have ended.
func TestShutdownClosesIdleConnections(t *testing.T) {
	checkNoLeaks(t)
	s, srv := start(t, listen(t))
	a := s.connect(t)
	a.expectEcho(t, "I am A, and I will stay quiet\n")
	b := s.connect(t)
	b.expectEcho(t, "I am B, quiet too\n")

	x := shutdown(srv, context.Background())
	for _, client := range []struct {
		name string
		c    *client
	}{{"A", a}, {"B", b}} {
		n, err := client.c.Read(make([]byte, 64)) // gives up after patience without a byte
		switch {
		case isTimeout(err):
			t.Fatalf("client %s, quiet, was still connected %v after Shutdown began: its handler waits in Read "+
				"for a client with nothing to say, and waiting for handlers waits forever. Wake every handler's Read: "+
				"conn.SetReadDeadline(time.Now()) makes io.Copy return once it has written what it read", client.name, patience)
		case n > 0:
			t.Fatalf("after Shutdown began, client %s got %d bytes it never sent", client.name, n)
		case errors.Is(err, syscall.ECONNRESET):
			t.Fatalf("after Shutdown began, client %s's connection was reset, not closed: a reset can lose "+
				"an echo on its way; handle closes cleanly once its io.Copy has returned", client.name)
		case !errors.Is(err, io.EOF):
			t.Fatalf("after Shutdown began, client %s read %v; want the server to close the connection", client.name, err)
		}
	}
	// Until the clients close their end, Shutdown waits: blocked, as are
	// the handlers (goodbye), not checking again and again.
	if st, ok := waitUntil(func() bool {
		for _, g := range ourGoroutines() {
			if g.busy() {
				return false
			}
		}
		return true
	}); !ok {
		t.Fatalf("Shutdown had begun, and both quiet clients had been disconnected; while it waited for them to "+
			"close their end, your code never settled into a wait: %s. Wait by blocking (a select on ctx.Done() and "+
			"a channel closed once the handlers are done), not in a loop that checks again and again. "+
			"Where your code is:\n\n%s", st, where(st.gs))
	}
	// A says goodbye at once; B a little later, as nc does when its user
	// presses Ctrl-D. Until then the server cannot know that B will not
	// send again, so its handler waits (goodbye).
	a.Close()
	b.Close()
	if err := x.waitErr(t, func() string {
		return "Both clients were quiet, and had been disconnected; then both closed their end. " +
			"Does Shutdown wait for something that never happens?"
	}); err != nil {
		t.Fatalf("Shutdown returned %v; want nil: every client was idle, and every handler ended in time", err)
	}
}

// TestShutdownEchoesEveryByteItRead: a client streams 4 MiB, and Shutdown
// begins halfway, with all the time it needs. Every byte the server had
// read comes back to the client before a clean close: none is lost in a
// buffer, none cut off by a Close or a reset. And the server reads (and
// drops) what the client still sends until the client closes its end:
// the client's 4 MiB all go out.
//
// So that the server provably holds bytes it has read and not yet echoed
// when Shutdown begins, the test holds the handler's first Write once the
// server has read 1 MiB (as a full send buffer would), and lets it go once
// Shutdown has acted on the connection (a deadline, or a Close).
func TestShutdownEchoesEveryByteItRead(t *testing.T) {
	checkNoLeaks(t)
	s, srv := start(t, listen(t))
	s.conns.holdWrites(1 << 20)
	c := s.connect(t)
	sent := randomBytes(4 << 20)
	// The client writes and reads at once.
	wrote := make(chan error, 1)
	go func() {
		_, err := c.Write(sent)
		if err == nil {
			err = c.CloseWrite()
		}
		wrote <- err
	}()
	type result struct {
		got []byte
		err error
	}
	echoed := make(chan result, 1)
	go func() {
		got, err := io.ReadAll(io.LimitReader(c, int64(len(sent))+64<<10))
		echoed <- result{got, err}
	}()
	var conn *tapConn
	if st, ok := waitUntil(func() bool {
		conn = s.conns.conn(0)
		return conn != nil && conn.seen().held > 0
	}); !ok {
		t.Fatalf("the client was sending 4 MiB, and the server had read only %d bytes: %s", s.conns.seen().read, st)
	}
	t.Cleanup(conn.release)
	before := conn.seen()
	held := before.held

	x := shutdown(srv, context.Background())
	// A Shutdown that never acts on the connection gets the Write let go
	// all the same, once nothing moves: what follows judges it.
	waitUntil(func() bool {
		now := conn.seen()
		return now.deadlines+now.closes > before.deadlines+before.closes || x.returned()
	})
	conn.release()
	var r result
	if st, ok := waitUntil(func() bool {
		select {
		case r = <-echoed:
			return true
		default:
			return false
		}
	}); !ok {
		t.Fatalf("Shutdown began while the client was streaming 4 MiB, and the client was neither echoed to the end "+
			"nor disconnected: %s. Where your code is:\n\n%s", st, where(st.gs))
	}
	if err := x.waitErr(t, func() string { return "The client had its echo, and its connection was closed." }); err != nil {
		t.Fatalf("Shutdown returned %v; want nil: it had all the time it needed", err)
	}
	seen := conn.seen()
	read := seen.readBeforeStop
	switch {
	case len(r.got) < read:
		var why string
		switch {
		case seen.closedWhileHeld && seen.deadlines > before.deadlines:
			why = fmt.Sprintf("Shutdown set a deadline on the connection, and closed it too, while its handler was "+
				"writing the echo of %d of them (the test held that Write until Shutdown acted on the connection), "+
				"though its ctx (context.Background()) never ends: closing a connection under its handler loses what "+
				"it holds. Two causes fit: Shutdown closes every connection as it begins, besides the read deadline "+
				"(leave the Close to the cut-off), or its cut-off ran before ctx was done. Wait for <-ctx.Done() "+
				"itself: a ctx without a deadline has a zero Deadline(), and a timer set from it fires at once", held)
		case seen.closedWhileHeld:
			why = fmt.Sprintf("Shutdown closed the connection while its handler was writing the echo of %d of them "+
				"(the test held that Write until Shutdown acted on the connection): closing a connection under its "+
				"handler loses what it holds, and a reset throws away the echo on its way. Stop the reads instead, "+
				"conn.SetReadDeadline(time.Now()): io.Copy writes what it has read, then returns", held)
		case seen.writeDeadlineWhileHeld:
			why = fmt.Sprintf("Shutdown set a deadline on the connection's writes too (SetDeadline, or SetWriteDeadline) "+
				"while its handler was writing the echo of %d of them (the test held that Write until Shutdown acted on "+
				"the connection): the Write timed out. Stop only the reads: conn.SetReadDeadline(time.Now())", held)
		case errors.Is(r.err, syscall.ECONNRESET):
			why = "A reset throws away the echo on its way. Two causes fit: something closed the connection under its " +
				"handler (Shutdown as it began, or handle itself before it had written all it read), or its cut-off ran " +
				"before ctx was done, though ctx (context.Background()) never ends: a ctx without a deadline has a zero " +
				"Deadline(), and a timer set from it fires at once"
		default:
			why = "Closing a connection under its handler loses what it holds; a read deadline lets io.Copy write " +
				"what it has read, then return"
		}
		end := explain(r.err)
		if r.err == nil {
			end = "the close"
		}
		t.Fatalf("Shutdown began while a client streamed 4 MiB; the server had read %d bytes, and the client got "+
			"%d of them back, then %s: %d bytes read by the server but never echoed. %s",
			read, len(r.got), end, read-len(r.got), why)
	case errors.Is(r.err, syscall.ECONNRESET):
		t.Fatalf("Shutdown began while a client streamed 4 MiB; the server had read %d bytes, the client got %d back, "+
			"and then its connection was reset, where we want a clean close: a reset can throw away an echo on its "+
			"way. Let handle finish: it half-closes, then closes", read, len(r.got))
	case r.err != nil:
		t.Fatalf("Shutdown began while a client streamed 4 MiB; the server had read %d bytes, the client got %d back, then %s",
			read, len(r.got), explain(r.err))
	}
	if d := mismatch(r.got, sent[:read]); d != "" {
		t.Fatalf("Shutdown began while a client streamed 4 MiB; the server had read %d bytes and the client %s", read, d)
	}
	var werr error
	if st, ok := waitUntil(func() bool {
		select {
		case werr = <-wrote:
			return true
		default:
			return false
		}
	}); !ok {
		t.Fatalf("the client had its echo and the close, and was still sending the rest of its 4 MiB: %s", st)
	}
	if werr != nil {
		t.Fatalf("the client had its echo and the close, and then sending the rest of its 4 MiB failed: %s. "+
			"The server must read (and drop) what the client still sends until the client closes its end, or a "+
			"reset throws away the echo on its way: that is goodbye's job (given code: use it as it is)", explain(werr))
	}
}

// TestShutdownCutsOffAtItsDeadline: a client streams 4 MiB, never reads
// its echo and never hangs up: its handler is stuck, writing or saying
// goodbye. Shutdown cannot drain it: at its deadline it closes that
// connection, waits for its handler, and returns ctx's error.
func TestShutdownCutsOffAtItsDeadline(t *testing.T) {
	checkNoLeaks(t)
	s, srv := start(t, listen(t))
	c := s.connect(t)
	go c.Write(randomBytes(4 << 20)) // gives up once nothing moves for patience
	if st, ok := waitUntil(func() bool { return s.conns.seen().read >= 1<<20 }); !ok {
		t.Fatalf("the client was sending 4 MiB, and the server had read only %d bytes: %s", s.conns.seen().read, st)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := shutdown(srv, ctx).waitErr(t, func() string {
		return "Its ctx ended 100ms after it was called, while a client that never reads its echo was connected: " +
			"when ctx is done, close every connection left, and return ctx.Err()."
	})
	if err == nil && s.conns.seen().closes > 0 {
		t.Fatalf("Shutdown, with 100ms to drain a client that never reads its echo, returned nil, and that client's " +
			"connection was closed, though the client never went away. Two causes fit: Shutdown closed the " +
			"connections as it began (a handler still writing then loses bytes read but never echoed: stop the reads " +
			"with a read deadline instead), or it closed them when ctx ended and then returned nil where we want ctx's " +
			"error. Either way: when ctx is done, close every connection left, and return ctx.Err()")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown, with 100ms to drain a client that never reads its echo, returned %v; want ctx's error, "+
			"context.DeadlineExceeded: that client could not be drained in time. Wait for the handlers or for ctx, "+
			"whichever comes first: when ctx is done, close every connection left, and return ctx.Err()", err)
	}
	if left := handlers(); len(left) > 0 {
		t.Fatalf("Shutdown returned ctx's error while %s of your code still ran: it must close the connections "+
			"left and wait for their handlers before it returns. Where:\n\n%s",
			count(len(left), "handler", "handlers"), where(left))
	}
	if s.conns.seen().closes == 0 {
		t.Fatalf("Shutdown gave up, and the connection of the client that never reads was never closed")
	}
}

// ---- in a bubble, on a fake clock ----

// TestServeReturnsWhenItsListenerClosesDuringShutdown: whoever closes the
// listener, Serve returns, even while Shutdown runs at that moment in
// another goroutine. Serve then reads whether Shutdown has begun while
// Shutdown says so, with nothing between the two to order them but the
// server's own lock: the race detector (make runs the tests with it)
// reports a read of that state made without the lock.
func TestServeReturnsWhenItsListenerClosesDuringShutdown(t *testing.T) {
	checkNoLeaks(t)
	l, srv := listen(t), &Server{}
	// A bare listener, not start's tapped one: the tap's own lock would
	// order the two and hide the race.
	s := startServer(t, l, func(context.Context, net.Listener) error { return srv.Serve(l) })
	s.stoppedBy = "closed its listener"
	c := s.connect(t)
	c.expectEcho(t, "served\n") // Serve has taken l in, and accepts
	c.Close()
	l.Close() // by its owner, not by Shutdown
	x := shutdown(srv, context.Background())
	if err := x.waitErr(t, func() string { return "The test had closed the listener; its one client had left." }); err != nil {
		t.Fatalf("Shutdown returned %v; want nil: its one client had left", err)
	}
	if st, ok := waitClosed(s.done); !ok {
		t.Fatalf("the test closed the listener as Shutdown began, and Serve had not returned: %s. "+
			"Where your code is:\n\n%s", st, where(st.gs))
	}
	if s.err == nil {
		t.Fatalf("Serve returned nil after its listener was closed; want ErrServerClosed, or the error that stopped it")
	}
}

// TestShutdownStopsAcceptingAtOnce: the listeners are closed, and each
// Serve returns, as soon as Shutdown begins: not once the clients are
// done. The server listens on two addresses, as a server may: Serve is
// called once for each.
func TestShutdownStopsAcceptingAtOnce(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		s, srv := start(t, l)
		l2 := newFakeListener(t)
		serve2 := goCall("Serve", func() (struct{}, error) { return struct{}{}, srv.Serve(l2) })
		synctest.Wait() // both are in Accept
		c, _ := s.connectPipe(t)
		writeTo(t, l, c, "echo this, but I am not reading yet") // the handler is busy writing its echo

		x := shutdown(srv, context.Background())
		synctest.Wait()
		switch {
		case !l.isClosed() && !l2.isClosed():
			l.fatalf(t, "Shutdown had begun, and was waiting for a client to read its echo, with its listener "+
				"still open: new clients still got in. Close the listeners first, at once, then wait")
		case !l.isClosed() || !l2.isClosed():
			l.fatalf(t, "Serve was serving two listeners (called once for each); Shutdown had begun, and had closed "+
				"one of them, and left the other open: new clients still got in there. Note every listener Serve "+
				"is given, keeping those of the calls before, and close them all")
		}
		if !s.stopped() || !serve2.returned() {
			l.fatalf(t, "Shutdown had closed both listeners, and a Serve had not returned: when Accept fails "+
				"after Shutdown began, return ErrServerClosed")
		}
		for _, err := range []error{s.err, serve2.err} {
			if !errors.Is(err, ErrServerClosed) {
				l.fatalf(t, "after Shutdown began, Serve returned %v; want ErrServerClosed", err)
			}
		}
		readAll(t, l, c, "echo this, but I am not reading yet")
		synctest.Wait()
		x.expectReturned(t, l, nil, "the client had read its echo, and its handler had ended")
	})
}

// TestShutdownFinishesTheEchoInProgress: a handler that has read bytes and
// is writing their echo, to a client slow to read it, is not cut off:
// the client gets every byte, then the close, and only then does Shutdown
// return.
func TestShutdownFinishesTheEchoInProgress(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		s, srv := start(t, l)
		c, conn := s.connectPipe(t)
		const msg = "every byte the server reads comes back"
		writeTo(t, l, c, msg)
		synctest.Wait() // read by the server, which is now blocked writing the echo

		x := shutdown(srv, context.Background())
		synctest.Wait()
		if x.returned() {
			l.fatalf(t, "Shutdown returned (%v) while a handler was still writing the echo of %q to its client: "+
				"wait for every handler to return", x.err, msg)
		}
		if conn.closeCount() > 0 {
			l.fatalf(t, "Shutdown began while a handler was writing the echo of %q, and closed its connection: "+
				"the client loses bytes the server read and never echoed. Stop the reading instead "+
				"(conn.SetReadDeadline(time.Now())): io.Copy writes what it has read, then returns", msg)
		}
		readAll(t, l, c, msg)
		synctest.Wait()
		x.expectReturned(t, l, nil, "the client had read its whole echo, and the server had closed the connection")
	})
}

// TestShutdownWaitsForItsHandlers: Shutdown returns only once every
// handler has returned. The test holds a quiet client's handler in its
// Read, after Shutdown woke it: Shutdown must not return until it is let go.
// Then again, for a handler whose goroutine has not run yet when Shutdown
// begins (one CPU, and Shutdown begun from Serve's next Accept); and once
// more, for the race detector, with Shutdown let go as Accept returns.
func TestShutdownWaitsForItsHandlers(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		s, srv := start(t, l)
		c, _ := s.connectPipe(t)
		expectPipeEcho(t, c, "hello")
		held := s.conns.conn(-1)
		held.holdWoken()
		t.Cleanup(held.release)

		x := shutdown(srv, context.Background())
		synctest.Wait()
		if !held.seen().woken {
			l.fatalf(t, "Shutdown had begun, and the handler of a quiet client was still blocked in Read: "+
				"waiting for it waits forever. Wake every handler's Read: conn.SetReadDeadline(time.Now())")
		}
		if x.returned() {
			l.fatalf(t, "Shutdown returned (%v) while a handler was still running (the test held it, after its Read "+
				"was woken): Shutdown must wait for every handler to return, e.g. with a sync.WaitGroup that counts "+
				"each handler before its goroutine starts", x.err)
		}
		held.release()
		synctest.Wait()
		x.expectReturned(t, l, nil, "every handler had returned")

		// Again, with Shutdown beginning as Serve asks for its next
		// connection, right after it started a handler: on one CPU, a new
		// goroutine runs only once the one that started it blocks, so that
		// handler has not run yet. It must be waited for all the same.
		// (The race detector shuffles which goroutine runs next: 8 tries.)
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		for range 8 {
			l2 := newFakeListener(t)
			s2, srv2 := start(t, l2)
			var y *call[struct{}]
			var first *tapConn
			readsBefore := -1
			s2.conns.onAccept(1, func() { // in Serve's goroutine
				first = s2.conns.conn(-1)
				first.holdWoken()
				readsBefore = first.seen().reads
				y = shutdown(srv2, context.Background())
			})
			s2.connectPipe(t)
			synctest.Wait()
			if y == nil {
				l2.fatalf(t, "Serve accepted a connection, and did not ask for the next one: does it wait for the handler?")
			}
			t.Cleanup(first.release)
			if y.returned() && len(handlers()) > 0 {
				why := ""
				if readsBefore == 0 {
					why = ", whose goroutine had not even called Read when Shutdown began (on one CPU, as here, a new " +
						"goroutine usually runs only once the one that started it blocks)"
				}
				l2.fatalf(t, "Shutdown returned (%v) while a handler was still running: that of a connection Serve had "+
					"accepted just before Shutdown began%s. Count each handler before its goroutine starts, under the "+
					"lock: s.handlers.Go(…), or Add(1) before the go statement", y.err, why)
			}
			first.release()
			synctest.Wait()
			y.expectReturned(t, l2, nil, "every handler had returned")
		}

		// Once more, with Shutdown let go just before Accept returns a
		// connection: on one CPU it runs once Serve has checked the
		// connection, noted it, counted its handler, and blocked in its next
		// Accept. Counted before the unlock, that count is there for
		// Shutdown to see; counted after, it is there too, on one CPU, but
		// only by luck, and the race detector (-race) reports the handler's
		// WaitGroup.Add racing with Shutdown's Wait. (A listener and a
		// connection that share no lock with Shutdown, a bare: a kit
		// listener's lock would order that Add before the Wait, and hide the
		// race. It holds Serve and the handler, once Shutdown stopped them,
		// until the test lets them go: so Shutdown has to wait, and the race
		// is seen.)
		hold, begin := make(chan struct{}), make(chan struct{})
		end, _ := net.Pipe()
		l3 := &bare{Conn: end, stop: make(chan struct{}), hold: hold, onAccept: func() { close(begin) }} // in Serve's goroutine
		srv3 := &Server{}
		serve3 := goCall("Serve", func() (struct{}, error) { return struct{}{}, srv3.Serve(l3) })
		z := goCall("Shutdown", func() (struct{}, error) { <-begin; return struct{}{}, srv3.Shutdown(context.Background()) })
		synctest.Wait()
		if !isClosed(begin) {
			l.fatalf(t, "Serve, on a new Server, never called Accept")
		}
		if z.returned() && len(handlers()) > 0 {
			l.fatalf(t, "Shutdown returned (%v) while a handler was still running (the test held it, after its Read "+
				"was woken): that of a connection Serve had accepted just before. Count each handler before its "+
				"goroutine starts, under the lock: s.handlers.Go(…)", z.err)
		}
		close(hold)
		synctest.Wait()
		z.expectReturned(t, l, nil, "its only client was quiet, and had been told to stop")
		if !serve3.returned() || !errors.Is(serve3.err, ErrServerClosed) {
			l.fatalf(t, "Shutdown had returned, and Serve had not returned ErrServerClosed (returned: %v, err: %v)",
				serve3.returned(), serve3.err)
		}
	})
}

// TestShutdownClosesConnectionAcceptedAsItBegins: a connection can arrive
// just as Shutdown begins: Accept returns it after Shutdown closed the
// listener and woke the connections it knew of. That one must be closed
// too, and no handler left running for it.
func TestShutdownClosesConnectionAcceptedAsItBegins(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		s, srv := start(t, l)
		before := ourGoroutines()
		release := make(chan struct{})
		l.holdAccept(release)
		c, late := s.connectPipe(t) // Accept has it, and holds it
		x := shutdown(srv, context.Background())
		synctest.Wait() // all Shutdown does first is done, before Serve sees late
		x.expectReturned(t, l, nil, "no handler was running")
		close(release)
		synctest.Wait()
		if late.closeCount() == 0 {
			l.fatalf(t, "Accept returned a connection just after Shutdown had begun (and returned), "+
				"and the server never closed it: that client waits forever, and its handler with it. "+
				"Under the mutex Shutdown takes, check whether it has begun before you add a connection; if so, close it")
		}
		c.Close()
		synctest.Wait()
		if left := startedSince(before); len(left) > 0 {
			l.fatalf(t, "Shutdown had returned, and %s of your code still ran: a handler started for a connection "+
				"that came in as Shutdown began, which Shutdown never waited for. Where:\n\n%s",
				count(len(left), "goroutine", "goroutines"), where(left))
		}
		if !s.stopped() || !errors.Is(s.err, ErrServerClosed) {
			l.fatalf(t, "Serve had closed the connection that came in as Shutdown began; want it to return "+
				"ErrServerClosed then (returned: %v, err: %v)", s.stopped(), s.err)
		}
		// If Serve left its lock locked, this call never returns: the test's
		// clock stops, and the test says where.
		shutdown(srv, context.Background()).expectReturned(t, l, nil, "no client was connected")
	})
}

// TestShutdownCutsOffWhenCtxEnds: a client that never reads its echo
// cannot be drained. Until ctx ends, Shutdown waits and leaves it be; then
// it closes that connection, waits for its handler, and returns ctx's
// error. The cut-off is not news for the log. The clock is fake: the
// 10s deadline takes no time.
func TestShutdownCutsOffWhenCtxEnds(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		logs := captureLog(t)
		logs.quiet() // it logs on purpose: shown only if this test fails
		l := newFakeListener(t)
		s, srv := start(t, l)
		before := ourGoroutines()
		c, conn := s.connectPipe(t)
		writeTo(t, l, c, "I never read my echo")
		synctest.Wait() // the handler is blocked writing the echo
		conn.holdAfterClose()

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		x := shutdown(srv, ctx)
		time.Sleep(9 * time.Second)
		synctest.Wait()
		if x.returned() || conn.closeCount() > 0 {
			l.fatalf(t, "Shutdown had 10s to drain a client that does not read, and after 9s it had "+
				"already returned (%v) or closed the connection (%d Close calls): until ctx ends, let the client be; "+
				"when ctx is done, close every connection left, and return ctx.Err()",
				x.err, conn.closeCount())
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if conn.closeCount() == 0 {
			l.fatalf(t, "Shutdown's ctx ended 1s ago, and the connection of a client that never reads its echo "+
				"was still open: its handler waits in Write forever. Wait for the handlers or for ctx, whichever comes "+
				"first: when ctx is done, close every connection left, and return ctx.Err() "+
				"(Close wakes a blocked Write; a read deadline does not)")
		}
		if x.returned() {
			l.fatalf(t, "Shutdown returned (%v) right after it closed the connections left, while their handler was "+
				"still running (the test held it in its Write): wait for their handlers, also after a cut-off", x.err)
		}
		conn.release()
		synctest.Wait()
		x.expectReturned(t, l, context.DeadlineExceeded, "its ctx had ended, and it had cut off the client left")
		if left := startedSince(before); len(left) > 0 {
			l.fatalf(t, "Shutdown returned, and %s of your code still ran. Where:\n\n%s",
				count(len(left), "goroutine", "goroutines"), where(left))
		}
		if logs.contains("closed") {
			l.fatalf(t, "Shutdown cut off a client, as asked, and the server logged it as an error: that is no news. "+
				"Log handle's error only if Shutdown has not begun. The log:\n%s", logs)
		}
	})
}

// TestShutdownWithCtxAlreadyDone: a ctx that has ended before Shutdown is
// called leaves no time to drain, not nothing to do: Shutdown closes the
// listener, cuts off the client left, waits for its handler, and returns
// ctx's error.
func TestShutdownWithCtxAlreadyDone(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		s, srv := start(t, l)
		c, conn := s.connectPipe(t)
		writeTo(t, l, c, "I never read my echo")
		synctest.Wait() // the handler is blocked writing the echo

		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		x := shutdown(srv, ctx)
		synctest.Wait()
		did := "had not returned"
		if x.returned() {
			did = fmt.Sprintf("had returned (%v)", x.err)
		}
		if !l.isClosed() {
			l.fatalf(t, "Shutdown, called with a ctx already done, %s, and left the listener open: new clients "+
				"still got in. No time to drain is not nothing to do: close the listeners, cut off every "+
				"connection, wait for the handlers, then return ctx.Err()", did)
		}
		if conn.closeCount() == 0 {
			l.fatalf(t, "Shutdown, called with a ctx already done, %s, and the connection of a client that never "+
				"reads its echo was still open: when ctx is done, close every connection left, and return ctx.Err()", did)
		}
		x.expectReturned(t, l, context.Canceled, "its ctx was done when it was called, and it had cut off the client left")
		if !s.stopped() || !errors.Is(s.err, ErrServerClosed) {
			l.fatalf(t, "Shutdown had returned, and Serve had not returned ErrServerClosed (returned: %v, err: %v)",
				s.stopped(), s.err)
		}
	})
}

// TestShutdownTwice: calling Shutdown again, while the first call waits
// or after it has returned, neither panics nor hangs: it waits for the
// same handlers, and returns once they are done.
func TestShutdownTwice(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		s, srv := start(t, l)
		c, _ := s.connectPipe(t)
		writeTo(t, l, c, "one echo, two shutdowns")
		synctest.Wait()

		first := shutdown(srv, context.Background())
		synctest.Wait()
		second := shutdown(srv, context.Background())
		synctest.Wait()
		for _, x := range []*call[struct{}]{first, second} {
			if x.returned() && errors.Is(x.err, errPanicked) {
				l.fatalf(t, "Shutdown, called a second time while the first call waited for a handler, %v. "+
					"A second call must be harmless", x.err)
			}
			if x.returned() {
				l.fatalf(t, "with a handler still writing its echo, two calls to Shutdown at once: one returned (%v) "+
					"before that handler was done. Each call waits for the handlers", x.err)
			}
		}
		readAll(t, l, c, "one echo, two shutdowns")
		synctest.Wait()
		first.expectReturned(t, l, nil, "the handler had ended; a second Shutdown was waiting too")
		second.expectReturned(t, l, nil, "the handler had ended; the first Shutdown had returned")
		third := shutdown(srv, context.Background())
		synctest.Wait()
		third.expectReturned(t, l, nil, "it was the third call, after the server had stopped")
	})
}

// TestServeForgetsConnectionsThatEnded: once a client has left, the
// server holds on to nothing of it, and Shutdown does not touch its
// connection.
func TestServeForgetsConnectionsThatEnded(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		s, srv := start(t, l)
		c, _ := s.connectPipe(t)
		expectPipeEcho(t, c, "goodbye")
		c.Close() // the client leaves
		synctest.Wait()
		conn := s.conns.conn(-1)
		if conn.seen().closes == 0 {
			l.fatalf(t, "the client left, and its handler did not close the connection: handle closes it when io.Copy returns")
		}
		before := conn.seen()

		shutdown(srv, context.Background())
		synctest.Wait()
		if after := conn.seen(); after.deadlines+after.closes > before.deadlines+before.closes {
			l.fatalf(t, "Shutdown set a deadline on, or closed, the connection of a client that had left long before: "+
				"the server still held on to it. When a handler returns, delete its connection from your map")
		}
	})
}

// TestServePausesAfterAcceptErrors: when Accept keeps failing (here: out
// of file descriptors), accept logs, pauses and retries, as in lesson 02;
// Shutdown still stops the server.
func TestServePausesAfterAcceptErrors(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		logs := captureLog(t)
		logs.quiet() // it logs on purpose: shown only if this test fails
		l := newFakeListener(t)
		l.failAlways()
		s, srv := start(t, l)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if s.stopped() {
			l.fatalf(t, "Serve returned (err = %v) while Accept was failing with %q: only Shutdown ends Serve; "+
				"for other errors, accept pauses and tries again", s.err, acceptError)
		}
		if n := len(l.acceptTimes()); n < 5 || n > 25 {
			l.fatalf(t, "Accept was called %d times in 10s while it kept failing; want about 17", n)
		}
		if !strings.Contains(logs.String(), "too many open files") {
			l.fatalf(t, "Accept failed again and again, and the server logged nothing about it. The log:\n%s", logs)
		}
		shutdown(srv, context.Background()).expectReturned(t, l, nil, "no client was connected")
		time.Sleep(time.Second) // the pause under way
		synctest.Wait()
		if !s.stopped() || !errors.Is(s.err, ErrServerClosed) {
			l.fatalf(t, "Shutdown had returned, and Serve had not returned ErrServerClosed a second later (stopped: %v, err: %v)",
				s.stopped(), s.err)
		}
	})
}

// ---- plumbing for the tests above (the rest is in kit_*_test.go) ----

// A served is the server under test: the kit's server, and every
// connection it accepted, tapped (kit_tap_test.go).
type served struct {
	*server
	conns *tapListener
}

// start runs a Server on l until the test ends (startServer, in
// kit_net_test.go, says what it checks then), and returns it, for the
// test to call Shutdown.
func start(t *testing.T, l net.Listener) (*served, *Server) {
	t.Helper()
	srv, conns := &Server{}, tap(l)
	s := startServer(t, l, func(context.Context, net.Listener) error { return srv.Serve(conns) })
	s.stoppedBy = "closed its listener"
	return &served{server: s, conns: conns}, srv
}

// shutdown runs srv.Shutdown(ctx) in a goroutine of its own. A panic in
// it is reported as its error, not as the end of every test.
func shutdown(srv *Server, ctx context.Context) *call[struct{}] {
	return goCall("Shutdown", func() (_ struct{}, err error) {
		defer func() {
			if r := recover(); r != nil {
				twice := map[bool]string{true: " (a channel closed twice panics: close it only once, with sync.Once, or do without it)"}
				err = fmt.Errorf("%w: %v%s", errPanicked, r, twice[fmt.Sprint(r) == "close of closed channel"])
			}
		}()
		return struct{}{}, srv.Shutdown(ctx)
	})
}

var errPanicked = errors.New("panicked")

// waitErr waits for the call to return, by progress, and returns its
// error. (Not x.wait: the server's handlers started before the call, and
// its reading of the stacks would miss them.)
func (x *call[T]) waitErr(t *testing.T, situation func() string) error {
	t.Helper()
	if st, ok := waitClosed(x.done); !ok {
		t.Fatalf("%s had not returned: %s.\n%s\nWhere your code is:\n\n%s", x.name, st, situation(), where(st.gs))
	}
	return x.err
}

// expectReturned, in a bubble, once all else has happened: the call has
// returned, with an error that is want (errors.Is), or nil if want is nil.
func (x *call[T]) expectReturned(t *testing.T, l *fakeListener, want error, situation string) {
	t.Helper()
	synctest.Wait()
	if !x.returned() {
		l.fatalf(t, "%s had not returned, and %s. Where your code is:\n\n%s", x.name, situation, where(ourGoroutines()))
	}
	if errors.Is(x.err, errPanicked) {
		l.fatalf(t, "%s %v; %s", x.name, x.err, situation)
	}
	if (want == nil && x.err != nil) || !errors.Is(x.err, want) {
		l.fatalf(t, "%s returned %v, and %s; want %v", x.name, x.err, situation, want)
	}
}

// writeTo writes msg on the client's end of a pipe: the server must read it.
func writeTo(t *testing.T, l *fakeListener, c net.Conn, msg string) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(patience)) // fake clock: once everything else is blocked
	if _, err := c.Write([]byte(msg)); isTimeout(err) {
		l.fatalf(t, "the server did not read %q %v after the client wrote it: is each connection echoed "+
			"(handle, in a goroutine of its own)?", msg, patience)
	} else if err != nil {
		l.fatalf(t, "write %q to the server: %v", msg, err)
	}
}

// readAll reads from the client's end of a pipe until the server closes
// it, and expects msg.
func readAll(t *testing.T, l *fakeListener, c net.Conn, msg string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(patience))
	got, err := io.ReadAll(c)
	switch {
	case isTimeout(err):
		l.fatalf(t, "after Shutdown began, the client read %q and then, for %v, neither more nor the close: "+
			"want %q, then the server closing the connection", got, patience, msg)
	case err != nil || string(got) != msg:
		l.fatalf(t, "the client had sent %q, and Shutdown began while the server wrote its echo: the client "+
			"got %q, then %v. Bytes read but never echoed: let the handler finish (a read deadline), do not close "+
			"its connection", msg, got, err)
	}
}

// A bare is a listener and its one quiet client's connection, with no lock
// (see TestShutdownWaitsForItsHandlers): Accept runs onAccept and returns the
// bare itself; then Accept and Read wait for Close or a deadline, then hold.
type bare struct {
	net.Conn   // a pipe's end, for the methods below do not cover (Serve needs none)
	accepted   bool
	stop, hold chan struct{}
	once       sync.Once
	onAccept   func()
}

func (b *bare) Accept() (net.Conn, error) {
	if !b.accepted {
		b.accepted = true
		b.onAccept()
		return b, nil
	}
	b.Read(nil)
	return nil, net.ErrClosed
}

func (b *bare) Read([]byte) (int, error)        { <-b.stop; <-b.hold; return 0, os.ErrDeadlineExceeded }
func (b *bare) Write(p []byte) (int, error)     { return len(p), nil }
func (b *bare) Close() error                    { b.once.Do(func() { close(b.stop) }); return nil }
func (b *bare) SetDeadline(time.Time) error     { return b.Close() }
func (b *bare) SetReadDeadline(time.Time) error { return b.Close() }
func (b *bare) Addr() net.Addr                  { return fakeAddr{} }

// handlers returns the goroutines of the code under test that are still
// in handle (or goodbye, which handle calls).
func handlers() map[int]goroutine {
	left := map[int]goroutine{}
	for id, g := range ourGoroutines() {
		if g.in("handle") || g.in("goodbye") {
			left[id] = g
		}
	}
	return left
}
