package echo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
)

// Exchange connects to the echo server at addr, sends each of lines, plus
// "\n", and returns the lines the server sends back, in order and without
// their "\n". If anything fails, it returns the replies read so far and the
// first error, as lesson 04's Exchange does.
//
// It gives up as soon as ctx is done, whether it is dialling, sending or
// waiting for the echo, and then returns an error that wraps
// context.Cause(ctx), as lesson 05's clients do: the reason ctx ended.
func Exchange(ctx context.Context, addr string, lines []string) (replies []string, err error) {
	// TODO: dial addr so that the dial itself gives up when ctx is done
	// (net.Dialer's DialContext). Neither Read nor Write watches ctx: close
	// the connection when ctx is done (context.AfterFunc), and when
	// Exchange returns. Then, as lesson 04's Exchange does: send in one
	// goroutine while you receive in this one; the first side to fail
	// keeps its error and closes conn; wait for the sender; return the
	// first error. Once ctx is done, that error is only the symptom ("use
	// of closed network connection"): return context.Cause(ctx), wrapped
	// with %w, as lesson 05 does.
	return nil, errors.New("not implemented yet: write Exchange in client.go")
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
