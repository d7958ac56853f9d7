// Lesson 08 tests: lesson 02's server, within limits. Run them with
// `make lesson-08 test`; see README.md for the task.
//
// The first test runs on real loopback sockets: the echo, whole. The
// tests about time (a client silent for 10s, one that never reads) run in
// a synctest bubble on an in-memory listener (kit_bubble_test.go): the
// clock is fake, ten seconds take no time, and "still connected after 9s"
// is a fact, not a guess. The last ones are on real sockets again: the
// log, and what an idle connection costs.

package echo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// generous are limits no test on real sockets reaches: those tests are
// about the echo, not the limits.
var generous = Limits{Idle: time.Hour, Write: time.Hour, MaxConns: 1000}

// In a bubble: a client may be silent 10s; one that does not read its
// echo is cut off 10s+5s after its handler last began a chunk.
var tight = Limits{Idle: 10 * time.Second, Write: 5 * time.Second, MaxConns: 2}

// ---- on real sockets ----

// TestServeEchoesClientsAtOnce: lesson 02's server, still: every client is
// echoed at once, whole, and closed once it is done sending; and then no
// goroutine is left. (The other tests on real sockets come last: they
// pass on lesson 02's server, and the ones about limits fail faster.)
func TestServeEchoesClientsAtOnce(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t), generous)
	a := s.connect(t)
	a.expectEcho(t, "I am A\n")
	b := s.connect(t)
	msg := "I am B, and A is still connected\n"
	if _, err := b.Write([]byte(msg)); err != nil {
		s.fatalf(t, "client B: write: %v", err)
	}
	got := make([]byte, len(msg))
	if n, err := io.ReadFull(b, got); err != nil {
		s.fatalf(t, "client B sent %q and got back %q and then %s, while client A stayed connected: is each "+
			"connection handled in a goroutine of its own? While Serve runs handle itself, it cannot Accept anyone else",
			msg, got[:n], explain(err))
	}

	want := randomBytes(1 << 20) // many chunks, whatever their size
	var err error
	got, err = a.sendAll(want)
	if d := mismatch(got, want); d != "" || err != nil {
		msg := fmt.Sprintf("client A sent %d random bytes then CloseWrite; %s, then %s", len(want), cmp.Or(d, "every byte came back"), explain(err))
		if d == "" && isTimeout(err) {
			msg += ". The connection stayed open. When io.CopyN reports io.EOF, the client is done sending: " +
				"return, and close conn (defer conn.Close()). Causes that fit: a handle that returns without closing, " +
				"or a loop that goes on after io.EOF (it gets io.EOF again at once, forever, and spins a CPU core)"
		} else {
			msg += ". handle must echo every byte, chunk after chunk, until io.EOF"
		}
		s.fatalf(t, "%s", msg)
	}
	b.expectEcho(t, "B again\n")
}

// ---- in a bubble, on a fake clock ----

// TestServeDisconnectsASilentClient: a client that connects and says nothing
// is disconnected once it has been silent for Idle (10s), and its handler
// ends and logs why.
func TestServeDisconnectsASilentClient(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		logs := captureLog(t)
		logs.quiet() // it logs on purpose: shown only if this test fails
		l := newFakeListener(t)
		s, _ := startPipe(t, l, tight)
		synctest.Wait() // Serve is in Accept
		before := ourGoroutines()
		c, conn := s.connectPipe(t)
		time.Sleep(9 * time.Second)
		synctest.Wait()
		if conn.closeCount() > 0 {
			l.fatalf(t, "a client silent for 9s had been disconnected by then; Idle is 10s: set the read deadline to "+
				"time.Now().Add(lim.Idle). lim.Idle is a time.Duration already: times time.Second, it overflows into "+
				"a moment long past")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if conn.closeCount() == 0 {
			if got, _ := readPipe(c, 64); len(got) > 0 {
				l.fatalf(t, "a client connected and said nothing for 11s (Idle: 10s), and the server sent it %q: an echo "+
					"server sends only what it got. Just return: defer conn.Close() says goodbye", got)
			}
		}
		expectCutOff(t, l, conn, before, "a client connected and said nothing for 11s (Idle: 10s)",
			"Before each chunk, set a read deadline (conn.SetReadDeadline(time.Now().Add(lim.Idle))): "+
				"a Read with nothing to read then fails with os.ErrDeadlineExceeded, and io.CopyN returns n == 0: "+
				"then return, the client is silent")
		if got, err := readPipe(c, 1); len(got) > 0 || !errors.Is(err, io.EOF) {
			l.fatalf(t, "the server disconnected a silent client; the client then read %q and %v, want io.EOF", got, err)
		}
		if logs.String() == "(nothing)" {
			l.fatalf(t, "the server disconnected a silent client and logged nothing: log the error handle returns, "+
				"so whoever runs the server knows why clients were dropped")
		}
	})
}

// TestServeKeepsATypingClient: a client that sends a line every 4s,
// for a minute, is never silent for 10s: it stays connected, and gets
// every echo. Its lines never fill a chunk.
func TestServeKeepsATypingClient(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		logs := captureLog(t)
		l := newFakeListener(t)
		s, _ := startPipe(t, l, tight)
		c, _ := s.connectPipe(t)
		for i := 1; i <= 15; i++ {
			line := fmt.Sprintf("line %d, at %ds\n", i, 4*(i-1))
			err := pipeEcho(c, line)
			if isTimeout(err) {
				l.fatalf(t, "a client sent a line every 4s (Idle: 10s); after %ds, the echo of line %d never came, and "+
					"the connection stayed open: bytes the server read and never wrote. A cause that fits: going on "+
					"after a write deadline, since what was read and not yet written is lost then. Go on only after a "+
					"read deadline (check time.Now() against the write deadline you set)", 4*(i-1), i)
			}
			if err != nil {
				l.fatalf(t, "a client sent a line every 4s (Idle: 10s); after %ds, sending line %d, it saw %v. It was never "+
					"silent for 10s. The server logged: %s. Causes that fit: the deadlines were set once, never moved "+
					"(set them before each chunk); or a read deadline was taken for the end: for silence though "+
					"io.CopyN returned n > 0 (slow, not silent: go on), for the write deadline (set that one at "+
					"Idle+Write: a timeout before then is the read deadline's), or not recognised (it comes "+
					"wrapped: errors.Is(err, os.ErrDeadlineExceeded))", 4*(i-1), i, explain(err),
					strings.TrimSpace(logs.String()))
			}
			time.Sleep(4 * time.Second)
		}
	})
}

// TestServeDisconnectsAClientThatFallsSilent: a client that sends four
// chunks and a line at once, reads its echo, then says nothing, is
// disconnected by 2·Idle after its last byte: silence is measured per
// chunk, from when each begins, not from bytes sent long ago.
func TestServeDisconnectsAClientThatFallsSilent(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		captureLog(t).quiet() // it disconnects clients, which the server logs: shown only if this test fails
		l := newFakeListener(t)
		s, _ := startPipe(t, l, tight)
		synctest.Wait() // Serve is in Accept
		before := ourGoroutines()
		c, conn := s.connectPipe(t)
		sent := append(randomBytes(512<<10), "that is all\n"...) // 4 chunks of 128 KiB
		go c.Write(sent)
		got := make([]byte, len(sent))
		n, err := io.ReadFull(c, got)
		if d := mismatch(got[:n], sent); d != "" || err != nil {
			l.fatalf(t, "a client sent %d bytes at once and read its echo: %s, then %s", len(sent), d, explain(err))
		}
		time.Sleep(21 * time.Second)
		synctest.Wait()
		expectCutOff(t, l, conn, before, "a client sent 512 KiB and a line at once, read its echo, then said nothing "+
			"for 21s (Idle: 10s; measured per chunk, silence may last 2·Idle, not more)",
			"Causes that fit: silence judged by bytes sent in earlier chunks (only this chunk's n counts: "+
				"n == 0 is silence), or a deadline moved on from the last one instead of from time.Now() "+
				"(each chunk done early banks time)")
	})
}

// TestServeCutsOffAClientThatNeverReads: a client that sends and never reads
// its echo leaves its handler blocked in Write. Without a write deadline
// that handler, its connection and its buffers stay forever. With one,
// it is cut off by Idle+Write (15s).
func TestServeCutsOffAClientThatNeverReads(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		captureLog(t).quiet() // it disconnects clients, which the server logs: shown only if this test fails
		l := newFakeListener(t)
		s, _ := startPipe(t, l, tight)
		synctest.Wait() // Serve is in Accept
		before := ourGoroutines()
		c, conn := s.connectPipe(t)
		c.SetDeadline(time.Now().Add(time.Hour))
		go c.Write(randomBytes(1 << 20)) // ends when the server closes
		time.Sleep(16 * time.Second)
		synctest.Wait()
		expectCutOff(t, l, conn, before, "a client sent 1 MiB and never read its echo, for 16s (Idle+Write: 15s)",
			"Before each chunk, set a write deadline too (conn.SetWriteDeadline): a read deadline does not "+
				"wake a Write blocked on a client that does not read")
	})
}

// TestServeLeavesNoHolesForASlowReader: a client that reads its echo at 1 KiB every
// 4s takes far longer than Idle+Write to take a chunk: it is cut off. What
// it got until then must be the start of what it sent, without a hole:
// once a write deadline has passed, the bytes read and not yet written
// are gone, and going on would skip them.
func TestServeLeavesNoHolesForASlowReader(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		captureLog(t).quiet() // it disconnects clients, which the server logs: shown only if this test fails
		l := newFakeListener(t)
		s, _ := startPipe(t, l, tight)
		c, _ := s.connectPipe(t)
		c.SetDeadline(time.Now().Add(time.Hour))
		sent := randomBytes(256 << 10)
		go c.Write(sent)
		var got []byte
		var err error
		for range 30 { // 2 minutes
			var b []byte
			b, err = readPipe(c, 1<<10)
			got = append(got, b...)
			if err != nil {
				break
			}
			time.Sleep(4 * time.Second)
		}
		if d := mismatch(got, sent[:min(len(got), len(sent))]); d != "" {
			l.fatalf(t, "a client sent 256 KiB and read its echo 1 KiB every 4s; it got %d bytes, then %s, and they "+
				"are not the start of what it sent: %s. A hole: bytes the server read and never wrote. That is what going "+
				"on after a write deadline does, since the bytes read and not yet written are lost then. Go on only "+
				"after a read deadline (time.Now().Before(the write deadline you set): when it passes, time.Now() may "+
				"equal it); after a write deadline, return", len(got), explain(err), d)
		}
	})
}

// TestServeLogsWhyAnEchoWentUnread: a client cut off for not reading its echo is
// worth a line in the log, and one that says so: it was not silent.
// (After TestServeLeavesNoHolesForASlowReader: a hole is the worse news.)
func TestServeLogsWhyAnEchoWentUnread(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		logs := captureLog(t)
		logs.quiet() // it logs on purpose: shown only if this test fails
		l := newFakeListener(t)
		s, _ := startPipe(t, l, tight)
		c, conn := s.connectPipe(t)
		c.SetDeadline(time.Now().Add(time.Hour))
		go c.Write(randomBytes(1 << 20)) // ends when the server closes
		time.Sleep(16 * time.Second)
		synctest.Wait()
		if conn.closeCount() == 0 {
			l.fatalf(t, "a client sent 1 MiB and never read its echo, for 16s (Idle+Write: 15s), and was still connected")
		}
		switch log := logs.String(); {
		case log == "(nothing)":
			l.fatalf(t, "the server cut off a client that never read its echo, and logged nothing: return an error "+
				"from handle, so whoever runs the server knows why clients were dropped")
		case strings.Contains(log, "silent"):
			l.fatalf(t, "the server cut off a client that sent 1 MiB and never read its echo, and logged: %s. It was "+
				"not silent: tell the write deadline from the read one (time.Now() against the write deadline) "+
				"before you look at n", strings.TrimSpace(log))
		}
	})
}

// TestServeDoesNotPollAnIdleClient: a handler whose client is quiet waits, in one
// Read, until its deadline: it does not wake up again and again to look.
func TestServeDoesNotPollAnIdleClient(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		captureLog(t).quiet() // it disconnects clients, which the server logs: shown only if this test fails
		l := newFakeListener(t)
		s, conns := startPipe(t, l, tight)
		c, _ := s.connectPipe(t)
		if err := pipeEcho(c, "hello"); err != nil {
			l.fatalf(t, "sent %q, then %s", "hello", explain(err))
		}
		time.Sleep(time.Second)
		synctest.Wait()
		calls := used(conns.conn(-1))
		time.Sleep(8 * time.Second)
		synctest.Wait()
		if n := used(conns.conn(-1)) - calls; n > 4 {
			l.fatalf(t, "a client was quiet for 8s, and its handler called Read or set a deadline %d times meanwhile: "+
				"it polls, and a thousand quiet clients keep a CPU busy. Set the deadline once per chunk and let "+
				"io.CopyN wait, in one Read, until the client sends or the deadline passes", n)
		}
	})
}

// TestServeRefusesConnectionsOverTheCap: with MaxConns 2 and two clients
// being served, a third is refused at once: accepted, and closed, without
// a byte. Once a client leaves, the next one is served.
func TestServeRefusesConnectionsOverTheCap(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		s, conns := startPipe(t, l, tight)
		a, _ := s.connectPipe(t)
		b, _ := s.connectPipe(t)
		for _, c := range []net.Conn{a, b} {
			if err := pipeEcho(c, "served\n"); err != nil {
				l.fatalf(t, "with MaxConns 2, the first two clients must be served; one sent %q and got %s",
					"served\n", explain(err))
			}
		}
		third, conn := connectOverCap(t, s, l, "two clients were being served, MaxConns is 2")
		expectRefused(t, l, third, conn, "two clients were being served, MaxConns is 2")
		synctest.Wait()
		if s.stopped() {
			l.fatalf(t, "Serve refused a client over the cap, and then returned (err = %v): refuse and go on to the "+
				"next Accept (continue); only a closed listener ends Serve", s.err)
		}
		if n := used(conns.conn(-1)); n > 0 {
			l.fatalf(t, "Serve refused a client over the cap and closed its connection, and then a handler used it "+
				"(%d calls to Read or to set a deadline): after refusing, go on to the next Accept (continue). A "+
				"handler for a refused client gives back a slot it never took", n)
		}
		if err := pipeEcho(a, "still served\n"); err != nil {
			l.fatalf(t, "a third client was refused, and then the first client, sending %q, got %s: refusing one "+
				"client must not touch the others", "still served\n", explain(err))
		}
		b.Close() // one leaves: its slot is free again
		synctest.Wait()
		d, _ := s.connectPipe(t)
		if err := pipeEcho(d, "my turn\n"); err != nil {
			l.fatalf(t, "with MaxConns 2, one of two clients left, and the next client, sending %q, got %s: when a "+
				"handler ends, give its slot back; and a client refused before must not keep one", "my turn\n", explain(err))
		}
	})
}

// TestServeGivesBackTheSlotsOfFailedConnections: connections that end badly
// (here: silent clients, disconnected by the idle timeout) give their slot
// back like any other. Three rounds of two of them, then one more client:
// it is served.
func TestServeGivesBackTheSlotsOfFailedConnections(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		captureLog(t).quiet() // it disconnects clients, which the server logs: shown only if this test fails
		l := newFakeListener(t)
		s, _ := startPipe(t, l, tight)
		for round := 1; round <= 3; round++ {
			_, x := s.connectPipe(t)
			_, y := s.connectPipe(t)
			time.Sleep(11 * time.Second)
			synctest.Wait()
			if x.closeCount() == 0 || y.closeCount() == 0 {
				l.fatalf(t, "round %d: two clients were silent for 11s (Idle: 10s), and were not both disconnected", round)
			}
		}
		c, conn := connectOverCap(t, s, l, "6 silent clients had come and been disconnected, none was connected")
		if err := pipeEcho(c, "anyone there?\n"); err != nil {
			cause := "when a handler ends, on every path, give its slot back (defer, first thing in the goroutine)"
			if conn.closeCount() > 0 {
				cause = "it was refused: the slots of the clients disconnected for silence were never given back. " +
					"When a handler ends, on every path, give its slot back (defer, first thing in the goroutine)"
			}
			l.fatalf(t, "with MaxConns 2, 6 silent clients had come and been disconnected, and the next client, "+
				"sending %q, got %s: %s", "anyone there?\n", explain(err), cause)
		}
	})
}

// TestServeCountsTheCapWhereClientsAreAdmitted: three clients arrive at once,
// with MaxConns 2. Serve may accept all three before any handler has run:
// the slot must be taken in Serve, before the next Accept, or all three
// find the count at 0.
func TestServeCountsTheCapWhereClientsAreAdmitted(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		// One P: Serve accepts the three without pausing, and no handler
		// runs until it waits for a fourth. Any order of events a server
		// must survive; this one makes a late count show every time.
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		l := newFakeListener(t)
		conns := l.queue(t, 3)
		startPipe(t, l, tight)
		synctest.Wait()
		refused := 0
		for _, conn := range conns {
			refused += min(conn.closeCount(), 1)
		}
		if refused != 1 {
			t.Fatalf("3 clients arrived at once, MaxConns 2, and Serve accepted the three before any handler ran: "+
				"%d were refused, want 1. If the cap is not enforced at all, TestServeRefusesConnectionsOverTheCap says so. "+
				"If it is, the count comes too late: a handler's goroutine that counts itself in when it starts has "+
				"not run yet when Serve checks the count for the next client. Take the slot in Serve itself, before "+
				"the next Accept (a channel with room for MaxConns, and a select with a default)", refused)
		}
	})
}

// TestServePausesAfterAcceptErrors: when Accept keeps failing (here: out
// of file descriptors), accept logs, pauses and retries, as in lesson 02.
func TestServePausesAfterAcceptErrors(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		logs := captureLog(t)
		logs.quiet() // it logs on purpose: shown only if this test fails
		l := newFakeListener(t)
		l.failAlways()
		s, _ := startPipe(t, l, tight)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if s.stopped() {
			l.fatalf(t, "Serve returned (err = %v) while Accept was failing with %q: only a closed listener ends "+
				"Serve; for other errors, accept pauses and tries again", s.err, acceptError)
		}
		if n := len(l.acceptTimes()); n < 5 || n > 25 {
			l.fatalf(t, "Accept was called %d times in 10s while it kept failing; want about 17", n)
		}
		if !strings.Contains(logs.String(), "too many open files") {
			l.fatalf(t, "Accept failed again and again, and the server logged nothing about it. The log:\n%s", logs)
		}
	})
}

// ---- on real sockets, again ----

// TestServeLogsClientErrors: a client that resets its connection is
// worth a line in the log; one that leaves cleanly is not.
func TestServeLogsClientErrors(t *testing.T) {
	checkNoLeaks(t)
	logs := captureLog(t)
	logs.quiet() // it logs on purpose: shown only if this test fails
	s := start(t, listen(t), generous)
	polite := s.connect(t)
	if got, err := polite.sendAll([]byte("bye\n")); string(got) != "bye\n" || err != nil {
		s.fatalf(t, "sent %q then CloseWrite, got back %q and %s", "bye\n", got, explain(err))
	}
	rude := s.connect(t)
	rude.expectEcho(t, "about to vanish\n")
	rude.SetLinger(0) // close with a reset (RST) instead of a clean goodbye
	rude.Close()
	if !logs.waitFor(rude.LocalAddr().String()) {
		t.Fatalf("client %s reset its connection, and the server logged nothing about it: when io.CopyN fails "+
			"with an error other than io.EOF or a deadline, return it (handle's caller logs it); going round "+
			"again hides it. The log:\n%s", rude.LocalAddr(), logs)
	}
	if logs.contains(polite.LocalAddr().String()) {
		t.Fatalf("client %s sent a line, half-closed, read its echo and left: nothing went wrong, and the server "+
			"logged it. io.EOF is the client's goodbye: return nil. The log:\n%s", polite.LocalAddr(), logs)
	}
}

// TestServeKeepsIdleConnectionsCheap: a connection whose client is quiet costs
// its goroutine and little else. On Linux, io.CopyN from a TCP connection
// to a TCP connection lets the kernel move the bytes (splice): no buffer
// of ours, even while it waits. A reader wrapped around the connection
// turns that off, and each idle connection then holds io.Copy's 32 KiB.
func TestServeKeepsIdleConnectionsCheap(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("splice, the kernel's copy between sockets, is Linux's")
	}
	checkNoLeaks(t)
	s := start(t, listen(t), generous)
	s.connect(t).expectEcho(t, "warm up\n") // the server's own first allocations
	before := memInUse()
	const n = 100
	for range n {
		s.connect(t).expectEcho(t, "x")
	}
	var waiting, spliced int
	if st, ok := waitUntil(func() bool {
		waiting, spliced = idleHandlers()
		return waiting >= n+1
	}); !ok {
		t.Fatalf("%d clients were connected and quiet, and only %d handlers waited for them: %s. Where your code is:\n\n%s",
			n+1, waiting, st, where(st.gs))
	}
	perConn := (memInUse() - before) / n
	if spliced < waiting {
		t.Fatalf("of %d handlers waiting for a quiet client, %d waited inside the kernel's copy (splice), and the rest "+
			"in a Read of their own, through a buffer, %d bytes per connection in all. Call io.CopyN(conn, conn, chunk) "+
			"on the connection itself, not on a reader or writer wrapped around it (one that refreshes a deadline on "+
			"every Read, say): Go hands the copy to the kernel only when it sees two TCP connections",
			waiting, spliced, perConn)
	}
	if perConn > 16<<10 {
		t.Fatalf("each quiet connection cost %d bytes of memory (goroutine stacks and heap): want at most 16 KiB. "+
			"Does each handler hold a buffer of its own, or a goroutine more than the one that echoes?", perConn)
	}
}

// TestServeReturnsWhenListenerCloses: closing the listener stops Serve,
// which returns nil; a client still connected is served until it leaves.
func TestServeReturnsWhenListenerCloses(t *testing.T) {
	checkNoLeaks(t)
	l := listen(t)
	s := start(t, l, generous)
	c := s.connect(t)
	c.expectEcho(t, "hello\n")
	l.Close()
	if st, ok := waitClosed(s.done); !ok {
		t.Fatalf("after its listener was closed, Serve had not returned: %s. Where your code is:\n\n%s", st, where(st.gs))
	}
	if s.err != nil {
		t.Fatalf("after its listener was closed, Serve returned %q; want nil, the normal way to stop", s.err)
	}
	c.expectEcho(t, "still here after Serve returned\n")
}

// ---- plumbing for the tests above (the rest is in kit_*_test.go) ----

// start runs Serve(l, lim) until the test ends (startServer, in
// kit_net_test.go, says what it checks then).
func start(t *testing.T, l net.Listener, lim Limits) *server {
	t.Helper()
	s := startServer(t, l, func(_ context.Context, l net.Listener) error { return Serve(l, lim) })
	s.stoppedBy = "closed its listener"
	return s
}

// startPipe is start on a fake listener, tapped (kit_tap_test.go), so that
// the test sees what the server does with each connection. (Not on real
// sockets: tapped, a connection is no *net.TCPConn, and splice is off.)
func startPipe(t *testing.T, l *fakeListener, lim Limits) (*server, *tapListener) {
	t.Helper()
	conns := tap(l)
	s := startServer(t, l, func(context.Context, net.Listener) error { return Serve(conns, lim) })
	s.stoppedBy = "closed its listener"
	return s, conns
}

// connectOverCap connects one more client, and fails the test, saying
// so, if Serve does not accept it: a server over its cap refuses, it
// does not make clients wait.
func connectOverCap(t *testing.T, s *server, l *fakeListener, situation string) (net.Conn, *fakeConn) {
	t.Helper()
	c, conn, ok := s.tryConnectPipe(t)
	if !ok {
		l.fatalf(t, "%s, and Serve did not accept the next client in %v: it waits for a slot before it accepts, "+
			"so clients queue with no answer. This server refuses instead: accept, and if no slot is free, close "+
			"the connection at once. Where your code is:\n\n%s", situation, patience, where(ourGoroutines()))
	}
	return c, conn
}

// expectRefused: the server closed conn at once, without reading from
// it, and started no handler for it.
func expectRefused(t *testing.T, l *fakeListener, client net.Conn, conn *fakeConn, situation string) {
	t.Helper()
	synctest.Wait()
	if conn.closeCount() > 0 {
		return
	}
	if got, _ := readPipe(client, 64); len(got) > 0 {
		l.fatalf(t, "%s; Serve sent the next client %q, where it should refuse without a byte: close the "+
			"connection, nothing else (a client that does not read would hold Serve up)", situation, got)
	}
	werr := make(chan error, 1)
	go func() { werr <- pipeEcho(client, "let me in\n") }()
	synctest.Wait()
	select {
	case err := <-werr:
		if err == nil {
			l.fatalf(t, "%s, and the next client was served all the same: the cap is not enforced. When no slot "+
				"is free, close the connection at once", situation)
		}
	default:
	}
	if conn.closeCount() > 0 {
		l.fatalf(t, "%s; Serve accepted the next client and closed it only later, not at once: when no slot is "+
			"free, close the connection before the next Accept", situation)
	}
	l.fatalf(t, "%s; Serve accepted the next client and neither served it nor closed it: it waits, with no answer. "+
		"If it waits for a slot, it queues, and this server refuses instead: close the connection at once. "+
		"Where your code is:\n\n%s", situation, where(ourGoroutines()))
}

// expectCutOff: the handler of conn has ended and closed it.
func expectCutOff(t *testing.T, l *fakeListener, conn *fakeConn, before map[int]goroutine, situation, fix string) {
	t.Helper()
	left := startedSince(before)
	switch {
	case conn.closeCount() == 0 && len(left) == 0:
		l.fatalf(t, "%s: its handler had returned, and left the connection open. Close it on every path, "+
			"the timeouts' too: defer conn.Close()", situation)
	case conn.closeCount() == 0:
		l.fatalf(t, "%s, and was still connected. %s. Where your code is:\n\n%s", situation, fix, where(left))
	case len(left) > 0:
		l.fatalf(t, "%s: its connection was closed, and %s of your code still ran: every goroutine of a "+
			"connection must end with it. Where:\n\n%s", situation, count(len(left), "goroutine", "goroutines"), where(left))
	}
}

// used counts the server's calls to Read and to set a deadline on c.
func used(c *tapConn) int {
	s := c.seen()
	return s.reads + s.deadlines
}

// memInUse is the memory the process uses for what is alive: heap and
// goroutine stacks, after a collection.
func memInUse() int {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int(ms.HeapAlloc + ms.StackInuse)
}

// idleHandlers counts the goroutines in handle that wait for their client
// to send (IO wait), and of those, the ones waiting inside splice.
func idleHandlers() (waiting, spliced int) {
	for _, g := range strings.Split(allStacks(), "\n\n") {
		if !strings.Contains(g, "[IO wait") || !strings.Contains(g, ".handle(") {
			continue
		}
		waiting++
		if strings.Contains(g, "splice") {
			spliced++
		}
	}
	return waiting, spliced
}
