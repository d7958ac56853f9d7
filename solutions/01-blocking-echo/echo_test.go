// Lesson 01 tests. Each test is one thing a blocking echo server must do;
// its failure message says what to look at. Run them with
// `make lesson-01 test`; see README.md for the task.

package echo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

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

// TestServeMakesSecondClientWait shows this lesson's limit on purpose:
// while one client is connected, the next one is not served at all.
// Lesson 02 removes the limit.
func TestServeMakesSecondClientWait(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	a := s.connect(t)
	a.expectEcho(t, "I am client A\n")

	b := s.connect(t) // the kernel completes the connection; Serve is busy with A
	if _, err := b.Write([]byte("I am client B\n")); err != nil {
		s.fatalf(t, "client B: write: %v", err)
	}
	// A wrong server echoes in microseconds; a late echo only passes unseen.
	b.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := b.TCPConn.Read(make([]byte, 64)); !isTimeout(err) {
		t.Fatalf("client B got (%d bytes, %v) while client A was still connected; "+
			"in this lesson the server serves one client at a time (Serve calls handle itself, no goroutine): "+
			"that limit is what lesson 02 is about", n, err)
	}

	a.Close()
	b.expectReply(t, "I am client B\n")
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
		saw := fmt.Sprintf("Accept failed 3 times with %q, then a client got %s and %s", acceptError, short(string(got)), explain(err))
		if gs := ourGoroutines(); !s.stopped() && len(gs) > 0 {
			why := "Serve had not returned, but it did not serve the client"
			for _, g := range gs {
				if g.in("Sleep") {
					why = "Serve had not returned: it was still in time.Sleep, pausing after a failed Accept. " +
						"Is the pause far longer than you meant? Start at 5ms, never more than 1s " +
						"(a time.Duration already has its unit: delay*time.Millisecond makes 5ms into 83 minutes)"
				}
			}
			t.Fatalf("%s. %s. Where your code was:\n\n%s", saw, why, where(gs))
		}
		s.fatalf(t, "%s; only a closed listener (errors.Is(err, net.ErrClosed)) ends Serve: "+
			"for other errors, wait a little and Accept again", saw)
	}
	if !strings.Contains(logs.String(), "too many open files") {
		t.Fatalf("Accept failed 3 times with %q, and the server logged nothing about it; "+
			"log the error before you retry, or no one will know why clients wait. The log:\n%s", acceptError, logs)
	}
}

// TestServeSurvivesAnyAcceptError: not only "too many open files": any
// Accept error other than a closed listener gets a pause and another try,
// whether or not it says it is temporary. On a fake clock (testing/synctest).
func TestServeSurvivesAnyAcceptError(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		captureLog(t).quiet() // it makes the code log on purpose: shown only if this test fails
		errs := []error{
			&net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.ENOBUFS)},
			&net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EPROTO)},
			errors.New("accept: the listener's own trouble"),
		}
		l := newFakeListener(t)
		l.script(t, append(errs, nil)...)
		s := start(t, l)
		time.Sleep(10 * time.Second) // on the fake clock: no real time passes
		synctest.Wait()
		calls := l.acceptTimes()
		if s.stopped() && len(calls) == 0 {
			t.Fatalf("Serve returned (err = %v) without calling Accept: it must accept connections until its "+
				"listener is closed", s.err)
		}
		if s.stopped() {
			t.Fatalf("Accept failed with %q, and Serve returned (err = %v) instead of trying again. "+
				"Only a closed listener (errors.Is(err, net.ErrClosed)) ends Serve: after any other error, "+
				"whatever it is (not only \"too many open files\", and temporary or not), pause and Accept again",
				errs[min(len(calls), len(errs))-1], s.err)
		}
		if len(calls) < len(errs)+2 {
			t.Fatalf("Accept failed %d times, and 10s later Serve had called it only %d times in all; "+
				"pause at most 1s, then Accept again. Where your code was:\n\n%s", len(errs), len(calls), where(ourGoroutines()))
		}
	})
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
		if pauses[0] > 5*time.Millisecond {
			l.fatalf(t, "the first pause after a failed Accept was %v: start at 5ms, so that a short trouble costs "+
				"clients next to nothing. Does the pause carry over from earlier failures, kept in a variable outside accept "+
				"(earlier tests made Accept fail too)? The pauses: %s", pauses[0], firstFew(list, 10))
		}
	})
}

// TestServeStartsPauseOverAfterAccept: an Accept that works ends the
// trouble, so the next failure pauses as briefly as the very first one,
// not as long as the last pause before it. On a fake clock.
func TestServeStartsPauseOverAfterAccept(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		captureLog(t).quiet() // it makes the code log on purpose: shown only if this test fails
		l := newFakeListener(t)
		l.script(t, acceptError, acceptError, acceptError, nil, acceptError)
		s := start(t, l)
		time.Sleep(10 * time.Second) // on the fake clock: no real time passes
		synctest.Wait()
		calls := l.acceptTimes()
		saw := "Accept failed 3 times, let a client in (who left at once), then failed once more"
		if s.stopped() {
			t.Fatalf("Serve returned (err = %v) after %d calls to Accept; the test's listener fails 3 times, lets in "+
				"a client who leaves at once, then fails once more. Only a closed listener ends Serve", s.err, len(calls))
		}
		if len(calls) < 6 {
			t.Fatalf("%s; 10s later Serve had called Accept only %d times in all (want 6: pause, at most 1s, "+
				"and Accept again). Where your code was:\n\n%s", saw, len(calls), where(ourGoroutines()))
		}
		first, after := calls[1].Sub(calls[0]), calls[5].Sub(calls[4])
		if after > first {
			t.Fatalf("%s: the server paused %v after that failure, but only %v after the very first one. "+
				"An Accept that works ends the trouble: start the pause over (5ms) after it. Is the pause kept from "+
				"before the client (not set back after a success)? Then one failure, hours later, waits the longest pause",
				saw, after, first)
		}
	})
}

// TestServeReturnsWhenListenerCloses: closing the listener is how a
// server is stopped, so Serve returns nil, not an error.
func TestServeReturnsWhenListenerCloses(t *testing.T) {
	checkNoLeaks(t)
	l := listen(t)
	s := start(t, l)
	if got, err := s.connect(t).sendAll([]byte("hello\n")); string(got) != "hello\n" || err != nil {
		s.fatalf(t, "sent %q then CloseWrite, got back %s and %s", "hello\n", short(string(got)), explain(err))
	}
	l.Close() // no client is connected: nothing keeps Serve from returning
	if st, ok := waitClosed(s.done); !ok {
		t.Fatalf("after its listener was closed, Serve had not returned: %s. "+
			"When Accept fails with net.ErrClosed, Serve must return. Where your code is:\n\n%s", st, where(st.gs))
	}
	if s.err != nil {
		t.Fatalf("after its listener was closed, Serve returned %q; want nil: "+
			"check errors.Is(err, net.ErrClosed) and return nil, the normal way to stop", s.err)
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
