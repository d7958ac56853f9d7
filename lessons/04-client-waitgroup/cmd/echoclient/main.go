// Command echoclient runs many echo clients at once with this lesson's
// ExchangeAll, and prints each one's replies, client by client:
//
//	go run ./cmd/echoclient                   (or: make lesson-04 run)
//	go run ./cmd/echoclient -clients 100 -n 1000 -addr 127.0.0.1:7007
//
// It needs a server: start one first, in another terminal (make lesson-02 run).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	echo "example.com/echo-workbook/lessons/04-client-waitgroup"
)

func main() {
	cfg, err := parseArgs(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2) // the flag package has said what is wrong
	}
	// ExchangeAll has no timeout of its own, and dials its connections
	// itself, so there is no deadline to set on them (lesson 06 gives it a
	// context). Until then, the program gives up on a silent server.
	time.AfterFunc(cfg.timeout, func() {
		log.Fatalf("echoclient: not done after %v; is the server answering?", cfg.timeout)
	})
	start := time.Now()
	results, err := echo.ExchangeAll(cfg.addr, cfg.sessions)
	for _, replies := range results {
		for _, r := range replies {
			fmt.Println(r)
		}
	}
	if err != nil {
		log.Fatalf("echoclient: %v", err)
	}
	log.Printf("echoclient: %d clients, %d lines each, all echoed in %v",
		len(cfg.sessions), cfg.lines, time.Since(start).Round(time.Millisecond))
}

// config is what the command line asks for.
type config struct {
	addr     string
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
	clients := flags.Int("clients", 3, "how many `clients` to run at once, each on a connection of its own")
	n := flags.Int("n", 3, "how many `lines` each client sends")
	timeout := flags.Duration("timeout", 10*time.Second, "give up on the server after this long")
	if err := flags.Parse(args); err != nil {
		return config{}, err
	}
	if *clients < 0 || *n < 0 || flags.NArg() > 0 {
		err := errors.New("-clients and -n must be 0 or more, and there are no other arguments")
		fmt.Fprintln(flags.Output(), err)
		flags.Usage()
		return config{}, err
	}
	cfg := config{addr: *addr, lines: *n, timeout: *timeout}
	for c := range *clients {
		var lines []string
		for i := 1; i <= *n; i++ {
			lines = append(lines, fmt.Sprintf("client %d, line %d of %d", c, i, *n))
		}
		cfg.sessions = append(cfg.sessions, lines)
	}
	return cfg, nil
}
