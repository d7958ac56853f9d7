// Command hang is stuck on purpose, for the docs page on reading
// goroutine dumps: a client that never half-closes its connection waits
// in Read for an echo server that is waiting for more. The runtime cannot
// call that a deadlock (the goroutines wait on the network), so the
// program would hang forever; after half a second it prints every
// goroutine's stack (what Ctrl-\ in the terminal, or a test's -timeout,
// would show) and exits.
//
//	go run ./tools/docs/examples/hang
package main

import (
	"io"
	"net"
	"os"
	"runtime"
	"time"
)

func serve(l net.Listener) {
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			io.Copy(conn, conn) // returns when the client half-closes: it never does
		}()
	}
}

func main() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go serve(l)
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		panic(err)
	}
	conn.Write([]byte("hello\n"))
	time.AfterFunc(500*time.Millisecond, func() {
		buf := make([]byte, 1<<16)
		os.Stderr.Write(buf[:runtime.Stack(buf, true)])
		os.Exit(2)
	})
	io.ReadAll(conn) // waits for the end of the echo: there is none
}
