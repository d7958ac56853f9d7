// Package echo is an RFC 862 echo server: every byte a client sends comes
// back to it, until the client closes the connection.
package echo

import (
	"errors"
	"net"
)

// Serve accepts connections on l and echoes each one, one client at a time:
// it serves a connection to its end before it accepts the next one.
// Serve returns nil once l is closed; other Accept errors do not stop it.
func Serve(l net.Listener) error {
	// TODO: in a loop, get the next connection from accept and give it to
	// handle. When accept fails, l was closed: return nil. When handle
	// fails, only that client is affected: log the error and go on.
	return errors.New("not implemented yet: write Serve in echo.go")
}

// accept returns the next connection on l, or net.ErrClosed once l is
// closed. Other errors, such as "too many open files", pass when other
// connections close: giving up would drop every future client, and trying
// again at once would spin a CPU core, so it waits, longer each time.
func accept(l net.Listener) (net.Conn, error) {
	// TODO: call l.Accept until it succeeds or fails with net.ErrClosed
	// (errors.Is). After any other error: log it, sleep (5ms the first
	// time, twice as long each time after, never more than 1s), try again.
	return nil, errors.New("not implemented yet: write accept in echo.go")
}

// handle echoes everything it reads from conn back to conn until the client
// has sent all it will send, then closes conn.
func handle(conn net.Conn) error {
	// TODO: write back everything you read from conn until Read reports
	// io.EOF (the client is done sending), then close conn. Return any
	// other error, saying which client it was (conn.RemoteAddr()).
	return errors.New("not implemented yet: write handle in echo.go")
}
