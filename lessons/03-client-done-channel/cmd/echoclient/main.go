// Command echoclient sends lines to an echo server with this lesson's
// Exchange, and prints the replies:
//
//	go run ./cmd/echoclient          (or: make lesson-03 run)
//	go run ./cmd/echoclient -n 3 -addr 127.0.0.1:7007
//
// It needs a server: start one first, in another terminal (make lesson-02 run).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"time"

	echo "example.com/echo-workbook/lessons/03-client-done-channel"
)

func main() {
	cfg, err := parseArgs(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2) // the flag package has said what is wrong
	}
	conn, err := net.DialTimeout("tcp", cfg.addr, cfg.timeout)
	if err != nil {
		log.Fatalf("echoclient: %v", err)
	}
	// Exchange has no timeout of its own (lesson 06 gives it a context).
	// A deadline on the connection turns a silent server into an error
	// instead of a client that waits forever.
	conn.SetDeadline(time.Now().Add(cfg.timeout))
	replies, err := echo.Exchange(conn, cfg.lines)
	for _, r := range replies {
		fmt.Println(r)
	}
	if err != nil {
		log.Fatalf("echoclient: %d of %d replies, then: %v", len(replies), len(cfg.lines), err)
	}
}

// config is what the command line asks for.
type config struct {
	addr    string
	lines   []string
	timeout time.Duration
}

// parseArgs works out the config from the command line, and says what is
// wrong with it on stderr. The default server is on this machine: reaching
// out to the network is something to ask for.
func parseArgs(args []string, stderr io.Writer) (config, error) {
	flags := flag.NewFlagSet("echoclient", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "127.0.0.1:7007", "the echo server's `host:port`")
	n := flags.Int("n", 10, "how many `lines` to send")
	timeout := flags.Duration("timeout", 10*time.Second, "give up on the server after this long")
	if err := flags.Parse(args); err != nil {
		return config{}, err
	}
	if *n < 0 || flags.NArg() > 0 {
		err := errors.New("-n must be 0 or more, and there are no other arguments")
		fmt.Fprintln(flags.Output(), err)
		flags.Usage()
		return config{}, err
	}
	cfg := config{addr: *addr, timeout: *timeout}
	for i := 1; i <= *n; i++ {
		cfg.lines = append(cfg.lines, fmt.Sprintf("line %d of %d", i, *n))
	}
	return cfg, nil
}
