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
	"sync"
	"time"
)

// Serve accepts connections on l and echoes each one in its own goroutine,
// until ctx is cancelled. Then it closes l, closes every connection, waits
// for every handler to return, and only then returns nil. Serve also
// returns nil if someone else closes l, once its handlers have ended.
func Serve(ctx context.Context, l net.Listener) error {
	// Accept does not watch ctx: closing l is what makes it return.
	stopListener := context.AfterFunc(ctx, func() { l.Close() })
	defer stopListener()

	var handlers sync.WaitGroup
	for {
		conn, err := accept(ctx, l)
		if err != nil {
			break // l was closed, or ctx cancelled: no more clients
		}
		// Go counts the handler before it starts, so Wait below cannot
		// miss one that is only about to run.
		handlers.Go(func() {
			// Read and Write do not watch ctx either: closing conn is what
			// makes them return. If ctx was cancelled just as Accept
			// returned conn, AfterFunc closes it at once.
			stopConn := context.AfterFunc(ctx, func() { conn.Close() })
			// Once conn is done, forget it: a server that serves a million
			// clients must not hold on to a million finished connections.
			defer stopConn()
			// After a cancel, handle fails because we closed conn: no news.
			if err := handle(conn); err != nil && ctx.Err() == nil {
				log.Printf("echo: %v", err)
			}
		})
	}
	// No more clients. Return only once every handler has: after a
	// cancel, their connections are closed, so none of them waits long.
	handlers.Wait()
	return nil
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
		// time.Sleep would hold a cancelled server up for as long as a
		// second: wait for whichever comes first.
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, ctx.Err()
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
