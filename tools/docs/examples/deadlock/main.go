// Command deadlock waits forever on purpose, for the docs page on reading
// goroutine dumps: the reader goroutine fails and returns without telling
// main, which waits on the done channel with nobody left to send on it.
// No goroutine can ever run again, so the runtime stops the program.
//
//	go run ./tools/docs/examples/deadlock
package main

import (
	"fmt"
	"io"
)

func main() {
	client, server := io.Pipe() // an in-memory stand-in for a connection
	server.Close()              // the server hangs up at once

	done := make(chan struct{})
	go func() {
		buf := make([]byte, 1024)
		if _, err := client.Read(buf); err != nil {
			fmt.Println("reader:", err)
			return // the bug: main is never told
		}
		done <- struct{}{}
	}()
	<-done
	fmt.Println("done")
}
