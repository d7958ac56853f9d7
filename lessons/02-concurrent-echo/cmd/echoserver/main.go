// Command echoserver runs this lesson's echo server, so you can talk to it:
//
//	go run ./cmd/echoserver          (or: make lesson-01 run)
//	nc 127.0.0.1 7007                (in another terminal; type, see it back)
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	echo "example.com/echo-workbook/lessons/02-concurrent-echo"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7007",
		"`host:port` to listen on; the default answers this machine only, -addr :7007 opens it to the network")
	port := flag.String("port", "", "listen on this `port`, keeping the host from -addr")
	flag.Parse()
	if *port != "" {
		host, _, err := net.SplitHostPort(*addr)
		if err != nil {
			log.Fatalf("echoserver: -addr %q: %v", *addr, err)
		}
		// Not host+":"+port: an IPv6 host such as ::1 needs brackets.
		*addr = net.JoinHostPort(host, *port)
	}
	l, err := net.Listen("tcp", *addr)
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

	host, p, _ := net.SplitHostPort(l.Addr().String())
	log.Printf("echoserver: listening on %s; try: nc %s %s", l.Addr(), host, p)
	if err := echo.Serve(l); err != nil {
		log.Fatalf("echoserver: %v", err)
	}
}
