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
	// TODO: accept connections on l in a loop and hand each one to handle.
	//   - A closed listener (errors.Is(err, net.ErrClosed)) means "stop":
	//     return nil.
	//   - Any other Accept error passes with time: log it, sleep a little
	//     (longer after each failure in a row) and try again.
	//   - An error from handle concerns one client only: log it, go on.
	return errors.New("not implemented yet: write Serve in echo.go")
}

// handle echoes everything it reads from conn back to conn until the client
// has sent all it will send, then closes conn.
func handle(conn net.Conn) error {
	// TODO: copy what you read from conn back to conn until Read reports
	// io.EOF (the client is done sending), then close conn. Return any
	// other error, saying which client it was (conn.RemoteAddr()).
	return errors.New("not implemented yet: write handle in echo.go")
}
