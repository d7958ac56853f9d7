package echo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
)

// Exchange connects to the echo server at addr, sends lines, each followed
// by "\n", and returns the lines that come back, without their "\n".
// It gives up as soon as ctx is done, whether it is dialling, sending or
// waiting for the echo, and then returns an error that wraps ctx.Err(),
// with the lines it had read.
func Exchange(ctx context.Context, addr string, lines []string) (echoed []string, err error) {
	// Once ctx is done, the dial, Read or Write that failed says only
	// "timeout" or "closed": ctx.Err() says why.
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("echo %s: %w", addr, ctx.Err())
		}
	}()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// Read and Write do not watch ctx: closing conn is what makes them
	// return, however long the server stalls.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	// Send and read at once: the server may not read more until its echo
	// has been read.
	var sent sync.WaitGroup
	var sendErr error
	sent.Go(func() { sendErr = send(conn, lines) })
	echoed, err = receive(conn)
	sent.Wait()
	return echoed, errors.Join(err, sendErr)
}

// send writes each line and "\n" to conn, then half-closes it: CloseWrite
// tells the server "nothing more is coming", and the server's close, once
// it has echoed everything, is how receive knows the echo is complete.
func send(conn net.Conn, lines []string) error {
	w := bufio.NewWriter(conn)
	for _, line := range lines {
		w.WriteString(line)
		w.WriteByte('\n')
	}
	// A bufio.Writer keeps its first error and returns it from Flush.
	return errors.Join(w.Flush(), conn.(*net.TCPConn).CloseWrite())
}

// receive reads lines from conn until the server closes it.
func receive(conn net.Conn) ([]string, error) {
	var lines []string
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF && line == "" {
			return lines, nil // closed after a whole line: the echo is complete
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // closed in the middle of a line
		}
		if err != nil {
			return lines, fmt.Errorf("receive: %w", err)
		}
		lines = append(lines, strings.TrimSuffix(line, "\n"))
	}
}
