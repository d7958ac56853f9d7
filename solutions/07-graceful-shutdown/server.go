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
	"sync"
	"time"
)

// ErrServerClosed is what Serve returns once Shutdown has been called.
var ErrServerClosed = errors.New("echo: server closed")

// A Server echoes every connection on the listeners it serves, until
// Shutdown. The zero value is ready to use.
type Server struct {
	mu        sync.Mutex
	listeners map[net.Listener]bool
	conns     map[net.Conn]bool // the connections whose handler still runs
	stopping  bool              // Shutdown has begun: accept no one
	handlers  sync.WaitGroup
}

// Serve accepts connections on l and echoes each one in its own goroutine,
// until Shutdown. It then returns ErrServerClosed at once: Shutdown is the
// one that waits for the handlers. Called after Shutdown, it closes l and
// returns ErrServerClosed. Any other error that stops it is returned.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]bool{}
		s.conns = map[net.Conn]bool{}
	}
	s.listeners[l] = true
	s.mu.Unlock()

	for {
		conn, err := accept(l)
		if err != nil {
			if s.isStopping() {
				return ErrServerClosed
			}
			return fmt.Errorf("serve: %w", err)
		}
		// Check and count under the lock Shutdown takes: either Shutdown
		// will see this connection, or we see that Shutdown has begun. (And
		// no handler is counted once Shutdown may be waiting.)
		s.mu.Lock()
		if s.stopping {
			s.mu.Unlock()
			conn.Close() // came in just as Shutdown began: nothing read, nothing owed
			return ErrServerClosed
		}
		s.conns[conn] = true
		s.handlers.Go(func() {
			if err := handle(conn); err != nil && !s.isStopping() {
				log.Printf("echo: %v", err)
			}
			// Forget it: a server that runs for months must not hold on to
			// every connection it ever served.
			s.mu.Lock()
			delete(s.conns, conn)
			s.mu.Unlock()
		})
		s.mu.Unlock()
	}
}

// Shutdown stops the server gracefully. It closes the listeners at once,
// so that no one else gets in; tells every connection to stop reading,
// so that each one finishes echoing what it has read, and closes; and
// waits for every handler to return. Then it returns nil. If ctx ends
// first, it closes every connection left, waits for their handlers, and
// returns ctx's error. Calling it again is harmless.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	for l := range s.listeners {
		l.Close()
	}
	// A read deadline in the past wakes a handler blocked in Read, and
	// leaves one busy writing an echo to finish it first: io.Copy writes
	// all it has read before it reads again.
	for c := range s.conns {
		c.SetReadDeadline(time.Now())
	}
	s.mu.Unlock()

	// Wait in a goroutine, so that we can also watch ctx. It ends with the
	// last handler, which, at the latest, is once we close them all below.
	drained := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(drained)
	}()
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
	}
	// Out of time: whoever is left (a client that does not read its echo)
	// is cut off. Close wakes a blocked Write, where a deadline on reads
	// does not.
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	<-drained // only a moment now: their Reads and Writes fail at once
	return ctx.Err()
}

func (s *Server) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
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
