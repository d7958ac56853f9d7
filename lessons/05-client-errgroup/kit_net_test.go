// The kit, part 3: the network around the code under test. A server under
// test and the test's clients; or, where the code under test is a client,
// peers (fake servers the test plays) and the connection the client gets;
// and calls, to run the code under test and wait for it by progress.

//lint:file-ignore U1000 shared by every lesson; not every lesson uses every helper

package echo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ---- the server under test ----

// A server is the server under test (Serve), running in a goroutine of its own.
type server struct {
	l      net.Listener
	addr   string
	cancel context.CancelFunc // cancels Serve's ctx, where it has one
	done   chan struct{}      // closed when Serve returns
	err    error              // what Serve returned; read it only after done
	logs   *logCapture
	// stoppedBy says how the test stops this lesson's Serve, for messages.
	stoppedBy string
}

// startServer runs serve(ctx, l), the lesson's Serve, until the test ends.
// Then it stops it both ways (ctx cancelled, l closed), waits for it to
// return, and, on a real listener, checks that every socket opened during
// the test was closed: the clients' ends by the test, the server's ends by
// the server.
func startServer(t *testing.T, l net.Listener, serve func(ctx context.Context, l net.Listener) error) *server {
	t.Helper()
	s := &server{l: l, addr: l.Addr().String(), done: make(chan struct{}), logs: captureLog(t),
		stoppedBy: "cancelled its ctx and closed its listener"}
	var socks *sockets
	if l.Addr().Network() == "tcp" {
		socks = trackSockets(t) // nil where sockets cannot be counted: that check is skipped
	}
	before := ourGoroutines()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		returned := false
		defer func() {
			if !returned && !s.logs.calledFatal() {
				// A panic: it ends the process in a moment, and the exit
				// watch (kit_exit_test.go) names it. Touch nothing, so that
				// no test fails first on what the panic left behind.
				return
			}
			// A server that failed (or that log.Fatal stopped: captureLog
			// ends that goroutine) answers no one: close its listener, so
			// that clients fail now instead of after patience.
			if !returned || s.err != nil {
				l.Close()
			}
			close(s.done)
		}()
		s.err = serve(ctx, l)
		returned = true
	}()
	t.Cleanup(func() {
		cancel()
		l.Close()
		if t.Failed() {
			// Waiting on a broken Serve would only delay the first message.
			if fl, ok := l.(*fakeListener); ok {
				fl.haltAccepts() // or a Serve that goes on accepting keeps its bubble from ending
			}
			return
		}
		if news := s.logs.fatalNews(); news != "" {
			t.Error(news)
			return
		}
		if st, ok := waitClosed(s.done); !ok {
			if fl, ok := l.(*fakeListener); ok {
				fl.haltAccepts() // or a Serve still accepting keeps its bubble from ending
			}
			t.Errorf("at the end of the test, every client had left and the test %s, yet Serve had not "+
				"returned: %s. Does Serve return once Accept fails (net.ErrClosed)? If it waits for its handlers, "+
				"does each return when its client leaves (a loop around io.Copy never does)? Where your code is:\n\n%s",
				s.stoppedBy, st, where(st.gs))
			return
		}
		if socks == nil {
			return
		}
		left, st := socks.waitClosed()
		if len(left) == 0 {
			return
		}
		if running := startedSince(before); len(running) > 0 {
			t.Errorf("at the end of the test, every client had closed its connection and Serve had returned, yet "+
				"%s of your code still ran, and kept %s open: %s. A handler must return, and close its connection, "+
				"when its client leaves. Where:\n\n%s", count(len(running), "goroutine", "goroutines"),
				count(len(left), "connection", "connections"), st, where(running))
			return
		}
		t.Errorf("at the end of the test, every client had closed its connection, Serve had returned and no goroutine "+
			"of yours was left, yet %s the server accepted %s still open (%s): closed by no one, ever. handle must "+
			"close conn on every path: when the client is done, and when io.Copy fails (a reset, say): "+
			"defer conn.Close() (CloseWrite is not Close: it ends only the sending side, and the socket stays open)",
			count(len(left), "connection", "connections"),
			map[bool]string{true: "was", false: "were"}[len(left) == 1], firstFew(left, 5))
	})
	return s
}

// stopped reports whether Serve has returned.
func (s *server) stopped() bool {
	return isClosed(s.done)
}

// fatalf fails the test. If the code called log.Fatal, or Serve has
// returned, that is the real news, so the message leads with it.
func (s *server) fatalf(t *testing.T, format string, args ...any) {
	t.Helper()
	if l, ok := s.l.(*fakeListener); ok && l.busyLoop() != "" {
		t.Fatal(l.busyLoop())
	}
	if news := s.logs.fatalNews(); news != "" {
		t.Fatalf("%s.\nWhat the client saw: "+format, append([]any{news}, args...)...)
	}
	select {
	case <-s.done:
		t.Fatalf("Serve returned (err = %v) while clients still needed it; it must keep accepting connections "+
			"until it is told to stop.\nWhat the client saw: "+format, append([]any{s.err}, args...)...)
	case <-time.After(100 * time.Millisecond): // only to choose the message: is Serve's return the news?
		t.Fatalf(format, args...)
	}
}

// A client is one of the test's connections to the server under test. Its
// reads and writes give up once nothing has moved for patience, not after
// a fixed time: a long echo on a slow machine goes on as long as it flows.
// For a read with a deadline of its own, use c.TCPConn.Read.
type client struct {
	*net.TCPConn
	s *server
	// patience is how long a Read or Write waits with nothing moving: the
	// kit's, unless a test needs to fail sooner.
	patience time.Duration
	// stalled is what the last Read saw as it gave up, if it did: the
	// code's goroutines blocked, or one busy without ever blocking. (Only
	// Read keeps it: a test may write from another goroutine meanwhile.)
	stalled *stall
}

// connect dials the server under test. The test closes the connection
// when it ends.
func (s *server) connect(t *testing.T) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.addr, patience)
	if err != nil {
		s.fatalf(t, "dial %s: %v", s.addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{TCPConn: c.(*net.TCPConn), s: s, patience: patience}
}

// Read reads with short deadlines, one after another, until a byte comes
// or nothing has moved for c.patience: it fails then with a timeout.
func (c *client) Read(p []byte) (int, error) {
	w := newWatch(c.patience)
	c.stalled = nil
	for {
		c.SetReadDeadline(time.Now().Add(lookGap))
		n, err := c.TCPConn.Read(p)
		moved.Add(int64(n))
		if n > 0 || !isTimeout(err) {
			return n, err
		}
		if st, ok := w.look(); !ok {
			c.stalled = &st
			return n, err
		}
	}
}

// Write writes p with short deadlines, one after another, until it is all
// written or nothing has moved for c.patience.
func (c *client) Write(p []byte) (int, error) {
	w := newWatch(c.patience)
	n := 0
	for {
		c.SetWriteDeadline(time.Now().Add(lookGap))
		m, err := c.TCPConn.Write(p[n:])
		n += m
		moved.Add(int64(m))
		if !isTimeout(err) {
			return n, err
		}
		if _, ok := w.look(); !ok {
			return n, err
		}
	}
}

// expectEcho writes msg and expects it back.
func (c *client) expectEcho(t *testing.T, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		c.s.fatalf(t, "write %q: %v", msg, err)
	}
	c.expectReply(t, msg)
}

// expectReply reads exactly len(msg) bytes and expects msg.
func (c *client) expectReply(t *testing.T, msg string) {
	t.Helper()
	got := make([]byte, len(msg))
	n, err := io.ReadFull(c, got)
	if st := c.stalled; err != nil && st != nil {
		loop := ""
		if st.busy() > 0 {
			loop = " Does your code loop around a call that returns at once, such as a Read with a deadline " +
				"already past, which returns without a byte? A Read with no deadline waits for bytes, and uses " +
				"no CPU meanwhile."
		}
		c.s.fatalf(t, "sent %q, got back %q, and then the server neither sent more nor closed: %s.%s "+
			"An echo writes back each chunk as soon as it has read it. Where your code is:\n\n%s",
			msg, got[:n], st, loop, where(st.gs))
	}
	if err != nil {
		c.s.fatalf(t, "sent %q, got back %q and then %s; "+
			"handle must write back everything it reads, and keep the connection open until the client is done",
			msg, got[:n], explain(err))
	}
	if string(got) != msg {
		t.Fatalf("sent %q, got back %q; an echo sends back exactly the bytes it received", msg, got)
	}
}

// sendAll writes payload, tells the server it is done sending (CloseWrite,
// a TCP half-close), and reads until the server closes the connection.
func (c *client) sendAll(payload []byte) ([]byte, error) {
	var wg sync.WaitGroup
	var werr error
	wg.Go(func() {
		if _, werr = c.Write(payload); werr == nil {
			werr = c.CloseWrite()
		}
	})
	// Read a little more than was sent, at most: a server that sends
	// forever ends here too.
	got, err := io.ReadAll(io.LimitReader(c, int64(len(payload))+64<<10))
	wg.Wait() // bounded: the writer gives up once nothing moves
	if err == nil && werr != nil {
		err = fmt.Errorf("write: %w", werr)
	}
	return got, err
}

// acceptError is what a listener that ran out of file descriptors returns.
var acceptError = &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}

// A flakyListener fails its first Accepts with acceptError.
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

// ---- peers: the test plays the server ----

// A peer is a fake echo server, played by the test, for the client under
// test: each connection it accepts goes to the test's plan, in a goroutine
// of its own, and is closed when the plan returns. When the test ends, or
// when it hangs up, every connection closes and every plan is told to end.
type peer struct {
	addr     string // "" for a pipe peer
	l        net.Listener
	plan     func(*peerConn)
	pipe     bool // in memory
	halfOK   bool // a pipe that can half-close
	ended    chan struct{}
	released chan struct{}
	plans    sync.WaitGroup
	once     sync.Once
	relOnce  sync.Once

	mu             sync.Mutex
	conns          []*peerConn
	clients        []*clientConn // those p.dial made, in order
	open, mostOpen int
	held, mostHeld int
	releaseAt      int // release every held echo once this many are held at once
	hungUp         bool
}

// startPeer starts a peer on a loopback port.
func startPeer(t *testing.T, plan func(*peerConn)) *peer {
	t.Helper()
	l := listen(t)
	p := newPeer(t, plan)
	p.addr, p.l = l.Addr().String(), l
	p.plans.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return // hung up
			}
			p.serve(conn)
		}
	})
	return p
}

// startPipePeer starts a peer that is dialled in memory: no buffer at all,
// every Read gets what one Write sent, once the other end reads it. Unless
// halfClose, it cannot half-close, like net.Pipe.
func startPipePeer(t *testing.T, plan func(*peerConn), halfClose bool) *peer {
	p := newPeer(t, plan)
	p.pipe, p.halfOK = true, halfClose
	return p
}

func newPeer(t *testing.T, plan func(*peerConn)) *peer {
	p := &peer{plan: plan, ended: make(chan struct{}), released: make(chan struct{})}
	t.Cleanup(p.hangUp)
	return p
}

// serve gives conn to the plan.
func (p *peer) serve(conn net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := &peerConn{Conn: conn, p: p, index: len(p.conns)}
	c.r = bufio.NewReader(readCounter{c})
	if p.hungUp {
		conn.Close()
		return
	}
	p.conns = append(p.conns, c)
	p.open++
	p.mostOpen = max(p.mostOpen, p.open)
	p.plans.Go(func() {
		defer func() {
			conn.Close()
			p.mu.Lock()
			p.open--
			p.mu.Unlock()
		}()
		p.plan(c)
	})
}

// dial connects a client to the peer: c.conn is what the code under test
// gets. The test closes it when it ends.
func (p *peer) dial(t *testing.T) *clientConn {
	t.Helper()
	var raw, end net.Conn
	switch {
	case !p.pipe:
		var err error
		if raw, err = net.DialTimeout("tcp", p.addr, patience); err != nil {
			t.Fatalf("dial %s: %v", p.addr, err)
		}
	case p.halfOK:
		up, upEnd := net.Pipe()
		downEnd, down := net.Pipe()
		raw, end = &pipeEnd{Conn: down, out: up}, &pipeEnd{Conn: upEnd, out: downEnd}
	default:
		raw, end = net.Pipe()
	}
	c := &clientConn{Conn: raw}
	c.conn = c
	if _, ok := raw.(interface{ CloseWrite() error }); ok {
		c.conn = halfCloser{c}
	}
	t.Cleanup(func() { raw.Close() })
	p.mu.Lock()
	p.clients = append(p.clients, c)
	p.mu.Unlock()
	if end != nil {
		p.serve(end)
	}
	return c
}

// hangUp closes every connection, both ends of those it dialled, and the
// listener; tells every plan to end, and waits for them.
func (p *peer) hangUp() {
	p.once.Do(func() {
		p.mu.Lock()
		p.hungUp = true
		conns, clients := slices.Clone(p.conns), slices.Clone(p.clients)
		p.mu.Unlock()
		close(p.ended)
		if p.l != nil {
			p.l.Close()
		}
		for _, c := range conns {
			c.Conn.Close()
		}
		for _, c := range clients {
			c.Conn.Close() // not c.Close: the code under test did not call it
		}
	})
	p.plans.Wait() // bounded: every connection is closed, and every plan told to end
}

// accepted returns the connections the peer has accepted, in order.
func (p *peer) accepted() []*peerConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.conns)
}

// dialed returns the clientConns p.dial made, in order.
func (p *peer) dialed() []*clientConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.clients)
}

// closes counts the clientConns p.dial made that the code under test closed.
func (p *peer) closes() (n int) {
	for _, c := range p.dialed() {
		if c.did("Close") {
			n++
		}
	}
	return n
}

// gaveUp returns, for each Write writeWithin gave up on, on any
// connection, how many bytes that connection had sent before it.
func (p *peer) gaveUp() (at []int) {
	for _, c := range p.accepted() {
		c.mu.Lock()
		at = append(at, c.gaveUp...)
		c.mu.Unlock()
	}
	return at
}

// traffic returns the bytes the clients sent the peer, and those it sent
// back, on every connection.
func (p *peer) traffic() (in, out int) {
	for _, c := range p.accepted() {
		c.mu.Lock()
		in, out = in+len(c.got), out+c.sent
		c.mu.Unlock()
	}
	return in, out
}

// connections returns how many connections the peer has accepted, or will:
// it connects once more itself and waits for that connection. The kernel
// hands out connections first come, first served, so every earlier one
// has been accepted by then.
func (p *peer) connections(t *testing.T) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.addr, patience)
	if err != nil {
		t.Fatalf("dial %s: %v", p.addr, err)
	}
	me := c.LocalAddr().String()
	c.Close()
	n := -1
	if _, ok := waitUntil(func() bool {
		n = slices.IndexFunc(p.accepted(), func(c *peerConn) bool { return c.RemoteAddr().String() == me })
		return n >= 0
	}); !ok {
		t.Fatalf("the test's server did not accept the test's own connection")
	}
	return n
}

// waitClosed waits until the peer has closed every connection (every plan
// has returned).
func (p *peer) waitClosed(t *testing.T) {
	t.Helper()
	if st, ok := waitUntil(func() bool { return p.openConns() == 0 }); !ok {
		t.Fatalf("the test's server still had %s open: %s", count(p.openConns(), "connection", "connections"), st)
	}
}

func (p *peer) openConns() int {
	now, _ := p.openAtOnce()
	return now
}

// openAtOnce returns how many connections are open now, and the most
// that ever were at once.
func (p *peer) openAtOnce() (now, most int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.open, p.mostOpen
}

// release lets every echo held back (c.hold) go out, and every later one at once.
func (p *peer) release() { p.relOnce.Do(func() { close(p.released) }) }

// releaseWhen makes the peer release every held echo as soon as n
// connections hold theirs at once: a barrier, which only clients that run
// at the same time get through.
func (p *peer) releaseWhen(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.releaseAt = n
}

// holding returns how many connections hold their echo back now, and the
// most that ever did at once.
func (p *peer) holding() (now, most int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held, p.mostHeld
}

// status says what the peer saw on each connection, for a message.
func (p *peer) status() string {
	conns := p.accepted()
	if len(conns) == 0 {
		return "no client connected to the test's server"
	}
	var what []string
	for _, c := range conns {
		what = append(what, c.status())
	}
	return firstFew(what, 5)
}

// A peerConn is the peer's end of one connection, and what it saw.
type peerConn struct {
	net.Conn
	p     *peer
	index int           // 0 for the first connection the peer accepted
	r     *bufio.Reader // every read goes through it

	mu      sync.Mutex
	got     []byte // what the client sent, as it arrived
	eof     bool   // the client said it was done sending
	sent    int    // bytes written to the client
	writing bool   // in a Write now: its bytes not all read yet
	gaveUp  []int  // writeWithin gave up on a Write begun after sending this many bytes
}

// readCounter notes what the client sends, as it arrives.
type readCounter struct{ c *peerConn }

func (r readCounter) Read(b []byte) (int, error) {
	n, err := r.c.Conn.Read(b)
	moved.Add(int64(n))
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	r.c.got = append(r.c.got, b[:n]...)
	r.c.eof = r.c.eof || err == io.EOF
	return n, err
}

func (c *peerConn) Read(b []byte) (int, error) { return c.r.Read(b) }

func (c *peerConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.writing = true
	c.mu.Unlock()
	n, err := c.Conn.Write(b)
	moved.Add(int64(n))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writing = false
	c.sent += n
	return n, err
}

// echo sends back everything it reads, as it reads it, until the client is
// done sending.
func (c *peerConn) echo() { io.Copy(c, c) }

// readSlowly reads len(b) > 0 bytes: the first, then the rest takeIn
// later. On a pipe, the client's Write of them takes that long, as on a
// socket whose buffers are full.
func (c *peerConn) readSlowly(b []byte, takeIn time.Duration) error {
	r := io.Reader(readCounter{c}) // past c.r, which would take them all at once
	if c.r.Buffered() > 0 {
		r = c
	}
	if _, err := io.ReadFull(r, b[:1]); err != nil {
		return err
	}
	time.Sleep(takeIn)
	_, err := io.ReadFull(c, b[1:])
	return err
}

// writeWithin writes b, giving up if the client has not read it all
// within d (on the fake clock, in a bubble): a client that stopped
// reading, noted (p.gaveUp).
func (c *peerConn) writeWithin(b []byte, d time.Duration) error {
	c.mu.Lock()
	at := c.sent
	c.mu.Unlock()
	c.SetWriteDeadline(time.Now().Add(d))
	defer c.SetWriteDeadline(time.Time{})
	_, err := c.Write(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.mu.Lock()
		c.gaveUp = append(c.gaveUp, at)
		c.mu.Unlock()
	}
	return err
}

// echoAt echoes what it reads as it reads it, taking perByte per byte (on
// the fake clock): a server of a given speed. It ends when the client is
// done, or has not read an echo within patience (writeWithin).
func (c *peerConn) echoAt(perByte, patience time.Duration) {
	buf := make([]byte, 8<<10)
	for {
		n, err := c.Read(buf)
		time.Sleep(time.Duration(n) * perByte)
		if n > 0 && c.writeWithin(buf[:n], patience) != nil || err != nil {
			return
		}
	}
}

// readAll reads until the client is done sending (or the connection fails).
func (c *peerConn) readAll() ([]byte, error) { return io.ReadAll(c) }

// readLine reads one line, "\n" and all.
func (c *peerConn) readLine() (string, error) { return c.r.ReadString('\n') }

// writeInPieces writes b in pieces of the sizes given, in turn, and
// returns how many pieces it wrote.
func (c *peerConn) writeInPieces(b []byte, sizes []int) (int, error) {
	pieces := 0
	for len(b) > 0 {
		n := min(sizes[pieces%len(sizes)], len(b))
		if _, err := c.Write(b[:n]); err != nil {
			return pieces, err
		}
		b = b[n:]
		pieces++
	}
	return pieces, nil
}

// closeWrite ends the peer's side: the client reads io.EOF.
func (c *peerConn) closeWrite() error {
	return c.Conn.(interface{ CloseWrite() error }).CloseWrite()
}

// reset makes the connection's close, when the plan returns, a reset
// (RST): the client's next Read fails with "connection reset by peer".
func (c *peerConn) reset() { c.tcp().SetLinger(0) }

// tcp returns the TCP connection underneath.
func (c *peerConn) tcp() *net.TCPConn { return c.Conn.(*net.TCPConn) }

// waitEnd blocks until the test hangs up: neither reads nor writes meanwhile.
func (c *peerConn) waitEnd() { <-c.p.ended }

// ended is closed when the test hangs up: a plan that waits for something
// else waits for this too.
func (c *peerConn) ended() <-chan struct{} { return c.p.ended }

// hold keeps the echo back until the test releases it (then it reports
// true) or hangs up. Until then the client cannot be done: so the number
// of connections held at once never exceeds the number the client has open.
func (c *peerConn) hold() bool {
	p := c.p
	p.mu.Lock()
	p.held++
	p.mostHeld = max(p.mostHeld, p.held)
	if p.releaseAt > 0 && p.held >= p.releaseAt {
		p.release()
	}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.held--
		p.mu.Unlock()
	}()
	select {
	case <-p.released:
		return true
	case <-p.ended:
		return false
	}
}

// received returns what the client has sent so far.
func (c *peerConn) received() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

// lines returns how many whole lines the client has sent so far.
func (c *peerConn) lines() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Count(string(c.got), "\n")
}

// status says what the connection saw.
func (c *peerConn) status() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	end := "the client had not said it was done sending"
	if c.eof {
		end = "then the client half-closed"
	}
	if c.writing {
		end += "; the server was blocked writing, its bytes unread"
	}
	return fmt.Sprintf("connection %d: %s in (%s), %d bytes echoed, %s", c.index+1, count(len(c.got), "byte", "bytes"),
		count(strings.Count(string(c.got), "\n"), "line", "lines"), c.sent, end)
}

// pipeEnd is one end of an in-memory connection made of two net.Pipes,
// one for each direction, so that it can half-close.
type pipeEnd struct {
	net.Conn          // the direction this end reads from
	out      net.Conn // the direction it writes to
}

func (e *pipeEnd) Write(p []byte) (int, error)        { return e.out.Write(p) }
func (e *pipeEnd) CloseWrite() error                  { return e.out.Close() }
func (e *pipeEnd) SetWriteDeadline(t time.Time) error { return e.out.SetWriteDeadline(t) }
func (e *pipeEnd) SetDeadline(t time.Time) error {
	e.out.SetWriteDeadline(t)
	return e.Conn.SetReadDeadline(t)
}
func (e *pipeEnd) Close() error {
	e.out.Close()
	return e.Conn.Close()
}

// A clientConn is the client's end of a connection to a peer. c.conn is
// what the code under test gets: it has CloseWrite only if the connection
// can half-close, and it is never a *net.TCPConn (wrappers of a TCP
// connection rarely are). It notes what the code under test did with it,
// and can be made to fail.
type clientConn struct {
	net.Conn          // the connection underneath
	conn     net.Conn // c itself, with CloseWrite if the connection can half-close

	mu        sync.Mutex
	noted     []string // "CloseWrite" and "Close", in order
	writeErr  error    // Writes fail with it once failAfter bytes went through
	failAfter int
	written   int
	readErr   error // the end of the stream reads as this error
	readFault error // Reads fail with it once readAfter bytes came through
	readAfter int
	read      int
	held      chan struct{} // CloseWrite waits until it is closed (holdCloseWrite)
	settle    bool          // Close waits for the bubble to settle (settleClose)
}

// halfCloser is a clientConn that can half-close.
type halfCloser struct{ *clientConn }

func (h halfCloser) CloseWrite() error {
	h.note("CloseWrite") // first: did("CloseWrite") while it is held
	h.mu.Lock()
	held := h.held
	h.mu.Unlock()
	if held != nil {
		<-held
	}
	return h.Conn.(interface{ CloseWrite() error }).CloseWrite()
}

// holdCloseWrite keeps the goroutine that calls CloseWrite (the client's
// sender, once every line is sent) inside it until release, or until the
// test ends: a goroutine provably still running, for a test that asks
// whether the code under test waits for it. In a bubble (inBubble),
// synctest.Wait then means "the rest has happened".
func (c *clientConn) holdCloseWrite(t *testing.T) (release func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	held := make(chan struct{})
	c.held = held
	var once sync.Once
	release = func() { once.Do(func() { close(held) }) }
	t.Cleanup(release)
	return release
}

// errReset and errBrokenPipe are what a Read on a connection the other end
// reset returns, and a Write on one it closed: for failReadsAtEOF and
// failWrites.
var (
	errReset      = &net.OpError{Op: "read", Net: "pipe", Err: syscall.ECONNRESET}
	errBrokenPipe = &net.OpError{Op: "write", Net: "pipe", Err: syscall.EPIPE}
)

// failWrites makes Writes fail with err once after bytes went through (0:
// every Write fails), as on a connection that broke.
func (c *clientConn) failWrites(after int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failAfter, c.writeErr = after, err
}

// failReadsAtEOF makes the end of the stream read as err: a reset, say.
func (c *clientConn) failReadsAtEOF(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readErr = err
}

// failReads makes Reads fail with err once after bytes came through (a
// Read gets at most what is left before then; 0: every Read fails), as on
// a connection that broke.
func (c *clientConn) failReads(after int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readAfter, c.readFault = after, err
}

// settleClose makes Close, in a bubble, wait until every other goroutine
// there waits too: closes counted the moment a call returns are then
// those it made before returning, never one racing its return.
func (c *clientConn) settleClose() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle = true
}

func (c *clientConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	fault := c.readFault
	if fault != nil {
		b = b[:min(len(b), max(c.readAfter-c.read, 0))]
	}
	c.mu.Unlock()
	if fault != nil && len(b) == 0 {
		return 0, fault
	}
	n, err := c.Conn.Read(b)
	moved.Add(int64(n))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.read += n
	if err == io.EOF && c.readErr != nil {
		err = c.readErr
	}
	return n, c.asTCP("read", err)
}

func (c *clientConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	allowed := len(b)
	if c.writeErr != nil {
		allowed = min(allowed, max(c.failAfter-c.written, 0))
	}
	c.written += allowed
	werr := c.writeErr
	c.mu.Unlock()
	if allowed == 0 && len(b) > 0 {
		return 0, werr // and no Write: on a pipe, even an empty one waits for a reader
	}
	n, err := c.Conn.Write(b[:allowed])
	moved.Add(int64(n))
	if err == nil && allowed < len(b) {
		err = werr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return n, c.asTCP("write", err)
}

// asTCP returns, for a pipe's io.ErrClosedPipe on a connection the code
// under test closed, what TCP returns: an error that wraps net.ErrClosed,
// which code checks for ("use of closed network connection"). c.mu is held.
func (c *clientConn) asTCP(op string, err error) error {
	if errors.Is(err, io.ErrClosedPipe) && slices.Contains(c.noted, "Close") {
		return &net.OpError{Op: op, Net: "pipe", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: net.ErrClosed}
	}
	return err
}

func (c *clientConn) Close() error {
	c.mu.Lock()
	settle := c.settle
	c.mu.Unlock()
	if settle {
		time.Sleep(time.Nanosecond) // on the fake clock: it passes once every goroutine waits
	}
	c.note("Close")
	return c.Conn.Close()
}

func (c *clientConn) note(call string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.noted = append(c.noted, call)
}

// calls returns what the code under test called: "CloseWrite" and
// "Close", in order.
func (c *clientConn) calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.noted)
}

// did reports whether the code under test called call ("CloseWrite", "Close").
func (c *clientConn) did(call string) bool { return slices.Contains(c.calls(), call) }

// tcp returns the TCP connection underneath.
func (c *clientConn) tcp() *net.TCPConn { return c.Conn.(*net.TCPConn) }

// ---- calls: the code under test, running ----

// A call is the code under test (Exchange, ExchangeAll…) running in a
// goroutine of its own, so that the test can wait for it by progress and
// see where it is stuck.
type call[T any] struct {
	name   string
	done   chan struct{} // closed when it has returned
	got    T             // what it returned: read them after done
	err    error
	before map[int]goroutine // the package's goroutines before it started
	left   map[int]goroutine // those it started that were still there the moment it returned
}

// goCall starts f, which calls the function name of the code under test.
func goCall[T any](name string, f func() (T, error)) *call[T] {
	x := &call[T]{name: name, done: make(chan struct{}), before: ourGoroutines()}
	go func() {
		defer close(x.done)
		x.got, x.err = f()
		x.left = startedSince(x.before) // one that just sent its report may still be ending
	}()
	return x
}

// returned reports whether the call has returned.
func (x *call[T]) returned() bool {
	return isClosed(x.done)
}

// wait waits for the call to return, by progress. If it stalls, the test
// fails: with the stall, the situation (what the test's server saw; it is
// asked once p has hung up and its plans have ended, so it may read what
// they wrote), what the stacks show, and where the goroutines were. p may
// be nil.
func (x *call[T]) wait(t *testing.T, p *peer, situation func() string) (T, error) {
	t.Helper()
	st, ok := waitClosed(x.done)
	if ok {
		return x.got, x.err
	}
	stuck := startedSince(x.before)
	diagnosis := diagnose(x.name, stuck)
	if p != nil {
		p.hangUp() // a Read or Write blocked on a connection returns now
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "%s had not returned: %s.", x.name, st)
	if situation != nil {
		fmt.Fprintf(&msg, "\n%s", situation())
	}
	if diagnosis != "" {
		fmt.Fprintf(&msg, "\n%s", diagnosis)
	}
	if p == nil || diagnosis != "" {
		// nothing to hang up, or nothing more to learn from it
	} else if st, ok := waitClosed(x.done); !ok && st.busy() > 0 {
		fmt.Fprintf(&msg, "\nEven once the test hung up, closing every connection, %s did not return, while %s of "+
			"your code kept running without blocking: a loop that never waits, or that waits for a change nothing "+
			"makes (a flag, a count), instead of returning when a Read or Write fails.", x.name, count(st.busy(), "goroutine", "goroutines"))
	} else if !ok {
		fmt.Fprintf(&msg, "\nEven once the test hung up, closing every connection, %s did not return: it, or a goroutine "+
			"it started, stayed blocked on something no connection can end (a channel, a WaitGroup, a lock).", x.name)
	}
	t.Fatalf("%s\n\nWhere your goroutines were ([IO wait]: in a Read or Write; [select] on net.Pipe: in a Read or Write "+
		"of a pipe; [chan receive], [chan send]: on a channel; [sync.WaitGroup.Wait]: in Wait):\n\n%s", &msg, where(stuck))
	return x.got, x.err
}

// returnedEarly ends a message about a call that returned too soon with
// no error: which goroutines it started were still running, and what the
// function does with its WaitGroup, read from the package's source.
func (x *call[T]) returnedEarly() string {
	msg := "."
	if n := len(startedSince(x.before)); n > 0 {
		msg = fmt.Sprintf(", while %s it started %s still running.", count(n, "goroutine", "goroutines"),
			map[bool]string{true: "was", false: "were"}[n == 1])
	}
	switch waits, file, addAt, deferAt := waitGroupUse(x.name); {
	case !waits:
		return msg + fmt.Sprintf(" %s (%s) calls no Wait: nothing makes it wait for the goroutines it starts. "+
			"Call wg.Wait() once they are all started, before reading what they wrote", x.name, file)
	case addAt != "":
		return msg + fmt.Sprintf(" wg.Add is called inside the goroutine (%s): when it runs, Wait may have seen "+
			"a count of 0 and returned already%s. Call Add before the go "+
			"statement, or let wg.Go do it; go vet ./... reports such an Add. Such an Add races with Wait: on runs where "+
			"the goroutine happens to come first, the race detector (-race) still reports it, as a DATA RACE", addAt,
			map[bool]string{true: " (on one CPU, as in this test, it always has)"}[runtime.GOMAXPROCS(0) == 1])
	case deferAt != "":
		return msg + fmt.Sprintf(" %s defers its Wait (%s): a deferred call runs after the return statement has taken "+
			"its results, so they were read before Wait waited, and Wait only delayed the return. Call wg.Wait() before "+
			"the return, not deferred", x.name, deferAt)
	}
	return msg + fmt.Sprintf(" %s calls Wait, yet it returned before its goroutines were done: does the count include "+
		"every goroutine before Wait runs, and does each one call Done only as it ends?", x.name)
}

// waitGroupUse reads the function fn in the package's non-test files:
// the file it is in, whether it calls a Wait method, and where an Add is
// called inside a goroutine it starts ("client.go:12"; "": nowhere), and
// where its body defers a Wait. If it cannot tell, it claims nothing.
func waitGroupUse(fn string) (waits bool, file, addAt, deferAt string) {
	method := func(n ast.Node) string { // "Wait" for wg.Wait()
		if c, ok := n.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok {
				return sel.Sel.Name
			}
		}
		return ""
	}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil || strings.HasSuffix(name, "_test.go") {
			continue
		}
		for _, d := range f.Decls {
			if d, ok := d.(*ast.FuncDecl); ok && d.Recv == nil && d.Name.Name == fn {
				for _, s := range d.Body.List {
					if s, ok := s.(*ast.DeferStmt); ok && method(s.Call) == "Wait" && deferAt == "" {
						deferAt = fmt.Sprintf("%s:%d", name, fset.Position(s.Pos()).Line)
					}
				}
				ast.Inspect(d, func(n ast.Node) bool {
					waits = waits || method(n) == "Wait"
					if g, ok := n.(*ast.GoStmt); ok {
						ast.Inspect(g.Call.Fun, func(n ast.Node) bool {
							if method(n) == "Add" && addAt == "" {
								addAt = fmt.Sprintf("%s:%d", name, fset.Position(n.Pos()).Line)
							}
							return true
						})
					}
					return true
				})
				return waits, name, addAt, deferAt
			}
		}
	}
	return true, "", "", "" // not found: claim nothing
}

// expectNoneLeft fails the test unless every goroutine the call started
// has ended (or ends while things still move). why says what to do.
func (x *call[T]) expectNoneLeft(t *testing.T, why string) {
	t.Helper()
	expectEnded(t, x.before, x.name+" returned, but", why)
}

// diagnose reads the stacks of a stalled call for what they prove: the
// call waits where nothing it started is left to wake it. It returns "" if
// they prove nothing.
func diagnose(name string, gs map[int]goroutine) string {
	var state string
	others := 0
	for _, g := range gs {
		if g.in(name) && state == "" {
			state = g.state
		} else {
			others++
		}
	}
	if others > 0 {
		return ""
	}
	switch state {
	case "sync.WaitGroup.Wait":
		return fmt.Sprintf("%s is stuck in wg.Wait, yet every goroutine it waits for has ended: each one must call "+
			"wg.Done as it ends, on every path (defer wg.Done(), first thing in the goroutine), and wg.Add must count "+
			"exactly the goroutines you start.", name)
	case "chan receive":
		return fmt.Sprintf("%s is stuck receiving on a channel, yet every goroutine it started has ended: one of them "+
			"returned without sending its report (on an error path?), or they send fewer times than %s receives.", name, name)
	case "chan send":
		return fmt.Sprintf("%s is stuck sending on a channel, yet every goroutine it started, that could receive, has ended.", name)
	}
	return ""
}
