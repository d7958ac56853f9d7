package echo

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
)

// This file is lesson 04's Exchange, finished: one client's conversation
// on one connection. This lesson runs many of them (client.go); you do not
// need to change anything here.

// Exchange sends lines to the echo server at the other end of conn, each
// followed by "\n", then half-closes conn, and returns the lines that came
// back, without their "\n". Sending and reading happen at the same time:
// the server may not read more until its echo has been read.
//
// On failure Exchange returns the first error, with the lines read so far,
// and closes conn: that is what unblocks the other side. Otherwise conn
// stays open, and the caller closes it.
func Exchange(conn net.Conn, lines []string) ([]string, error) {
	var (
		wg     sync.WaitGroup
		once   sync.Once
		first  error
		echoed []string
	)
	// The first goroutine to fail keeps its error and closes conn, so the
	// other one's Read or Write returns instead of waiting for a server
	// that will never answer.
	fail := func(err error) {
		once.Do(func() {
			first = err
			conn.Close()
		})
	}
	wg.Go(func() {
		if err := send(conn, lines); err != nil {
			fail(err)
		}
	})
	wg.Go(func() {
		var err error
		if echoed, err = receive(conn); err != nil {
			fail(err)
		}
	})
	wg.Wait()
	return echoed, first
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
	hc, ok := conn.(interface{ CloseWrite() error })
	if !ok {
		return fmt.Errorf("send: a %T cannot half-close, so the server would never learn that the lines are over", conn)
	}
	if err := hc.CloseWrite(); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// receive reads lines from conn until the server closes it.
func receive(conn net.Conn) ([]string, error) {
	var lines []string
	r := bufio.NewReader(conn)
	for {
		// One Read is not one line: TCP delivers bytes in pieces of any
		// size. ReadString gathers pieces until the "\n".
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
