// The kit, part 5: the server's connections, tapped. Where a test must
// see what the server does with each connection it accepted (how much it
// read, a deadline, a Close), Serve gets tap(l) instead of l: every
// connection it accepts comes wrapped in a *tapConn, which notes those
// calls and can hold the server inside one (a Write, a Read a deadline
// woke) until the test lets it go. On a real listener too, but the server
// no longer sees a *net.TCPConn (no splice): tap only where it is needed.

//lint:file-ignore U1000 shared by every lesson; not every lesson uses every helper

package echo

import (
	"errors"
	"net"
	"sync"
	"time"
)

// tap wraps l; Serve gets what it returns, the test keeps it to look.
func tap(l net.Listener) *tapListener { return &tapListener{Listener: l} }

// A tapListener hands Serve each connection wrapped in a *tapConn. Its one
// mutex guards it and every connection it handed out.
type tapListener struct {
	net.Listener
	mu        sync.Mutex
	conns     []*tapConn
	holdAfter int    // see holdWrites
	hookAt    int    // see onAccept
	hook      func() // see onAccept
}

// holdWrites makes each connection accepted from now on hold the first
// Write the server makes once it has read n bytes, until release: a full
// send buffer, on demand.
func (l *tapListener) holdWrites(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holdAfter = n
}

// onAccept runs f in Serve's goroutine, first thing in the first Accept
// call that comes once n connections have been accepted: what the test
// does in f happens right after Serve handed connection n to its handler.
func (l *tapListener) onAccept(n int, f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hookAt, l.hook = n, f
}

func (l *tapListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	f := l.hook
	if f != nil && len(l.conns) >= l.hookAt {
		l.hook = nil
	} else {
		f = nil
	}
	l.mu.Unlock()
	if f != nil {
		f()
	}
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tc := &tapConn{Conn: c, l: l, holdAfter: l.holdAfter}
	l.conns = append(l.conns, tc)
	return tc, nil
}

// conn is the i-th connection Serve accepted, from 0 (-1: the last), or
// nil if there is none.
func (l *tapListener) conn(i int) *tapConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i < 0 {
		i += len(l.conns)
	}
	if i < 0 || i >= len(l.conns) {
		return nil
	}
	return l.conns[i]
}

// seen adds up the counts of every connection (the rest is per connection).
func (l *tapListener) seen() (all tapSeen) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		all.read += c.s.read
		all.reads += c.s.reads
		all.deadlines += c.s.deadlines
		all.closes += c.s.closes
	}
	return all
}

// What the server did with one connection so far, as seen() returns it.
type tapSeen struct {
	read      int  // bytes the server read
	reads     int  // Read calls (counted as they begin)
	deadlines int  // SetDeadline, SetReadDeadline and SetWriteDeadline calls
	closes    int  // Close calls
	woken     bool // a deadline woke a Read
	held      int  // the length of the Write held (holdWrites), until release; else 0
	// A Close, or a deadline on writes (SetDeadline, SetWriteDeadline),
	// came while the Write was held: the server cut off its own Write.
	closedWhileHeld, writeDeadlineWhileHeld bool
	// The bytes read before the server stopped reading: before a deadline
	// woke a Read, or it cut off its held Write; all of them until then.
	// What it read after (to drop it) was never owed an echo.
	readBeforeStop int
}

// A tapConn is the server's end of a connection, tapped.
type tapConn struct {
	net.Conn
	l         *tapListener // l.mu guards the rest
	s         tapSeen
	holdAfter int           // hold the first Write once this many bytes are read; 0: none
	writeHold chan struct{} // the held Write waits for it
	readHold  chan struct{} // see holdWoken
}

func (c *tapConn) seen() tapSeen {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	return c.s
}

// holdWoken makes the next Read that a deadline wakes wait until release.
func (c *tapConn) holdWoken() {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	c.readHold = make(chan struct{})
}

// release lets go of the Write and the Read held, if any; no Write is held
// after.
func (c *tapConn) release() {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	c.holdAfter = 0
	if c.s.held > 0 {
		close(c.writeHold)
		c.s.held = 0
	}
	if c.readHold != nil {
		close(c.readHold)
		c.readHold = nil
	}
}

func (c *tapConn) Read(b []byte) (int, error) {
	c.l.mu.Lock()
	c.s.reads++
	c.l.mu.Unlock()
	n, err := c.Conn.Read(b)
	c.l.mu.Lock()
	c.s.read += n
	if !c.s.woken && !c.s.closedWhileHeld && !c.s.writeDeadlineWhileHeld {
		c.s.readBeforeStop = c.s.read
	}
	var hold chan struct{}
	if isTimeout(err) {
		c.s.woken, hold = true, c.readHold
	}
	c.l.mu.Unlock()
	if hold != nil {
		<-hold
	}
	return n, err
}

func (c *tapConn) Write(b []byte) (int, error) {
	c.l.mu.Lock()
	var hold chan struct{}
	if c.holdAfter > 0 && c.s.read >= c.holdAfter && c.writeHold == nil && len(b) > 0 {
		c.writeHold, c.s.held = make(chan struct{}), len(b)
		hold = c.writeHold
	}
	c.l.mu.Unlock()
	if hold != nil {
		<-hold
	}
	return c.Conn.Write(b)
}

// CloseWrite half-closes, where the connection underneath can.
func (c *tapConn) CloseWrite() error {
	if hc, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return hc.CloseWrite()
	}
	return errors.New("this connection cannot half-close")
}

func (c *tapConn) Close() error {
	c.l.mu.Lock()
	c.s.closes++
	c.s.closedWhileHeld = c.s.closedWhileHeld || c.s.held > 0
	c.l.mu.Unlock()
	return c.Conn.Close()
}

func (c *tapConn) SetDeadline(t time.Time) error {
	c.deadline(t, true)
	return c.Conn.SetDeadline(t)
}

func (c *tapConn) SetReadDeadline(t time.Time) error {
	c.deadline(t, false)
	return c.Conn.SetReadDeadline(t)
}

func (c *tapConn) SetWriteDeadline(t time.Time) error {
	c.deadline(t, true)
	return c.Conn.SetWriteDeadline(t)
}

func (c *tapConn) deadline(t time.Time, writes bool) {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	c.s.deadlines++
	if writes && !t.IsZero() && c.s.held > 0 {
		c.s.writeDeadlineWhileHeld = true
	}
}
