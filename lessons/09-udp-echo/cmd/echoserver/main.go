// Command echoserver runs this lesson's UDP echo server, so you can talk to it:
//
//	go run ./cmd/echoserver          (or: make lesson-09 run)
//	nc -u 127.0.0.1 7007             (in another terminal; each line is a datagram)
//
// Ctrl-C closes the socket, which is how Serve is told to stop.
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

	echo "example.com/echo-workbook/lessons/09-udp-echo"
	"golang.org/x/time/rate"
)

func main() {
	addr, srv, err := parseFlags(os.Args[1:])
	if err != nil {
		log.Fatalf("echoserver: %v", err)
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		log.Fatalf("echoserver: %v", err)
	}

	// The first Ctrl-C closes the socket, and Serve returns; stop()
	// restores the default, so a second Ctrl-C quits at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, func() {
		stop()
		log.Print("echoserver: stopping")
		pc.Close()
	})

	host, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	log.Printf("echoserver: UDP on %s, %v datagrams/s per source (burst %d), %d sources at most; try: nc -u %s %s",
		pc.LocalAddr(), srv.Rate, srv.Burst, srv.MaxSources, host, port)
	if err := srv.Serve(pc); err != nil {
		log.Fatalf("echoserver: %v", err)
	}
}

// parseFlags works out the address and the limits from the command line.
// The default address answers this machine only: an open UDP echo service
// on the internet is what this lesson warns about.
func parseFlags(args []string) (string, *echo.Server, error) {
	flags := flag.NewFlagSet("echoserver", flag.ContinueOnError)
	addr := flags.String("addr", "127.0.0.1:7007", "`host:port` to listen on; -addr :7007 listens on every interface")
	port := flags.String("port", "", "listen on this `port`, keeping the host from -addr")
	perSecond := flags.Float64("rate", 10, "datagrams per second echoed to one source address")
	burst := flags.Int("burst", 20, "datagrams in a row one source address may get at once")
	sources := flags.Int("sources", 10000, "source addresses remembered at once, at most")
	if err := flags.Parse(args); err != nil {
		return "", nil, err
	}
	srv := &echo.Server{Rate: rate.Limit(*perSecond), Burst: *burst, MaxSources: *sources}
	if *port == "" {
		return *addr, srv, nil
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return "", nil, fmt.Errorf("-addr %q: %w", *addr, err)
	}
	// Not host+":"+port: an IPv6 host such as ::1 needs brackets.
	return net.JoinHostPort(host, *port), srv, nil
}
