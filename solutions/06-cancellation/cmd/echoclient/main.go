// Command echoclient sends lines to an echo server and prints what comes
// back, giving up after -timeout or at Ctrl-C:
//
//	go run ./cmd/echoclient hello world            (each argument is a line)
//	printf 'one\ntwo\n' | go run ./cmd/echoclient  (no arguments: lines from stdin)
//	go run ./cmd/echoclient -addr 127.0.0.1:7008 -timeout 1s hello
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	echo "example.com/echo-workbook/solutions/06-cancellation"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7007", "`host:port` of the echo server")
	timeout := flag.Duration("timeout", 5*time.Second, "give up after this long; 0 waits as long as it takes")
	flag.Parse()
	if err := run(*addr, *timeout, flag.Args()); err != nil {
		log.Fatalf("echoclient: %v", err)
	}
}

func run(addr string, timeout time.Duration, lines []string) error {
	if len(lines) == 0 {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("reading stdin: %w", err)
		}
	}
	// Ctrl-C and the timeout both end up as one thing: a cancelled ctx,
	// whose cause Exchange returns: "interrupt signal received" or
	// "context deadline exceeded".
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	echoed, err := echo.Exchange(ctx, addr, lines)
	for _, line := range echoed {
		fmt.Println(line)
	}
	if err == nil && len(echoed) < len(lines) {
		err = fmt.Errorf("the server echoed %d of %d lines, then closed the connection", len(echoed), len(lines))
	}
	return err
}
