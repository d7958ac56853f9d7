// Command context shows, for the docs page on context, what a context
// does and what it does not: it says "stop" and why, to every function
// it is passed to, and it never interrupts a Read by itself.
//
//	go run ./tools/docs/examples/context
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

func main() {
	// cancel() closes ctx.Done(); from then on ctx.Err() says why.
	ctx, cancel := context.WithCancel(context.Background())
	fmt.Println("1. before cancel:", ctx.Err())
	cancel()
	<-ctx.Done()
	fmt.Println("1. after cancel: ", ctx.Err())

	// A timeout cancels by itself.
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel() // always: it frees the timer if the work ends first
	<-ctx.Done()
	fmt.Println("2. timeout:", ctx.Err())

	// A cause says more than "canceled".
	ctx, cancelCause := context.WithCancelCause(context.Background())
	cancelCause(errors.New("the user pressed Ctrl-C"))
	fmt.Println("3. Err:", ctx.Err(), "| Cause:", context.Cause(ctx))

	// Cancelling a parent cancels its children, never the other way round.
	parent, cancelParent := context.WithCancel(context.Background())
	child, cancelChild := context.WithCancel(parent)
	defer cancelChild()
	cancelParent()
	<-child.Done()
	fmt.Println("4. child of a cancelled parent:", child.Err())

	// A Read does not look at any context: only a close (or a deadline)
	// ends it. context.AfterFunc closes the connection when ctx ends.
	client, server := net.Pipe() // nobody ever writes on server
	defer server.Close()
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { client.Close() })
	defer stop() // forget the AfterFunc if the Read ends some other way
	_, err := client.Read(make([]byte, 1))
	fmt.Println("5. Read:", err, "| because:", ctx.Err())
}
