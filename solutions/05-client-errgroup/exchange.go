package echo

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
)

// This file is lesson 04's Exchange, unchanged: one client, one connection.
// This lesson runs many of them at once (client.go); you do not need to
// change anything here.

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

	var (
		wg      sync.WaitGroup
		once    sync.Once
		first   error
		replies []string
	)
	// A WaitGroup only counts: unlike lesson 03's channel, it carries no
	// errors. So the first goroutine to fail keeps its error itself, and
	// closes conn: the other one may be blocked in a Read or a Write that
	// would never end otherwise. Its error, which only follows from that
	// Close, comes second and is dropped.
	fail := func(err error) {
		once.Do(func() {
			first = err
			conn.Close()
		})
	}

	// Add before go: by the time Wait runs, the count must include both.
	wg.Add(2)
	go func() {
		defer wg.Done() // deferred: every way out of the goroutine counts down
		if err := send(conn, lines); err != nil {
			fail(err)
		}
	}()
	go func() {
		defer wg.Done()
		var err error
		if replies, err = receive(conn, len(lines)); err != nil {
			fail(err)
		}
	}()
	// Once Wait returns, everything both goroutines did happened before:
	// reading replies and first is safe.
	wg.Wait()
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
