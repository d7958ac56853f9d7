// Lesson 02 tests. The first ones are new: a server that serves many
// clients at once, whose goroutines end with their clients. The rest are
// lesson 01's, still true. Run them with `make lesson-02 test`; see
// README.md for the task.

package echo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestServeEchoesTwoClientsAtOnce: a client that stays connected and quiet
// does not keep the next client waiting.
func TestServeEchoesTwoClientsAtOnce(t *testing.T) {
	checkNoLeaks(t)
	l := &acceptWatcher{Listener: listen(t)}
	s := start(t, l)
	a := s.connect(t)
	a.expectEcho(t, "I am client A, and I will stay connected\n")

	b := s.connect(t)
	if _, err := b.Write([]byte("I am client B\n")); err != nil {
		s.fatalf(t, "client B: write: %v", err)
	}
	// Wait for B's echo, or for the sign that it cannot come: Serve's own
	// goroutine blocked on a connection, not in Accept. That is no guess
	// about time, so the lesson's first failure comes at once.
	got := make([]byte, len("I am client B\n"))
	var n int
	var err error
	read := make(chan struct{})
	go func() {
		defer close(read)
		n, err = io.ReadFull(b, got)
	}()
	var serving map[int]goroutine
	st, ok := waitOn(func() bool {
		select {
		case <-read:
			return true
		default:
		}
		serving = l.serveBusyElsewhere()
		return serving != nil
	}, read)
	if serving != nil {
		s.fatalf(t, "client B got no echo, while client A stayed connected: Serve itself waits on a connection, "+
			"not in Accept, so no one takes client B: is each connection handled in its own goroutine (go ...)? "+
			"While Serve runs handle itself, it cannot Accept anyone else. Where Serve is:\n\n%s", where(serving))
	}
	if !ok {
		s.fatalf(t, "client B got no echo, while client A stayed connected: %s; is each connection handled in its own "+
			"goroutine (go ...)? Where your code is:\n\n%s", st, where(st.gs))
	}
	if err != nil {
		s.fatalf(t, "client B got %q and then %s, while client A stayed connected: is each connection handled in its "+
			"own goroutine (go ...)? While Serve runs handle itself, it cannot Accept anyone else", got[:n], explain(err))
	}
	a.expectEcho(t, "A again\n") // and A is still served
}

// TestServeEchoesManyClientsAtOnce: twenty clients connect and stay connected;
// the last to arrive is served first, the first last.
func TestServeEchoesManyClientsAtOnce(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	var clients []*client
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
			s.fatalf(t, "20 clients connected; client %d sent %q and got back %q and %s. "+
				"Either no goroutine serves its connection (start one as soon as it is accepted), or one serves "+
				"another client's: does each goroutine get a conn of its own (conn, err := inside the loop), "+
				"not a variable the loop shares with every goroutine? Or Serve serves fewer than 20 clients at once "+
				"(a limit, a semaphore): this server has no limit. Where your code is:\n\n%s",
				i+1, msg, got[:n], explain(err), where(ourGoroutines()))
		}
	}
}

// TestServeEndsHandlersWhenClientsLeave: when a client leaves, however it
// leaves, the goroutine that served it ends.
func TestServeEndsHandlersWhenClientsLeave(t *testing.T) {
	checkNoLeaks(t)
	before := ourGoroutines()
	s := start(t, listen(t))
	polite, rude, abrupt := s.connect(t), s.connect(t), s.connect(t)
	for _, c := range []*client{polite, rude, abrupt} {
		c.expectEcho(t, "hello\n")
	}
	if got, err := polite.sendAll([]byte("goodbye\n")); string(got) != "goodbye\n" || err != nil {
		s.fatalf(t, "sent %q then CloseWrite, got back %s and %s", "goodbye\n", short(string(got)), explain(err))
	}
	rude.SetLinger(0) // a reset, not a goodbye
	rude.Close()
	abrupt.Close() // a goodbye without waiting for the server's

	var left map[int]goroutine // started since the test began
	st, ok := waitUntil(func() bool {
		left = startedSince(before)
		return len(left) <= 1 // Serve's own
	})
	if !ok {
		t.Fatalf("3 clients left (one politely, one with a reset, one by closing), yet %d goroutines were still "+
			"running this package's code: %s. Only Serve's should remain: a handler must return when its client goes. "+
			"Where they are:\n\n%s", len(left), st, where(left))
	}
}

// TestServeEchoesEachMessage: what a client sends comes back, message after
// message, on one connection that stays open in between.
func TestServeEchoesEachMessage(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	c := s.connect(t)
	for _, msg := range []string{"hello\n", "echo, echo, echo\n", "no newline", "x"} {
		c.expectEcho(t, msg)
	}
}

// TestServeWaitsQuietlyOnIdleClients: a client that stays connected and
// says nothing costs the server nothing: its handler waits in one Read
// until bytes come, instead of waking again and again to check. On a fake
// clock (testing/synctest), where ten seconds of silence take no time, and
// the tapped connection counts the handler's Reads.
func TestServeWaitsQuietlyOnIdleClients(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		l := newFakeListener(t)
		conns := tap(l)
		s := startServer(t, l, func(context.Context, net.Listener) error { return Serve(conns) })
		s.stoppedBy = "closed its listener"
		c, _ := s.connectPipe(t)
		expectPipeEcho(t, c, "hello\n")
		synctest.Wait() // the handler waits for the next bytes
		before := conns.seen()
		time.Sleep(10 * time.Second) // on the fake clock: no real time passes
		synctest.Wait()
		after := conns.seen()
		if reads := after.reads - before.reads; reads > 10 {
			l.fatalf(t, "a client stayed connected and silent for 10s (on the test's fake clock), and meanwhile the "+
				"server began %d Reads on its connection and set %d deadlines: it wakes again and again to check for "+
				"bytes, instead of waiting for them. Each wake-up costs CPU, for every idle client: a thousand quiet "+
				"clients keep a core busy doing nothing. A Read blocks until bytes come or the client leaves: no "+
				"deadline is needed to wait, and io.Copy(conn, conn) waits in one Read",
				reads, after.deadlines-before.deadlines)
		}
		if err := pipeEcho(c, "still here after 10s\n"); err != nil {
			l.fatalf(t, "a client stayed connected and silent for 10s (on the test's fake clock), then sent "+
				"%q and got %v: a quiet client is still a client, served until it leaves", "still here after 10s\n", err)
		}
	})
}

// TestServeClosesConnectionWhenClientIsDone: once the client says it has nothing
// more to send, the server closes the connection. That close is how the
// client knows the echo is complete.
func TestServeClosesConnectionWhenClientIsDone(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	c := s.connect(t)
	c.expectEcho(t, "last words\n")
	if err := c.CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	n, err := c.Read(make([]byte, 1)) // gives up after patience without a byte
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

// TestServeEchoesEveryByte: a payload far larger than any buffer, random binary
// data that ends without a newline, comes back whole and unchanged.
func TestServeEchoesEveryByte(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	want := randomBytes(4 << 20)
	got, err := s.connect(t).sendAll(want)
	if d := mismatch(got, want); d != "" {
		s.fatalf(t, "sent %d random bytes then CloseWrite; %s (read error: %v). "+
			"TCP delivers the bytes in pieces of any size: keep reading and writing until Read says io.EOF, "+
			"and write back exactly the n bytes each Read returned", len(want), d, err)
	}
	if err != nil {
		s.fatalf(t, "got the whole echo back, then %s", explain(err))
	}
}

// TestServeTakesClientsOneAfterAnother: when a client leaves, the server
// takes the next one.
func TestServeTakesClientsOneAfterAnother(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	for i := 1; i <= 3; i++ {
		msg := fmt.Sprintf("client %d of 3\n", i)
		got, err := s.connect(t).sendAll([]byte(msg))
		if string(got) != msg || err != nil {
			s.fatalf(t, "client %d of 3 sent %q then CloseWrite, got back %s and %s; "+
				"after a client leaves, handle must return and Serve must Accept the next",
				i, msg, short(string(got)), explain(err))
		}
	}
}

// TestServeKeepsServingAfterClientReset: a client that vanishes (its connection
// reset) is that client's problem, not the server's.
func TestServeKeepsServingAfterClientReset(t *testing.T) {
	checkNoLeaks(t)
	logs := captureLog(t)
	logs.quiet() // it makes the code log on purpose: shown only if this test fails
	s := start(t, listen(t))
	c := s.connect(t)
	c.expectEcho(t, "about to vanish\n")
	c.SetLinger(0) // close with a reset (RST) instead of a clean goodbye
	c.Close()

	next := s.connect(t)
	got, err := next.sendAll([]byte("still there?\n"))
	if string(got) != "still there?\n" || err != nil {
		s.fatalf(t, "after a client reset its connection, the next client got %s and %s; "+
			"handle returns an error for the reset client: log it and keep serving", short(string(got)), explain(err))
	}
	if !logs.waitFor(c.LocalAddr().String()) {
		t.Fatalf("the server kept serving, but logged nothing about client %s, whose connection was reset; "+
			"log the error handle returns (log.Printf) so whoever runs the server can see what went wrong. The log:\n%s",
			c.LocalAddr(), logs)
	}
	// An error handle returned for next is logged after handle returns:
	// wait until no code of ours is busy with a client any more.
	waitUntil(func() bool {
		gs := ourGoroutines()
		for _, g := range gs {
			if g.busy() || g.in("handle") {
				return false
			}
		}
		return len(gs) <= 1 // Serve, back in Accept
	})
	if strings.Contains(logs.String(), next.LocalAddr().String()) {
		t.Fatalf("the server logged an error for client %s, which did nothing wrong. The log:\n%s", next.LocalAddr(), logs)
	}
}

// TestServeKeepsServingAfterManyClientResets: a hundred clients, one
// after another, each echoed and then reset; the next is still served.
// Whatever a server counts per client, it must give back however the
// client left.
func TestServeKeepsServingAfterManyClientResets(t *testing.T) {
	checkNoLeaks(t)
	captureLog(t).quiet() // it makes the code log on purpose: shown only if this test fails
	s := start(t, listen(t))
	const resets = 100
	for i := 1; i <= resets+1; i++ {
		c := s.connect(t)
		msg := fmt.Sprintf("client %d\n", i)
		got := make([]byte, len(msg))
		_, err := c.Write([]byte(msg))
		n := 0
		if err == nil {
			n, err = io.ReadFull(c, got)
		}
		if err != nil || string(got) != msg {
			s.fatalf(t, "%d clients, one after another, were each echoed and then reset their connection; "+
				"client %d sent %q and got back %q and %s. Something in Serve stops serving after clients that fail: "+
				"is a slot (a semaphore, a count of clients) given back only when handle returns nil? Give it back "+
				"however handle returns (defer). Where your code is:\n\n%s",
				i-1, i, msg, got[:n], explain(err), where(ourGoroutines()))
		}
		if i <= resets {
			c.SetLinger(0) // a reset: handle returns an error
			c.Close()
		}
	}
}

// TestServeSurvivesAcceptErrors: a failing Accept (here: out of file
// descriptors) does not stop the server; it tries again.
func TestServeSurvivesAcceptErrors(t *testing.T) {
	checkNoLeaks(t)
	logs := captureLog(t)
	logs.quiet() // it makes the code log on purpose: shown only if this test fails
	l := &flakyListener{Listener: listen(t), failures: 3}
	s := start(t, l)
	got, err := s.connect(t).sendAll([]byte("hello after 3 failed Accepts\n"))
	if string(got) != "hello after 3 failed Accepts\n" || err != nil {
		s.fatalf(t, "Accept failed 3 times with %q, then a client got %s and %s; "+
			"only a closed listener (errors.Is(err, net.ErrClosed)) ends Serve: for other errors, wait a little and Accept again",
			acceptError, short(string(got)), explain(err))
	}
	if !strings.Contains(logs.String(), "too many open files") {
		t.Fatalf("Accept failed 3 times with %q, and the server logged nothing about it; "+
			"log the error before you retry, or no one will know why clients wait. The log:\n%s", acceptError, logs)
	}
}

// TestServePausesAfterAcceptErrors: when Accept keeps failing, the server waits
// between tries, longer each time but never more than a second, instead of
// spinning a CPU core at 100%. It runs on a fake clock (testing/synctest):
// ten seconds of failures take no time at all, and the pauses are exact.
func TestServePausesAfterAcceptErrors(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		captureLog(t).quiet() // it makes the code log on purpose: shown only if this test fails
		l := newFakeListener(t)
		l.failAlways()
		s := start(t, l)
		time.Sleep(10 * time.Second) // on the fake clock: no real time passes
		synctest.Wait()
		if s.stopped() {
			l.fatalf(t, "Serve returned (err = %v) while Accept was failing with %q; only a closed listener "+
				"(errors.Is(err, net.ErrClosed)) ends Serve: for other errors, pause and Accept again", s.err, acceptError)
		}
		calls := l.acceptTimes()
		l.Close()
		select {
		case <-s.done:
		case <-time.After(2 * time.Second): // on the fake clock; longer than any pause should be
			l.fatalf(t, "the listener was closed, and 2s later Serve was still running: "+
				"when Accept fails with net.ErrClosed, Serve must return")
		}
		var pauses []time.Duration
		var list []string // the pauses, for messages: the first ten
		longest, inFirstSecond := time.Duration(0), 0
		for i, at := range calls {
			if at.Sub(calls[0]) < time.Second {
				inFirstSecond++
			}
			if i > 0 {
				pauses = append(pauses, at.Sub(calls[i-1]))
				longest = max(longest, pauses[i-1])
				list = append(list, pauses[i-1].String())
			}
		}
		for i := 1; i < len(pauses); i++ {
			if pauses[i] < pauses[i-1] {
				l.fatalf(t, "after failed Accept number %d the server paused %v, after number %d only %v: "+
					"make each pause in a row at least as long as the one before (double it, up to 1s). The pauses: %s",
					i, pauses[i-1], i+1, pauses[i], firstFew(list, 10))
			}
		}
		if inFirstSecond > 20 {
			l.fatalf(t, "Accept failed %d times in its first second; a failed Accept is usually still failing a moment later, "+
				"so pause before trying again: 5ms the first time, twice as long each time after, up to 1s. The pauses: %s",
				inFirstSecond, firstFew(list, 10))
		}
		if longest > time.Second {
			l.fatalf(t, "the server paused %v after a failed Accept: never more than a second, "+
				"or clients wait that long once the trouble has passed. The pauses: %s", longest, firstFew(list, 10))
		}
		if longest < 500*time.Millisecond {
			l.fatalf(t, "after 10s of failed Accepts the longest pause was %v: let the pause grow "+
				"(double it after each failure in a row) up to 1s, so a lasting failure costs next to nothing. The pauses: %s",
				longest, firstFew(list, 10))
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
	c.expectEcho(t, "hello\n")
	l.Close()
	if st, ok := waitClosed(s.done); !ok {
		why := "Serve should be back in Accept (which then fails with net.ErrClosed), not busy with a client"
		for _, g := range st.gs {
			switch {
			case g.in("Serve") && g.state == "sync.WaitGroup.Wait":
				why = "Serve waits in wg.Wait, for a handler whose client is still connected: in this lesson " +
					"Serve returns once its listener is closed, and each handler goes on until its own client leaves"
			case g.in("Serve") && g.in("handle"):
				why = "Serve itself is in handle, busy with that client: serve each connection in a goroutine " +
					"of its own, so that Serve is back in Accept (which then fails with net.ErrClosed)"
			}
		}
		t.Fatalf("after its listener was closed, while a client was connected, Serve had not returned: %s. "+
			"%s. Where your code is:\n\n%s", st, why, where(st.gs))
	}
	if s.err != nil {
		t.Fatalf("after its listener was closed, Serve returned %q; want nil: "+
			"check errors.Is(err, net.ErrClosed) and return nil, the normal way to stop", s.err)
	}
	msg := "still here after Serve returned\n"
	got := make([]byte, len(msg))
	_, err := c.Write([]byte(msg))
	n := 0
	if err == nil {
		n, err = io.ReadFull(c, got)
	}
	switch {
	case err != nil && !isTimeout(err):
		t.Fatalf("the test closed the listener and Serve returned nil, as it should; then the client, still "+
			"connected, sent %q and got back %q and then %s: the connection ended with Serve. Does Serve close the "+
			"connections as it returns? A defer conn.Close() inside Serve's loop runs only when Serve returns, for "+
			"every connection at once. Or does the handler stop when Serve does? Only handle closes conn, once its "+
			"client is done. The log:\n%s", msg, got[:n], explain(err), s.logs)
	case err != nil:
		t.Fatalf("the test closed the listener and Serve returned nil, as it should; then the client, still "+
			"connected, sent %q and got back %q and then %s: does the handler stop echoing when Serve returns? "+
			"It goes on until its own client leaves. Where your code is:\n\n%s", msg, got[:n], explain(err),
			where(ourGoroutines()))
	case string(got) != msg:
		t.Fatalf("after Serve returned, sent %q, got back %q; an echo sends back exactly the bytes it received", msg, got)
	}
}

// ---- plumbing for the tests above (the rest is in kit_*_test.go) ----

// start runs this lesson's Serve on l until the test ends (startServer,
// in kit_net_test.go, says what it checks then).
func start(t *testing.T, l net.Listener) *server {
	t.Helper()
	s := startServer(t, l, func(_ context.Context, l net.Listener) error { return Serve(l) })
	s.stoppedBy = "closed its listener"
	return s
}

// An acceptWatcher is a listener that knows whether Serve is in Accept.
type acceptWatcher struct {
	net.Listener
	calls, in atomic.Int64 // Accept calls begun; in Accept now
}

func (l *acceptWatcher) Accept() (net.Conn, error) {
	l.calls.Add(1)
	l.in.Add(1)
	defer l.in.Add(-1)
	return l.Listener.Accept()
}

// serveBusyElsewhere returns Serve's goroutine if it is blocked on a
// connection (IO wait) while no Accept is under way, from before the look
// to after it: then Serve is reading or writing a client itself, and only
// that client can free it. Otherwise it returns nil.
func (l *acceptWatcher) serveBusyElsewhere() map[int]goroutine {
	calls, in := l.calls.Load(), l.in.Load()
	gs := ourGoroutines()
	if in != 0 || l.in.Load() != 0 || l.calls.Load() != calls {
		return nil
	}
	for id, g := range gs {
		if g.in("Serve") && g.state == "IO wait" {
			return map[int]goroutine{id: g}
		}
	}
	return nil
}
