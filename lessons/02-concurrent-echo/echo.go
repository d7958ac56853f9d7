// Package echo is an RFC 862 echo server: every byte a client sends comes
// back to it, until the client closes the connection.
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
// goroutine, so every client is served at once.
// Serve returns nil once l is closed; other Accept errors do not stop it.
// Connections still open then are served until their clients leave.
func Serve(l net.Listener) error {
	for {
		conn, err := accept(l)
		if err != nil {
			return nil // l was closed: the way to tell a server to stop
		}
		// TODO: this is lesson 01's server: while handle runs, Serve cannot
		// Accept anyone else. Serve each connection in a goroutine of its
		// own, and make sure that goroutine ends when its client leaves.
		if err := handle(conn); err != nil {
			// One client's trouble is not the server's: note it, go on.
			log.Printf("echo: %v", err)
		}
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

// handle echoes everything it reads from conn back to conn until the client
// has sent all it will send, then closes conn.
func handle(conn net.Conn) error {
	// Closing tells the client the echo is complete; without it the client
	// waits forever for the end of its reply.
	defer conn.Close()
	// io.Copy reads and writes until Read reports io.EOF, the client's
	// "I am done sending". One Read is not the whole message: TCP delivers
	// a stream of bytes in pieces of any size.
	if _, err := io.Copy(conn, conn); err != nil {
		return fmt.Errorf("client %s: %w", conn.RemoteAddr(), err)
	}
	return nil
}
