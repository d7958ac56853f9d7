// Package echo is an RFC 862 echo client: it sends lines to an echo server
// and reads back what the server returns.
package echo

import (
	"errors"
	"net"
)

// Exchange sends each of lines, plus "\n", to the echo server at the other
// end of conn, and returns the lines the server sends back, in order and
// without their "\n". A line must not contain "\n": it would come back as two.
//
// Exchange uses conn up: it tells the server it is done sending
// (CloseWrite, when conn can half-close), and it closes conn before it
// returns. If anything fails, it returns the replies read so far and the
// first error.
func Exchange(conn net.Conn, lines []string) ([]string, error) {
	// TODO: run send and receive at the same time, each in a goroutine of
	// its own. Each reports its error (nil when all went well) on one
	// channel, exactly once, whatever happens; Exchange receives both
	// reports. When a report is an error, close conn: the other goroutine
	// may be blocked in a Read or a Write that will never end otherwise.
	// Return the replies the reader read and the first error. Close conn
	// before returning.
	return nil, errors.New("not implemented yet: write Exchange in client.go")
}

// send writes each line and a "\n" to conn, then half-closes conn.
func send(conn net.Conn, lines []string) error {
	// TODO: write each line with its "\n", in order. Then tell the server
	// you are done sending, without closing conn (the echo is still on its
	// way back): CloseWrite, if conn has that method. Return an error that
	// says which line failed, wrapping the cause with %w.
	return errors.New("not implemented yet: write send in client.go")
}

// receive reads n lines from conn and returns them without their "\n".
func receive(conn net.Conn, n int) ([]string, error) {
	// TODO: read n lines, one reply per line sent. One Read is not one line:
	// it returns whatever part of the echo has arrived. A line without its
	// "\n" at the end was cut short: it is an error, not a reply. Return the
	// lines read so far with any error, wrapped with %w.
	return nil, errors.New("not implemented yet: write receive in client.go")
}
