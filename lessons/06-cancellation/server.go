// Package echo is an RFC 862 echo server and client that stop when their
// context is cancelled, and leave nothing running behind them.
package echo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"time"
)

// Serve accepts connections on l and echoes each one in its own goroutine,
// until ctx is cancelled. Then it closes l, closes every connection, waits
// for every handler to return, and only then returns nil. Serve also
// returns nil if someone else closes l, once its handlers have ended.
func Serve(ctx context.Context, l net.Listener) error {
	// TODO: start from lesson 02's loop: accept, then handle in a goroutine
	// of its own, logging handle's errors. Then make a cancel stop it all:
	//   - Accept does not watch ctx: close l when ctx is cancelled;
	//   - Read and Write do not watch ctx either: close every active
	//     connection when ctx is cancelled, including one that Accept
	//     returns just as that happens;
	//   - return only once every handler has returned;
	//   - once a handler returns, forget its connection;
	//   - the errors a cancel causes on purpose are not worth a log line.
	return errors.New("not implemented yet: write Serve in server.go")
}

// accept returns the next connection on l. It retries after errors other
// than a closed listener, pausing longer each time, and gives up early,
// with ctx's error, when ctx is cancelled during a pause.
func accept(ctx context.Context, l net.Listener) (net.Conn, error) {
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		conn, err := l.Accept()
		if err == nil || errors.Is(err, net.ErrClosed) {
			return conn, err
		}
		log.Printf("echo: %v; retrying in %v", err, delay)
		// TODO: this pause ignores ctx: a cancel waits until it is over.
		// End it early when ctx is cancelled, and return ctx's error.
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
