package echo

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
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
	// Once ctx is done, the dial, Read or Write that failed says only
	// "operation was canceled" or "use of closed network connection": the
	// symptom. context.Cause(ctx) says why: a deadline, Ctrl-C, the
	// reason the caller gave.
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("echo %s: %w", addr, context.Cause(ctx))
		}
	}()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// Read and Write do not watch ctx: closing conn is what makes them
	// return, however the server stalls.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	// The rest is lesson 04's Exchange. Send and read at once: the server
	// may not read more until its echo has been read. The first side to
	// fail keeps its error and closes conn, so that the other side, which
	// may be blocked for good, fails too; that second error is only a
	// consequence, and is dropped.
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	fail := func(e error) {
		once.Do(func() {
			first = e
			conn.Close()
		})
	}
	wg.Go(func() {
		if e := send(conn, lines); e != nil {
			fail(e)
		}
	})
	replies, e := receive(conn, len(lines))
	if e != nil {
		fail(e)
	}
	// Once Wait returns, everything the sender did happened before:
	// reading first is safe.
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
