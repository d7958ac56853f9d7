// Package echo is an RFC 862 echo client: it sends lines to an echo server
// and reads back what the server returns, over one connection or many at
// once.
package echo

import (
	"bufio"
	"errors"
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
	// TODO: lesson 03's Exchange, with a sync.WaitGroup instead of the done
	// channel. Run send and receive (below, from lesson 03) at the same
	// time, each in a goroutine of its own, and Wait for both. Count them
	// with Add before the go statements, never inside the goroutines, and
	// make each one call Done on every way out (defer). A WaitGroup carries
	// no errors: the first goroutine to fail keeps its error and closes
	// conn, so the other one is not left blocked in a Read or a Write.
	// Return the replies and the first error. Close conn before returning.
	return nil, errors.New("not implemented yet: write Exchange in client.go")
}

// ExchangeAll runs one Exchange per session, each on a connection of its
// own to addr, all at the same time, and waits for every one of them.
// results[i] holds the replies to sessions[i], even when other sessions
// failed. The error joins one error per failed session, each naming it by
// its index: "client 2: …".
func ExchangeAll(addr string, sessions [][]string) ([][]string, error) {
	// TODO: for each session, a goroutine that dials addr ("tcp") and runs
	// Exchange; all of them at once, then Wait for every one. Goroutine i
	// writes only results[i] (and its own error slot): goroutines finish in
	// any order, and two that write the same variable are a data race.
	// Wrap each error as "client %d: %w"; errors.Join them.
	return nil, errors.New("not implemented yet: write ExchangeAll in client.go")
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
