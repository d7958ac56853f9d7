// Lesson 03 tests. Each test is one thing the echo client's Exchange must
// do. The test plays the server (a peer, kit_net_test.go), so it can reply
// in small pieces, hold its echo back, hang up mid-reply or stop reading.
// Run them with `make lesson-03 test`; see README.md for the task.

package echo

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
)

// TestExchangeReturnsEachReply: against an echo server, Exchange returns
// every line it sent, in order, without the "\n".
func TestExchangeReturnsEachReply(t *testing.T) {
	checkNoLeaks(t)
	lines := append([]string{
		"hello", "", "  spaces around  ", "a\ttab", "ünïcödé ✓",
		"a line longer than bufio.Reader's 4 KiB buffer and bufio.Scanner's 64 KiB: " + strings.Repeat("echo ", 14000),
	}, numberedLines(100)...)
	p := startPeer(t, (*peerConn).echo) // an echo server: every byte back, until EOF
	x := exchange(p.dial(t), lines)
	x.wait(t, p, func() string {
		return fmt.Sprintf("The server echoes every byte as it comes (%s; you send %d bytes). "+
			"Does each goroutine report on the channel exactly once, when it is done, and does Exchange wait for both reports?",
			p.status(), wireSize(lines))
	})
	if d := describe(lines, x); d != "" {
		t.Fatalf("against an echo server, %d lines: %s", len(lines), d)
	}
}

// TestExchangeReadsRepliesInPieces: the echo comes in pieces of a few
// bytes, cut anywhere, even inside a line; the replies are still whole
// lines. (The connection is in memory, with no buffer: every Read returns
// one of the pieces.)
func TestExchangeReadsRepliesInPieces(t *testing.T) {
	checkNoLeaks(t)
	lines := []string{"hello", "echo, echo, echo", "", "ünïcödé ✓", strings.Repeat("x", 2000), "the end"}
	pieces, received := 0, 0
	sentAll := false
	p := startPipePeer(t, func(c *peerConn) {
		var echo []byte
		for range lines {
			line, err := c.readLine()
			if err != nil {
				return
			}
			received++
			echo = append(echo, line...)
		}
		var err error
		pieces, err = c.writeInPieces(echo, []int{1, 4, 2, 9, 3, 17, 1, 6}) // sizes in turn
		sentAll = err == nil
		c.readAll() // until the client closes its end
	}, false)
	x := exchange(p.dial(t), lines)
	x.wait(t, p, func() string {
		if !sentAll {
			return fmt.Sprintf("The server received %d of the %d lines and was waiting for the rest before it echoes "+
				"(an echo server may). Is your code waiting for a reply before it sends the next line? "+
				"Send every line, each with its \"\\n\", from one goroutine while another one reads.", received, len(lines))
		}
		return fmt.Sprintf("The server echoed all %d lines (in %d pieces) and was waiting for you to close the connection "+
			"(this connection cannot half-close, so the server never learns that you are done). "+
			"Read exactly one reply per line you sent, then return: do not wait for the server to close first.",
			len(lines), pieces)
	})
	if d := describe(lines, x); d != "" {
		t.Fatalf("the server sent the echo of %d lines in pieces of 1 to 17 bytes, cut anywhere; %s", len(lines), d)
	}
}

// TestExchangeReadsWhileWriting: the server echoes each line as soon as it
// arrives, over a connection with no buffer at all (in memory): until
// someone reads its echo, it cannot read the next line. Only a client that
// reads while it writes gets through.
func TestExchangeReadsWhileWriting(t *testing.T) {
	checkNoLeaks(t)
	lines := numberedLines(20)
	received := 0
	blocked := false // the server was trying to send an echo no one read
	p := startPipePeer(t, func(c *peerConn) {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			received += strings.Count(string(buf[:n]), "\n")
			blocked = true
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
			blocked = false
		}
	}, false)
	x := exchange(p.dial(t), lines)
	x.wait(t, p, func() string {
		if blocked {
			return fmt.Sprintf("The server had received %d of the %d lines and was trying to send the echo back, "+
				"but no one read it; until someone does, it reads nothing more, so your writer waits too. "+
				"Is a goroutine reading the replies while another one sends the lines, and does it read one per line sent?",
				received, len(lines))
		}
		return fmt.Sprintf("The server received %d of the %d lines, echoed them all, and was waiting for more. "+
			"Does your writer send every line, and does the reader read one reply per line?", received, len(lines))
	})
	if d := describe(lines, x); d != "" {
		t.Fatalf("the server echoed each line as it came; %s", d)
	}
}

// TestExchangeHalfClosesAfterTheLastLine: the server keeps its echo until the
// client says it has nothing more to send, with a half-close (CloseWrite).
// RFC 862 lets an echo server answer whenever it likes.
func TestExchangeHalfClosesAfterTheLastLine(t *testing.T) {
	checkNoLeaks(t)
	lines := numberedLines(10)
	p := startPeer(t, func(c *peerConn) {
		if received, err := c.readAll(); err == nil { // up to the client's EOF
			c.Write(received)
		}
	})
	conn := p.dial(t)
	x := exchange(conn, lines)
	replies, err := x.wait(t, p, func() string {
		if got := p.accepted()[0].lines(); got < len(lines) {
			return fmt.Sprintf("The server received %d of the %d lines and was waiting for the rest. "+
				"Is your code waiting for a reply before it sends the next line? "+
				"Send every line from one goroutine while another one reads.", got, len(lines))
		}
		return fmt.Sprintf("The server received all %d lines and was waiting for EOF, your sign that nothing more is coming, "+
			"before it echoes. After the last line, half-close the connection: CloseWrite. Ask conn for the method, "+
			"not for a type: conn.(interface{ CloseWrite() error }). This test's conn, like most wrappers of a TCP "+
			"connection, is not a *net.TCPConn.", len(lines))
	})
	if !conn.did("CloseWrite") && errors.Is(err, net.ErrClosed) {
		t.Fatalf("your code closed the connection after sending: the writer called Close instead of CloseWrite; Exchange returned %s and %s. "+
			"Close also ends your own reading, so the echo still on its way has no one to go to. "+
			"Half-close instead: CloseWrite ends only the sending side", count(len(replies), "reply", "replies"), errText(err))
	}
	if d := describe(lines, x); d != "" {
		t.Fatalf("the server echoed everything once it saw EOF; %s", d)
	}
}

// TestExchangeSendsNothingForNoLines: no lines, no bytes: Exchange
// half-closes at once, and returns no replies and no error.
func TestExchangeSendsNothingForNoLines(t *testing.T) {
	checkNoLeaks(t)
	p := startPeer(t, (*peerConn).echo)
	conn := p.dial(t)
	x := exchange(conn, nil)
	replies, err := x.wait(t, p, func() string {
		return "Exchange was given no lines; the server echoes every byte until the client half-closes."
	})
	conn.mu.Lock() // counted at the client: the server may lose what comes just before a reset
	sent := conn.written
	conn.mu.Unlock()
	if sent > 0 || len(replies) > 0 || err != nil {
		t.Fatalf("Exchange was given no lines; it sent %d bytes, then returned the replies %q and %s. Want nothing sent, "+
			"no replies and no error. Causes that fit: a \"\\n\" written even when there is no line "+
			"(strings.Join(lines, \"\\n\") + \"\\n\", say): send each line with its own", sent, replies, errText(err))
	}
}

// TestExchangeClosesTheConnection: Exchange uses its connection up, so it closes
// it when it is done with it, even when all went well.
func TestExchangeClosesTheConnection(t *testing.T) {
	checkNoLeaks(t)
	lines := numberedLines(3)
	p := startPeer(t, (*peerConn).echo)
	conn := p.dial(t)
	x := exchange(conn, lines)
	x.wait(t, p, func() string {
		return "An echo server echoed every line. Does Exchange wait for both reports, and each goroutine send one?"
	})
	if d := describe(lines, x); d != "" {
		t.Fatalf("against an echo server, %s", d)
	}
	if calls := conn.calls(); len(calls) == 0 || calls[len(calls)-1] != "Close" {
		t.Fatalf("Exchange returned without closing conn (what it called: %v). "+
			"Exchange uses the connection up (it half-closed it), so it must close it, "+
			"once both goroutines are done with it: defer conn.Close()", calls)
	}
}

// TestExchangeWaitsForTheLastReply: Exchange returns only once the reader has read
// every reply, even when the server is slow with the last one.
func TestExchangeWaitsForTheLastReply(t *testing.T) {
	checkNoLeaks(t)
	lines := numberedLines(5)
	p := startPeer(t, func(c *peerConn) {
		for i := range lines {
			line, err := c.readLine()
			if err != nil {
				return
			}
			// Hold the last reply back until the test has seen the client
			// wait for it: one that does not wait for its reader returns
			// meanwhile.
			if i == len(lines)-1 && !c.hold() {
				return
			}
			if _, err := io.WriteString(c, line); err != nil {
				return
			}
		}
		c.readAll()
	})
	x := exchange(p.dial(t), lines)
	// While the last reply is held back, a client waiting for it is blocked
	// (its reader in Read, Exchange receiving a report) and uses no CPU.
	var busy map[int]goroutine
	st, ok := waitUntil(func() bool {
		held, _ := p.holding()
		busy = startedSince(x.before)
		maps.DeleteFunc(busy, func(_ int, g goroutine) bool { return !g.busy() })
		return held > 0 && len(busy) == 0 || x.returned()
	})
	if !ok && len(busy) > 0 {
		t.Fatalf("the server held the last reply back, and %s of your code kept running meanwhile: %s. A goroutine that "+
			"waits for a report, or a reply, is blocked in a receive or a Read and uses no CPU; a loop around a select with "+
			"a default (or a check of a flag) keeps a CPU busy as long as the server takes. Receive from the channel, "+
			"without a default. Where:\n\n%s", count(len(busy), "goroutine", "goroutines"), st, where(busy))
	}
	p.release()
	x.wait(t, p, func() string {
		return "The server echoed every line, the last one once your client was waiting for it."
	})
	if d := describe(lines, x); d != "" {
		t.Fatalf("the server echoed every line; %s", d)
	}
}

// TestExchangeWaitsForItsWriter: every reply is in while the writer is
// still half-closing: the test holds it in CloseWrite. In a synctest
// bubble, once every goroutine is blocked, "Exchange has not returned" is
// a fact: Exchange waits for the writer's report too.
func TestExchangeWaitsForItsWriter(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		p := startPipePeer(t, (*peerConn).echo, true)
		conn := p.dial(t)
		release := conn.holdCloseWrite(t)
		lines := []string{"hold", "the", "half-close"}
		x := exchange(conn, lines)
		synctest.Wait() // everything that can happen while the writer is held has happened
		if x.returned() && conn.did("CloseWrite") {
			t.Fatalf("Exchange returned, with %s and %s, while its writer was still in CloseWrite (the test held it "+
				"there). Two causes fit: Exchange did not wait for the writer's report, or the writer reported before it "+
				"was done (a deferred CloseWrite runs after done <- err). Receive both reports; the writer's comes once "+
				"CloseWrite has returned, with its error",
				count(len(x.got), "reply", "replies"), errText(x.err))
		}
		release()
		x.wait(t, p, func() string { return "An echo server echoed every line; the test let the writer's CloseWrite go." })
		if d := describe(lines, x); d != "" {
			t.Fatalf("against an echo server, %s", d)
		}
	})
}

// TestExchangeReturnsErrorWhenServerHangsUp: the server echoes two lines and part
// of a third, then closes the connection. Exchange returns at once with
// the two whole replies and an error. (The client this workbook learns
// from waited forever here: its reader failed without a word.) Then again
// with a server that hangs up right after the second line.
func TestExchangeReturnsErrorWhenServerHangsUp(t *testing.T) {
	checkNoLeaks(t)
	lines := []string{"one", "two", "three", "four", "five"}
	for _, sent := range []string{"one\ntwo\nthr", "one\ntwo\n"} {
		p := startPeer(t, func(c *peerConn) {
			for range lines {
				if _, err := c.readLine(); err != nil {
					return
				}
			}
			io.WriteString(c, sent) // and hang up
		})
		conn := p.dial(t)
		x := exchange(conn, lines)
		what := fmt.Sprintf("the server hung up after %q", sent)
		replies, err := x.wait(t, p, func() string {
			return fmt.Sprintf("The server sent back %q and closed the connection. "+
				"Your reader got an error there: does it still report on the channel? "+
				"Every goroutine must send its report, on failure too, or Exchange waits for it forever.", sent)
		})
		cut, _ := strings.CutPrefix(sent, "one\ntwo\n")
		if err == nil && cut == "" {
			t.Fatalf("%s, and Exchange returned no error and the replies %q: 2 of the %d replies, so its caller cannot tell "+
				"that the rest are missing. io.EOF before the last reply is an error too: the server hung up too soon. "+
				"Return it from the reader, wrapped, as any other error; only after the last reply is the exchange done",
				what, replies, len(lines))
		}
		checkReplyError(t, replies, err, what, cut)
		checkCleanedUp(t, x, conn.did("Close"))
		if want := lines[:2]; len(replies) == 0 {
			t.Fatalf("%s; Exchange returned its error and no replies, want %q: "+
				"return the replies read so far with the error, so the caller knows how far the exchange got", what, want)
		} else if !slices.Equal(replies, want) {
			t.Fatalf("%s; Exchange returned the replies %q, want %q: "+
				"\"thr\" was cut short (no \"\\n\"), so it is not a reply. bufio.Reader's ReadString tells you: "+
				"it returns an error with a line that has no \"\\n\" (bufio.Scanner does not)", what, replies, want)
		}
	}
}

// TestExchangeUnblocksWriterWhenReadFails: the server sends part of a reply, ends
// its side (CloseWrite) and stops reading. The reader fails at once; the
// writer is stuck in Write, since no one reads what it sends. Exchange
// must unblock it, and return the reader's error, the first.
func TestExchangeUnblocksWriterWhenReadFails(t *testing.T) {
	checkNoLeaks(t)
	lines := slices.Repeat([]string{strings.Repeat("z", 64<<10)}, 64) // 4 MiB: far more than the buffers hold
	p := startPeer(t, func(c *peerConn) {
		c.tcp().SetReadBuffer(8 << 10)
		io.WriteString(c, "no newline")
		c.closeWrite()
		c.waitEnd() // and read nothing
	})
	conn := p.dial(t)
	conn.tcp().SetWriteBuffer(8 << 10)
	x := exchange(conn, lines)
	replies, err := x.wait(t, p, func() string {
		return "The server sent \"no newline\", ended its side (CloseWrite), and read nothing more. " +
			"The reader fails at once (EOF mid-line), and a writer still sending is stuck in Write, since no one reads what it sends. " +
			"When the first report is an error, close conn: a blocked Write then returns, and the writer reports."
	})
	checkReplyError(t, replies, err, "the server sent \"no newline\" and ended its side, then stopped reading", "no newline")
	checkCleanedUp(t, x, conn.did("Close"))
	if len(replies) > 0 {
		t.Fatalf("Exchange returned the replies %q; want none: a line without \"\\n\" was cut short, it is not a reply", replies)
	}
}

// TestExchangeUnblocksReaderWhenWriteFails: sending fails on the third line (the
// connection broke); the server got what it got and says nothing. The
// reader is stuck in Read: Exchange must unblock it, and return the
// writer's error.
func TestExchangeUnblocksReaderWhenWriteFails(t *testing.T) {
	checkNoLeaks(t)
	lines := numberedLines(5)
	p := startPeer(t, func(c *peerConn) {
		c.readAll() // read what comes, never answer
		c.waitEnd()
	})
	conn := p.dial(t)
	conn.failWrites(wireSize(lines[:2])+3, writeFailure) // in the middle of the third line
	x := exchange(conn, lines)
	replies, err := x.wait(t, p, func() string {
		return fmt.Sprintf("Writing failed in the middle of the third line (%v), and the server, silent, was waiting. "+
			"Does the writer return its error at once, and report it? A reader waiting for a reply is stuck in Read: "+
			"when the first report is an error, close conn: a blocked Read then returns, and the reader reports.",
			writeFailure)
	})
	if err == nil {
		t.Fatalf("writing failed with %q, and Exchange returned no error (replies %q). "+
			"Return the error, do not just print it: the caller must know the exchange failed", writeFailure, replies)
	}
	if errors.Is(err, net.ErrClosed) && !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("writing failed with %q; Exchange returned the error %q, which holds the one your own Close made the "+
			"reader fail with (alone, or joined to the real one). The writer failed first: return the first error, alone", writeFailure, err)
	}
	checkWrapped(t, err, syscall.EPIPE, writeFailure.Error(), "writing failed in the middle of the third line",
		`fmt.Errorf("sending line %d: %w", i, err)`)
	checkCleanedUp(t, x, conn.did("Close"))
	if len(replies) > 0 {
		t.Fatalf("the server sent nothing, yet Exchange returned the replies %q", replies)
	}
}

// TestExchangeWhenBothSidesFail: the connection breaks both ways at once:
// every Read and every Write fails at once, each on its own. Exchange
// returns one of the two errors, closes conn, and leaves no goroutine
// behind. With -race, this is where two goroutines that both record "the
// first error" in one variable race. Then one side fails while the other
// one is blocked until Exchange closes conn, on one CPU: a goroutine that
// Close wakes runs only once Exchange stops running, so one that Exchange
// did not wait for is still in its Read or Write when Exchange returns.
func TestExchangeWhenBothSidesFail(t *testing.T) {
	checkNoLeaks(t)
	for _, round := range []struct {
		readErr, writeErr, want error // want: nil for either
		what                    string
	}{
		{readFailure, writeFailure, nil, fmt.Sprintf("every Write failed at once (%q), and every Read (%q)", writeFailure, readFailure)},
		{errClosedRead, writeFailure, syscall.EPIPE, fmt.Sprintf("every Write failed at once (%q), and Reads waited until conn was closed", writeFailure)},
		{readFailure, errClosedWrite, syscall.ECONNRESET, fmt.Sprintf("every Read failed at once (%q), and Writes waited until conn was closed", readFailure)},
	} {
		if round.want != nil {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		}
		end, _ := net.Pipe()
		conn := &brokenConn{Conn: end, readErr: round.readErr, writeErr: round.writeErr,
			closed: make(chan struct{}), reads: make(chan struct{}), writes: make(chan struct{})}
		x := goCall("Exchange", func() ([]string, error) { return Exchange(conn, numberedLines(3)) })
		replies, err := x.wait(t, nil, func() string {
			return "Every Write failed, and every Read too (at once, or once conn was closed). " +
				"Does each goroutine report its error on the channel, and does Exchange receive both reports?"
		})
		what := round.what
		if ok := errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET); round.want != nil && !errors.Is(err, round.want) ||
			round.want == nil && !ok {
			t.Fatalf("%s; Exchange returned %s and the replies %q: return the first error, wrapped with %%w",
				what, errText(err), replies)
		}
		for _, g := range x.left {
			f := "receive"
			if g.in("send") {
				f = "send"
			}
			if g.in(f) {
				t.Fatalf("%s; Exchange returned %s while goroutine %d, which it started, was still in %s [%s]: it returned "+
					"before that goroutine's report came, and left it to the deferred Close, which wakes it but does not "+
					"wait for it (if it still sets replies, that races with the return). Receive both reports, then "+
					"return; close conn at the first error so that the other report comes. Where:\n\n%s",
					what, errText(err), g.id, f, g.state, where(map[int]goroutine{g.id: g}))
			}
		}
		checkCleanedUp(t, x, isClosed(conn.closed))
	}
}

// ---- plumbing for the tests above (the rest is in kit_*_test.go) ----

// exchange runs Exchange(conn, lines) in a goroutine; x.wait waits for it.
func exchange(conn *clientConn, lines []string) *call[[]string] {
	return goCall("Exchange", func() ([]string, error) { return Exchange(conn.conn, lines) })
}

// What a Write on a broken connection returns, a Read on one the server
// reset, and a Read on one closed meanwhile.
var (
	writeFailure   = &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}
	readFailure    = &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	errClosedRead  = &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}
	errClosedWrite = &net.OpError{Op: "write", Net: "tcp", Err: net.ErrClosed}
)

// describe says what went wrong when Exchange sent lines to a server that echoed
// them all, or "" if nothing did: what it returned, then the causes that fit.
func describe(lines []string, x *call[[]string]) string {
	replies, err := x.got, x.err
	var what string
	if err != nil {
		what = fmt.Sprintf("Exchange returned %s and the error %q; want no error.",
			count(len(replies), "reply", "replies"), err)
	} else if what = diffLines(lines, replies); what != "" {
		what = "Exchange returned " + what
	} else {
		return ""
	}
	return what + "\n" + causes(lines, x)
}

// causes says which causes fit what Exchange returned, and what the test saw.
func causes(lines []string, x *call[[]string]) string {
	replies, err := x.got, x.err
	for _, g := range x.left {
		for _, f := range []string{"receive", "send"} {
			if g.in(f) {
				return fmt.Sprintf("When Exchange returned, goroutine %d was still in %s [%s]: Exchange returned before "+
					"its report came. Wait for both reports: only then are the replies all in.", g.id, f, g.state)
			}
		}
		if g.state == "chan send" {
			return fmt.Sprintf("When Exchange returned, goroutine %d was blocked sending its report [chan send]: Exchange "+
				"returned before it received that report. Wait for both reports: only then are the replies all in.", g.id)
		}
	}
	for i, r := range replies {
		switch {
		case strings.Contains(r, "\n"):
			return fmt.Sprintf("Some replies hold more than one line (reply %d is %s): a Read returns whatever has arrived, "+
				"not a line. Gather the bytes with a bufio.Reader and take one line at a time with ReadString('\\n').", i+1, short(r))
		case i < len(lines) && r != lines[i] && strings.HasPrefix(lines[i], r) && i == len(replies)-1:
			return fmt.Sprintf("Reply %d is the start of line %d, cut short: a Read returns whatever has arrived, not a line. "+
				"Gather the bytes with a bufio.Reader and take one line at a time with ReadString('\\n').", i+1, i+1)
		case strings.HasSuffix(r, "\r"):
			return fmt.Sprintf("Reply %d ends in \"\\r\": did you send \"\\r\\n\"? The server echoes what it gets: send \"\\n\" alone.", i+1)
		}
	}
	switch {
	case errors.Is(err, bufio.ErrBufferFull) || errors.Is(err, bufio.ErrTooLong):
		return "A reply longer than your reader's buffer stopped it (ReadSlice: 4 KiB; a Scanner: 64 KiB): ReadString('\\n') takes any length."
	case err != nil && strings.Contains(err.Error(), "not implemented"):
		return "Write the functions marked TODO in client.go: README.md says what each one does."
	case errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe): // a pipe says so when its own end was closed
		return "Your own code closed conn while a goroutine still used it: " +
			"after the last line, does the writer Close instead of CloseWrite? Does Exchange close conn before both reports are in?"
	case errors.Is(err, io.EOF) && diffLines(lines, replies) == "":
		return "Every reply was right; then the reader read on, and the server had closed the connection: " +
			"read exactly one reply per line you sent, no more."
	case err == nil && len(replies) < len(lines) && len(x.left) == 0:
		return fmt.Sprintf("When Exchange returned, every goroutine it started had ended: the reader stopped after %s, "+
			"without an error. Does it read one reply per line sent (n is len(lines)): not a fixed number, and not "+
			"what one Read returned (a Read returns whatever has arrived, not a line)? "+
			"If it failed, return its error rather than print it.", count(len(replies), "reply", "replies"))
	case err == nil && len(replies) < len(lines):
		return fmt.Sprintf("When Exchange returned, %s it started had not ended yet. Either Exchange returned before "+
			"the reader's report came (Wait for both reports: only then are the replies all in), or the reader "+
			"stopped after %s (does it read one reply per line sent?).",
			count(len(x.left), "goroutine", "goroutines"), count(len(replies), "reply", "replies"))
	}
	return ""
}

// checkCleanedUp: Exchange, which returned an error, closed conn, and its goroutines ended.
func checkCleanedUp(t *testing.T, x *call[[]string], closed bool) {
	t.Helper()
	if !closed {
		t.Fatalf("Exchange returned %s without closing conn. It uses the connection up, so it closes it on every path: "+
			"defer conn.Close(), first thing", errText(x.err))
	}
	x.expectNoneLeft(t, "Exchange must receive both reports before it returns, even after an error.")
}

// A brokenConn fails Reads with readErr and Writes with writeErr, each on
// its own, so that -race sees two goroutines that record an error in one
// variable. errClosedRead and errClosedWrite come once conn is closed; the
// other side then fails once this one has started. The rest is a pipe's,
// harmless: correct code may name its peer in an error, or set a deadline.
type brokenConn struct {
	net.Conn
	readErr, writeErr     error
	closing, read, wrote  sync.Once
	closed, reads, writes chan struct{}
}

func (c *brokenConn) Read([]byte) (int, error) {
	return 0, c.fail(c.readErr, c.readErr == errClosedRead, &c.read, c.reads, c.writes)
}
func (c *brokenConn) Write([]byte) (int, error) {
	return 0, c.fail(c.writeErr, c.writeErr == errClosedWrite, &c.wrote, c.writes, c.reads)
}
func (c *brokenConn) Close() error { c.closing.Do(func() { close(c.closed) }); return nil }

func (c *brokenConn) fail(err error, untilClosed bool, once *sync.Once, started, other chan struct{}) error {
	once.Do(func() { close(started) })
	if untilClosed {
		other = nil
	} else if c.readErr != errClosedRead && c.writeErr != errClosedWrite {
		return err // neither side waits for Close: both fail at once
	}
	select {
	case <-other:
	case <-c.closed:
	}
	return err
}

// checkReplyError: Exchange failed with the reader's error, which wraps
// io.EOF (or io.ErrUnexpectedEOF) and says more than that.
func checkReplyError(t *testing.T, replies []string, err error, what, cut string) {
	t.Helper()
	if err == nil && slices.Contains(replies, cut) {
		t.Fatalf("%s, and Exchange returned no error and the replies %q: the reader took %q, cut short (no \"\\n\"), "+
			"for a reply, and stopped without an error. bufio.Scanner does that at EOF; bufio.Reader's ReadString "+
			"returns an error with a line that has no \"\\n\"", what, replies, cut)
	}
	if err == nil {
		t.Fatalf("%s, and Exchange returned no error (replies %q), so its caller cannot tell that replies are missing. "+
			"Does the reader return its error, rather than print it, and Exchange return the first error it receives?", what, replies)
	}
	if errors.Is(err, net.ErrClosed) {
		t.Fatalf("%s; Exchange returned the error %q, which holds the one your own Close made a goroutine fail with "+
			"(alone, or joined to the real one). The reader failed first: return the first error, alone", what, err)
	}
	cause := io.EOF
	if errors.Is(err, io.ErrUnexpectedEOF) {
		cause = io.ErrUnexpectedEOF
	}
	checkWrapped(t, err, cause, cause.Error(), what, `fmt.Errorf("reading reply %d: %w", i, err)`)
}
