// Package echo is an RFC 862 echo server that stops gracefully: it stops
// accepting at once, lets every connection finish echoing what it has
// read, and cuts off what is left only when the caller runs out of time.
package echo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"time"
)

// ErrServerClosed is what Serve returns once Shutdown has been called.
var ErrServerClosed = errors.New("echo: server closed")

// A Server echoes every connection on the listeners it serves, until
// Shutdown. The zero value is ready to use.
type Server struct {
	// TODO: what Shutdown needs to know, under a sync.Mutex: the listeners
	// Serve accepts on; the connections whose handler still runs; whether
	// Shutdown has begun. And a sync.WaitGroup of the running handlers.
}

// Serve accepts connections on l and echoes each one in its own goroutine,
// until Shutdown. It then returns ErrServerClosed at once: Shutdown is the
// one that waits for the handlers. Called after Shutdown, it closes l and
// returns ErrServerClosed. Any other error that stops it is returned.
func (s *Server) Serve(l net.Listener) error {
	// TODO: lesson 02's loop (accept, then handle in a goroutine of its
	// own, logging its errors), and what Shutdown needs to know:
	//   - note l, so that Shutdown can close it; if Shutdown has already
	//     begun, close l and return ErrServerClosed instead;
	//   - when accept fails because Shutdown closed l, return ErrServerClosed;
	//   - note each connection and count its handler, under the lock,
	//     unless Shutdown has begun: then close that connection, and return;
	//   - once a handler returns, forget its connection;
	//   - the errors a shutdown causes on purpose are not worth a log line.
	return errors.New("not implemented yet: write Serve in server.go")
}

// Shutdown stops the server gracefully. It closes the listeners at once,
// so that no one else gets in; tells every connection to stop reading,
// so that each one finishes echoing what it has read, and closes; and
// waits for every handler to return. Then it returns nil. If ctx ends
// first, it closes every connection left, waits for their handlers, and
// returns ctx's error. Calling it again is harmless.
func (s *Server) Shutdown(ctx context.Context) error {
	// TODO: in this order:
	//   - note that Shutdown has begun, and close every listener;
	//   - stop every connection's reading: conn.SetReadDeadline(time.Now())
	//     wakes a handler blocked in Read; one busy writing an echo
	//     finishes it first (handle says why);
	//   - wait for the handlers, or for ctx to end, whichever comes first;
	//   - if ctx ends first: close every connection left, wait for their
	//     handlers all the same, and return ctx.Err();
	//   - a second call, at the same time or later, must neither panic
	//     nor hang.
	return errors.New("not implemented yet: write Shutdown in server.go")
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

// handle echoes everything it reads from conn back to conn, until the
// client has sent all it will send, or until Shutdown stops its reading
// (a read deadline). Either way the echo of every byte read has been
// written when it closes conn.
func handle(conn net.Conn) error {
	defer conn.Close()
	_, err := io.Copy(conn, conn)
	switch {
	case err == nil:
		return nil // the client is done, and has its whole echo
	case errors.Is(err, os.ErrDeadlineExceeded):
		goodbye(conn) // Shutdown asked us to stop reading
		return nil
	}
	return fmt.Errorf("client %s: %w", conn.RemoteAddr(), err)
}

// goodbye ends a connection whose client may still be sending. A TCP
// connection closed with bytes still unread, or sent bytes once closed,
// is reset (RST), and a reset throws away the echo still on its way to the
// client. So: half-close first (the client reads the rest of its echo,
// then the end of it), then read and drop whatever the client still
// sends, until it closes its end. No clock decides that the client is
// done: one merely slow to read its echo would lose it the moment it sent
// again. A client that never closes is cut off by Shutdown, when its ctx
// ends (Close ends this wait).
func goodbye(conn net.Conn) {
	hc, ok := conn.(interface{ CloseWrite() error })
	if !ok || hc.CloseWrite() != nil {
		return // cannot half-close (net.Pipe): nothing is in flight anyway
	}
	for {
		conn.SetReadDeadline(time.Time{}) // lift Shutdown's (a second call sets it again)
		_, err := io.Copy(io.Discard, conn)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return // the client's end, or Shutdown's Close
		}
	}
}
