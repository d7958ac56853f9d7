// Package echo is an RFC 862 echo server with limits: a client that falls
// silent is disconnected, a client that does not read its echo cannot hold
// its handler forever, and only so many clients are served at once.
package echo

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"time"
)

// Limits are what the server allows each client. Every field must be set.
type Limits struct {
	// Idle is how long a client may stay silent: sending nothing at all.
	Idle time.Duration
	// Write is how much longer than Idle the echo of a chunk may take to
	// reach a client that does not read it. A client that takes none of its
	// echo for Idle+Write is cut off.
	Write time.Duration
	// MaxConns is how many clients are served at once. The next one is
	// refused: accepted and closed at once, without a byte.
	MaxConns int
}

// Serve accepts connections on l and echoes each one in its own goroutine,
// within lim, until l is closed. Then it returns nil; the clients still
// connected are served until they leave or break a limit.
func Serve(l net.Listener, lim Limits) error {
	// TODO: this is lesson 02's loop, with no cap. Serve at most
	// lim.MaxConns clients at once:
	//   - a channel with room for lim.MaxConns slots; take one here, in
	//     Serve, before the next Accept (not in the handler's goroutine:
	//     Serve may accept the next client before that goroutine runs);
	//   - no slot free: close the connection at once (refuse), and go on;
	//   - give the slot back when the handler ends, on every path.
	for {
		conn, err := accept(l)
		if err != nil {
			return nil // l was closed: the way to tell a server to stop
		}
		go func() {
			if err := handle(conn, lim); err != nil {
				// One client's trouble is not the server's: note it.
				log.Printf("echo: %v", err)
			}
		}()
	}
}

// accept returns the next connection on l, or net.ErrClosed once l is
// closed. Other errors, such as "too many open files", pass when other
// connections close: giving up would drop every future client, and trying
// again at once would spin a CPU core, so it waits, longer each time.
func accept(l net.Listener) (net.Conn, error) {
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		conn, err := l.Accept()
		if err == nil || errors.Is(err, net.ErrClosed) {
			return conn, err
		}
		log.Printf("echo: %v; retrying in %v", err, delay)
		time.Sleep(delay)
	}
}

// chunk is how much handle echoes between two refreshes of its deadlines.
const chunk = 128 << 10

// handle echoes everything it reads from conn back to conn until the
// client has sent all it will send, falls silent for lim.Idle, or leaves
// its echo unread; then it closes conn.
func handle(conn net.Conn, lim Limits) error {
	defer conn.Close()
	// TODO: this is lesson 02's io.Copy, with no limit: a silent client,
	// or one that never reads its echo, holds this goroutine forever.
	// Echo in chunks instead, in a loop:
	//   - before each chunk: a read deadline lim.Idle from now, and a
	//     write deadline lim.Idle+lim.Write from now;
	//   - n, err := io.CopyN(conn, conn, chunk), on conn itself: a reader
	//     wrapped around conn would turn off the kernel's copy (splice);
	//   - err == nil: a whole chunk, go on; io.EOF: the client is done;
	//   - the read deadline passed (os.ErrDeadlineExceeded, and the write
	//     deadline not yet): go on if n > 0 (slow, not silent), else
	//     return an error (silent);
	//   - the write deadline passed, or any other error: return an error.
	if _, err := io.Copy(conn, conn); err != nil {
		return fmt.Errorf("client %s: %w", conn.RemoteAddr(), err)
	}
	return nil
}
