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
	"sync"
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

// ExchangeAll runs one Exchange per session, each on a connection of its
// own to addr, all at the same time, and waits for every one of them.
// results[i] holds the replies to sessions[i], even when other sessions
// failed. The error joins one error per failed session, each naming it by
// its index: "client 2: …".
func ExchangeAll(addr string, sessions [][]string) ([][]string, error) {
	results := make([][]string, len(sessions))
	errs := make([]error, len(sessions))
	var wg sync.WaitGroup
	for i, lines := range sessions {
		// wg.Go counts the goroutine, then starts it. An Add inside the
		// goroutine could come too late: after Wait had seen a count of 0.
		wg.Go(func() {
			// Goroutine i writes results[i] and errs[i], and nothing else:
			// no two goroutines write the same variable, so nothing needs a
			// lock, and the replies land in their session's slot, whoever
			// ends first.
			replies, err := dialExchange(addr, lines)
			results[i] = replies
			if err != nil {
				errs[i] = fmt.Errorf("client %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	return results, errors.Join(errs...)
}

// dialExchange runs one session on a connection of its own, which
// Exchange closes.
func dialExchange(addr string, lines []string) ([]string, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return Exchange(conn, lines)
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
