// Lesson 04 tests. The first ones are about Exchange: one client, its two
// goroutines waited for with a sync.WaitGroup. The rest are about
// ExchangeAll: many clients at once, results in order. The test plays the
// server (a peer, kit_net_test.go). Run them with `make lesson-04 test`;
// see README.md for the task.

package echo

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"
)

// TestExchangeWaitsForBothGoroutines: Exchange returns only once its
// goroutines are done. On a single CPU (GOMAXPROCS=1) they cannot run
// before Exchange blocks in Wait, so a Wait that may come before their
// Add, comes before it, every time.
func TestExchangeWaitsForBothGoroutines(t *testing.T) {
	checkNoLeaks(t)
	p := startPeer(t, (*peerConn).echo)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	lines := []string{"one CPU", "two goroutines", "three lines"}
	x := exchange(p.dial(t), lines)
	got, err := x.wait(t, p, echoing(p))
	checkReplies(t, x, lines, got, err)
}

// TestExchangeWaitsForItsWriter: every reply is in while the writer is
// still half-closing: the test holds it in CloseWrite. In a synctest
// bubble, once every goroutine is blocked, "Exchange has not returned"
// is a fact: Exchange must wait for its writer too.
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
				"there): it did not wait for its writer. Count both goroutines (wg.Add(2)), and have each one call Done "+
				"as it ends (defer wg.Done())", count(len(x.got), "reply", "replies"), errText(x.err))
		}
		if !x.returned() && conn.did("Close") {
			t.Fatalf("Exchange closed conn while its writer was still in CloseWrite (the test held it there; the server: %s). "+
				"Does the reader close it once it has every reply? On TCP, the writer's CloseWrite then fails (\"use of closed "+
				"network connection\"), and Exchange returns that error with a complete echo. Close conn once both goroutines "+
				"are done (defer conn.Close() runs after Wait), and before that only on a failure, to end the other one's "+
				"Read or Write", p.accepted()[0].status())
		}
		release()
		got, err := x.wait(t, p, echoing(p))
		checkReplies(t, x, lines, got, err)
	})
}

// TestExchangeReturnsEachReply: against an echo server, every line goes
// out with its "\n", and every line comes back, in order.
func TestExchangeReturnsEachReply(t *testing.T) {
	checkNoLeaks(t)
	p := startPeer(t, (*peerConn).echo)
	lines := []string{"hello", "", "echo, echo, echo", "a carriage return\r", "ünïcödé ✓", "last line"}
	x := exchange(p.dial(t), lines)
	got, err := x.wait(t, p, echoing(p))
	checkReplies(t, x, lines, got, err)
	if got, want := string(p.accepted()[0].received()), strings.Join(lines, "\n")+"\n"; got != want {
		t.Fatalf("the server received %q; want each line followed by \"\\n\": %q", got, want)
	}
}

// TestExchangeReadsWhileWriting: the server sends its echo back as it
// reads, in small pieces, over a connection with no buffer at all (in
// memory), and reads no more until the client has read them. A client that
// sends everything before it reads anything waits forever.
func TestExchangeReadsWhileWriting(t *testing.T) {
	checkNoLeaks(t)
	var lines []string
	for i := range 300 { // 300 lines of up to 100 bytes: more than any buffer on the way
		lines = append(lines, fmt.Sprintf("line %d %s", i, strings.Repeat("ab", i%45)))
	}
	p := startPipePeer(t, func(c *peerConn) {
		buf := make([]byte, 7) // pieces that never fit a line exactly
		for {
			n, err := c.Read(buf)
			if _, werr := c.Write(buf[:n]); err != nil || werr != nil {
				return
			}
		}
	}, true)
	x := exchange(p.dial(t), lines)
	got, err := x.wait(t, p, func() string {
		c := p.accepted()[0]
		if c.lines() < len(lines) && strings.Contains(c.status(), "blocked writing") {
			return fmt.Sprintf("The server had received %d of the %d lines and was blocked sending their echo, which "+
				"no one read; until someone does, it reads nothing more, so your sender waits too. Sending and "+
				"receiving must run at the same time, each in a goroutine of its own.", c.lines(), len(lines))
		}
		return "The test's server echoes each line as it comes (" + c.status() + ")."
	})
	checkReplies(t, x, lines, got, err)
}

// TestExchangeClosesTheConnection: Exchange uses its connection up, so it
// closes it before it returns, even when all went well.
func TestExchangeClosesTheConnection(t *testing.T) {
	checkNoLeaks(t)
	p := startPipePeer(t, (*peerConn).echo, true)
	conn := p.dial(t)
	lines := []string{"close", "me"}
	x := exchange(conn, lines)
	got, err := x.wait(t, p, echoing(p))
	checkReplies(t, x, lines, got, err)
	if !conn.did("Close") {
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
		p := startPipePeer(t, func(c *peerConn) {
			// Echo two lines, then read nothing: the connection is reset.
			c.Write([]byte("one\ntwo\n"))
			c.closeWrite()
			c.waitEnd()
		}, true)
		conn := p.dial(t)
		conn.failReadsAtEOF(errReset)
		x := exchange(conn, lines)
		got, err := x.wait(t, p, func() string {
			if conn.did("Close") { // then no Write is left blocked: the kit's diagnosis says where things are
				return "receive failed (the connection was reset after two replies), and conn was closed, which ends a blocked Write."
			}
			return "receive failed (the connection was reset after two replies), and send is still blocked in Write, " +
				"because this server reads nothing: when one side fails, close conn, so that the other one's Read or Write returns."
		})
		checkError(t, x, err, errReset, "the connection was reset while reading the third reply")
		if diff := cmp.Diff([]string{"one", "two"}, got); diff != "" {
			t.Fatalf("two replies came back before the reset; Exchange returned (-want +got):\n%s\n"+
				"return the replies read before the error, too", diff)
		}
	})

	t.Run("write fails", func(t *testing.T) {
		checkNoLeaks(t)
		p := startPipePeer(t, (*peerConn).waitEnd, true) // a server that neither reads nor writes
		conn := p.dial(t)
		conn.failWrites(0, errBrokenPipe)
		x := exchange(conn, lines)
		_, err := x.wait(t, p, func() string {
			if conn.did("Close") {
				return "send failed (every Write fails with a broken pipe), and conn was closed, which ends a blocked Read."
			}
			return "send failed (every Write fails with a broken pipe), and receive is still blocked in Read, " +
				"because this server sends nothing: when one side fails, close conn, so that the other one's Read or Write returns."
		})
		checkError(t, x, err, errBrokenPipe, "every Write failed")
	})

	t.Run("both fail", func(t *testing.T) {
		checkNoLeaks(t)
		a, b := net.Pipe()
		defer b.Close()
		conn := &bothFail{Conn: a, both: make(chan struct{})}
		x := goCall("Exchange", func() ([]string, error) { return Exchange(conn, lines) })
		_, err := x.wait(t, nil, func() string { return "Its first Read and its first Write had failed, each on its own." })
		if err == nil {
			checkError(t, x, err, errReset, "Read and Write both failed at once, each on its own")
		}
		if errors.Is(err, errReset) && errors.Is(err, errBrokenPipe) {
			t.Fatalf("Read and Write both failed at once, each on its own (a reset, a broken pipe), and Exchange returned %q, "+
				"both joined; want one of the two alone: whichever goroutine failed first keeps its error", err)
		}
		if !errors.Is(err, errReset) && !errors.Is(err, errBrokenPipe) {
			t.Fatalf("Read and Write both failed at once, each on its own (a reset, a broken pipe), and Exchange returned %v; "+
				"want one of those two errors, wrapped: whichever goroutine failed first keeps its error", err)
		}
	})
}

// TestExchangeAllWaitsForEveryClient: ExchangeAll returns only once every
// client is done. On a single CPU (GOMAXPROCS=1) the goroutines that
// ExchangeAll starts cannot run before it blocks in Wait, so a Wait that
// may come before their Add, comes before it, every time.
func TestExchangeAllWaitsForEveryClient(t *testing.T) {
	checkNoLeaks(t)
	p := startPeer(t, (*peerConn).echo)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	sessions := sessionsOf(3, 3)
	// Ask the server, not results, and at the moment ExchangeAll returns:
	// goroutines still running may write results at any moment (reading it
	// would be a data race), and connect soon after the return.
	var connected int
	x := goCall("ExchangeAll", func() ([][]string, error) {
		results, err := ExchangeAll(p.addr, sessions)
		connected = len(p.accepted())
		return results, err
	})
	results, err := x.wait(t, p, echoing(p))
	if err == nil && connected < len(sessions) {
		t.Fatalf("ExchangeAll returned, with no error, when only %d of its %d clients had even connected%s",
			connected, len(sessions), x.returnedEarly())
	}
	checkEveryEcho(t, sessions, results, err)
}

// TestExchangeAllReturnsEveryEcho: each session gets a connection of its
// own, and results[i] is what came back for sessions[i].
func TestExchangeAllReturnsEveryEcho(t *testing.T) {
	checkNoLeaks(t)
	p := startPeer(t, (*peerConn).echo)
	sessions := sessionsOf(3, 3)
	results, err := exchangeAll(p.addr, sessions).wait(t, p, echoing(p))
	checkEveryEcho(t, sessions, results, err)
	if n := len(p.accepted()); n != len(sessions) {
		t.Fatalf("ExchangeAll ran %d sessions over %d connections; want one connection per session", len(sessions), n)
	}
}

// TestExchangeAllRunsClientsAtOnce: this server echoes nothing until all
// 64 clients have sent their whole session; clients that run one after
// another, or a few at a time (a limit of 16), never get there.
func TestExchangeAllRunsClientsAtOnce(t *testing.T) {
	checkNoLeaks(t)
	sessions := sessionsOf(64, 3)
	p := startPeer(t, gate(sessions, false))
	p.releaseWhen(len(sessions)) // the gate's barrier
	results, err := exchangeAll(p.addr, sessions).wait(t, p, gated(p, len(sessions)))
	checkEveryEcho(t, sessions, results, err)
}

// TestExchangeAllKeepsResultsInOrder: the clients finish in the reverse
// order of their sessions, and results[i] is still sessions[i]'s echo.
func TestExchangeAllKeepsResultsInOrder(t *testing.T) {
	checkNoLeaks(t)
	sessions := sessionsOf(5, 3)
	p := startPeer(t, gate(sessions, true))
	p.releaseWhen(len(sessions)) // the gate's barrier
	results, err := exchangeAll(p.addr, sessions).wait(t, p, gated(p, len(sessions)))
	checkResults(t, sessions, results, err)
}

// TestExchangeAllReportsEveryFailure: when some clients fail, ExchangeAll
// still waits for all of them, returns what the others got, and its error
// names each client that failed.
func TestExchangeAllReportsEveryFailure(t *testing.T) {
	t.Run("connections reset", func(t *testing.T) {
		checkNoLeaks(t)
		sessions := sessionsOf(5, 3)
		sessions[1][0] = "client 1: please reset this connection"
		sessions[3][0] = "client 3: please reset this connection"
		p := startPeer(t, resetOrEcho)
		results, err := exchangeAll(p.addr, sessions).wait(t, p, echoing(p))
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
		if !errors.Is(err, syscall.ECONNRESET) {
			how := "its error is not inside yours"
			if strings.Contains(err.Error(), "connection reset by peer") {
				how = "the reset's words are there, not the error: it was wrapped with %v (or its text copied), which keeps the words and drops the error"
			}
			t.Fatalf("the server reset the connections of clients 1 and 3, and ExchangeAll returned:\n\t%v\nwhich names them, but "+
				"errors.Is(err, syscall.ECONNRESET) is false: %s. Wrap each client's error with %%w at every step, fmt.Errorf(\"client %%d: %%w\", "+
				"i, err), and errors.Join keeps every one", err, how)
		}
	})

	t.Run("no server", func(t *testing.T) {
		checkNoLeaks(t)
		sessions := sessionsOf(3, 3)
		// Nothing can listen on port 0: every Dial fails at once.
		_, err := exchangeAll("127.0.0.1:0", sessions).wait(t, nil, func() string { return "Every Dial had failed." })
		if err == nil {
			t.Fatalf("ExchangeAll to an address where no server listens returned no error: " +
				"when Dial fails, that client's error must be returned")
		}
		for i := range sessions {
			if name := fmt.Sprintf("client %d", i); !strings.Contains(err.Error(), name) {
				t.Fatalf("no client could connect; ExchangeAll returned:\n\t%v\nwant an error that names each of them (%q is missing)", err, name)
			}
		}
		if dialErr := new(*net.OpError); !errors.As(err, dialErr) {
			t.Fatalf("no client could connect; ExchangeAll returned:\n\t%v\nbut errors.As finds no *net.OpError in it, the error "+
				"net.Dial returns: was it wrapped with %%v on its way? Wrap it with %%w at every step: fmt.Errorf(\"client %%d: %%w\", i, err)", err)
		}
	})
}

// TestExchangeAllClosesEveryConnection: when ExchangeAll returns, none of
// its connections is left open.
func TestExchangeAllClosesEveryConnection(t *testing.T) {
	checkNoLeaks(t)
	p := startPeer(t, (*peerConn).echo)
	socks := trackSockets(t)
	if socks == nil {
		t.Skip("cannot count this process's open sockets on " + runtime.GOOS)
	}
	sessions := sessionsOf(5, 3)
	sessions[2] = []string{} // nothing to send: still a connection, to close
	results, err := exchangeAll(p.addr, sessions).wait(t, p, echoing(p))
	checkResults(t, sessions, results, err)
	// The server closes its end of each connection once it has echoed it.
	if left, _ := socks.waitClosed(); len(left) > 0 {
		t.Fatalf("after ExchangeAll returned, %s opened while it ran %d sessions %s still open (%s; the test's server "+
			"is in this process too, and keeps its end of a connection open until the client half-closes or closes its own): "+
			"every connection must be closed by the time ExchangeAll returns: Exchange closes its conn (defer conn.Close()), "+
			"and a connection that never reaches Exchange needs a Close of its own (sessions[2] is empty: does it skip Exchange?)",
			count(len(left), "socket", "sockets"), len(sessions),
			map[bool]string{true: "was", false: "were"}[len(left) == 1], firstFew(left, 5))
	}
}

// ---- plumbing for the tests above (the rest is in kit_*_test.go) ----

// exchange runs Exchange(conn, lines) in a goroutine of its own, and exchangeAll
// ExchangeAll(addr, sessions); wait for them with x.wait (kit_net_test.go).
func exchange(conn *clientConn, lines []string) *call[[]string] {
	return goCall("Exchange", func() ([]string, error) { return Exchange(conn.conn, lines) })
}
func exchangeAll(addr string, sessions [][]string) *call[[][]string] {
	return goCall("ExchangeAll", func() ([][]string, error) { return ExchangeAll(addr, sessions) })
}

// echoing says what an echo server saw, for a call that did not return.
func echoing(p *peer) func() string {
	return func() string { return "The test's server echoes each line as it comes (" + p.status() + ")." }
}

// bothFail is a connection whose Read and Write both fail, each on its own, once both were called
// (or it was closed): neither failure follows from the other, and neither comes first.
type bothFail struct {
	net.Conn // a pipe, for the methods the test leaves alone
	calls    atomic.Int32
	both     chan struct{} // closed once Read and Write were both called, or Close
	once     sync.Once
}

func (c *bothFail) meet() {
	if c.calls.Add(1) == 2 {
		c.once.Do(func() { close(c.both) })
	}
	<-c.both
}

func (c *bothFail) Read([]byte) (int, error)  { c.meet(); return 0, errReset }
func (c *bothFail) Write([]byte) (int, error) { c.meet(); return 0, errBrokenPipe }
func (c *bothFail) Close() error              { c.once.Do(func() { close(c.both) }); return c.Conn.Close() }

// checkError fails the test unless Exchange (x) returned want, wrapped
// with some context.
func checkError(t *testing.T, x *call[[]string], err, want error, what string) {
	t.Helper()
	switch {
	case err == nil && len(startedSince(x.before)) > 0:
		t.Fatalf("%s, and Exchange returned no error%s", what, x.returnedEarly())
	case err == nil:
		t.Fatalf("%s, and Exchange returned no error; return the first error either goroutine met", what)
	case !errors.Is(err, want) && strings.Contains(err.Error(), want.Error()):
		t.Fatalf("%s, and Exchange returned %q: its words, not the error (errors.Is(err, %q) is false): wrapped with %%v? Keep it with %%w: fmt.Errorf(\"…: %%w\", err)", what, err, want)
	case !errors.Is(err, want):
		t.Fatalf("%s, and Exchange returned %q; want that error, wrapped (errors.Is(err, %q)): "+
			"the first goroutine to fail keeps its error; the other one's error only follows from closing conn", what, err, want)
	case errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe): // errors.Join(werr, rerr), say
		t.Fatalf("%s, and Exchange returned %q: that error, joined with its consequence: the error the other goroutine got only "+
			"because conn was closed. Return the first error alone; the second only follows from it", what, err)
	case err.Error() == want.Error():
		t.Fatalf("Exchange returned %q, as it came; say what failed: fmt.Errorf(\"…: %%w\", err)", err)
	}
}

// checkReplies fails the test unless Exchange (x) returned no error and a reply for each line.
func checkReplies(t *testing.T, x *call[[]string], lines, got []string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("Exchange: %v; want no error, against a server that echoes every line", err)
	}
	if len(got) < len(lines) {
		t.Fatalf("Exchange returned %s for %d lines, and no error%s", count(len(got), "reply", "replies"), len(lines), x.returnedEarly())
	}
	if d := diffLines(lines, got); d != "" {
		t.Fatalf("Exchange returned %s", d)
	}
}

// checkResults fails the test unless ExchangeAll returned no error and each session's echo in its slot.
// checkEveryEcho takes them in any order: a wrong order fails TestExchangeAllKeepsResultsInOrder, and no other.
func checkResults(t *testing.T, sessions, results [][]string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("ExchangeAll with %d sessions: %v", len(sessions), err)
	}
	if d := resultsMismatch(sessions, results); d != "" {
		t.Fatalf("ExchangeAll returned no error, and %s", d)
	}
}

func checkEveryEcho(t *testing.T, sessions, results [][]string, err error) {
	t.Helper()
	sorted := func(s [][]string) [][]string { return slices.SortedFunc(slices.Values(s), slices.Compare) }
	if err != nil || len(results) != len(sessions) || !slices.EqualFunc(sorted(results), sorted(sessions), slices.Equal) {
		checkResults(t, sessions, results, err)
	}
}

// resetOrEcho resets a connection whose first line asks for it, and
// echoes the others.
func resetOrEcho(c *peerConn) {
	if sent, err := c.readAll(); err == nil && strings.Contains(string(sent), "please reset") {
		c.reset()
	} else if err == nil {
		c.Write(sent)
	}
}

// gate is a server that proves its clients run at the same time: it holds every echo until all the
// sessions have arrived whole (the test sets the barrier: p.releaseWhen), then echoes them all at once, or,
// reverse, the last session first, each once the next one is echoed and the goroutines (function literals
// of ExchangeAll) that ran the later ones have ended.
func gate(sessions [][]string, reverse bool) func(*peerConn) {
	index := map[string]int{} // a session as sent, "\n" and all → its index
	echoed := make([]chan struct{}, len(sessions))
	for i, lines := range sessions {
		index[strings.Join(lines, "\n")+"\n"] = i
		echoed[i] = make(chan struct{})
	}
	return func(c *peerConn) {
		sent, err := c.readAll()
		i, ok := index[string(sent)]
		if err != nil || !ok || !c.hold() {
			return // not a session the test sent, or the test hung up: no echo
		}
		if reverse && i+1 < len(sessions) {
			select {
			case <-echoed[i+1]:
			case <-c.ended():
				return
			}
			waitUntil(func() bool {
				select {
				case <-c.ended():
					return true
				default:
					gs := slices.Collect(maps.Values(ourGoroutines()))
					return len(slices.DeleteFunc(gs, func(g goroutine) bool { return !strings.Contains(g.frames, ".ExchangeAll.func") })) <= i+1
				}
			})
		}
		c.Write(sent)
		c.closeWrite() // the echo is complete
		close(echoed[i])
	}
}

// gated says what a gate saw, for an ExchangeAll that did not return.
func gated(p *peer, n int) func() string {
	return func() string {
		_, most := p.openAtOnce()
		return fmt.Sprintf("The server echoes nothing until all %d clients have sent their whole session (every line, "+
			"then CloseWrite); at most %d of them were ever connected at once: do your clients run one after another%s? "+
			"Start every session in a goroutine of its own, and Wait only once the loop has started them all.", n, most,
			map[bool]string{true: ", or a few at a time (a limit on how many run at once)"}[most > 1])
	}
}
