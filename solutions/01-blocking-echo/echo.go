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

// Serve accepts connections on l and echoes each one, one client at a time:
// it serves a connection to its end before it accepts the next one.
// Serve returns nil once l is closed; other Accept errors do not stop it.
func Serve(l net.Listener) error {
	var delay time.Duration // how long to wait after a failed Accept
	for {
		conn, err := l.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil // closing the listener is how a server is told to stop
		}
		if err != nil {
			// Errors such as "too many open files" pass once other
			// connections close. Returning would drop every future client
			// and retrying at once would spin, so wait, longer each time.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			log.Printf("echo: %v; retrying in %v", err, delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if err := handle(conn); err != nil {
			// One client's trouble is not the server's: note it, move on.
			log.Printf("echo: %v", err)
		}
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
