// Lesson 03 tests. Each test is one thing the echo client's Exchange must
// do. The test plays the server, so it can reply in small pieces, hold its
// echo back, hang up mid-reply or stop reading. Run them with
// `make lesson-03 test`; see README.md for the task.

package echo

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestExchangeReturnsEachReply: against an echo server, Exchange returns
// every line it sent, in order, without the "\n".
func TestExchangeReturnsEachReply(t *testing.T) {
	checkNoLeaks(t)
	lines := append([]string{
		"hello", "", "  spaces around  ", "a\ttab", "ünïcödé ✓",
		"a line longer than a 1 KiB buffer: " + strings.Repeat("echo ", 300),
	}, numbered(100)...)
	var echoed int64
	var copyErr error
	p := tcpPeer(t, func(s net.Conn, quit <-chan struct{}) {
		echoed, copyErr = io.Copy(s, s) // an echo server: every byte back, until EOF
	})
	x := newCall().start(p.conn, lines)
	x.wait(t, p, func() string {
		return fmt.Sprintf("the server had echoed %d of the %d bytes you send, %s. "+
			"Does each goroutine report on the channel exactly once, when it is done, and does Exchange wait for both reports?",
			echoed, size(lines), serverEnd(copyErr))
	})
	if x.err != nil {
		t.Fatalf("Exchange(conn, %d lines) returned the error %q; want no error against an echo server.%s",
			len(lines), x.err, advice(x.err))
	}
	if d := describe(lines, x); d != "" {
		hint := ""
		if len(x.replies) < len(lines) {
			hint = "\nEither the reader stopped early (a Read returns whatever has arrived, not a line: " +
				"gather the bytes with a bufio.Reader and take one line per line sent with ReadString('\\n')), " +
				"or Exchange returned before the reader was done (wait for both reports)."
		}
		t.Fatalf("against an echo server, %s%s", d, hint)
	}
}

// TestReadsRepliesThatArriveInPieces: the echo comes in pieces of a few
// bytes, cut anywhere, even inside a line; the replies are still whole
// lines. (net.Pipe has no buffer: every Read returns one of the pieces.)
func TestReadsRepliesThatArriveInPieces(t *testing.T) {
	checkNoLeaks(t)
	lines := []string{"hello", "echo, echo, echo", "", "ünïcödé ✓", strings.Repeat("x", 2000), "the end"}
	pieces, received := 0, 0
	sentAll := false
	p := pipePeer(t, func(s net.Conn, quit <-chan struct{}) {
		r := bufio.NewReader(s)
		var echo []byte
		for range lines {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			received++
			echo = append(echo, line...)
		}
		for len(echo) > 0 {
			n := min(pieceSizes[pieces%len(pieceSizes)], len(echo))
			if _, err := s.Write(echo[:n]); err != nil {
				return
			}
			echo = echo[n:]
			pieces++
		}
		sentAll = true
		io.Copy(io.Discard, s) // until the client closes its end
	})
	x := newCall().start(p.conn, lines)
	x.wait(t, p, func() string {
		if !sentAll {
			return fmt.Sprintf("the server received %d of the %d lines and was waiting for the rest before it echoes "+
				"(an echo server may). Is your code waiting for a reply before it sends the next line? "+
				"Send every line, each with its \"\\n\", from one goroutine while another one reads.", received, len(lines))
		}
		return fmt.Sprintf("the server echoed all %d lines (in %d pieces) and was waiting for you to close the connection "+
			"(this connection cannot half-close, so the server never learns that you are done). "+
			"Read exactly one reply per line you sent, then return: do not wait for the server to close first.",
			len(lines), pieces)
	})
	if d := describe(lines, x); d != "" {
		t.Fatalf("the server sent the echo of %d lines in pieces of 1 to %d bytes, cut anywhere; %s\n"+
			"A Read returns one piece: not a line, not the whole reply. Gather the pieces with a bufio.Reader "+
			"and take one line at a time with ReadString('\\n')",
			len(lines), slices.Max(pieceSizes), d)
	}
}

// TestReadsWhileWriting: the server echoes each line as soon as it arrives,
// over a connection with no buffer at all (net.Pipe): until someone reads
// its echo, it cannot read the next line. Only a client that reads while
// it writes gets through.
func TestReadsWhileWriting(t *testing.T) {
	checkNoLeaks(t)
	lines := numbered(20)
	received := 0
	blocked := false // the server was trying to send an echo no one read
	p := pipePeer(t, func(s net.Conn, quit <-chan struct{}) {
		buf := make([]byte, 4096)
		for {
			n, err := s.Read(buf)
			if err != nil {
				return
			}
			received += strings.Count(string(buf[:n]), "\n")
			blocked = true
			if _, err := s.Write(buf[:n]); err != nil {
				return
			}
			blocked = false
		}
	})
	x := newCall().start(p.conn, lines)
	x.wait(t, p, func() string {
		if blocked {
			return fmt.Sprintf("the server had received %d of the %d lines and was trying to send the echo back, "+
				"but no one read it; until someone does, it reads nothing more, so your writer waits too. "+
				"Read the replies in one goroutine while another one sends the lines.", received, len(lines))
		}
		return fmt.Sprintf("the server received %d of the %d lines, echoed them all, and was waiting for more. "+
			"Does your writer send every line, and does the reader read one reply per line?", received, len(lines))
	})
	if d := describe(lines, x); d != "" {
		t.Fatalf("the server echoed each line as it came; %s", d)
	}
}

// TestHalfClosesAfterTheLastLine: the server keeps its echo until the
// client says it has nothing more to send, with a half-close (CloseWrite).
// RFC 862 lets an echo server answer whenever it likes.
func TestHalfClosesAfterTheLastLine(t *testing.T) {
	checkNoLeaks(t)
	lines := numbered(10)
	var received []byte
	p := tcpPeer(t, func(s net.Conn, quit <-chan struct{}) {
		var err error
		if received, err = io.ReadAll(s); err == nil { // up to the client's EOF
			s.Write(received)
		}
	})
	x := newCall().start(p.conn, lines)
	x.wait(t, p, func() string {
		got := strings.Count(string(received), "\n")
		if got < len(lines) {
			return fmt.Sprintf("the server received %d of the %d lines and was waiting for the rest. "+
				"Is your code waiting for a reply before it sends the next line? "+
				"Send every line from one goroutine while another one reads.", got, len(lines))
		}
		return fmt.Sprintf("the server received all %d lines and was waiting for EOF, your sign that nothing more is coming, "+
			"before it echoes. After the last line, half-close the connection: CloseWrite. %s.", len(lines), halfCloseAdvice)
	})
	if !p.client.did("CloseWrite") && errors.Is(x.err, net.ErrClosed) {
		t.Fatalf("your code closed the connection (Close, not CloseWrite) after sending; Exchange returned %s and %s. "+
			"Close also ends your own reading, so the echo still on its way has no one to go to. "+
			"Half-close instead: CloseWrite ends only the sending side", count(len(x.replies), "reply", "replies"), errText(x.err))
	}
	if d := describe(lines, x); d != "" {
		t.Fatalf("the server echoed everything once it saw EOF; %s", d)
	}
}

// TestClosesTheConnection: Exchange uses its connection up, so it closes
// it when it is done with it, even when all went well.
func TestClosesTheConnection(t *testing.T) {
	checkNoLeaks(t)
	lines := numbered(3)
	p := tcpPeer(t, func(s net.Conn, quit <-chan struct{}) { io.Copy(s, s) })
	x := newCall().start(p.conn, lines)
	x.wait(t, p, func() string {
		return "an echo server echoed every line. Does Exchange wait for both reports, and each goroutine send one?"
	})
	if d := describe(lines, x); d != "" {
		t.Fatalf("against an echo server, %s", d)
	}
	if calls := p.client.list(); len(calls) == 0 || calls[len(calls)-1] != "Close" {
		t.Fatalf("Exchange returned without closing conn (what it called: %v). "+
			"Exchange uses the connection up (it half-closed it), so it must close it, "+
			"once both goroutines are done with it: defer conn.Close()", calls)
	}
}

// TestWaitsForTheLastReply: Exchange returns only once the reader has read
// every reply, even when the server is slow with the last one.
func TestWaitsForTheLastReply(t *testing.T) {
	checkNoLeaks(t)
	lines := numbered(5)
	x := newCall()
	p := tcpPeer(t, func(s net.Conn, quit <-chan struct{}) {
		r := bufio.NewReader(s)
		for i := range lines {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if i == len(lines)-1 {
				// Hold the last reply back a little: a client that does
				// not wait for its reader returns meanwhile. A client
				// that waits only waits longer: this cannot fail it.
				select {
				case <-x.done:
				case <-time.After(holdBack):
				case <-quit:
				}
			}
			if _, err := io.WriteString(s, line); err != nil {
				return
			}
		}
		io.Copy(io.Discard, s)
	})
	x.start(p.conn, lines)
	x.wait(t, p, func() string {
		return "the server echoed every line, the last one a moment after the others."
	})
	if x.err == nil && len(x.replies) < len(lines) {
		t.Fatalf("Exchange returned %d of the %d replies, and no error, while the server was about to send the last one. "+
			"Did Exchange wait for the writer only? Wait for both reports, the reader's too: only then are the replies all in",
			len(x.replies), len(lines))
	}
	if d := describe(lines, x); d != "" {
		t.Fatalf("the server echoed every line; %s", d)
	}
}

// TestReturnsErrorWhenServerHangsUp: the server echoes two lines and part
// of a third, then closes the connection. Exchange returns at once with
// the two whole replies and an error. (The client this workbook learns
// from waited forever here: its reader failed without a word.)
func TestReturnsErrorWhenServerHangsUp(t *testing.T) {
	checkNoLeaks(t)
	lines := []string{"one", "two", "three", "four", "five"}
	p := tcpPeer(t, func(s net.Conn, quit <-chan struct{}) {
		r := bufio.NewReader(s)
		for range lines {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
		}
		io.WriteString(s, "one\ntwo\nthr") // and hang up
	})
	x := newCall().start(p.conn, lines)
	x.wait(t, p, func() string {
		return "the server sent back \"one\\ntwo\\nthr\" and closed the connection. " +
			"Your reader got an error there: does it still report on the channel? " +
			"Every goroutine must send its report, on failure too, or Exchange waits for it forever."
	})
	checkReplyError(t, x, "the server hung up after \"one\\ntwo\\nthr\"")
	if want := lines[:2]; !slices.Equal(x.replies, want) {
		t.Fatalf("the server hung up after \"one\\ntwo\\nthr\"; Exchange returned the replies %q, want %q: "+
			"\"thr\" was cut short (no \"\\n\"), so it is not a reply. bufio.Reader's ReadString tells you: "+
			"it returns an error with a line that has no \"\\n\" (bufio.Scanner does not)", x.replies, want)
	}
}

// TestUnblocksWriterWhenReadFails: the server sends part of a reply, ends
// its side (CloseWrite) and stops reading. The reader fails at once; the
// writer is stuck in Write, since no one reads what it sends. Exchange
// must unblock it, and return the reader's error, the first.
func TestUnblocksWriterWhenReadFails(t *testing.T) {
	checkNoLeaks(t)
	lines := slices.Repeat([]string{strings.Repeat("z", 64<<10)}, 64) // 4 MiB: far more than the buffers hold
	x := newCall()
	p := tcpPeer(t, func(s net.Conn, quit <-chan struct{}) {
		s.(*net.TCPConn).SetReadBuffer(8 << 10)
		io.WriteString(s, "no newline")
		s.(*net.TCPConn).CloseWrite()
		select { // read nothing, until Exchange is done
		case <-x.done:
		case <-quit:
		}
	})
	p.client.Conn.(*net.TCPConn).SetWriteBuffer(8 << 10)
	x.start(p.conn, lines)
	x.wait(t, p, func() string {
		return "the server sent \"no newline\", ended its side (CloseWrite), and read nothing more. " +
			"Your reader failed at once (EOF mid-line); your writer was stuck in Write, because no one reads what it sends. " +
			"When the first report is an error, close conn: that makes the blocked Write return, and the writer report."
	})
	checkReplyError(t, x, "the server sent \"no newline\" and ended its side, then stopped reading")
	if len(x.replies) > 0 {
		t.Fatalf("Exchange returned the replies %q; want none: a line without \"\\n\" was cut short, it is not a reply", x.replies)
	}
}

// TestUnblocksReaderWhenWriteFails: sending fails on the third line (the
// connection broke); the server got what it got and says nothing. The
// reader is stuck in Read: Exchange must unblock it, and return the
// writer's error.
func TestUnblocksReaderWhenWriteFails(t *testing.T) {
	checkNoLeaks(t)
	lines := numbered(5)
	x := newCall()
	p := tcpPeer(t, func(s net.Conn, quit <-chan struct{}) {
		io.Copy(io.Discard, s) // read what comes, never answer
		select {
		case <-x.done:
		case <-quit:
		}
	})
	p.client.failAt = size(lines[:2]) + 3 // in the middle of the third line
	x.start(p.conn, lines)
	x.wait(t, p, func() string {
		return fmt.Sprintf("writing failed in the middle of the third line (%v), and the server, silent, was waiting. "+
			"Does the writer return its error at once, and report it? Your reader was stuck in Read: "+
			"when the first report is an error, close conn, which makes the blocked Read return, and the reader report.",
			writeFailure)
	})
	if x.err == nil {
		t.Fatalf("writing failed with %q, and Exchange returned no error (replies %q). "+
			"Return the error, do not just print it: the caller must know the exchange failed", writeFailure, x.replies)
	}
	if errors.Is(x.err, net.ErrClosed) && !errors.Is(x.err, syscall.EPIPE) {
		t.Fatalf("writing failed with %q; Exchange returned the error %q, but that one came after the real one: "+
			"your own Close made the reader fail. The writer failed first: return the first error", writeFailure, x.err)
	}
	checkWrapped(t, x.err, syscall.EPIPE, writeFailure.Error(), "writing failed in the middle of the third line",
		`fmt.Errorf("sending line %d: %w", i, err)`)
	if len(x.replies) > 0 {
		t.Fatalf("the server sent nothing, yet Exchange returned the replies %q", x.replies)
	}
}

// ---- plumbing for the tests above ----

// holdBack is how long a server in TestWaitsForTheLastReply holds its last
// reply, unless Exchange returns before.
const holdBack = 100 * time.Millisecond

// pieceSizes are the sizes, in turn, of the pieces a server sends its echo in.
var pieceSizes = []int{1, 4, 2, 9, 3, 17, 1, 6}

// numbered returns n lines that say where they belong, so order shows.
func numbered(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d of %d", i+1, n)
	}
	return lines
}

// size is how many bytes lines take on the wire, each with its "\n".
func size(lines []string) int {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	return n
}

// peer is one connection between Exchange and a server played by the test.
type peer struct {
	conn   net.Conn    // the client's end: what Exchange gets
	client *clientConn // the same, for TCP peers: what Exchange did with it
	raw    net.Conn    // the client's end, unwrapped
	server net.Conn    // the server's end

	quit     chan struct{} // closed when the test is done with the connection
	served   chan struct{} // closed when the server has returned
	quitOnce sync.Once
}

// tcpPeer connects a clientConn to a server that runs serve on its end of
// a loopback TCP connection, and closes that end when serve returns.
func tcpPeer(t *testing.T, serve func(s net.Conn, quit <-chan struct{})) *peer {
	t.Helper()
	l := listen(t)
	c, err := net.DialTimeout("tcp", l.Addr().String(), patience)
	if err != nil {
		t.Fatalf("dial %s: %v", l.Addr(), err)
	}
	l.(*net.TCPListener).SetDeadline(time.Now().Add(patience))
	s, err := l.Accept() // the connection is made already: this returns at once
	if err != nil {
		c.Close()
		t.Fatalf("accept: %v", err)
	}
	cc := &clientConn{Conn: c}
	return startPeer(t, &peer{conn: cc, client: cc, raw: c, server: s}, serve)
}

// pipePeer is tcpPeer over net.Pipe: no buffer at all, every Read gets
// what one Write sent, and no half-close.
func pipePeer(t *testing.T, serve func(s net.Conn, quit <-chan struct{})) *peer {
	t.Helper()
	c, s := net.Pipe()
	return startPeer(t, &peer{conn: c, raw: c, server: s}, serve)
}

func startPeer(t *testing.T, p *peer, serve func(s net.Conn, quit <-chan struct{})) *peer {
	t.Helper()
	p.quit, p.served = make(chan struct{}), make(chan struct{})
	// A backstop: the tests give up on Exchange after patience, and hang up.
	p.raw.SetDeadline(time.Now().Add(3 * patience))
	p.server.SetDeadline(time.Now().Add(3 * patience))
	go func() {
		defer close(p.served)
		defer p.server.Close()
		serve(p.server, p.quit)
	}()
	t.Cleanup(func() {
		p.hangUp()
		select {
		case <-p.served:
		case <-time.After(patience):
			t.Errorf("the test's server did not stop within %v of its connection closing", patience)
		}
	})
	return p
}

// hangUp closes both ends of the connection and tells the server to stop.
func (p *peer) hangUp() {
	p.quitOnce.Do(func() { close(p.quit) })
	p.raw.Close()
	p.server.Close()
}

// clientConn is the client's end of a TCP connection, as Exchange gets it.
// It can half-close, but it is not a *net.TCPConn (wrappers of a
// connection rarely are), and it notes what Exchange does with it.
type clientConn struct {
	net.Conn // a *net.TCPConn; embedded as an interface, it hides CloseWrite, defined below

	mu      sync.Mutex
	calls   []string // "CloseWrite" and "Close", in order
	failAt  int      // if > 0, Write fails with writeFailure once this many bytes went through
	written int
}

// writeFailure is what a Write on a broken connection returns.
var writeFailure = &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}

func (c *clientConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	n := len(b)
	if c.failAt > 0 {
		n = min(n, max(c.failAt-c.written, 0))
	}
	c.written += n
	c.mu.Unlock()
	n, err := c.Conn.Write(b[:n])
	if err == nil && n < len(b) {
		err = writeFailure
	}
	return n, err
}

func (c *clientConn) CloseWrite() error {
	c.note("CloseWrite")
	return c.Conn.(*net.TCPConn).CloseWrite()
}

func (c *clientConn) Close() error {
	c.note("Close")
	return c.Conn.Close()
}

func (c *clientConn) note(call string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, call)
}

// list returns what Exchange called: CloseWrite and Close, in order.
func (c *clientConn) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

func (c *clientConn) did(call string) bool { return slices.Contains(c.list(), call) }

// call is one Exchange, run in a goroutine of its own so that a test can
// bound its wait, and see where it is stuck.
type call struct {
	done    chan struct{} // closed when Exchange has returned
	replies []string      // what it returned: read them after done
	err     error
}

func newCall() *call { return &call{done: make(chan struct{})} }

func (x *call) start(conn net.Conn, lines []string) *call {
	go func() {
		defer close(x.done)
		x.replies, x.err = Exchange(conn, lines)
	}()
	return x
}

// wait waits for Exchange to return, then hangs up and waits for the
// server to stop, so that the test can read what the server saw. If
// Exchange has not returned within patience, the test fails, saying what
// the server saw (situation) and where the goroutines running your code
// were stuck.
func (x *call) wait(t *testing.T, p *peer, situation func() string) {
	t.Helper()
	timedOut := false
	select {
	case <-x.done:
	case <-time.After(patience):
		timedOut = true
	}
	var stuck string
	if timedOut {
		stuck = stacks()
	}
	p.hangUp() // a Read or Write blocked on the connection returns now
	stillStuck := false
	if timedOut {
		select {
		case <-x.done:
		case <-time.After(patience):
			stillStuck = true
		}
	}
	select {
	case <-p.served:
	case <-time.After(patience):
		t.Fatalf("the test's server did not stop within %v of its connection closing", patience)
	}
	if !timedOut {
		return
	}
	msg := fmt.Sprintf("Exchange had not returned %v after it started: %s", patience, situation())
	if stillStuck {
		msg += fmt.Sprintf("\n\nEven once the test closed the connection, Exchange did not return within %v: "+
			"it, or a goroutine it started, waits on a channel for a send or a receive that will never come.", patience)
	}
	t.Fatalf("%s\n\nWhere the goroutines running your code were stuck (stacks cut to your code; "+
		"[chan receive] or [chan send]: waiting on a channel; [IO wait], or [select] on net.Pipe: blocked in Read or Write):\n\n%s", msg, stuck)
}

// stacks describes the goroutines running this package's code, oldest first.
func stacks() string {
	found := goroutinesInPackage()
	ids := make([]string, 0, len(found))
	for id := range found {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, _ := strconv.Atoi(ids[i])
		b, _ := strconv.Atoi(ids[j])
		return a < b
	})
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(found[id] + "\n\n")
	}
	if b.Len() == 0 {
		return "(none: every goroutine of yours had returned, and Exchange too?)"
	}
	return strings.TrimSpace(b.String())
}

// checkReplyError: Exchange failed with the reader's error, which wraps
// io.EOF (or io.ErrUnexpectedEOF) and says more than that.
func checkReplyError(t *testing.T, x *call, what string) {
	t.Helper()
	if x.err == nil {
		t.Fatalf("%s, and Exchange returned no error (replies %q). "+
			"Return the reader's error, do not just print it: the caller must know that replies are missing", what, x.replies)
	}
	if errors.Is(x.err, net.ErrClosed) {
		t.Fatalf("%s; Exchange returned the error %q, but that one came after the real one: your own Close made a goroutine fail. "+
			"The reader failed first: return the first error", what, x.err)
	}
	cause := io.EOF
	if errors.Is(x.err, io.ErrUnexpectedEOF) {
		cause = io.ErrUnexpectedEOF
	}
	checkWrapped(t, x.err, cause, cause.Error(), what, `fmt.Errorf("reading reply %d: %w", i, err)`)
}

// checkWrapped: err wraps cause, whose message is bare, and adds context.
func checkWrapped(t *testing.T, err, cause error, bare, what, example string) {
	t.Helper()
	if !errors.Is(err, cause) {
		t.Fatalf("%s: the cause was %q, and Exchange returned the error %q, which does not wrap it. "+
			"Keep the cause inside your error with %%w: fmt.Errorf(\"...: %%w\", err)", what, bare, err)
	}
	if err.Error() == bare {
		t.Fatalf("%s: the cause was %q, and Exchange returned just that. Say what failed, and keep the cause with %%w: "+
			"%s", what, bare, example)
	}
}

// diffLines says how the replies differ from the lines sent, or "" if they
// do not.
func diffLines(sent, replies []string) string {
	if slices.Equal(sent, replies) {
		return ""
	}
	i := 0
	for i < len(sent) && i < len(replies) && sent[i] == replies[i] {
		i++
	}
	first := ""
	switch {
	case len(replies) == 0:
		first = "none at all"
	case i == len(replies):
		first = fmt.Sprintf("the first %d are right, then they stop", i)
	case i == len(sent):
		first = fmt.Sprintf("all %d are right, then come %d more", i, len(replies)-i)
	default:
		first = fmt.Sprintf("reply %d is %q, want %q", i+1, replies[i], sent[i])
		if got, want := replies[i], sent[i]; len(got) > 40 || len(want) > 40 {
			j := 0
			for j < len(got) && j < len(want) && got[j] == want[j] {
				j++
			}
			first = fmt.Sprintf("reply %d has %d bytes, want %d, and they differ from byte %d on", i+1, len(got), len(want), j)
		}
	}
	d := strings.Split(cmp.Diff(sent, replies), "\n")
	if len(d) > 20 {
		d = append(d[:20], "\t…")
	}
	return fmt.Sprintf("Exchange returned %s for %d lines: %s. The lines sent (-) against the replies (+):\n%s",
		count(len(replies), "reply", "replies"), len(sent), first, strings.Join(d, "\n"))
}

// count says "1 reply" or "2 replies".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// errText is "no error", or "the error" and err, quoted.
func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return fmt.Sprintf("the error %q", err)
}

// describe says what went wrong when Exchange sent lines to a server that
// echoed them all, or "" if nothing did.
func describe(lines []string, x *call) string {
	if x.err != nil {
		return fmt.Sprintf("Exchange returned %s and the error %q; want no error.%s",
			count(len(x.replies), "reply", "replies"), x.err, advice(x.err))
	}
	return diffLines(lines, x.replies)
}

// serverEnd says how the server's reading ended.
func serverEnd(err error) string {
	if err == nil {
		return "and then got your CloseWrite"
	}
	return "and was waiting for more, or for your CloseWrite"
}

// advice says what an unexpected error from Exchange most likely means, as
// a sentence to add to a message, or "".
func advice(err error) string {
	switch {
	case strings.Contains(err.Error(), "not implemented"):
		return " Write the functions marked TODO in client.go: README.md says what each one does."
	case errors.Is(err, net.ErrClosed):
		return " Your own code closed conn while a goroutine still used it: " +
			"after the last line, does the writer Close instead of CloseWrite? Does Exchange close conn before both reports are in?"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return " The server closed the connection after its echo: read exactly one reply per line you sent, no more."
	}
	return ""
}

// halfCloseAdvice is for code that never half-closes.
const halfCloseAdvice = "Ask conn for the method, not for a type: conn.(interface{ CloseWrite() error }). " +
	"This test's conn, like most wrappers of a TCP connection, is not a *net.TCPConn"
