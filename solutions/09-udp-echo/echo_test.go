// Lesson 09 tests. Each test is one thing a UDP echo server must do; its
// failure message says what to look at. Run them with
// `make lesson-09 test`; see README.md for the task.
//
// The first tests use a real UDP socket on 127.0.0.1. UDP may lose a
// datagram, even there: a test sends again only when it saw the datagram
// or its echo go missing, three times at most. The tests of the guards
// (ports, rates, the table of sources) forge source addresses, which real
// sockets cannot do, so they give Serve a fake PacketConn, on a fake clock
// (testing/synctest).
//
// Both run Serve under the kit's udpServer (kit_udp_test.go), which notes
// every datagram Serve reads and writes; the plumbing below judges what it
// saw: which of Serve's mistakes fits.

package echo

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// TestServeEchoesADatagram: one datagram in, the same datagram out, to
// the address it came from.
func TestServeEchoesADatagram(t *testing.T) {
	checkNoLeaks(t)
	u := startUDP(t, generous())
	c := u.connect(t)
	expectEcho(t, c, []byte("hello\n"), []byte("hello\n"))
}

// TestServeEchoesOnlyWhatItReceived: each reply is exactly its datagram:
// a short one after a long one brings back nothing of the long one, and
// an empty one (a datagram too) an empty one.
func TestServeEchoesOnlyWhatItReceived(t *testing.T) {
	checkNoLeaks(t)
	u := startUDP(t, generous())
	c := u.connect(t)
	for _, msg := range [][]byte{randomBytes(MaxEcho), []byte("short"), {}, {'x'}, randomBytes(100)} {
		expectEcho(t, c, msg, msg)
	}
}

// TestServeCutsLongDatagrams: a datagram longer than MaxEcho comes back
// cut to its first MaxEcho bytes.
func TestServeCutsLongDatagrams(t *testing.T) {
	checkNoLeaks(t)
	u := startUDP(t, generous())
	msg := randomBytes(3000)
	expectEcho(t, u.connect(t), msg, msg[:MaxEcho])
}

// TestServeAnswersEachSender: two clients take turns; each gets its own
// datagrams back, and none of the other's.
func TestServeAnswersEachSender(t *testing.T) {
	checkNoLeaks(t)
	u := startUDP(t, generous())
	a, b := u.connect(t), u.connect(t)
	for i := 1; i <= 3; i++ {
		for _, c := range []*udpClient{a, b} {
			msg := []byte(fmt.Sprintf("%s, datagram %d\n", c.name, i))
			expectEcho(t, c, msg, msg)
		}
	}
}

// TestServeReturnsWhenClosed: closing the PacketConn is how the server is
// stopped, so Serve returns nil.
func TestServeReturnsWhenClosed(t *testing.T) {
	checkNoLeaks(t)
	u := startUDP(t, generous())
	expectEcho(t, u.connect(t), []byte("bye\n"), []byte("bye\n"))
	u.pc.Close()
	if st, ok := waitClosed(u.done); !ok {
		t.Fatalf("its PacketConn was closed, and Serve had not returned: %s. When ReadFrom fails with net.ErrClosed "+
			"(errors.Is), return nil. Where your code is:\n\n%s", st, where(st.gs))
	}
	if u.err != nil {
		t.Fatalf("its PacketConn was closed, and Serve returned %q; want nil: closing is the normal way to stop it. "+
			"When ReadFrom fails with net.ErrClosed, return nil; its error wraps net.ErrClosed (a *net.OpError), so "+
			"compare with errors.Is(err, net.ErrClosed), not ==", u.err)
	}
}

// TestServeReturnsOtherReadErrors: a read error that is not the close
// ends Serve too, and Serve says what it was.
func TestServeReturnsOtherReadErrors(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		f := startFake(t, generous())
		f.fake.failRead(syscall.ENOBUFS)
		select {
		case <-f.done:
		case <-time.After(time.Minute): // on the fake clock
			t.Fatalf("ReadFrom failed with %q, and a minute later Serve was still running; return the error, "+
				"wrapped with what failed (fmt.Errorf with %%w)", syscall.ENOBUFS)
		}
		if !errors.Is(f.err, syscall.ENOBUFS) {
			t.Fatalf("ReadFrom failed with %q, and Serve returned %v; want an error that wraps it (%%w), "+
				"so that its caller can tell what went wrong", syscall.ENOBUFS, f.err)
		}
		if _, asItWas := f.err.(*net.OpError); asItWas {
			t.Fatalf("ReadFrom failed with %q, and Serve returned that error as it was (%v): wrap it with what failed, "+
				"as the README asks: fmt.Errorf(\"echo: read: %%w\", err)", syscall.ENOBUFS, f.err)
		}
	})
}

// TestServeKeepsServingAfterAFailedReply: a reply that cannot be sent
// (here: network unreachable) concerns that datagram only, and is not
// worth a log line: whoever forges the datagrams chooses which replies
// fail.
func TestServeKeepsServingAfterAFailedReply(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		logs := captureLog(t)
		f := startFake(t, generous())
		f.fake.failWrites(1)
		f.send(t, "192.0.2.1:40000", "lost")
		if f.state() != "was still running" {
			f.fatalf(t, "the reply to 192.0.2.1:40000 failed (WriteTo: %v), and Serve %s. A failed WriteTo concerns "+
				"one reply: anyone can forge a datagram from an unreachable address, and must not stop the service "+
				"that way", syscall.ENETUNREACH, f.state())
		}
		f.send(t, "192.0.2.2:40000", "next")
		if got := f.echoes("192.0.2.2:40000"); got != 1 || f.stopped() {
			f.fatalf(t, "the reply to 192.0.2.1:40000 failed (WriteTo: %v); then 192.0.2.2:40000 sent a datagram and "+
				"got %s, and Serve %s. A failed WriteTo concerns one reply: anyone can forge a datagram from an "+
				"unreachable address, and must not stop the service that way", syscall.ENETUNREACH,
				count(got, "echo", "echoes"), f.state())
		}
		f.fake.failWrites(20)
		for range 20 {
			f.send(t, "192.0.2.3:40000", "lost")
		}
		f.echoes("") // waits until Serve is done with them
		if lines := strings.Split(strings.TrimSpace(logs.String()), "\n"); len(lines) > 10 {
			f.fatalf(t, "20 replies to 192.0.2.3:40000 failed (WriteTo: %v), and the server logged %d lines: anyone "+
				"can forge datagrams from an address whose replies fail, and a line per failure turns them into a "+
				"flood of log lines (disk, terminal). Ignore WriteTo's error. The log began: %s",
				syscall.ENETUNREACH, len(lines), strings.Join(lines[:3], " / "))
		}
	})
}

// TestServeWaitsForASlowReply: while a reply waits in WriteTo (the
// socket's send buffer is full: the network is slower than the datagrams
// come), Serve waits with it, and the kernel drops what comes meanwhile.
// A goroutine per reply would hold a datagram each, as many as come.
func TestServeWaitsForASlowReply(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		f := startFake(t, generous())
		t.Cleanup(f.fake.holdWrites()) // before startFake's: Serve can then finish its reply, and stop
		f.send(t, "192.0.2.1:40000", "slow")
		more := 0
		for more < 200 && f.trySend("192.0.2.1:40000", "more") {
			more++
		}
		synctest.Wait()
		if waiting := f.fake.writesHeld(); more >= 100 {
			f.fatalf(t, "while a reply waited in WriteTo (a full send buffer, the network slower than the datagrams "+
				"come), Serve read %d more datagrams, and %s waited: a goroutine per reply, each waiting as long as "+
				"the network stays slow, is memory without bound under a flood (and one that sends buf[:n] sends "+
				"whatever the next ReadFrom put there). Reply from the loop: while WriteTo waits, the kernel drops "+
				"what comes", more, count(waiting, "reply", "replies"))
		}
	})
}

// TestServeNeverAnswersWellKnownPorts: a datagram from a port below 1024
// comes from a service (echo is 7, chargen 19), or is forged to look so.
// Answering it can start a loop between two services that never ends.
func TestServeNeverAnswersWellKnownPorts(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		f := startFake(t, generous())
		var answered []string
		for i, port := range []int{7, 19, 13, 17, 37, 0, 53, 123, 1023} {
			from := fmt.Sprintf("192.0.2.%d:%d", i+1, port) // a source each: no rate in the way
			f.send(t, from, "are you an echo service?")
			if f.echoes(from) > 0 {
				answered = append(answered, from)
			}
		}
		if len(answered) > 0 {
			f.fatalf(t, "the server answered %s: a source port below 1024 is a service's, such as echo (7) or chargen (19), "+
				"which answers whatever comes: the two would answer each other forever (CERT CA-1996-01). "+
				"Never reply to a port below 1024 (loops)", firstFew(answered, 5))
		}
		for _, from := range []string{"192.0.2.101:1024", "192.0.2.102:50000"} {
			f.send(t, from, "a client")
			if f.echoes(from) != 1 {
				f.fatalf(t, "a datagram from %s got %s; clients use ports from 1024 up, and get their echo: "+
					"refuse only the ports below 1024 and the server's own", from, count(f.echoes(from), "echo", "echoes"))
			}
		}
	})
}

// TestServeNeverAnswersItsOwnPort: a datagram from another server's port
// 7007, to ours, may be forged by someone who wants the two echo servers
// to answer each other forever.
func TestServeNeverAnswersItsOwnPort(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		f := startFake(t, generous()) // its local address is 127.0.0.1:7007
		f.send(t, "192.0.2.1:7007", "ping-pong?")
		if n := f.echoes("192.0.2.1:7007"); n > 0 {
			f.fatalf(t, "the server, on port 7007, answered a datagram from 192.0.2.1:7007 (%s): that may be another "+
				"echo server, which would answer back, and the two would never stop. Refuse the server's own port "+
				"(pc.LocalAddr()) as a source, as well as those below 1024", count(n, "echo", "echoes"))
		}
		f.send(t, "192.0.2.1:7008", "a client")
		if n := f.echoes("192.0.2.1:7008"); n != 1 {
			f.fatalf(t, "a datagram from 192.0.2.1:7008 got %s; only the server's own port, 7007, is refused",
				count(n, "echo", "echoes"))
		}
	})
}

// TestServeHoldsAFloodToItsRate: one source sending far too fast gets its
// burst, then Rate echoes a second, and no more.
func TestServeHoldsAFloodToItsRate(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		logs := captureLog(t)
		f := startFake(t, &Server{Rate: 10, Burst: 5, MaxSources: 16})
		for i := range 30 { // 3s, 20 datagrams every 100ms: 200 a second
			for range 20 {
				f.send(t, "192.0.2.1:40000", "flood")
			}
			if i == 0 {
				f.echoes("") // waits until Serve is done with them
				if lines := strings.Split(strings.TrimSpace(logs.String()), "\n"); len(lines) > 10 {
					f.fatalf(t, "a source sent 20 datagrams at once, with Burst 5, and the server logged %d lines: a line per "+
						"dropped datagram turns a flood into a flood of log lines (disk, terminal). Drop them silently. "+
						"The log began: %s", len(lines), strings.Join(lines[:3], " / "))
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		got := f.echoes("192.0.2.1:40000")
		if got > 5+30 {
			f.fatalf(t, "one source sent 200 datagrams a second for 3s (fake clock) and got %d echoes; "+
				"at Rate 10 with Burst 5 it gets 35 at most: does allow ask that source's limiter (Allow) "+
				"before every reply, and keep the limiter for the next datagram?", got)
		}
		if got < 15 {
			f.fatalf(t, "one source sent 200 datagrams a second for 3s (fake clock) and got %d echoes; "+
				"at Rate 10 with Burst 5 it gets 35: the limit holds a source to its rate, not shut it out", got)
		}
	})
}

// TestServeServesOthersDuringAFlood: one source's flood uses up its own
// rate, not everyone's.
func TestServeServesOthersDuringAFlood(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		f := startFake(t, &Server{Rate: 10, Burst: 5, MaxSources: 16})
		for i := range 200 {
			f.send(t, "192.0.2.1:40000", "flood")
			if i%40 == 0 {
				f.send(t, "198.51.100.7:50000", "a client") // 5 at once: its burst, no more
			}
		}
		if got := f.echoes("198.51.100.7:50000"); got != 5 {
			f.fatalf(t, "while 192.0.2.1 flooded the server, 198.51.100.7 sent 5 datagrams (its Burst) and got %s: "+
				"each source address needs a limiter of its own; one for everyone lets a flood shut out every client",
				count(got, "echo", "echoes"))
		}
	})
}

// TestServeLimitsBySourceAddressNotPort: a source that changes its port
// with every datagram is still one source.
func TestServeLimitsBySourceAddressNotPort(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		f := startFake(t, &Server{Rate: 10, Burst: 5, MaxSources: 1000})
		got := 0
		for i := range 100 {
			from := fmt.Sprintf("192.0.2.1:%d", 40000+i)
			f.send(t, from, "flood")
			got += f.echoes(from)
		}
		if got > 5 {
			f.fatalf(t, "192.0.2.1 sent 100 datagrams at once, each from another port, and got %d echoes; "+
				"with Burst 5 it gets 5: key the limiters by the address alone (src.Addr()), since whoever forges "+
				"datagrams picks any port", got)
		}
	})
}

// TestServeKeepsLimitingWhenItsTableIsFull: when every source in the table
// is busy, a newcomer must not push out a source that is being limited:
// it would come back with a fresh burst.
func TestServeKeepsLimitingWhenItsTableIsFull(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		srv := &Server{Rate: 10, Burst: 5, MaxSources: 4}
		f := startFake(t, srv)
		for range 20 {
			f.send(t, "192.0.2.1:40000", "flood") // uses up its burst
		}
		time.Sleep(150 * time.Millisecond) // on the fake clock: 1.5 tokens back of 5, still busy
		for i := 2; i <= 40; i++ {
			for range 5 { // the table fills up, each newcomer uses up its burst, and more come
				f.send(t, fmt.Sprintf("192.0.2.%d:40000", i), "newcomer")
			}
		}
		before := f.echoes("192.0.2.1:40000")
		for range 20 {
			f.send(t, "192.0.2.1:40000", "flood")
		}
		more := f.echoes("192.0.2.1:40000") - before
		for range 20 {
			f.send(t, "192.0.2.41:40000", "one more")
		}
		last := f.echoes("192.0.2.41:40000")
		if more > 1 {
			f.fatalf(t, "192.0.2.1 used up its burst; 150ms later (fake clock), 39 other sources came and used up "+
				"theirs, and 192.0.2.1 got %d more echoes, when it had earned 1 back (Rate 10): it was forgotten and "+
				"came back with a fresh burst. With MaxSources 4 and every source busy, leave the table as it is and "+
				"let the newcomer go unanswered", more)
		}
		f.stop(t)
		if len(srv.sources) > srv.MaxSources {
			t.Fatalf("40 sources came at once, and the server remembered %d of them; MaxSources is %d: every address "+
				"a forger makes up would take memory until the server runs out", len(srv.sources), srv.MaxSources)
		}
		if last > 0 {
			t.Fatalf("with the table full (MaxSources 4) of busy sources, 192.0.2.41, new, sent 20 datagrams at once "+
				"and got %s: there was no room for its limiter, so nothing held it to a rate. Refuse a newcomer "+
				"the table has no room for, and remember nothing", count(last, "echo", "echoes"))
		}
	})
}

// TestServeKeepsLimitingSourcesThatTakeTurns: a source is forgotten only
// once its burst is back whole. Two sources taking turns in a table with
// room for one must not each come back with a fresh burst: any number of
// made-up addresses, taking turns, would then get round the rate.
func TestServeKeepsLimitingSourcesThatTakeTurns(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		f := startFake(t, &Server{Rate: 10, Burst: 5, MaxSources: 1})
		turns := []string{"192.0.2.1:40000", "192.0.2.2:40000"}
		for range 30 { // 3s, each sends 2 datagrams every 100ms: 20 a second
			for _, from := range turns {
				f.send(t, from, "my turn")
				f.send(t, from, "my turn")
			}
			time.Sleep(100 * time.Millisecond)
		}
		for _, from := range turns {
			if got := f.echoes(from); got > 5+30 {
				f.fatalf(t, "two sources took turns for 3s (fake clock), each sending 2 datagrams every 100ms, with "+
					"room for one in the table (MaxSources 1), and %s got %d echoes; at Rate 10 with Burst 5 it gets 35 "+
					"at most. Was it forgotten with part of its burst left, and given a whole one when it came back? Forget "+
					"only a source whose limiter is full (Tokens() >= Burst), the one case where a new limiter is the same",
					from, got)
			}
		}
	})
}

// TestServeForgetsQuietSources: the table holds MaxSources sources at
// most; once some go quiet, new ones take their places.
func TestServeForgetsQuietSources(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		srv := &Server{Rate: 10, Burst: 5, MaxSources: 4}
		f := startFake(t, srv)
		for i := 1; i <= 4; i++ {
			f.send(t, fmt.Sprintf("192.0.2.%d:40000", i), "hello")
		}
		time.Sleep(time.Second) // on the fake clock: each of the four has its burst back
		for i := 1; i <= 4; i++ {
			from := fmt.Sprintf("198.51.100.%d:40000", i)
			f.send(t, from, "hello")
			if n := f.echoes(from); n != 1 {
				f.fatalf(t, "4 sources (MaxSources) sent a datagram each, then were quiet for 1s; then %s, new, "+
					"got %s. Once the table is full, forget the sources that have their burst back (Tokens), "+
					"which costs nothing: a new limiter is the same", from, count(n, "echo", "echoes"))
			}
		}
		for i := 1; i <= 100; i++ {
			f.send(t, fmt.Sprintf("203.0.113.%d:40000", i), "forged")
		}
		f.stop(t)
		if len(srv.sources) > srv.MaxSources {
			t.Fatalf("104 sources came, and the server remembered %d of them; MaxSources is %d: every address a "+
				"forger makes up would take memory until the server runs out", len(srv.sources), srv.MaxSources)
		}
	})
}

// ---- plumbing for the tests above (the rest is in kit_*_test.go) ----

// generous limits, for the tests on real sockets: every client there is
// 127.0.0.1, one source address, and no test may hit its rate.
func generous() *Server { return &Server{Rate: 1000, Burst: 1000, MaxSources: 16} }

// startUDP runs srv.Serve on a socket on 127.0.0.1 until the test ends.
func startUDP(t *testing.T, srv *Server) *udpServer {
	return startUDPServer(t, listenUDP(t), srv.Serve)
}

// startFake runs srv.Serve on a fake PacketConn, at 127.0.0.1:7007, until
// the test ends. Call it inside the bubble.
func startFake(t *testing.T, srv *Server) *udpServer {
	return startUDPServer(t, newFakePacketConn(), srv.Serve)
}

// expectEcho sends msg from c and expects want back; when something else
// comes back, or nothing, it says which of Serve's mistakes fits.
func expectEcho(t *testing.T, c *udpClient, msg, want []byte) {
	t.Helper()
	got, read := c.roundTrip(t, msg, func(d datagram, st stall) {
		t.Helper()
		switch {
		case len(msg) == 0:
			t.Fatalf("Serve read the empty datagram from %s, then sent nothing back: %s. An empty datagram is a "+
				"datagram, and its echo is the 0 bytes it brought: reply with WriteTo(buf[:n], addr) whatever n is. "+
				"Where your code is:\n\n%s", c.name, st, where(st.gs))
		case len(msg) > MaxEcho:
			t.Fatalf("Serve read %d bytes of the %d-byte datagram from %s, then sent nothing back: %s. A datagram "+
				"longer than MaxEcho is echoed cut to its first MaxEcho bytes, not dropped: read into a buffer of "+
				"exactly MaxEcho bytes, and reply with WriteTo(buf[:n], addr). Where your code is:\n\n%s",
				len(d.data), len(msg), c.name, st, where(st.gs))
		}
	})
	if len(msg) > MaxEcho && len(got) == len(msg) {
		t.Fatalf("%s sent %d bytes and got all %d back; want only the first %d (MaxEcho): read into a buffer of "+
			"MaxEcho bytes, and ReadFrom cuts a longer datagram to its size", c.name, len(msg), len(got), MaxEcho)
	}
	d := mismatch(got, want)
	if d == "" {
		return
	}
	if read != nil && len(got) < len(want) && len(read.data) == len(got) {
		t.Fatalf("%s sent %d bytes; in the reply it %s, and that is all Serve's ReadFrom returned: "+
			"ReadFrom cuts a datagram to len(buf), so buf was %s long. Make it MaxEcho bytes, and keep it so "+
			"for every read: reslice the reply (buf[:n]), not buf itself", c.name, len(msg), d,
			count(len(got), "byte", "bytes"))
	}
	t.Fatalf("%s sent %d bytes; in the reply it %s: a reply is the bytes ReadFrom returned, buf[:n], no more, "+
		"no less", c.name, len(msg), d)
}
