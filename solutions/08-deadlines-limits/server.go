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
	"os"
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
	// A slot per client being served: a full channel means a full house.
	slots := make(chan struct{}, lim.MaxConns)
	for {
		conn, err := accept(l)
		if err != nil {
			return nil // l was closed: the way to tell a server to stop
		}
		// Take the slot here, in the one goroutine that admits clients:
		// taking it in the handler would let Serve admit the next client
		// before this one's handler has even started, and counted itself.
		select {
		case slots <- struct{}{}:
		default:
			// Full. Refuse at once rather than leave the client waiting
			// in the kernel's queue with no answer: it sees the close now,
			// and can try again later, or elsewhere.
			conn.Close()
			continue
		}
		go func() {
			// Give the slot back however handle ends: an error path that
			// keeps it shrinks the server for good.
			defer func() { <-slots }()
			if err := handle(conn, lim); err != nil {
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
	for {
		// io.CopyN on conn itself, not on a reader that refreshes the
		// deadlines on every Read: given a *net.TCPConn, CopyN lets the
		// kernel move the bytes (splice, on Linux), with no buffer of
		// ours; any wrapper turns that off. So the deadlines are set
		// before each chunk, not before each Read.
		start := time.Now()
		conn.SetReadDeadline(start.Add(lim.Idle))
		writeBy := start.Add(lim.Idle + lim.Write)
		conn.SetWriteDeadline(writeBy)
		n, err := io.CopyN(conn, conn, chunk)
		switch {
		case err == nil:
			continue // a whole chunk: go on, with fresh deadlines
		case errors.Is(err, io.EOF):
			return nil // the client is done, and has its whole echo
		case errors.Is(err, os.ErrDeadlineExceeded) && time.Now().Before(writeBy):
			// The read deadline: CopyN was waiting for the client, with
			// every byte it had read already echoed.
			if n > 0 {
				continue // slow, not silent: it sent during this chunk
			}
			return fmt.Errorf("client %s: silent for %v: disconnected", conn.RemoteAddr(), lim.Idle)
		case errors.Is(err, os.ErrDeadlineExceeded):
			// The write deadline: the client does not read its echo. What
			// CopyN had read and not written is lost: this is the end.
			return fmt.Errorf("client %s: echo unread for %v: disconnected", conn.RemoteAddr(), lim.Idle+lim.Write)
		}
		return fmt.Errorf("client %s: %w", conn.RemoteAddr(), err)
	}
}
