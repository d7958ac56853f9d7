// Command channels shows, for the docs page on channels and select, the
// two jobs a channel does in the workbook: goroutines reporting to the
// function that started them (lesson 03's done channel), and a stream of
// values that ends when the sender closes the channel.
//
//	go run ./tools/docs/examples/channels
package main

import (
	"errors"
	"fmt"
)

// work stands for a goroutine's job: here the writer succeeds and the
// reader fails, as when a server hangs up mid-reply.
func work(name string) error {
	if name == "reader" {
		return errors.New("reader: connection reset by peer")
	}
	return nil
}

func main() {
	// Reports. Unbuffered: a send waits until main receives it.
	done := make(chan error)
	for _, name := range []string{"writer", "reader"} {
		go func() { done <- work(name) }() // every path sends, exactly once
	}
	var first error
	for range 2 { // one receive per goroutine started, or one is left waiting
		if err := <-done; err != nil && first == nil {
			first = err
		}
	}
	fmt.Println("both goroutines reported; the first error:", first)

	// A stream. Buffered: three sends go in with no receiver waiting.
	squares := make(chan int, 3)
	for i := 1; i <= 3; i++ {
		squares <- i * i
	}
	close(squares) // no more values: the range below ends once they are read
	for sq := range squares {
		fmt.Println("received", sq)
	}
	v, ok := <-squares // a closed channel never blocks a receive
	fmt.Println("a receive after close:", v, ok)
}
