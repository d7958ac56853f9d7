// The kit, part 6: the server under test over UDP. The same role as
// startServer's, where Serve reads datagrams from a net.PacketConn: on a
// real socket on 127.0.0.1 (listenUDP), with the test's clients; or, where
// a test needs datagrams from addresses no socket can send from, on a fake
// PacketConn in a synctest bubble (newFakePacketConn). Either way the kit
// notes every datagram Serve reads and writes: what the messages tell, and
// the progress that waits measure.

//lint:file-ignore U1000 shared by every lesson; not every lesson uses every helper

package echo

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// A datagram is one that Serve read or wrote, and the other end's address.
type datagram struct {
	addr string
	data []byte // never nil once noted: an empty datagram is a datagram
}

// A udpServer is the server under test over UDP (Serve), running in a
// goroutine of its own.
type udpServer struct {
	pc   net.PacketConn  // as the test made it; Serve gets it wrapped, to note
	fake *fakePacketConn // pc, when it is a fake; nil on a real socket
	done chan struct{}   // closed when Serve returns
	err  error           // what Serve returned; read it only after done

	mu          sync.Mutex
	reading     int // Serve's ReadFrom calls under way
	read, wrote []datagram
	clients     int
}

// listenUDP returns a socket on a free loopback port.
func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return pc
}

// startUDPServer runs serve(pc), the lesson's Serve, until the test ends;
// then it closes pc and waits for Serve to return (s.stop). A lesson
// adapts its own signature in a line, as with startServer. On a fake pc,
// call it inside the bubble.
func startUDPServer(t *testing.T, pc net.PacketConn, serve func(net.PacketConn) error) *udpServer {
	t.Helper()
	s := &udpServer{pc: pc, done: make(chan struct{})}
	s.fake, _ = pc.(*fakePacketConn)
	go func() {
		defer close(s.done)
		s.err = serve(notedPacketConn{pc, s})
	}()
	t.Cleanup(func() {
		if t.Failed() {
			pc.Close() // waiting on a broken Serve would only delay the first message
			return
		}
		s.stop(t)
	})
	return s
}

// notedPacketConn is pc as Serve gets it: every datagram noted.
type notedPacketConn struct {
	net.PacketConn
	s *udpServer
}

func (n notedPacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n.s.mu.Lock()
	n.s.reading++
	n.s.mu.Unlock()
	k, addr, err := n.PacketConn.ReadFrom(b)
	n.s.mu.Lock()
	defer n.s.mu.Unlock()
	n.s.reading--
	if err == nil {
		n.s.read = append(n.s.read, datagram{addr.String(), append([]byte{}, b[:k]...)})
		moved.Add(int64(k) + 1)
	}
	return k, addr, err
}

func (n notedPacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	n.s.mu.Lock()
	n.s.wrote = append(n.s.wrote, datagram{fmt.Sprint(addr), append([]byte{}, b...)})
	moved.Add(int64(len(b)) + 1)
	n.s.mu.Unlock()
	return n.PacketConn.WriteTo(b, addr)
}

// noted returns every datagram Serve has read and written so far, and how
// many ReadFrom calls are under way.
func (s *udpServer) noted() (read, wrote []datagram, reading int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.read, s.wrote, s.reading
}

// settle waits, in a bubble, until Serve has done all it will do with
// what it was given; on a real socket there is no telling, so it returns.
func (s *udpServer) settle() {
	if s.fake != nil {
		synctest.Wait()
	}
}

// echoes counts the datagrams Serve sent to addr (once settled).
func (s *udpServer) echoes(addr string) int {
	s.settle()
	_, wrote, _ := s.noted()
	n := 0
	for _, d := range wrote {
		if d.addr == addr {
			n++
		}
	}
	return n
}

func (s *udpServer) stopped() bool {
	return isClosed(s.done)
}

// state says, for a message, whether Serve had returned (once settled).
func (s *udpServer) state() string {
	s.settle()
	if s.stopped() {
		return fmt.Sprintf("had returned (err = %v)", s.err)
	}
	return "was still running"
}

// stop closes the PacketConn and waits for Serve to return: on the fake
// clock in a bubble; by progress on a real socket, which only the test's
// end stops (a test that judges the return closes s.pc itself).
func (s *udpServer) stop(t *testing.T) {
	t.Helper()
	s.pc.Close()
	if s.fake == nil {
		if st, ok := waitClosed(s.done); !ok {
			s.fatalf(t, "at the end of the test its PacketConn was closed, yet Serve had not returned: %s. When ReadFrom "+
				"fails with net.ErrClosed (errors.Is), return nil. Where your code is:\n\n%s", st, where(st.gs))
		}
		return
	}
	select {
	case <-s.done:
		if s.fake.busyLoop() == "" {
			return
		}
		// The test ended a loop that never left ReadFrom: fatalf says so.
	case <-time.After(time.Minute): // on the fake clock
	}
	s.fatalf(t, "its PacketConn was closed, and a minute later (fake clock) Serve had not returned: when "+
		"ReadFrom fails with net.ErrClosed (errors.Is), return nil")
}

// fatalf fails the test, with the news of a busy loop or a log.Fatal
// first: what follows from a stopped goroutine would only mislead.
func (s *udpServer) fatalf(t *testing.T, format string, args ...any) {
	t.Helper()
	s.settle()
	if s.fake != nil && s.fake.busyLoop() != "" {
		t.Fatal(s.fake.busyLoop())
	}
	if news := theLog.fatalNews(); news != "" {
		t.Fatal(news)
	}
	t.Fatalf(format, args...)
}

// ---- the test's clients, on a real socket ----

// A udpClient is one of the test's clients: its own socket, and every
// datagram that came back to it.
type udpClient struct {
	name string // "client A (127.0.0.1:port)"
	conn *net.UDPConn
	s    *udpServer
	mu   sync.Mutex
	got  [][]byte
}

// connect gives the test a new client of the server on a real socket,
// closed when the test ends.
func (s *udpServer) connect(t *testing.T) *udpClient {
	t.Helper()
	conn, err := net.DialUDP("udp", nil, s.pc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	s.clients++
	c := &udpClient{name: fmt.Sprintf("client %c (%s)", 'A'+s.clients-1, conn.LocalAddr()), conn: conn, s: s}
	done := make(chan struct{})
	go func() { // ends when the test closes conn
		defer close(done)
		for {
			b := make([]byte, 64<<10)
			n, err := conn.Read(b)
			if err != nil {
				return
			}
			moved.Add(int64(n) + 1)
			c.mu.Lock()
			c.got = append(c.got, b[:n])
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return c
}

func (c *udpClient) replies() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.got)
}

// roundTrip sends msg and returns the first datagram that comes back, and
// the one Serve's ReadFrom returned from c meanwhile (nil if none). UDP
// may lose a datagram, even on loopback: it sends again only when it saw
// the datagram or its reply go missing, three times at most. When Serve
// read the datagram and sent nothing back, silent says why first, if it
// can: the lesson knows which causes fit.
func (c *udpClient) roundTrip(t *testing.T, msg []byte, silent func(read datagram, st stall)) (reply []byte, read *datagram) {
	t.Helper()
	from := c.conn.LocalAddr().String()
	for try := 1; ; try++ {
		r0, w0, _ := c.s.noted()
		seen := c.replies()
		if _, err := c.conn.Write(msg); err != nil {
			t.Fatalf("%s: write: %v", c.name, err)
		}
		elsewhere := func(d datagram) bool { return d.addr != from }
		st, _ := waitUntil(func() bool {
			_, wrote, _ := c.s.noted()
			return c.replies() > seen || c.s.stopped() || slices.ContainsFunc(wrote[len(w0):], elsewhere)
		})
		if c.s.stopped() {
			c.s.fatalf(t, "%s sent %d bytes; Serve had returned (err = %v): it should read datagrams in a loop, "+
				"until its PacketConn is closed", c.name, len(msg), c.s.err)
		}
		read, wrote, reading := c.s.noted()
		read, wrote = read[len(r0):], wrote[len(w0):]
		if c.replies() > seen {
			c.mu.Lock()
			reply = c.got[seen]
			c.mu.Unlock()
			if i := slices.IndexFunc(read, func(d datagram) bool { return d.addr == from }); i >= 0 {
				return reply, &read[i]
			}
			return reply, nil
		}
		if i := slices.IndexFunc(wrote, elsewhere); i >= 0 {
			c.s.fatalf(t, "%s sent a datagram, and Serve sent its reply to %s instead: reply to the address "+
				"ReadFrom returned with the datagram", c.name, wrote[i].addr)
		}
		switch {
		case len(read) > 0 && len(wrote) == 0:
			silent(read[0], st)
			c.s.fatalf(t, "Serve read the %d-byte datagram from %s, then sent nothing back: %s. Reply with WriteTo(buf[:n], addr). "+
				"Where your code is:\n\n%s", len(read[0].data), c.name, st, where(st.gs))
		case reading == 0:
			c.s.fatalf(t, "%s sent a datagram, and Serve was not reading (no ReadFrom under way): %s. Where your code is:\n\n%s",
				c.name, st, where(st.gs))
		case try == 3:
			c.s.fatalf(t, "%s sent the same datagram 3 times, and each time it was lost on the way to Serve or back, "+
				"though Serve was waiting in ReadFrom: %s. Loopback UDP loses that much only on a machine far too "+
				"busy: run the test again", c.name, st)
		}
		// Lost on the way, as UDP allows: send it again.
	}
}

// ---- a PacketConn on the fake clock ----

// A fakePacketConn is a net.PacketConn for a synctest bubble, at
// 127.0.0.1:7007: the test makes up datagrams from any address and port
// (s.send), and can make reads and writes fail or wait. Create it inside
// the bubble.
type fakePacketConn struct {
	in      chan datagram
	readErr chan error
	closed  chan struct{}
	once    sync.Once

	mu        sync.Mutex
	spins     int           // ReadFrom calls after the close
	hold      chan struct{} // while not nil, WriteTo waits for it
	held      int           // WriteTo calls waiting on hold
	writeErrs int           // how many WriteTo calls are still to fail
}

func newFakePacketConn() *fakePacketConn {
	return &fakePacketConn{in: make(chan datagram), readErr: make(chan error, 1), closed: make(chan struct{})}
}

func (f *fakePacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case d := <-f.in:
		return copy(b, d.data), net.UDPAddrFromAddrPort(netip.MustParseAddrPort(d.addr)), nil
	case err := <-f.readErr:
		return 0, nil, &net.OpError{Op: "read", Net: "udp", Err: err}
	case <-f.closed:
		f.mu.Lock()
		f.spins++
		spun := f.spins >= 100
		f.mu.Unlock()
		if spun {
			runtime.Goexit() // a loop that never stops, and stops the fake clock
		}
		return 0, nil, &net.OpError{Op: "read", Net: "udp", Err: net.ErrClosed}
	}
}

func (f *fakePacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	f.mu.Lock()
	hold := f.hold
	f.held++
	f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held--
	if f.writeErrs > 0 {
		f.writeErrs--
		return 0, &net.OpError{Op: "write", Net: "udp", Addr: addr, Err: syscall.ENETUNREACH}
	}
	return len(b), nil
}

func (f *fakePacketConn) Close() error { f.once.Do(func() { close(f.closed) }); return nil }
func (f *fakePacketConn) LocalAddr() net.Addr {
	return net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:7007"))
}
func (f *fakePacketConn) SetDeadline(time.Time) error      { return nil }
func (f *fakePacketConn) SetReadDeadline(time.Time) error  { return nil }
func (f *fakePacketConn) SetWriteDeadline(time.Time) error { return nil }

// failRead makes the next ReadFrom fail with err.
func (f *fakePacketConn) failRead(err error) { f.readErr <- err }

// failWrites makes the next n WriteTo calls fail (network unreachable).
func (f *fakePacketConn) failWrites(n int) { f.mu.Lock(); f.writeErrs = n; f.mu.Unlock() }

// holdWrites makes every WriteTo wait, as on a socket whose send buffer is
// full, until the function it returns is called.
func (f *fakePacketConn) holdWrites() (release func()) {
	hold := make(chan struct{})
	f.mu.Lock()
	f.hold = hold
	f.mu.Unlock()
	return sync.OnceFunc(func() {
		f.mu.Lock()
		f.hold = nil
		f.mu.Unlock()
		close(hold)
	})
}

// writesHeld counts the WriteTo calls waiting on holdWrites.
func (f *fakePacketConn) writesHeld() int { f.mu.Lock(); defer f.mu.Unlock(); return f.held }

// busyLoop says why the test ended Serve's goroutine, if it did.
func (f *fakePacketConn) busyLoop() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.spins < 100 {
		return ""
	}
	return "Serve called ReadFrom 100 times in a row after its PacketConn was closed: when ReadFrom fails " +
		"with net.ErrClosed, return (the test stopped that goroutine)"
}

// send hands Serve, on a fake PacketConn, a datagram from the address
// from, and returns once Serve has read it.
func (s *udpServer) send(t *testing.T, from, data string) {
	t.Helper()
	if s.trySend(from, data) {
		return
	}
	if s.stopped() {
		s.fatalf(t, "a datagram came from %s, and Serve had returned (err = %v): it should read datagrams "+
			"in a loop, until its PacketConn is closed", from, s.err)
	}
	s.fatalf(t, "a datagram came from %s, and Serve had not read it %v later (fake clock): is it calling "+
		"ReadFrom in a loop?", from, patience)
}

// trySend hands Serve a datagram as send does, and reports whether Serve
// read it (false: it had returned, or had not read it patience later).
func (s *udpServer) trySend(from, data string) bool {
	select {
	case s.fake.in <- datagram{from, []byte(data)}:
		return true
	case <-s.done:
		return false
	case <-time.After(patience): // on the fake clock: once nothing else can happen
		return false
	}
}
