// Package echo is an RFC 862 echo client: it sends lines to an echo server
// and reads back what the server returns.
package echo

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
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
	defer conn.Close()

	// Sending and reading run at once. A server echoes while we send; if
	// no one read its echo, it would stop reading what we send, and both
	// sides would wait for each other forever.
	// Each goroutine reports on done exactly once, whether it succeeded or
	// not, so the two receives below always end.
	done := make(chan error)
	go func() { done <- send(conn, lines) }()
	var replies []string
	go func() {
		var err error
		replies, err = receive(conn, len(lines))
		done <- err
	}()

	var first error
	for range 2 {
		if err := <-done; err != nil && first == nil {
			first = err
			// The other goroutine may be blocked for good in a Read or a
			// Write that the server will never answer. Closing conn makes
			// that call fail at once, so its report comes, and we return
			// the cause rather than that consequence.
			conn.Close()
		}
	}
	// The reader set replies before its report, and we have received both
	// reports: reading replies now is safe.
	return replies, first
}

// send writes each line and a "\n" to conn, then half-closes conn.
func send(conn net.Conn, lines []string) error {
	for i, line := range lines {
		if _, err := io.WriteString(conn, line+"\n"); err != nil {
			return fmt.Errorf("sending line %d of %d: %w", i+1, len(lines), err)
		}
	}
	// The half-close tells the server that nothing more is coming, so it
	// can finish its echo and close, while we keep reading. Close would
	// tell it too, but would also cut off the echo still on its way to us.
	// Ask for the method, not for *net.TCPConn: wrappers of a TCP
	// connection can half-close too. Some conns cannot (net.Pipe).
	if hc, ok := conn.(interface{ CloseWrite() error }); ok {
		return hc.CloseWrite()
	}
	return nil
}

// receive reads n lines from conn and returns them without their "\n".
func receive(conn net.Conn, n int) ([]string, error) {
	// One Read returns whatever part of the echo has arrived: half a line,
	// or several lines. bufio gathers the pieces up to each "\n".
	r := bufio.NewReader(conn)
	var replies []string
	for len(replies) < n {
		line, err := r.ReadString('\n')
		if err != nil {
			// io.EOF too: the server hung up before it echoed every line.
			// A line without its "\n" was cut short: it is not a reply.
			return replies, fmt.Errorf("reading reply %d of %d: %w", len(replies)+1, n, err)
		}
		replies = append(replies, strings.TrimSuffix(line, "\n"))
	}
	return replies, nil
}
