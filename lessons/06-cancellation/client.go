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

// Exchange connects to the echo server at addr, sends lines, each followed
// by "\n", and returns the lines that come back, without their "\n".
// It gives up as soon as ctx is done, whether it is dialling, sending or
// waiting for the echo, and then returns an error that wraps ctx.Err(),
// with the lines it had read.
func Exchange(ctx context.Context, addr string, lines []string) ([]string, error) {
	// TODO: dial addr so that the dial itself gives up when ctx is done.
	// Then, as in lesson 04, send in one goroutine while you receive in
	// this one, and wait for the sender before you return. Neither Read nor
	// Write watches ctx: close the connection when ctx is done. And when
	// ctx is done, the "use of closed network connection" you get is only
	// the symptom: return an error that wraps ctx.Err() (%w).
	return nil, errors.New("not implemented yet: write Exchange in client.go")
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
	if err := w.Flush(); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
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
