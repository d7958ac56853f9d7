// Lesson 04 tests. The first ones are about Exchange: one client, its two
// goroutines waited for with a sync.WaitGroup. The rest are about
// ExchangeAll: many clients at once, results in order. Run them with
// `make lesson-04 test`; see README.md for the task.

package echo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestExchangeWaitsForBothGoroutines: Exchange returns only once its
// goroutines are done. On a single CPU (GOMAXPROCS=1) they cannot run
// before Exchange blocks in Wait, so a Wait that may come before their
// Add, comes before it, every time.
func TestExchangeWaitsForBothGoroutines(t *testing.T) {
	checkNoLeaks(t)
	s := startServer(t, echoLines)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	lines := []string{"one CPU", "two goroutines", "three lines"}
	got, err := exchange(t, s.dial(t), lines, s.status)
	checkReplies(t, lines, got, err)
}

// TestExchangeEchoesEveryLine: against an echo server, every line goes
// out with its "\n", and every line comes back, in order.
func TestExchangeEchoesEveryLine(t *testing.T) {
	checkNoLeaks(t)
	s := startServer(t, echoLines)
	lines := []string{"hello", "", "echo, echo, echo", "a carriage return\r", "ünïcödé ✓", "last line"}
	got, err := exchange(t, s.dial(t), lines, s.status)
	checkReplies(t, lines, got, err)
	if want := strings.Join(lines, "\n") + "\n"; s.received() != want {
		t.Fatalf("the server received %q; want each line followed by \"\\n\": %q", s.received(), want)
	}
}

// TestExchangeSendsAndReceivesAtOnce: the server sends its echo back as
// it reads, in small pieces, and reads no more until the client has read
// them. A client that sends everything before it reads anything waits
// forever.
func TestExchangeSendsAndReceivesAtOnce(t *testing.T) {
	checkNoLeaks(t)
	var lines []string
	for i := range 300 { // 300 lines of up to 100 bytes: more than any buffer on the way
		lines = append(lines, fmt.Sprintf("line %d %s", i, strings.Repeat("ab", i%45)))
	}
	client := pipeServer(t, func(server *pipeConn) {
		buf := make([]byte, 7) // pieces that never fit a line exactly
		for {
			n, err := server.Read(buf)
			if _, werr := server.Write(buf[:n]); err != nil || werr != nil {
				return
			}
		}
	})
	got, err := exchange(t, client, lines, func() string {
		return "the server is waiting for you to read its echo before it reads more of your lines: " +
			"sending and receiving must run at the same time, each in a goroutine of its own"
	})
	checkReplies(t, lines, got, err)
}

// TestExchangeClosesTheConnection: Exchange uses its connection up, so it
// closes it before it returns, even when all went well.
func TestExchangeClosesTheConnection(t *testing.T) {
	checkNoLeaks(t)
	client := pipeServer(t, func(server *pipeConn) {
		io.Copy(server, server)
	})
	lines := []string{"close", "me"}
	got, err := exchange(t, client, lines, func() string { return "the server echoes every line" })
	checkReplies(t, lines, got, err)
	if !client.closed() {
		t.Fatalf("Exchange returned without closing conn; it uses the connection up (it half-closed it), " +
			"so it must close it, once both goroutines are done with it: defer conn.Close()")
	}
}

// TestExchangeReturnsTheFirstError: when either side fails, Exchange
// returns that error, promptly: it closes the connection, so the other
// side stops waiting too.
func TestExchangeReturnsTheFirstError(t *testing.T) {
	lines := []string{"one", "two", "three"}

	t.Run("read fails", func(t *testing.T) {
		checkNoLeaks(t)
		client := pipeServer(t, func(server *pipeConn) {
			// Echo two lines, read nothing, then the connection is reset.
			server.Write([]byte("one\ntwo\n"))
			server.CloseWrite()
		})
		conn := &brokenConn{pipeConn: client, readErr: errReset}
		got, err := exchange(t, conn, lines, func() string {
			return "receive failed (the connection was reset after two replies), and send is still blocked in Write, " +
				"because this server reads nothing: when one side fails, close conn, so that the other one's Read or Write returns"
		})
		checkError(t, err, errReset, "the connection was reset while reading the third reply")
		if diff := cmp.Diff([]string{"one", "two"}, got); diff != "" {
			t.Fatalf("two replies came back before the reset; Exchange returned (-want +got):\n%s\n"+
				"return the replies read before the error, too", diff)
		}
	})

	t.Run("write fails", func(t *testing.T) {
		checkNoLeaks(t)
		client := pipeServer(t, nil) // a server that neither reads nor writes
		conn := &brokenConn{pipeConn: client, writeErr: errBrokenPipe}
		_, err := exchange(t, conn, lines, func() string {
			return "send failed (every Write fails with a broken pipe), and receive is still blocked in Read, " +
				"because this server sends nothing: when one side fails, close conn, so that the other one's Read or Write returns"
		})
		checkError(t, err, errBrokenPipe, "every Write failed")
	})
}

// TestExchangeAllWaitsForEveryClient: ExchangeAll returns only once every
// client is done. On a single CPU (GOMAXPROCS=1) the goroutines that
// ExchangeAll starts cannot run before it blocks in Wait, so a Wait that
// may come before their Add, comes before it, every time.
func TestExchangeAllWaitsForEveryClient(t *testing.T) {
	checkNoLeaks(t)
	s := startServer(t, echoLines)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	sessions := sessionsFor(3)
	results, err := exchangeAll(t, patience, s.addr, sessions, s.status)
	// Ask the server, not results: goroutines still running may write
	// results at any moment, and reading it now would be a data race.
	if n := s.connections(); err == nil && n < len(sessions) {
		t.Fatalf("ExchangeAll returned, with no error, when only %d of its %d clients had even connected: "+
			"Wait returned before the goroutines were done. Call wg.Add(1) before the go statement, not inside the goroutine "+
			"(by then, Wait may have returned already), or let wg.Go do it. go vet ./... spots an Add inside a goroutine",
			n, len(sessions))
	}
	checkResults(t, sessions, results, err)
}

// TestExchangeAllReturnsEveryEcho: each session gets a connection of its
// own, and results[i] is what came back for sessions[i].
func TestExchangeAllReturnsEveryEcho(t *testing.T) {
	checkNoLeaks(t)
	s := startServer(t, echoLines)
	sessions := sessionsFor(3)
	results, err := exchangeAll(t, patience, s.addr, sessions, s.status)
	checkResults(t, sessions, results, err)
	if n := s.connections(); n != len(sessions) {
		t.Fatalf("ExchangeAll ran %d sessions over %d connections; want one connection per session", len(sessions), n)
	}
}

// TestExchangeAllRunsClientsAtOnce: this server echoes nothing until all
// five clients have sent their whole session; clients that run one after
// another never get there.
func TestExchangeAllRunsClientsAtOnce(t *testing.T) {
	checkNoLeaks(t)
	sessions := sessionsFor(5)
	g := newGate(sessions, false)
	s := startServer(t, g.serve)
	results, err := exchangeAll(t, 2*patience, s.addr, sessions, g.status)
	if g.expired() {
		t.Fatal(g.status())
	}
	checkResults(t, sessions, results, err)
}

// TestExchangeAllKeepsResultsInOrder: the clients finish in the reverse
// order of their sessions, and results[i] is still sessions[i]'s echo.
func TestExchangeAllKeepsResultsInOrder(t *testing.T) {
	checkNoLeaks(t)
	sessions := sessionsFor(5)
	g := newGate(sessions, true)
	s := startServer(t, g.serve)
	results, err := exchangeAll(t, 2*patience, s.addr, sessions, g.status)
	if g.expired() {
		t.Fatal(g.status())
	}
	checkResults(t, sessions, results, err)
}

// TestExchangeAllReportsEveryFailure: when some clients fail, ExchangeAll
// still waits for all of them, returns what the others got, and its error
// names each client that failed.
func TestExchangeAllReportsEveryFailure(t *testing.T) {
	t.Run("connections reset", func(t *testing.T) {
		checkNoLeaks(t)
		sessions := sessionsFor(5)
		sessions[1][0] = "client 1: please reset this connection"
		sessions[3][0] = "client 3: please reset this connection"
		s := startServer(t, resetOrEcho)
		results, err := exchangeAll(t, patience, s.addr, sessions, s.status)
		if err == nil {
			t.Fatalf("the server reset the connections of clients 1 and 3, and ExchangeAll returned no error: " +
				"keep each client's error (errs[i], like results[i]) and return them, errors.Join(errs...)")
		}
		if len(results) != len(sessions) {
			t.Fatalf("ExchangeAll returned %d results for %d sessions, and the error %q; "+
				"results[i] holds what came back for sessions[i], even when other sessions failed", len(results), len(sessions), err)
		}
		for i := range sessions {
			name := fmt.Sprintf("client %d", i)
			failed := i == 1 || i == 3
			if strings.Contains(err.Error(), name) != failed {
				t.Fatalf("the server reset the connections of clients 1 and 3 (their index in sessions); ExchangeAll returned:\n\t%v\n"+
					"want an error that names each of them, and only them, as %q: wrap each client's error, fmt.Errorf(\"client %%d: %%w\", i, err), "+
					"and return them all with errors.Join", err, name)
			}
			if !failed && !slices.Equal(results[i], sessions[i]) {
				t.Fatalf("results[%d] = %q, want %q: client %d was served well while others failed; "+
					"ExchangeAll must wait for every client and keep each one's echo", i, results[i], sessions[i], i)
			}
		}
	})

	t.Run("no server", func(t *testing.T) {
		checkNoLeaks(t)
		sessions := sessionsFor(3)
		// Nothing can listen on port 0: every Dial fails at once.
		_, err := exchangeAll(t, patience, "127.0.0.1:0", sessions, func() string { return "every Dial has failed" })
		if err == nil {
			t.Fatalf("ExchangeAll to an address where no server listens returned no error: " +
				"when Dial fails, that client's error must be returned")
		}
		for i := range sessions {
			if name := fmt.Sprintf("client %d", i); !strings.Contains(err.Error(), name) {
				t.Fatalf("no client could connect; ExchangeAll returned:\n\t%v\nwant an error that names each of them (%q is missing)", err, name)
			}
		}
	})
}

// TestExchangeAllClosesEveryConnection: when ExchangeAll returns, none of
// its connections is left open.
func TestExchangeAllClosesEveryConnection(t *testing.T) {
	checkNoLeaks(t)
	// No garbage collection meanwhile: the finalizer of a connection that
	// is no longer referenced closes it, and would hide the leak.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	s := startServer(t, echoLines)
	sessions := sessionsFor(5)
	before := openFiles()
	if before < 0 {
		t.Skip("cannot count this process's open files on " + runtime.GOOS)
	}
	results, err := exchangeAll(t, patience, s.addr, sessions, s.status)
	checkResults(t, sessions, results, err)
	s.waitForHandlers(t) // the server's end of each connection is closed
	if after := openFiles(); after > before {
		t.Fatalf("after ExchangeAll returned, this process had %d more open files than before it ran %d sessions: "+
			"every connection must be closed by the time ExchangeAll returns: Exchange closes its conn (defer conn.Close()), "+
			"and a connection that never reaches Exchange needs a Close of its own",
			after-before, len(sessions))
	}
}

// ---- plumbing for the tests above ----

var (
	errReset      = &net.OpError{Op: "read", Net: "pipe", Err: syscall.ECONNRESET}
	errBrokenPipe = &net.OpError{Op: "write", Net: "pipe", Err: syscall.EPIPE}
)

// exchange calls Exchange in a goroutine of its own, so that the test
// can give up on it: if it has not returned within patience, the test
// fails, saying why it is probably stuck (stuck) and where.
func exchange(t *testing.T, conn net.Conn, lines []string, stuck func() string) (got []string, err error) {
	t.Helper()
	within(t, patience, "Exchange", stuck, func() { got, err = Exchange(conn, lines) })
	return got, err
}

// exchangeAll calls ExchangeAll the same way, and gives up after limit.
// Against a gate, which waits patience for its clients, the limit is
// longer: clients that run one after another are then told so by the
// gate, with no stacks to read.
func exchangeAll(t *testing.T, limit time.Duration, addr string, sessions [][]string, stuck func() string) (results [][]string, err error) {
	t.Helper()
	within(t, limit, "ExchangeAll", stuck, func() { results, err = ExchangeAll(addr, sessions) })
	return results, err
}

// within runs f and waits for it for limit at most. If f is still
// running then, the test fails with the likely cause and the stacks of
// the goroutines f left running code of this package.
func within(t *testing.T, limit time.Duration, call string, stuck func() string, f func()) {
	t.Helper()
	before := goroutinesInPackage()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
		return
	case <-time.After(limit):
	}
	var ids []string
	waiting, working := 0, 0
	stacks := goroutinesInPackage()
	for id, g := range stacks {
		if _, old := before[id]; old {
			continue
		}
		ids = append(ids, id)
		if strings.Contains(strings.SplitN(g, "\n", 2)[0], "[sync.WaitGroup.Wait") {
			waiting++
		} else {
			working++
		}
	}
	why := stuck()
	if waiting > 0 && working == 0 {
		why = "it is stuck in wg.Wait, yet every goroutine it waits for has ended: " +
			"each one must call wg.Done as it ends, on every path (defer wg.Done(), first thing in the goroutine), " +
			"and wg.Add must count exactly the goroutines you start"
	}
	sort.Slice(ids, func(i, j int) bool { return len(ids[i]) < len(ids[j]) || len(ids[i]) == len(ids[j]) && ids[i] < ids[j] })
	var where []string
	for _, id := range ids {
		where = append(where, stacks[id])
	}
	t.Fatalf("%s had not returned after %v: %s.\n\nWhere your goroutines are:\n\n%s", call, limit, why, strings.Join(where, "\n\n"))
}

// checkError fails the test unless err is want, wrapped with some context.
func checkError(t *testing.T, err, want error, what string) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("%s, and Exchange returned no error; return the first error either goroutine met", what)
	case !errors.Is(err, want):
		t.Fatalf("%s, and Exchange returned %q; want that error, wrapped (errors.Is(err, %q)): "+
			"the first goroutine to fail keeps its error; the other one's error only follows from closing conn", what, err, want)
	case err.Error() == want.Error():
		t.Fatalf("Exchange returned %q, as it came; say what failed: fmt.Errorf(\"…: %%w\", err)", err)
	}
}

// checkReplies fails the test unless Exchange returned no error and a
// reply for each line.
func checkReplies(t *testing.T, lines, got []string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("Exchange: %v; want no error, against a server that echoes every line", err)
	}
	if len(got) == 0 {
		t.Fatalf("Exchange returned no replies, and no error: it returned before its goroutines were done. " +
			"Does Wait wait for both? Call wg.Add(2) before the go statements, not wg.Add(1) inside each goroutine " +
			"(by then, Wait may have returned already), or let wg.Go do it. go vet ./... spots an Add inside a goroutine")
	}
	if diff := cmp.Diff(lines, got); diff != "" {
		t.Fatalf("Exchange sent %d lines, and returned (-sent +returned):\n%s", len(lines), diff)
	}
}

// sessionsFor returns n sessions for ExchangeAll. Session i has i+1
// lines, so no two are alike and an echo in the wrong slot shows.
func sessionsFor(n int) [][]string {
	sessions := make([][]string, n)
	for i := range sessions {
		for j := range i + 1 {
			sessions[i] = append(sessions[i], fmt.Sprintf("client %d, line %d of %d", i, j+1, i+1))
		}
	}
	return sessions
}

// checkResults fails the test unless ExchangeAll returned no error and
// each session's echo in that session's slot.
func checkResults(t *testing.T, sessions, results [][]string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("ExchangeAll with %d sessions: %v", len(sessions), err)
	}
	if len(results) != len(sessions) {
		t.Fatalf("ExchangeAll returned %d results for %d sessions; results[i] is the echo of sessions[i]: "+
			"make the slice, len(sessions), before you start the goroutines, and let goroutine i fill in results[i]",
			len(results), len(sessions))
	}
	for i, want := range sessions {
		if slices.Equal(results[i], want) {
			continue
		}
		for j := range sessions {
			if j != i && slices.Equal(results[i], sessions[j]) {
				t.Fatalf("results[%d] holds the echo of sessions[%d]: the results are out of order. "+
					"Clients finish in any order; give each goroutine its own slot to write, results[i], "+
					"instead of appending as they finish", i, j)
			}
		}
		if results[i] == nil {
			t.Fatalf("ExchangeAll returned with results[%d] = nil and no error: it returned before client %d was done. "+
				"Does Wait wait for every goroutine? Call wg.Add(1) before the go statement, not inside the goroutine "+
				"(by then, Wait may have returned already), or let wg.Go do it. go vet ./... spots an Add inside a goroutine", i, i)
		}
		t.Fatalf("results[%d] is not the echo of sessions[%d] (-sent +returned):\n%s", i, i, cmp.Diff(want, results[i]))
	}
}

// openFiles counts the files this process has open, or returns -1 where
// it cannot tell.
func openFiles() int {
	fds, err := os.ReadDir("/dev/fd")
	if err != nil {
		return -1
	}
	return len(fds)
}

// testServer is the server the clients talk to: it accepts connections on
// a loopback port and gives each to its handler, in a goroutine of its own.
// When the test ends it closes every connection and waits for its handlers.
type testServer struct {
	addr     string
	quit     chan struct{} // closed when the test ends: handlers give up
	handlers sync.WaitGroup
	mu       sync.Mutex
	conns    []*serverConn
}

// serverConn is the server's end of one connection, and what it saw.
type serverConn struct {
	*net.TCPConn
	quit <-chan struct{}
	mu   sync.Mutex
	got  []byte // what the client sent
	eof  bool   // the client said it was done sending
}

func startServer(t *testing.T, handle func(*serverConn)) *testServer {
	t.Helper()
	l := listen(t)
	s := &testServer{addr: l.Addr().String(), quit: make(chan struct{})}
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := l.Accept()
			if err != nil {
				return // closed at the end of the test
			}
			c.SetDeadline(time.Now().Add(2 * patience))
			sc := &serverConn{TCPConn: c.(*net.TCPConn), quit: s.quit}
			s.mu.Lock()
			s.conns = append(s.conns, sc)
			s.mu.Unlock()
			s.handlers.Go(func() {
				defer sc.Close()
				handle(sc)
			})
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-accepted
		close(s.quit)
		for _, c := range s.accepted() {
			c.Close()
		}
		s.handlers.Wait() // bounded: every handler's I/O has just failed
	})
	return s
}

func (s *testServer) accepted() []*serverConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.conns)
}

func (s *testServer) connections() int { return len(s.accepted()) }

// dial connects to s, the way a caller of Exchange does. The test closes
// the connection when it ends.
func (s *testServer) dial(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.addr, patience)
	if err != nil {
		t.Fatalf("dial %s: %v", s.addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// received returns what the server received on its first connection.
func (s *testServer) received() string {
	conns := s.accepted()
	if len(conns) == 0 {
		return ""
	}
	conns[0].mu.Lock()
	defer conns[0].mu.Unlock()
	return string(conns[0].got)
}

// waitForHandlers waits until the server has closed every connection.
func (s *testServer) waitForHandlers(t *testing.T) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.handlers.Wait()
	}()
	select {
	case <-done:
	case <-time.After(patience):
		t.Fatalf("the server still had a connection open %v after ExchangeAll returned: %s", patience, s.status())
	}
}

// status says what the server saw, for a test that gives up waiting.
func (s *testServer) status() string {
	conns := s.accepted()
	if len(conns) == 0 {
		return "no client connected to the server"
	}
	var what []string
	for i, c := range conns {
		c.mu.Lock()
		end := "and the connection is still open"
		if c.eof {
			end = "then the client half-closed"
		}
		what = append(what, fmt.Sprintf("connection %d: %d lines in and echoed, %s", i+1, bytes.Count(c.got, []byte("\n")), end))
		c.mu.Unlock()
	}
	return "the server echoes each line as it comes (" + strings.Join(what, "; ") + ")"
}

// read reads from the client and remembers what it got.
func (c *serverConn) read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, p[:n]...)
	c.eof = c.eof || err == io.EOF
	return n, err
}

// echoLines is an echo server's handler: it sends back what it reads, as
// it reads, then closes the connection once the client is done.
func echoLines(c *serverConn) {
	buf := make([]byte, 4096)
	for {
		n, err := c.read(buf)
		if _, werr := c.Write(buf[:n]); err != nil || werr != nil {
			return
		}
	}
}

// resetOrEcho resets a connection whose first line asks for it, and
// echoes the others.
func resetOrEcho(c *serverConn) {
	r := bufio.NewReader(readerFunc(c.read))
	first, err := r.ReadString('\n')
	if err != nil {
		return
	}
	if strings.Contains(first, "please reset") {
		c.SetLinger(0) // close with a reset (RST), not a goodbye
		return
	}
	if _, err := c.Write([]byte(first)); err != nil {
		return
	}
	io.Copy(c, r)
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// gate is a server that proves its clients run at the same time: it holds
// every echo until all of its sessions have arrived whole, and gives up
// after patience. Then it echoes them all at once, or one by one, the last
// session first.
type gate struct {
	sessions map[string]int // a session as sent, "\n" and all → its index
	reverse  bool
	deadline time.Time
	all      chan struct{}   // closed once every session has arrived
	turn     []chan struct{} // reverse: turn[i] is closed when session i may be echoed
	passed   []sync.Once
	mu       sync.Mutex
	open     int // connections being served
	most     int // the most that ever were at once
	arrived  int // clients that sent a whole session, then half-closed
	late     bool
}

func newGate(sessions [][]string, reverse bool) *gate {
	g := &gate{
		sessions: map[string]int{},
		reverse:  reverse,
		deadline: time.Now().Add(patience),
		all:      make(chan struct{}),
		turn:     make([]chan struct{}, len(sessions)),
		passed:   make([]sync.Once, len(sessions)),
	}
	for i, lines := range sessions {
		g.sessions[strings.Join(lines, "\n")+"\n"] = i
		g.turn[i] = make(chan struct{})
	}
	return g
}

func (g *gate) serve(c *serverConn) {
	g.mu.Lock()
	g.open++
	g.most = max(g.most, g.open)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.open--
		g.mu.Unlock()
	}()
	sent, err := io.ReadAll(readerFunc(c.read))
	i, ok := g.sessions[string(sent)]
	if err != nil || !ok {
		return // not a session the test sent: the client gets no echo
	}
	g.mu.Lock()
	g.arrived++
	if g.arrived == len(g.sessions) {
		close(g.all)
	}
	g.mu.Unlock()
	if !g.wait(c, g.all) {
		return
	}
	if g.reverse {
		g.pass(len(g.sessions)) // the last session goes first
		defer g.pass(i)         // then, once this one is over, the one before it
		if !g.wait(c, g.turn[i]) {
			return
		}
	}
	c.Write(sent)
	c.CloseWrite() // the echo is complete
}

// wait waits for ch, and reports whether it came before the deadline.
func (g *gate) wait(c *serverConn, ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-c.quit:
	case <-time.After(time.Until(g.deadline)):
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.late = true
	return false
}

// pass lets session i-1 be echoed.
func (g *gate) pass(i int) {
	if i > 0 {
		g.passed[i-1].Do(func() { close(g.turn[i-1]) })
	}
}

func (g *gate) expired() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.late
}

func (g *gate) status() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.late || g.arrived < len(g.sessions) {
		return fmt.Sprintf("the server echoes nothing until all %d clients have sent their whole session (every line, then CloseWrite), "+
			"and it waits %v for that; at most %d of them were ever connected at once: do your clients run one after another? "+
			"Start every session in a goroutine of its own, and Wait only once the loop has started them all",
			len(g.sessions), patience, g.most)
	}
	return fmt.Sprintf("all %d clients sent their whole session, and the server echoed them all", len(g.sessions))
}

// pipeConn is one end of an in-memory connection. Unlike net.Pipe, it
// can half-close (CloseWrite): each direction is a net.Pipe of its own.
// Like net.Pipe, it holds nothing: a Write waits until the other end has
// read every byte of it.
type pipeConn struct {
	net.Conn             // the direction this end reads from
	out      net.Conn    // the direction it writes to
	isClosed atomic.Bool // Close was called
}

func (c *pipeConn) Write(p []byte) (int, error) { return c.out.Write(p) }
func (c *pipeConn) CloseWrite() error           { return c.out.Close() }
func (c *pipeConn) closed() bool                { return c.isClosed.Load() }
func (c *pipeConn) Close() error {
	c.isClosed.Store(true)
	c.out.Close()
	return c.Conn.Close()
}

// pipeServer returns the client's end of a pipeConn whose other end is
// served by serve (nil: by no one) until the test ends.
func pipeServer(t *testing.T, serve func(server *pipeConn)) *pipeConn {
	t.Helper()
	up, upServer := net.Pipe()
	downServer, down := net.Pipe()
	client := &pipeConn{Conn: down, out: up}
	server := &pipeConn{Conn: upServer, out: downServer}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if serve != nil {
			serve(server)
		}
	}()
	t.Cleanup(func() {
		client.Close()
		server.Close()
		<-done // bounded: every pipe operation has just failed
	})
	return client
}

// brokenConn is a pipeConn whose Reads fail with readErr once the server
// is done, as if the connection had been reset, or whose Writes all fail
// with writeErr.
type brokenConn struct {
	*pipeConn
	readErr, writeErr error
}

func (c *brokenConn) Read(p []byte) (int, error) {
	n, err := c.pipeConn.Read(p)
	if err == io.EOF && c.readErr != nil {
		err = c.readErr
	}
	return n, err
}

func (c *brokenConn) Write(p []byte) (int, error) {
	if c.writeErr != nil {
		return 0, c.writeErr
	}
	return c.pipeConn.Write(p)
}
