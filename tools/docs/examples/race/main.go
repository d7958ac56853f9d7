// Command race is a data race on purpose, for the docs page on reading
// race reports: every handler adds what it echoed to one shared total,
// without a lock. Run it with the race detector:
//
//	go run -race ./tools/docs/examples/race
package main

import (
	"fmt"
	"io"
	"net"
	"sync"
)

var echoed int64 // shared by every handler: the bug

func handle(conn net.Conn) {
	defer conn.Close()
	n, _ := io.Copy(conn, conn)
	echoed += n // two handlers may do this at the same time
}

func main() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go handle(conn)
		}
	}()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				panic(err)
			}
			defer c.Close()
			c.Write([]byte("hello\n"))
			c.(*net.TCPConn).CloseWrite()
			io.ReadAll(c)
		})
	}
	wg.Wait()
	l.Close()
	fmt.Println("echoed", echoed, "bytes")
}
