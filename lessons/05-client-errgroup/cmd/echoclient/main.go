// Command echoclient runs many echo clients with this lesson's
// ExchangeAll, at most -limit of them connected at once, and prints each
// one's replies, client by client. The first client to fail stops the
// others, and so do Ctrl-C and -timeout:
//
//	go run ./cmd/echoclient                                  (or: make lesson-05 run)
//	go run ./cmd/echoclient -clients 100 -limit 10 -n 1000 -addr 127.0.0.1:7007
//
// It needs a server: start one first, in another terminal (make lesson-02 run).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	echo "example.com/echo-workbook/lessons/05-client-errgroup"
)

func main() {
	cfg, err := parseArgs(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2) // the flag package has said what is wrong
	}
	// Ctrl-C and the timeout both end ctx, and ExchangeAll then stops
	// every client: its error says which of the two it was.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	start := time.Now()
	results, err := echo.ExchangeAll(ctx, cfg.addr, cfg.sessions, cfg.limit)
	cancel()
	stop()
	if err != nil {
		log.Fatalf("echoclient: %v", err)
	}
	for _, replies := range results {
		for _, r := range replies {
			fmt.Println(r)
		}
	}
	log.Printf("echoclient: %d clients, at most %d at once (0: no limit), %d lines each, all echoed in %v",
		len(cfg.sessions), cfg.limit, cfg.lines, time.Since(start).Round(time.Millisecond))
}

// config is what the command line asks for.
type config struct {
	addr     string
	limit    int        // clients connected at once; 0: no limit
	lines    int        // per client
	sessions [][]string // one per client
	timeout  time.Duration
}

// parseArgs works out the config from the command line, and says what is
// wrong with it on stderr. The default server is on this machine: reaching
// out to the network is something to ask for.
func parseArgs(args []string, stderr io.Writer) (config, error) {
	flags := flag.NewFlagSet("echoclient", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "127.0.0.1:7007", "the echo server's `host:port`")
	clients := flags.Int("clients", 10, "how many `clients` to run, each on a connection of its own")
	limit := flags.Int("limit", 3, "at most this many `clients` connected at once; 0: no limit")
	n := flags.Int("n", 3, "how many `lines` each client sends")
	timeout := flags.Duration("timeout", 10*time.Second, "stop every client after this long")
	if err := flags.Parse(args); err != nil {
		return config{}, err
	}
	if *clients < 0 || *limit < 0 || *n < 0 || flags.NArg() > 0 {
		err := errors.New("-clients, -limit and -n must be 0 or more, and there are no other arguments")
		fmt.Fprintln(flags.Output(), err)
		flags.Usage()
		return config{}, err
	}
	cfg := config{addr: *addr, limit: *limit, lines: *n, timeout: *timeout}
	for c := range *clients {
		var lines []string
		for i := 1; i <= *n; i++ {
			lines = append(lines, fmt.Sprintf("client %d, line %d of %d", c, i, *n))
		}
		cfg.sessions = append(cfg.sessions, lines)
	}
	return cfg, nil
}
