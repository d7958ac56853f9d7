// Lesson 05 tests. The tests play the echo server, so they see every
// connection ExchangeAll opens, and they decide, client by client, whether
// the server echoes, holds the echo back, or breaks the connection. Run
// them with `make lesson-05 test`; see README.md for the task.

package echo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestEchoesEverySession: what each client sent comes back, at its
// session's index. The server closing the connection after the echo is how
// a session ends well, not a failure.
func TestEchoesEverySession(t *testing.T) {
	checkNoLeaks(t)
	s := serve(t, (*serverConn).echo)
	sessions := [][]string{
		linesOf(0, 3),
		linesOf(1, 1),
		nil, // a client with nothing to say connects, half-closes, and gets nothing back
		linesOf(3, 5000),
		linesOf(4, 2),
	}
	r := s.start(context.Background(), sessions, 2)
	r.wait(t, "the server echoed every line and closed every connection, so every client should be done")
	if r.err != nil {
		var why string
		switch {
		case errors.Is(r.err, io.EOF):
			why = " io.EOF after the last line is how an echo ends well (the server closed the connection): it is not a failure."
		case errors.Is(r.err, context.Canceled):
			why = " The group's context was cancelled, yet no client failed: errgroup also cancels it when g.Wait returns, " +
				"so call g.Wait once, after the loop has started every client."
		}
		t.Fatalf("ExchangeAll(%d sessions, limit 2) returned the error %q; want every session's echo: "+
			"the server echoed every line, then closed each connection.%s", len(sessions), r.err, why)
	}
	if d := mismatchedResults(r.results, sessions); d != "" {
		t.Fatalf("ExchangeAll returned the wrong echoes: %s. "+
			"results[i] must hold what came back for sessions[i]: "+
			"let each client's goroutine store its echo at its own index", d)
	}
}

// TestClosesEveryConnection: when ExchangeAll returns, no connection it
// opened is still open.
func TestClosesEveryConnection(t *testing.T) {
	checkNoLeaks(t)
	// The garbage collector closes a connection nobody can reach any more,
	// some time later: keep it out of the way, or it would hide the leak.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	s := serve(t, (*serverConn).echo)
	before := sockets()
	if before == nil {
		t.Skip("the test counts sockets in Linux's /proc/self/fd, which this system does not have")
	}
	r := s.start(context.Background(), sessionsOf(3, 2), 3)
	r.wait(t, "the server echoed every line and closed every connection, so every client should be done")
	if r.err != nil {
		t.Fatalf("ExchangeAll(3 sessions, limit 3) returned the error %q; every session should succeed", r.err)
	}
	s.waitClosed(t)
	var left int
	for inode := range sockets() {
		if !before[inode] {
			left++ // the server's are closed: this one is a client's
		}
	}
	if left > 0 {
		t.Fatalf("ExchangeAll returned, and %d of its connections were still open: "+
			"every connection must be closed when its client is done. Exchange closes the one it is given; "+
			"a connection you return without giving it to Exchange, you close", left)
	}
}

// TestReturnsTheFailure: when a client fails, ExchangeAll says so: its
// error names the client and keeps the cause (errors.Is finds it).
func TestReturnsTheFailure(t *testing.T) {
	checkNoLeaks(t)
	s := serve(t, func(c *serverConn) {
		if c.client == 2 {
			c.reset()
			return
		}
		c.echo()
	})
	r := s.start(context.Background(), sessionsOf(4, 3), 4)
	r.wait(t, "the server reset client 2's connection, and echoed the others")
	checkReset(t, r, 2)
}

// TestStopsWhenServerStopsReading: a server cuts its reply short and
// stops reading while the client is still sending far more than the
// connection can hold. The failed read must not leave the write stuck.
func TestStopsWhenServerStopsReading(t *testing.T) {
	checkNoLeaks(t)
	l := listen(t)
	ended := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		io.WriteString(conn, "a line cut sho") // no "\n", and then no more
		conn.(*net.TCPConn).CloseWrite()
		<-ended // and never read what the client sends
	})
	t.Cleanup(func() { l.Close(); close(ended); wg.Wait() }) // l.Close: if no client came, Accept still waits

	line := strings.Repeat("x", 64<<10)
	lines := make([]string, 256) // 16 MiB: more than both sides' socket buffers hold
	for i := range lines {
		lines[i] = line
	}
	r := exchangeAll(context.Background(), l.Addr().String(), [][]string{lines}, 1)
	r.wait(t, "the server cut its reply short (no \\n, then end of stream) and stopped reading: "+
		"the client's reader failed while its writer was blocked in a Write that could never finish. "+
		"Exchange (exchange.go, lesson 04's) closes the connection when either side fails, so that the other returns")
	if r.err == nil {
		t.Fatalf("the server cut its reply short, and ExchangeAll returned no error")
	}
}

// TestReturnsDialErrors: a client that cannot connect is a failure too.
func TestReturnsDialErrors(t *testing.T) {
	checkNoLeaks(t)
	l := listen(t)
	addr := l.Addr().String()
	l.Close() // now nothing listens there: connecting is refused
	r := exchangeAll(context.Background(), addr, sessionsOf(3, 1), 3)
	r.wait(t, "nothing listens at %s, so every dial fails at once", addr)
	if r.err == nil {
		t.Fatalf("nothing listens at %s, so no client can connect, yet ExchangeAll returned no error: "+
			"when the dial fails, return its error", addr)
	}
	if !errors.Is(r.err, syscall.ECONNREFUSED) {
		t.Fatalf("nothing listens at %s, and ExchangeAll returned %q; want an error that keeps the cause "+
			"(errors.Is(err, syscall.ECONNREFUSED)): return the dial error, wrapped with %%w", addr, r.err)
	}
	if !namesAClient(r.err) {
		t.Fatalf("ExchangeAll returned %q, which does not say which client failed; want \"client N: …\"", r.err)
	}
}

// TestFailureReleasesBlockedClients: the first failure stops the other
// clients, even those blocked reading an echo that is not coming.
func TestFailureReleasesBlockedClients(t *testing.T) {
	checkNoLeaks(t)
	fail := make(chan struct{})
	s := serve(t, func(c *serverConn) {
		if c.client != 2 {
			c.hold() // never echoes: only ExchangeAll itself can end these clients
			return
		}
		select {
		case <-fail:
			c.reset()
		case <-c.s.ended:
		}
	})
	r := s.start(context.Background(), sessionsOf(4, 3), 4)
	s.waitHeld(t, r, 3, "with limit 4 and 4 sessions, every client runs at the same time: "+
		"start each one with g.Go, and call g.Wait only after the loop")
	close(fail)
	r.wait(t, "client 2 failed, and the other clients are still blocked reading an echo the server will never send. "+
		"Cancelling a context does not unblock a Read: close each connection once the group's context is done "+
		"(context.AfterFunc), and check that the ctx your clients use is the one errgroup.WithContext returned")
	checkReset(t, r, 2)
	r.checkAllDone(t)
}

// TestLimitsOpenConnections: never more than limit connections are open at
// once, and limit < 1 means no limit.
func TestLimitsOpenConnections(t *testing.T) {
	for _, tc := range []struct {
		limit, sessions, atOnce int
		why                     string
	}{
		{1, 3, 1, "with limit 1, one client runs at a time"},
		{2, 5, 2, "with limit 2, two clients run at the same time: start each one with g.Go, which waits for a free slot"},
		{0, 4, 4, "limit 0 means no limit, so all 4 clients run at the same time. " +
			"(g.SetLimit(0) lets no goroutine start at all: set a limit only when limit > 0)"},
	} {
		t.Run(fmt.Sprintf("limit_%d", tc.limit), func(t *testing.T) {
			checkNoLeaks(t)
			s := serve(t, (*serverConn).hold)
			sessions := sessionsOf(tc.sessions, 2)
			r := s.start(context.Background(), sessions, tc.limit)
			s.waitHeld(t, r, tc.atOnce, tc.why)
			// The first clients now wait for their echo. A client that
			// ignores the limit opens more connections meanwhile: give them
			// time to show up. A correct client opens none, so this pause
			// cannot fail it, however slow the machine.
			time.Sleep(250 * time.Millisecond)
			s.release()
			r.wait(t, "the server echoed every line and closed every connection, so every client should be done")
			if r.err != nil {
				t.Fatalf("ExchangeAll(%d sessions, limit %d) returned the error %q; every session should succeed",
					tc.sessions, tc.limit, r.err)
			}
			if d := mismatchedResults(r.results, sessions); d != "" {
				t.Fatalf("ExchangeAll returned the wrong echoes: %s", d)
			}
			s.mu.Lock()
			maxHeld := s.maxHeld
			s.mu.Unlock()
			if maxHeld > tc.atOnce {
				t.Fatalf("with limit %d, %d clients were connected at once: "+
					"call g.SetLimit before the first g.Go, so that g.Go waits for a free slot", tc.limit, maxHeld)
			}
		})
	}
}

// errShutdown is why the test cancels ExchangeAll's ctx.
var errShutdown = errors.New("the caller is shutting down")

// TestCancelStopsEverything: when the caller cancels ctx, ExchangeAll
// stops every client, starts no new one, and says why ctx was cancelled.
func TestCancelStopsEverything(t *testing.T) {
	checkNoLeaks(t)
	s := serve(t, (*serverConn).hold)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	r := s.start(ctx, sessionsOf(4, 2), 2)
	s.waitHeld(t, r, 2, "with limit 2, two clients run at the same time: start each one with g.Go")
	cancel(errShutdown)
	r.wait(t, "ctx was cancelled while clients 0 and 1 were blocked reading an echo the server will never send. "+
		"Cancelling a context does not unblock a Read: close each connection once ctx is done (context.AfterFunc)")
	switch {
	case r.err == nil:
		t.Fatalf("ExchangeAll returned no error, though ctx was cancelled before any echo came back")
	case errors.Is(r.err, context.Canceled):
		t.Fatalf("ctx was cancelled with the cause %q, and ExchangeAll returned %q; want an error that gives that cause "+
			"(errors.Is finds it): ctx.Err() only says that ctx ended, context.Cause(ctx) says why", errShutdown, r.err)
	case !errors.Is(r.err, errShutdown):
		t.Fatalf("ctx was cancelled with the cause %q, and ExchangeAll returned %q; want an error that gives that cause "+
			"(errors.Is finds it). A connection you closed because ctx ended fails with "+
			"\"use of closed network connection\", a consequence: once ctx is done, return context.Cause(ctx) instead", errShutdown, r.err)
	case r.results != nil:
		t.Fatalf("ctx was cancelled, and ExchangeAll returned an error and %d results; "+
			"on failure return nil results: some sessions never finished", len(r.results))
	}
	r.checkAllDone(t)
	if n := s.connections(t); n > 2 {
		t.Fatalf("ctx was cancelled while clients 0 and 1 ran, and yet %d clients connected in all; want 2: "+
			"clients 2 and 3 were waiting for a free slot, and a cancelled group must start no new connection. "+
			"Dial with the group's ctx ((&net.Dialer{}).DialContext(ctx, …)): a cancelled dial does not connect", n)
	}
}

// checkReset checks what ExchangeAll returned after the server reset
// client n's connection.
func checkReset(t *testing.T, r *run, n int) {
	t.Helper()
	const cause = syscall.ECONNRESET
	what := fmt.Sprintf("the server reset client %d's connection", n)
	switch {
	case r.err == nil:
		t.Fatalf("%s, yet ExchangeAll returned no error (and %d results): "+
			"a client's error must reach the caller: return it from the function you give g.Go, "+
			"and return what g.Wait returns", what, len(r.results))
	case !errors.Is(r.err, cause) && errors.Is(r.err, context.Canceled):
		t.Fatalf("%s, and ExchangeAll returned %q: that is the group's context, cancelled because client %d failed, "+
			"not why it failed. Return the error g.Wait returns: the first error a client returned", what, r.err, n)
	case !errors.Is(r.err, cause):
		t.Fatalf("%s, and ExchangeAll returned %q, which hides the cause: want errors.Is(err, syscall.ECONNRESET). "+
			"Wrap errors with %%w, not %%v, and return the failed client's own error, not one it caused", what, r.err)
	case !strings.Contains(r.err.Error(), fmt.Sprintf("client %d:", n)):
		t.Fatalf("%s, and ExchangeAll returned %q, which does not say which client failed; "+
			"want \"client %d: …\" (sessions[%d] is client %d)", what, r.err, n, n, n)
	case r.results != nil:
		t.Fatalf("%s, and ExchangeAll returned its error with %d results; "+
			"on failure return nil results: some sessions never finished", what, len(r.results))
	}
}

// namesAClient reports whether err says "client N: …".
func namesAClient(err error) bool { return regexp.MustCompile(`client \d+: `).MatchString(err.Error()) }

// linesOf returns n lines for client i. Each says whose it is, so that a
// misplaced echo shows where it came from, and the server knows which
// client is talking.
func linesOf(client, n int) []string {
	lines := make([]string, n)
	for j := range lines {
		lines[j] = fmt.Sprintf("client %d, line %d of %d", client, j+1, n)
	}
	return lines
}

// sessionsOf returns sessions for clients 0 to clients-1, n lines each.
func sessionsOf(clients, n int) [][]string {
	sessions := make([][]string, clients)
	for i := range sessions {
		sessions[i] = linesOf(i, n)
	}
	return sessions
}

// mismatchedResults says how results differ from the sessions they echo,
// or "" if they do not.
func mismatchedResults(results, sessions [][]string) string {
	if len(results) != len(sessions) {
		return fmt.Sprintf("%d results for %d sessions", len(results), len(sessions))
	}
	for i, want := range sessions {
		got := results[i]
		for j := range max(len(got), len(want)) {
			switch {
			case j >= len(got):
				return fmt.Sprintf("results[%d] has %d lines, want %d; line %d, %q, is missing", i, len(got), len(want), j+1, want[j])
			case j >= len(want):
				return fmt.Sprintf("results[%d] has %d lines, want %d; line %d is %q", i, len(got), len(want), j+1, got[j])
			case got[j] != want[j]:
				return fmt.Sprintf("results[%d], line %d, is %q, want %q", i, j+1, got[j], want[j])
			}
		}
	}
	return ""
}

// A run is one call of ExchangeAll, in a goroutine of its own, so that a
// test can wait for it with a bound.
type run struct {
	done    chan struct{} // closed when ExchangeAll has returned
	results [][]string
	err     error
	before  map[string]string // the package's goroutines before it started
}

func exchangeAll(ctx context.Context, addr string, sessions [][]string, limit int) *run {
	r := &run{done: make(chan struct{}), before: goroutinesInPackage()}
	go func() {
		defer close(r.done)
		r.results, r.err = ExchangeAll(ctx, addr, sessions, limit)
	}()
	return r
}

// wait waits for ExchangeAll to return. If it does not within patience,
// the test fails, saying why it should have, and where the code waits.
func (r *run) wait(t *testing.T, format string, args ...any) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(patience):
		t.Fatalf("ExchangeAll had not returned after %v: %s.\nWhere your code waits:\n\n%s",
			patience, fmt.Sprintf(format, args...), waiting())
	}
}

// checkAllDone fails the test if, once ExchangeAll has returned, a
// goroutine it started is still running, though the server holds the
// connections open: returning is not enough, the clients must have been
// stopped.
func (r *run) checkAllDone(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(patience); ; time.Sleep(5 * time.Millisecond) {
		left := 0
		for id := range goroutinesInPackage() {
			if _, old := r.before[id]; !old {
				left++
			}
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ExchangeAll returned, but %v later %d goroutine(s) it started were still running, "+
				"while the server kept their connections open: a goroutine that nobody waits for any more is still blocked. "+
				"Stopping to wait is not stopping: close the connection, so that the Read ends.\nWhere they wait:\n\n%s",
				patience, left, waiting())
		}
	}
}

// waiting shows where the goroutines running the package's code are, each
// place once: "goroutines 7, 9 [IO wait]:", then the stack.
func waiting() string {
	ids := map[string][]int{} // goroutine ids by "[state]:\nstack"
	for id, stack := range goroutinesInPackage() {
		_, where, _ := strings.Cut(stack, " [")
		n, _ := strconv.Atoi(id)
		ids[where] = append(ids[where], n)
	}
	var places []string
	for where, ns := range ids {
		slices.Sort(ns)
		list := strings.Trim(fmt.Sprint(ns), "[]")
		word := map[bool]string{true: "goroutine", false: "goroutines"}[len(ns) == 1]
		places = append(places, fmt.Sprintf("%s %s [%s", word, strings.ReplaceAll(list, " ", ", "), where))
	}
	slices.Sort(places)
	return strings.Join(places, "\n\n")
}

// A server is the echo server the tests play. For each connection, it
// reads the client's lines until the client is done sending (CloseWrite),
// then lets the test's plan answer: echo, hold the echo back, or fail.
type server struct {
	addr     string
	plan     func(*serverConn)
	released chan struct{} // closed by release: held echoes go out
	ended    chan struct{} // closed when the test ends: every plan gives up
	handlers sync.WaitGroup

	mu            sync.Mutex
	open          int      // connections open on the server's side
	held, maxHeld int      // connections whose echo is held back: now, and the most at once
	accepted      []string // each connection's client address, in order
}

// A serverConn is one accepted connection, with what its client sent.
type serverConn struct {
	net.Conn
	s      *server
	client int // N from the first line, "client N, …"; -1 if there was none
	lines  []string
}

// serve starts a server that answers each connection with plan. It stops
// when the test ends.
func serve(t *testing.T, plan func(*serverConn)) *server {
	l := listen(t)
	s := &server{
		addr:     l.Addr().String(),
		plan:     plan,
		released: make(chan struct{}),
		ended:    make(chan struct{}),
	}
	s.handlers.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return // the test is over
			}
			s.mu.Lock()
			s.open++
			s.accepted = append(s.accepted, conn.RemoteAddr().String())
			s.mu.Unlock()
			s.handlers.Go(func() { s.handle(conn) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		close(s.ended)
		s.handlers.Wait()
	})
	return s
}

func (s *server) handle(conn net.Conn) {
	defer func() {
		conn.Close()
		s.mu.Lock()
		s.open--
		s.mu.Unlock()
	}()
	conn.SetDeadline(time.Now().Add(patience))
	c := &serverConn{Conn: conn, s: s, client: -1}
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		c.lines = append(c.lines, sc.Text())
	}
	if sc.Err() != nil {
		return // the client broke off, or never said it was done
	}
	if len(c.lines) > 0 {
		fmt.Sscanf(c.lines[0], "client %d", &c.client)
	}
	s.plan(c)
}

// start runs ExchangeAll against the server.
func (s *server) start(ctx context.Context, sessions [][]string, limit int) *run {
	return exchangeAll(ctx, s.addr, sessions, limit)
}

// release lets every held echo go out, and every later one at once.
func (s *server) release() { close(s.released) }

// echo sends the client's lines back; the connection closes after it.
func (c *serverConn) echo() {
	var b strings.Builder
	for _, line := range c.lines {
		b.WriteString(line + "\n")
	}
	c.SetDeadline(time.Now().Add(patience))
	io.WriteString(c, b.String())
}

// hold keeps the echo back until the test releases it or ends. Until
// then, the client cannot be done: so the number of connections held at
// once never exceeds the number the client has open.
func (c *serverConn) hold() {
	c.s.mu.Lock()
	c.s.held++
	c.s.maxHeld = max(c.s.maxHeld, c.s.held)
	c.s.mu.Unlock()
	released := false
	select {
	case <-c.s.released:
		released = true
	case <-c.s.ended:
	}
	c.s.mu.Lock()
	c.s.held--
	c.s.mu.Unlock()
	if released {
		c.echo()
	}
}

// reset makes the connection's close a reset (RST): the client's next Read
// fails with "connection reset by peer".
func (c *serverConn) reset() { c.Conn.(*net.TCPConn).SetLinger(0) }

// waitClosed waits until the server has closed every connection.
func (s *server) waitClosed(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(patience); ; time.Sleep(time.Millisecond) {
		s.mu.Lock()
		open := s.open
		s.mu.Unlock()
		if open == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server still had %d connections open %v after ExchangeAll returned", open, patience)
		}
	}
}

// waitHeld waits until the server holds the echo of n clients at once.
func (s *server) waitHeld(t *testing.T, r *run, n int, why string) {
	t.Helper()
	for deadline := time.Now().Add(patience); ; {
		s.mu.Lock()
		held := s.held
		s.mu.Unlock()
		if held >= n {
			return
		}
		select {
		case <-r.done:
			t.Fatalf("ExchangeAll returned (error %v) when %d of its clients were waiting for their echo, want %d at once: %s. "+
				"And ExchangeAll must wait for every client it started (g.Wait)", r.err, held, n, why)
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, only %d client(s) were connected and waiting for their echo, want %d: %s",
				patience, held, n, why)
		}
	}
}

// connections returns how many connections the server has accepted, or
// will: it connects once more itself and waits for that connection. The
// kernel hands out connections first come, first served, so every earlier
// one has been accepted by then.
func (s *server) connections(t *testing.T) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.addr, patience)
	if err != nil {
		t.Fatalf("dial %s: %v", s.addr, err)
	}
	me := c.LocalAddr().String()
	c.Close()
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		s.mu.Lock()
		i := slices.Index(s.accepted, me)
		s.mu.Unlock()
		if i >= 0 {
			return i
		}
	}
	t.Fatalf("the server did not accept the test's own connection within %v", patience)
	return 0
}

// sockets returns the sockets this process has open, by inode, or nil
// where it cannot tell: Linux lists them in /proc/self/fd, other systems
// do not.
func sockets() map[string]bool {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, _ := os.Readlink("/proc/self/fd/" + fd.Name())
		if inode, ok := strings.CutPrefix(link, "socket:["); ok {
			inodes[inode] = true
		}
	}
	return inodes
}
