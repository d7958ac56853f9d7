// Package echo is lesson 02's echo server, and a load generator to
// measure it with: round trips and their latency, streaming throughput,
// connections held idle.
package echo

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"time"
)

// Serve accepts connections on l and echoes each one in its own
// goroutine, until l is closed. Then it returns nil.
func Serve(l net.Listener) error {
	for {
		conn, err := accept(l)
		if err != nil {
			return nil // l was closed: the way to tell a server to stop
		}
		go func() {
			if err := handle(conn); err != nil {
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

// handle echoes everything it reads from conn back to conn, until the
// client has sent all it will send; then it closes conn.
func handle(conn net.Conn) error {
	// TODO: this handler is correct, and slow. Measure it first (README:
	// go test -bench, then a CPU profile), and read what the profile says
	// it does. Then make it do the same with far less: the tests count
	// its Writes and its allocations per message.
	defer conn.Close()
	for {
		buf := make([]byte, 32<<10)
		n, err := conn.Read(buf)
		for _, b := range buf[:n] {
			if _, werr := conn.Write([]byte{b}); werr != nil {
				return fmt.Errorf("client %s: %w", conn.RemoteAddr(), werr)
			}
		}
		if err == io.EOF {
			return nil // the client is done, and has its whole echo
		}
		if err != nil {
			return fmt.Errorf("client %s: %w", conn.RemoteAddr(), err)
		}
	}
}
