// Command echoserver runs this lesson's echo server, so you can talk to it
// and then stop it:
//
//	go run ./cmd/echoserver          (or: make lesson-06 run)
//	nc 127.0.0.1 7007                (in another terminal; type, see it back)
//
// Ctrl-C cancels Serve's context: the server closes its listener and every
// connection, waits for its handlers, and exits.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	echo "example.com/echo-workbook/solutions/06-cancellation"
)

func main() {
	addr, err := listenAddress(os.Args[1:])
	if err != nil {
		log.Fatalf("echoserver: %v", err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatalf("echoserver: %v", err)
	}

	// The first Ctrl-C cancels ctx, and Serve stops everything it started.
	// stop() restores the default, so a second Ctrl-C quits at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopping := make(chan struct{})
	context.AfterFunc(ctx, func() {
		stop()
		// The cause says what stopped us: "interrupt signal received".
		log.Printf("echoserver: stopping: %v (Ctrl-C again to quit now)", context.Cause(ctx))
		close(stopping)
	})

	host, port, _ := net.SplitHostPort(l.Addr().String())
	log.Printf("echoserver: listening on %s; try: nc %s %s", l.Addr(), host, port)
	if err := echo.Serve(ctx, l); err != nil {
		log.Fatalf("echoserver: %v", err)
	}
	if ctx.Err() == nil {
		log.Fatal("echoserver: Serve returned, yet no one asked it to stop")
	}
	<-stopping // the line above comes first in the log
	log.Print("echoserver: stopped: every connection closed, every handler done")
}

// listenAddress works out the address to listen on from the command line.
// The default answers this machine only: a server open to the network is
// something to ask for, not something to get by surprise.
func listenAddress(args []string) (string, error) {
	flags := flag.NewFlagSet("echoserver", flag.ContinueOnError)
	addr := flags.String("addr", "127.0.0.1:7007", "`host:port` to listen on; -addr :7007 listens on every interface")
	port := flags.String("port", "", "listen on this `port`, keeping the host from -addr")
	if err := flags.Parse(args); err != nil {
		return "", err
	}
	if *port == "" {
		return *addr, nil
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return "", fmt.Errorf("-addr %q: %w", *addr, err)
	}
	// Not host+":"+port: an IPv6 host such as ::1 needs brackets.
	return net.JoinHostPort(host, *port), nil
}
