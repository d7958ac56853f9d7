// Command select shows, for the docs page on channels and select, the
// two waits the workbook's code makes with select: a wait with a time
// limit, and a stop signal that reaches every goroutine at once.
//
//	go run ./tools/docs/examples/select
package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	// A wait with a limit: nobody ever sends on replies (a server that
	// never answers), so only the timer can end this select.
	replies := make(chan string)
	select {
	case r := <-replies:
		fmt.Println("reply:", r)
	case <-time.After(50 * time.Millisecond):
		fmt.Println("no reply within 50ms: giving up")
	}

	// A stop signal: closing a channel releases every receiver, however
	// many there are. Each worker waits for work or for stop, whichever
	// comes first.
	work := make(chan int)
	stop := make(chan struct{})
	var stopped atomic.Int32
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case n := <-work:
					_ = n // a real worker would do something with n
				case <-stop:
					stopped.Add(1)
					return
				}
			}
		})
	}
	work <- 1
	close(stop)
	wg.Wait() // every worker has returned: none is left behind
	fmt.Println("workers stopped:", stopped.Load())
}
