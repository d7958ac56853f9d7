// The kit, part 7: faults, for code under test that dials, or that is
// handed a connection directly. A dial function onto a peer that is slow
// or refused (on the fake clock); a scripted connection that fails as told
// and allocates nothing; and the goroutines the code under test started
// that run none of its own code (go io.Copy(…)).

//lint:file-ignore U1000 shared by every lesson; not every lesson uses every helper

package echo

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// errRefused is what a dial to no one returns: for p.dialer's failAt.
var errRefused = errors.New("connect: connection refused (the test's dialer)")

// A dialPlan says how p.dialer's dials go: each takes took (on the fake
// clock, in a bubble); the failAt-th (from 1; 0: none) fails with
// errRefused; connection faulty (from 0) fails as fault says, if its op is
// set; with settle, every Close waits for the bubble to settle
// (settleClose).
type dialPlan struct {
	took   time.Duration
	failAt int
	faulty int
	fault  fault
	settle bool
}

// A fault makes a clientConn's Reads or Writes (op) fail with err once
// after bytes went through (failReads, failWrites).
type fault struct {
	op    string // "Read" or "Write"
	after int
	err   error
}

// dialer returns a dial function (a lesson's Dialer) onto the peer, for
// code under test that dials: each dial is p.dial, as plan says.
func (p *peer) dialer(t *testing.T, plan dialPlan) func(context.Context) (net.Conn, error) {
	var mu sync.Mutex
	dials := 0
	return func(context.Context) (net.Conn, error) {
		time.Sleep(plan.took)
		mu.Lock()
		defer mu.Unlock()
		if dials++; dials == plan.failAt {
			return nil, errRefused
		}
		c := p.dial(t)
		if i := len(p.dialed()) - 1; i == plan.faulty && plan.fault.op == "Read" {
			c.failReads(plan.fault.after, plan.fault.err)
		} else if i == plan.faulty && plan.fault.op == "Write" {
			c.failWrites(plan.fault.after, plan.fault.err)
		}
		if plan.settle {
			c.settleClose()
		}
		return c.conn, nil
	}
}

// A scriptConn hands a script to code that is given a connection (a
// handler, called directly): each Read gets the next piece (a Read with a
// small buffer, part of it), then io.EOF, or readErr if set. Writes are
// checked against the script and counted; they fail with writeErr if set.
// Neither allocates, so that testing.AllocsPerRun counts the code's own.
type scriptConn struct {
	script   [][]byte // the pieces, as written
	pieces   [][]byte // what is left of them to read
	want     []byte   // every piece, in order: the echo
	readErr  error
	writeErr error
	// eofWithLast: the Read that brings the end of the last piece
	// returns io.EOF with it.
	eofWithLast bool
	next        int
	reads       int
	failed      int // Reads that returned readErr
	writes      int
	echoed      int
	wrong       int // where the echo first differs from want, or -1
	closed      bool
}

// newScriptConn makes a script of random bytes in pieces of size each.
func newScriptConn(pieces, size int) *scriptConn {
	c := &scriptConn{want: randomBytes(pieces * size)}
	for i := range pieces {
		c.script = append(c.script, c.want[i*size:(i+1)*size])
	}
	c.pieces = make([][]byte, pieces)
	c.rewind()
	return c
}

// rewind starts the script again.
func (c *scriptConn) rewind() {
	copy(c.pieces, c.script)
	c.next, c.reads, c.failed, c.writes, c.echoed, c.wrong, c.closed = 0, 0, 0, 0, 0, -1, false
}

func (c *scriptConn) Read(p []byte) (int, error) {
	c.reads++
	if c.next == len(c.pieces) {
		// A broken connection stays broken; after 100 failed Reads,
		// io.EOF ends code that would read on forever.
		if c.readErr != nil && c.failed < 100 {
			c.failed++
			return 0, c.readErr
		}
		return 0, io.EOF
	}
	n := copy(p, c.pieces[c.next])
	if c.pieces[c.next] = c.pieces[c.next][n:]; len(c.pieces[c.next]) == 0 {
		c.next++
	}
	if c.next == len(c.pieces) && c.eofWithLast {
		return n, io.EOF
	}
	return n, nil
}

func (c *scriptConn) Write(p []byte) (int, error) {
	c.writes++
	if c.writeErr != nil {
		return 0, c.writeErr
	}
	if c.wrong < 0 {
		if end := c.echoed + len(p); end > len(c.want) || !bytes.Equal(p, c.want[c.echoed:end]) {
			c.wrong = c.echoed
		}
	}
	c.echoed += len(p)
	return len(p), nil
}

func (c *scriptConn) Close() error                     { c.closed = true; return nil }
func (c *scriptConn) LocalAddr() net.Addr              { return scriptAddr }
func (c *scriptConn) RemoteAddr() net.Addr             { return scriptAddr }
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }

var scriptAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7}

// launchedSince is startedSince, with the goroutines that run none of the
// package's code but were started by it: go io.Copy(…) runs io's code, and
// only its "created by" line names the function of the package.
func launchedSince(before map[int]goroutine) map[int]goroutine {
	found := startedSince(before)
	_, self, _, _ := runtime.Caller(0)
	for _, text := range strings.Split(allStacks(), "\n\n") {
		lines := strings.Split(text, "\n")
		head := strings.Fields(lines[0]) // "goroutine 7 [IO wait]:"
		if len(head) < 3 || head[0] != "goroutine" {
			continue
		}
		id, _ := strconv.Atoi(head[1])
		_, old := before[id]
		_, seen := found[id]
		i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "created by ") })
		if old || seen || i < 1 || i+1 == len(lines) {
			continue
		}
		at, _, _ := strings.Cut(strings.TrimSpace(lines[i+1]), " ")
		file, _, _ := strings.Cut(at, ":")
		if filepath.Dir(file) == filepath.Dir(self) && !strings.HasSuffix(file, "_test.go") {
			state, _, _ := strings.Cut(strings.Trim(strings.SplitN(lines[0], "[", 2)[1], "]:"), ",")
			fn := lines[1]
			if j := strings.LastIndex(fn, "("); j > 0 {
				fn = fn[:j] // drop the arguments
			}
			found[id] = goroutine{id: id, state: strings.TrimSuffix(state, " (durable)"),
				frames: "    " + fn + "\n    …\n    " + strings.Fields(lines[i])[2] + " (go statement)  " + filepath.Base(file) + at[len(file):]}
		}
	}
	return found
}
