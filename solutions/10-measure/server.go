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
	defer conn.Close()
	// One buffer for the whole connection, reused for every message: a
	// buffer per Read is garbage the collector must find, 32 KiB at a time.
	buf := make([]byte, 32<<10)
	for {
		n, err := conn.Read(buf)
		// One Write for everything one Read brought: each Write is a
		// system call, and the profile showed them as the server's work.
		// (io.Copy(conn, conn), lesson 02's answer, does the same.)
		if n > 0 {
			if _, werr := conn.Write(buf[:n]); werr != nil {
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
