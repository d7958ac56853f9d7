// Command echoclient runs this lesson's ExchangeAll against an echo
// server: -clients clients, at most -limit of them connected at once, each
// sending -lines lines. Ctrl-C cancels them all.
//
//	go run ./solutions/02-concurrent-echo/cmd/echoserver     (an echo server, in one terminal)
//	make lesson-05 run ARGS='-clients 20 -limit 4'            (in another)
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	echo "example.com/echo-workbook/lessons/05-client-errgroup"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7007", "the echo server's `host:port`")
	clients := flag.Int("clients", 10, "how many clients to run, one session each")
	limit := flag.Int("limit", 3, "at most this many clients connected at once; 0: no limit")
	lines := flag.Int("lines", 3, "how many lines each client sends")
	flag.Parse()
	if *clients < 0 || *lines < 0 {
		log.Fatal("echoclient: -clients and -lines cannot be negative")
	}

	sessions := make([][]string, *clients)
	for i := range sessions {
		for j := range *lines {
			sessions[i] = append(sessions[i], fmt.Sprintf("client %d, line %d", i, j+1))
		}
	}

	// Ctrl-C cancels ctx, and ExchangeAll stops every client.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	start := time.Now()
	results, err := echo.ExchangeAll(ctx, *addr, sessions, *limit)
	stop()
	if err != nil {
		log.Fatalf("echoclient: %v", err)
	}
	for i, echoed := range results {
		fmt.Printf("client %d got back %q\n", i, echoed)
	}
	log.Printf("echoclient: %d clients, all done in %v", *clients, time.Since(start).Round(time.Millisecond))
}
