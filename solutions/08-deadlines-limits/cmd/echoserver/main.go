// Command echoserver runs this lesson's echo server, with its limits, so
// you can talk to it and see them at work:
//
//	go run ./cmd/echoserver -idle 10s          (or: make lesson-08 run ARGS='-idle 10s')
//	nc 127.0.0.1 7007                          (in another terminal; type, then stop typing)
//
// A client silent for -idle is disconnected; one that takes none of its
// echo for -idle plus -write is cut off; beyond -max-conns clients at
// once, the next one is refused (its connection closed at once).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	echo "example.com/echo-workbook/solutions/08-deadlines-limits"
)

func main() {
	addr, lim, err := parseFlags(os.Args[1:])
	if err != nil {
		log.Fatalf("echoserver: %v", err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatalf("echoserver: %v", err)
	}

	// The first Ctrl-C closes the listener, which is how Serve is told to
	// stop; stop() restores the default, so a second Ctrl-C quits at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, func() {
		stop()
		log.Print("echoserver: stopping (Ctrl-C again to quit now)")
		l.Close()
	})

	host, port, _ := net.SplitHostPort(l.Addr().String())
	log.Printf("echoserver: listening on %s (idle %v, write %v, at most %d clients); try: nc %s %s",
		l.Addr(), lim.Idle, lim.Write, lim.MaxConns, host, port)
	if err := echo.Serve(l, lim); err != nil {
		log.Fatalf("echoserver: %v", err)
	}
}

// parseFlags works out the address to listen on and the limits from the
// command line. The default address answers this machine only: a server
// open to the network is something to ask for, not something to get by
// surprise.
func parseFlags(args []string) (string, echo.Limits, error) {
	flags := flag.NewFlagSet("echoserver", flag.ContinueOnError)
	addr := flags.String("addr", "127.0.0.1:7007", "`host:port` to listen on; -addr :7007 listens on every interface")
	port := flags.String("port", "", "listen on this `port`, keeping the host from -addr")
	var lim echo.Limits
	flags.DurationVar(&lim.Idle, "idle", time.Minute, "disconnect a client silent this long")
	flags.DurationVar(&lim.Write, "write", 10*time.Second, "cut off a client that takes none of its echo for -idle plus this")
	flags.IntVar(&lim.MaxConns, "max-conns", 1000, "serve at most this many clients at once; refuse the next")
	if err := flags.Parse(args); err != nil {
		return "", lim, err
	}
	if lim.Idle <= 0 || lim.Write <= 0 || lim.MaxConns <= 0 {
		return "", lim, errors.New("-idle, -write and -max-conns must be more than 0")
	}
	if *port == "" {
		return *addr, lim, nil
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return "", lim, fmt.Errorf("-addr %q: %w", *addr, err)
	}
	// Not host+":"+port: an IPv6 host such as ::1 needs brackets.
	return net.JoinHostPort(host, *port), lim, nil
}
