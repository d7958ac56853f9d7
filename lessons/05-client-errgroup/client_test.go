// Lesson 05 tests. The tests play the echo server (a peer,
// kit_net_test.go), so they see every connection ExchangeAll opens, and
// they decide, client by client, whether the server echoes, holds the echo
// back, or breaks the connection. Run them with `make lesson-05 test`; see
// README.md for the task.

package echo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestExchangeAllReturnsEveryEcho: what each client sent comes back, at its
// session's index. The server closing the connection after the echo is how
// a session ends well, not a failure. On a single CPU (GOMAXPROCS=1) the
// clients ExchangeAll starts last cannot run before it returns, so a
// return that does not wait for them comes before their echo, every time.
func TestExchangeAllReturnsEveryEcho(t *testing.T) {
	checkNoLeaks(t)
	var received atomic.Int32 // sessions with lines the server has read whole, before it echoes them
	p := serve(t, func(s *session) {
		if len(s.sent) > 0 {
			received.Add(1)
		}
		s.Write(s.sent)
	})
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	sessions := [][]string{
		linesOf(0, 3),
		linesOf(1, 1),
		nil, // a client with nothing to say connects, half-closes, and gets nothing back
		linesOf(3, 5000),
		linesOf(4, 2),
	}
	// Ask the server at the moment ExchangeAll returns: a client with
	// lines to send is done only once their echo is back, and the server
	// echoes a session once it has read it whole.
	var receivedAtReturn int
	x := goCall("ExchangeAll", func() ([][]string, error) {
		results, err := ExchangeAll(context.Background(), p.addr, sessions, 2)
		receivedAtReturn = int(received.Load())
		return results, err
	})
	withLines := len(slices.DeleteFunc(slices.Clone(sessions), func(s []string) bool { return len(s) == 0 }))
	results, err := x.wait(t, p, allEchoed)
	running := len(startedSince(x.before)) // right away: a correct ExchangeAll has waited for every client
	failOnFatal(t)
	if err == nil && receivedAtReturn < withLines {
		var still string
		if n := len(x.left); n > 0 {
			still = fmt.Sprintf(", while %s it started %s still running your code", count(n, "goroutine", "goroutines"),
				map[bool]string{true: "was", false: "were"}[n == 1])
		}
		t.Fatalf("ExchangeAll returned, with no error, when the server had received only %d of the %d sessions it had to echo%s: "+
			"the echoes were not all in. A client is done once its whole echo is back: wait for every client "+
			"before you return (g.Wait(), once, after the loop), and let a client that cannot get its echo return an error",
			receivedAtReturn, withLines, still)
	}
	if err != nil {
		var why string
		switch {
		case errors.Is(err, io.EOF):
			why = " io.EOF after the last line is how an echo ends well (the server closed the connection): it is not a failure."
		case errors.Is(err, context.Canceled) && namesAClient(err):
			why = " That client's context was cancelled, yet no client failed: errgroup cancels the group's context when g.Wait returns, " +
				"so a client started after a g.Wait (inside the loop?) dials with a context that has ended. " +
				"Call g.Wait once, after the loop has started every client."
		case errors.Is(err, context.Canceled):
			why = " The error names no client: it is the group's context, which errgroup cancels when g.Wait returns, " +
				"so after g.Wait its ctx.Err() is always context.Canceled. Return the error g.Wait returns, and nothing else."
		}
		t.Fatalf("ExchangeAll(%d sessions, limit 2) returned the error %q; want every session's echo: "+
			"the server echoed every line, then closed each connection.%s", len(sessions), err, why)
	}
	if d := resultsMismatch(sessions, results); d != "" {
		if running > 0 {
			t.Fatalf("ExchangeAll returned while %s it started %s still running your code, and the echoes were not all in: %s. "+
				"Wait for every client before you return: g.Wait(), once, after the loop",
				count(running, "goroutine", "goroutines"), map[bool]string{true: "was", false: "were"}[running == 1], d)
		}
		t.Fatalf("ExchangeAll returned the wrong echoes: %s. "+
			"results[i] must hold what came back for sessions[i]: "+
			"let each client's goroutine store its echo at its own index", d)
	}
}

// TestExchangeAllClosesEveryConnection: when ExchangeAll returns, no connection it
// opened is still open.
func TestExchangeAllClosesEveryConnection(t *testing.T) {
	checkNoLeaks(t)
	p := serve(t, func(s *session) { s.Write(s.sent) })
	socks := trackSockets(t) // and no garbage collection, which would close a leaked connection
	if socks == nil {
		t.Skip("cannot count this process's open sockets on " + runtime.GOOS)
	}
	_, err := exchangeAll(context.Background(), p.addr, sessionsOf(3, 2), 3).wait(t, p, allEchoed)
	if err != nil {
		t.Fatalf("ExchangeAll(3 sessions, limit 3) returned the error %q; every session should succeed", err)
	}
	p.waitClosed(t)
	if left, _ := socks.waitClosed(); len(left) > 0 { // the server's are closed: these are the client's
		t.Fatalf("ExchangeAll returned, and %d of its connections %s still open (%s): "+
			"every connection must be closed when its client is done. Exchange closes the one it is given; "+
			"a connection you return without giving it to Exchange, you close", len(left),
			map[bool]string{true: "was", false: "were"}[len(left) == 1], firstFew(left, 5))
	}
}

// TestExchangeAllStopsWhenServerStopsReading: a server cuts its reply short and
// stops reading while the client is still sending far more than the
// connection can hold. The failed read must not leave the write stuck.
func TestExchangeAllStopsWhenServerStopsReading(t *testing.T) {
	checkNoLeaks(t)
	p := startPeer(t, func(c *peerConn) {
		io.WriteString(c, "a line cut sho") // no "\n", and then no more
		c.closeWrite()
		c.waitEnd() // and never read what the client sends
	})
	line := strings.Repeat("x", 64<<10)
	lines := make([]string, 256) // 16 MiB: more than both sides' socket buffers hold
	for i := range lines {
		lines[i] = line
	}
	x := exchangeAll(context.Background(), p.addr, [][]string{lines}, 1)
	_, err := x.wait(t, p, func() string {
		const cut = "The server cut its reply short (no \\n, then end of stream) and stopped reading, " +
			"while the client's writer was blocked in a Write that could never finish. "
		// The test has hung up: the blocked Write fails, and ExchangeAll may now return.
		if _, ok := waitClosed(x.done); ok && !errors.Is(x.err, io.EOF) && !errors.Is(x.err, io.ErrUnexpectedEOF) {
			return cut + fmt.Sprintf("Once the test hung up, ExchangeAll returned %s, without the end of stream (io.EOF) "+
				"the reader met at the cut-off: the reader did not fail there (or its error lost io.EOF: %%v). "+
				"A reply cut short is a failure, not the end of the echo: receive must return an error, wrapping io.EOF, "+
				"when the stream ends before the last reply, so that Exchange closes the connection and the Write returns.", errText(x.err))
		}
		return cut + "The reader should fail at the cut-off, and Exchange (exchange.go, lesson 04's) closes the connection " +
			"when either side fails, so that the other returns."
	})
	failOnFatal(t)
	if err == nil {
		t.Fatalf("the server cut its reply short, and ExchangeAll returned no error: a client's error must reach " +
			"the caller: return it from the function you give g.Go, and return what g.Wait returns")
	}
}

// TestExchangeAllReturnsDialErrors: a client that cannot connect is a failure too.
func TestExchangeAllReturnsDialErrors(t *testing.T) {
	checkNoLeaks(t)
	l := listen(t)
	addr := l.Addr().String()
	l.Close() // now nothing listens there: connecting is refused
	_, err := exchangeAll(context.Background(), addr, sessionsOf(3, 1), 3).wait(t, nil, func() string {
		return fmt.Sprintf("Nothing listens at %s, so every dial fails at once.", addr)
	})
	failOnFatal(t)
	if err == nil {
		t.Fatalf("nothing listens at %s, so no client can connect, yet ExchangeAll returned no error: "+
			"when the dial fails, return its error", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("nothing listens at %s, and ExchangeAll returned %q; want an error that keeps the cause "+
			"(errors.Is(err, syscall.ECONNREFUSED)): return the dial error, wrapped with %%w", addr, err)
	}
	if !namesAClient(err) {
		t.Fatalf("ExchangeAll returned %q, which does not say which client failed; want \"client N: …\"", err)
	}
}

// TestExchangeAllReleasesBlockedClientsOnFailure: the first failure stops the other
// clients, even those blocked reading an echo that is not coming.
func TestExchangeAllReleasesBlockedClientsOnFailure(t *testing.T) {
	checkNoLeaks(t)
	fail := make(chan struct{})
	p := serve(t, func(s *session) {
		if s.client != 2 {
			s.hold() // never released: only ExchangeAll itself can end these clients
			return
		}
		select {
		case <-fail:
			s.reset()
		case <-s.ended():
		}
	})
	x := exchangeAll(context.Background(), p.addr, sessionsOf(4, 3), 4)
	waitHeld(t, p, x, 3, "with limit 4 and 4 sessions, every client runs at the same time: "+
		"start each one with g.Go, and call g.Wait only after the loop")
	close(fail)
	results, err := x.wait(t, p, func() string {
		return "Client 2 failed, and the other clients were still blocked reading an echo the server will never send. " +
			"A cancelled context does not unblock a Read: close each connection once the group's context is done. " +
			"Causes that fit: nothing closes them; context.AfterFunc comes too late (`defer context.AfterFunc(…)` " +
			"registers it only as dialExchange returns); the ctx your clients use is not errgroup.WithContext's."
	})
	failOnFatal(t)
	checkReset(t, results, err, 2)
	x.expectNoneLeft(t, leftBlocked)
}

// TestExchangeAllReturnsTheFirstFailure: when a client fails, ExchangeAll says so: its
// error names the client and keeps the cause (errors.Is finds it). The other
// clients never get their echo, so they always fail too, and always later:
// only the first error is the cause.
func TestExchangeAllReturnsTheFirstFailure(t *testing.T) {
	checkNoLeaks(t)
	p := serve(t, func(s *session) {
		if s.client == 2 {
			s.reset()
			return
		}
		s.hold() // never released: these clients end only when ExchangeAll stops them
	})
	results, err := exchangeAll(context.Background(), p.addr, sessionsOf(4, 3), 4).wait(t, p, func() string {
		return "The server reset client 2's connection and held the other clients' echoes back: " +
			"they can end only when ExchangeAll stops them because client 2 failed."
	})
	failOnFatal(t)
	checkReset(t, results, err, 2)
}

// TestExchangeAllLimitsOpenConnections: never more than limit connections are open at
// once, and limit < 1 means no limit.
func TestExchangeAllLimitsOpenConnections(t *testing.T) {
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
			p := serve(t, (*session).holdThenEcho)
			sessions := sessionsOf(tc.sessions, 2)
			x := exchangeAll(context.Background(), p.addr, sessions, tc.limit)
			waitHeld(t, p, x, tc.atOnce, tc.why)
			// The first clients now wait for their echo. A client that
			// ignores the limit opens more connections meanwhile: give them
			// time to show up. A correct client opens none, so this pause
			// cannot fail it, however slow the machine.
			time.Sleep(250 * time.Millisecond)
			p.release()
			results, err := x.wait(t, p, allEchoed)
			if err != nil {
				t.Fatalf("ExchangeAll(%d sessions, limit %d) returned the error %q; every session should succeed",
					tc.sessions, tc.limit, err)
			}
			if d := resultsMismatch(sessions, results); d != "" {
				t.Fatalf("ExchangeAll returned the wrong echoes: %s", d)
			}
			if _, most := p.holding(); most > tc.atOnce {
				t.Fatalf("with limit %d, %d clients were connected at once: "+
					"call g.SetLimit before the first g.Go, so that g.Go waits for a free slot", tc.limit, most)
			}
		})
	}
}

// TestExchangeAllStopsWhenCancelled: when the caller cancels ctx, ExchangeAll
// stops every client, starts no new one, and says why ctx was cancelled:
// whether its clients are reading, sending, or still dialing.
func TestExchangeAllStopsWhenCancelled(t *testing.T) {
	// waitIdle waits until no goroutine x started is running: while the
	// server holds every echo back, a client waits in a Read, using no CPU.
	waitIdle := func(t *testing.T, x *call[[][]string], waiting string) {
		t.Helper()
		var busy map[int]goroutine
		st, ok := waitUntil(func() bool {
			busy = startedSince(x.before)
			maps.DeleteFunc(busy, func(_ int, g goroutine) bool { return !g.busy() })
			return len(busy) == 0 || x.returned()
		})
		if !ok {
			t.Fatalf("%s, and %s of your code kept running: %s. A client that waits for its echo is blocked in a Read "+
				"and uses no CPU; a loop that never blocks (one that checks ctx.Err() or a flag again and again, say) "+
				"keeps a CPU busy for each client. To act when ctx ends, let context.AfterFunc(ctx, f) call f, "+
				"or block on <-ctx.Done(). Where:\n\n%s", waiting, count(len(busy), "goroutine", "goroutines"), st, where(busy))
		}
	}
	t.Run("while_reading", func(t *testing.T) {
		checkNoLeaks(t)
		p := serve(t, (*session).holdThenEcho)
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		x := exchangeAll(ctx, p.addr, sessionsOf(4, 2), 2)
		waitHeld(t, p, x, 2, "with limit 2, two clients run at the same time: start each one with g.Go")
		waitIdle(t, x, "clients 0 and 1 were waiting for an echo the server holds back")
		cancel(errShutdown)
		checkCancelled(t, x, p, "ctx was cancelled while clients 0 and 1 were blocked reading an echo the server will never send. "+
			"Cancelling a context does not unblock a Read: close each connection once ctx is done (context.AfterFunc).")
		if n := p.connections(t); n > 2 {
			t.Fatalf("ctx was cancelled while clients 0 and 1 ran, and yet %d clients connected in all; want 2: "+
				"clients 2 and 3 were waiting for a free slot, and a cancelled group must start no new connection. "+
				"Dial with the group's ctx ((&net.Dialer{}).DialContext(ctx, …)): a cancelled dial does not connect", n)
		}
	})
	t.Run("while_sending", func(t *testing.T) {
		checkNoLeaks(t)
		p := startPeer(t, func(c *peerConn) {
			c.readLine() // the client is connected and sending
			c.waitEnd()  // and the server reads no more: its Writes block
		})
		line := strings.Repeat("x", 64<<10)
		lines := make([]string, 256) // 16 MiB: more than both sides' socket buffers hold
		for i := range lines {
			lines[i] = line
		}
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		x := exchangeAll(ctx, p.addr, [][]string{lines, lines}, 2)
		st, _ := waitUntil(func() bool { return blockedIn("send") >= 2 || x.returned() })
		switch n := blockedIn("send"); {
		case x.returned():
			t.Fatalf("ExchangeAll returned (error %v) before the test cancelled ctx, while the server, which read one line "+
				"from each client and then nothing, kept both connections open: it must wait for its clients", x.err)
		case n < 2:
			t.Fatalf("with limit 2, two clients should be blocked sending to a server that stopped reading; %d %s: %s",
				n, map[bool]string{true: "was", false: "were"}[n == 1], st)
		}
		cancel(errShutdown)
		checkCancelled(t, x, p, "ctx was cancelled while clients 0 and 1 were blocked writing lines the server no longer reads. "+
			"Cancelling a context does not unblock a Write: close each connection once ctx is done (context.AfterFunc).")
	})
	t.Run("while_dialing", func(t *testing.T) {
		checkNoLeaks(t)
		lookups := holdLookups(t)
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		// A name, not an address: the dial first looks it up, and the
		// test holds that lookup until ctx ends.
		x := exchangeAll(ctx, "echo.test.:7", sessionsOf(1, 2), 1)
		st, _ := waitUntil(func() bool { return lookups.Load() > 0 || x.returned() })
		switch {
		case lookups.Load() > 0:
		case x.returned() && errors.As(x.err, new(*net.DNSError)):
			t.Skipf("this system looks up names without Go's resolver (%v): the test cannot hold a dial", x.err)
		default:
			t.Fatalf("ExchangeAll(ctx, \"echo.test.:7\", …) did not start dialing: %s", st)
		}
		cancel(errShutdown)
		checkCancelled(t, x, nil, "ctx was cancelled while the client was dialing (looking up the server's name). "+
			"A dial with (&net.Dialer{}).DialContext(ctx, …) gives up when ctx ends; net.Dial does not.")
	})
	t.Run("waits_for_its_clients", func(t *testing.T) {
		checkNoLeaks(t)
		p := serve(t, (*session).holdThenEcho)
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		x := exchangeAll(ctx, p.addr, sessionsOf(4, 2), 0)
		waitHeld(t, p, x, 4, "with limit 0 (no limit), all 4 clients run at the same time")
		waitIdle(t, x, "all 4 clients were waiting for an echo the server holds back")
		// On one CPU, what cancel wakes runs one goroutine after another: an
		// ExchangeAll that returns as soon as ctx ends returns before most
		// of its clients could even see their connection closed.
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		cancel(errShutdown)
		checkCancelled(t, x, p, "ctx was cancelled while all 4 clients were blocked reading an echo the server will never send. "+
			"Cancelling a context does not unblock a Read: close each connection once ctx is done (context.AfterFunc).")
		// At return, a goroutine of a correct ExchangeAll may still be ending
		// (running, or ready to run), but none can wait anywhere: g.Wait has
		// seen every client return, and each one's Exchange, its goroutines.
		blocked := maps.Clone(x.left)
		maps.DeleteFunc(blocked, func(_ int, g goroutine) bool { return g.busy() })
		if len(blocked) > 0 {
			t.Fatalf("ctx was cancelled while all 4 clients waited for their echo, and ExchangeAll returned while %s it "+
				"started %s still blocked in your code, not stopped yet. Returning is not stopping: return only once every "+
				"client has ended (g.Wait, which nothing should race: a select on ctx.Done() beside it, say, returns at once "+
				"and leaves the clients behind). They end soon after, because their connections are closed. Where they were:\n\n%s",
				count(len(blocked), "goroutine", "goroutines"), map[bool]string{true: "was", false: "were"}[len(blocked) == 1], where(blocked))
		}
	})
}

// ---- plumbing for the tests above (the rest is in kit_*_test.go) ----

// errShutdown is why the test cancels ExchangeAll's ctx.
var errShutdown = errors.New("the caller is shutting down")

// checkCancelled checks what ExchangeAll returned after the test cancelled
// its ctx with errShutdown, and that it stopped every client.
func checkCancelled(t *testing.T, x *call[[][]string], p *peer, situation string) {
	t.Helper()
	results, err := x.wait(t, p, func() string { return situation })
	failOnFatal(t)
	switch {
	case err == nil:
		t.Fatalf("ExchangeAll returned no error, though ctx was cancelled before any echo came back")
	case strings.Contains(err.Error(), "operation was canceled"):
		t.Fatalf("ctx was cancelled with the cause %q, and ExchangeAll returned %q; want an error that gives that cause "+
			"(errors.Is finds it). \"operation was canceled\" is what a dial says when its context ends: "+
			"when the dial fails and ctx has ended, return context.Cause(ctx) instead", errShutdown, err)
	case errors.Is(err, context.Canceled):
		t.Fatalf("ctx was cancelled with the cause %q, and ExchangeAll returned %q; want an error that gives that cause "+
			"(errors.Is finds it): ctx.Err() only says that ctx ended, context.Cause(ctx) says why", errShutdown, err)
	case !errors.Is(err, errShutdown):
		t.Fatalf("ctx was cancelled with the cause %q, and ExchangeAll returned %q; want an error that gives that cause "+
			"(errors.Is finds it). A connection you closed because ctx ended fails with "+
			"\"use of closed network connection\", a consequence: once ctx is done, return context.Cause(ctx) instead", errShutdown, err)
	case results != nil:
		t.Fatalf("ctx was cancelled, and ExchangeAll returned an error and %d results; "+
			"on failure return nil results: some sessions never finished", len(results))
	}
	x.expectNoneLeft(t, leftBlocked)
}

// exchangeAll runs ExchangeAll in a goroutine of its own; wait for it
// with x.wait (kit_net_test.go).
func exchangeAll(ctx context.Context, addr string, sessions [][]string, limit int) *call[[][]string] {
	return goCall("ExchangeAll", func() ([][]string, error) { return ExchangeAll(ctx, addr, sessions, limit) })
}

// allEchoed is what the server did, for an ExchangeAll that did not return.
func allEchoed() string {
	return "The server echoed every line and closed every connection, so every client should be done."
}

// leftBlocked says what to do when ExchangeAll returned while its clients
// were still blocked.
const leftBlocked = "The server kept their connections open: a goroutine that nobody waits for any more is still " +
	"blocked. Stopping to wait is not stopping: close the connection, so that the Read ends."

// serve starts a peer (kit_net_test.go) that reads each client's lines
// until the client is done sending (CloseWrite), then lets plan answer:
// echo, hold the echo back, or fail.
func serve(t *testing.T, plan func(*session)) *peer {
	return startPeer(t, func(c *peerConn) {
		sent, err := c.readAll()
		if err != nil {
			return // the client broke off
		}
		s := &session{peerConn: c, client: -1, sent: sent}
		fmt.Sscanf(string(sent), "client %d", &s.client)
		plan(s)
	})
}

// A session is one client's connection, once it has sent everything.
type session struct {
	*peerConn
	client int    // N from the first line, "client N, …"; -1 if there was none
	sent   []byte // what it sent
}

// holdThenEcho keeps the echo back until the test releases it (the
// client cannot be done meanwhile), then echoes.
func (s *session) holdThenEcho() {
	if s.hold() {
		s.Write(s.sent)
	}
}

// waitHeld waits until the server holds the echo of n clients at once.
func waitHeld(t *testing.T, p *peer, x *call[[][]string], n int, why string) {
	t.Helper()
	st, _ := waitUntil(func() bool {
		held, _ := p.holding()
		return held >= n || x.returned()
	})
	switch held, _ := p.holding(); {
	case held >= n:
	case x.returned():
		t.Fatalf("ExchangeAll returned (error %v) when %d of its clients were waiting for their echo, want %d at once: %s. "+
			"And ExchangeAll must wait for every client it started (g.Wait)", x.err, held, n, why)
	default:
		t.Fatalf("only %d client(s) were connected and waiting for their echo, want %d: %s. The test waited: %s",
			held, n, why, st)
	}
}

// checkReset checks what ExchangeAll returned after the server reset
// client n's connection.
func checkReset(t *testing.T, results [][]string, err error, n int) {
	t.Helper()
	const cause = syscall.ECONNRESET
	what := fmt.Sprintf("the server reset client %d's connection", n)
	var names []int // the clients err names, in order: "client 3: client 2: …" is 3, 2
	if err != nil {
		for _, m := range regexp.MustCompile(`client (\d+): `).FindAllStringSubmatch(err.Error(), -1) {
			i, _ := strconv.Atoi(m[1])
			names = append(names, i)
		}
	}
	others := slices.DeleteFunc(slices.Clone(names), func(i int) bool { return i == n })
	joined, _ := err.(interface{ Unwrap() []error })
	switch {
	case err == nil:
		t.Fatalf("%s, yet ExchangeAll returned no error (and %d results): "+
			"a client's error must reach the caller: return it from the function you give g.Go, "+
			"and return what g.Wait returns", what, len(results))
	case joined != nil && len(joined.Unwrap()) > 1:
		t.Fatalf("%s, and ExchangeAll returned %d errors joined in one: %q. Client %d's is the cause: "+
			"the other clients failed only because it did. "+
			"Return only the first error a client returned: g.Wait returns it", what, len(joined.Unwrap()), err, n)
	case len(names) > 0 && names[0] != n && slices.Contains(names, n):
		t.Fatalf("%s, and ExchangeAll returned %q: that is client %d's error, which holds client %d's, "+
			"because client %d stopped when client %d failed first. Return the first error a client returned "+
			"(g.Wait returns it), not a later one", what, err, names[0], n, names[0], n)
	case !errors.Is(err, cause) && len(names) > 0 && names[0] != n:
		t.Fatalf("%s, and ExchangeAll returned %q: that is client %d's error, and the server did not fail client %d: "+
			"it stopped because client %d failed. Return the first error a client returned (g.Wait returns it), "+
			"not a later one", what, err, names[0], names[0], n)
	case !errors.Is(err, cause) && errors.Is(err, context.Canceled):
		t.Fatalf("%s, and ExchangeAll returned %q: that is the group's context, cancelled because client %d failed, "+
			"not why it failed. Return the error g.Wait returns: the first error a client returned", what, err, n)
	case !errors.Is(err, cause):
		t.Fatalf("%s, and ExchangeAll returned %q, which hides the cause: want errors.Is(err, syscall.ECONNRESET). "+
			"Wrap errors with %%w, not %%v, and return the failed client's own error, not one it caused", what, err)
	case len(names) == 0:
		t.Fatalf("%s, and ExchangeAll returned %q, which does not say which client failed; "+
			"want \"client %d: …\" (sessions[%d] is client %d)", what, err, n, n, n)
	case names[0] != n:
		t.Fatalf("%s, and ExchangeAll returned %q, which names client %d; want \"client %d: …\": "+
			"sessions[%d] is client %d, counting from 0", what, err, names[0], n, n, n)
	case len(others) > 0:
		t.Fatalf("%s, and ExchangeAll returned %q, which names client %d too: the other clients failed only "+
			"because client %d did. Return only the first error a client returned: g.Wait returns it", what, err, others[0], n)
	case results != nil:
		t.Fatalf("%s, and ExchangeAll returned its error with %d results; "+
			"on failure return nil results: some sessions never finished", what, len(results))
	}
}

// namesAClient reports whether err says "client N: …".
func namesAClient(err error) bool { return regexp.MustCompile(`client \d+: `).MatchString(err.Error()) }
