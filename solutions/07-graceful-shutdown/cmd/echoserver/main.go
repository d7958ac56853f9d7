// Command echoserver runs this lesson's echo server, so you can talk to it
// and then stop it, gracefully:
//
//	go run ./cmd/echoserver          (or: make lesson-07 run)
//	nc 127.0.0.1 7007                (in another terminal; type, see it back)
//
// Ctrl-C (or SIGTERM, as from a service manager) starts a graceful
// shutdown: no new clients; the connected ones get the echo of what they
// sent, then the server closes them. Clients that take longer than the
// -drain deadline are cut off. A second Ctrl-C cuts them off at once.
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

	echo "example.com/echo-workbook/solutions/07-graceful-shutdown"
)

func main() {
	addr, drain, err := parseFlags(os.Args[1:])
	if err != nil {
		log.Fatalf("echoserver: %v", err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatalf("echoserver: %v", err)
	}
	// Room for two: the second signal must not be lost while the first is
	// being handled.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)

	host, port, _ := net.SplitHostPort(l.Addr().String())
	log.Printf("echoserver: listening on %s; try: nc %s %s", l.Addr(), host, port)
	if err := run(&echo.Server{}, l, sigs, drain); err != nil {
		log.Fatalf("echoserver: %v", err)
	}
}

// errServerClosed is what Serve returns once Shutdown has been called.
var errServerClosed = echo.ErrServerClosed

// A server is what run needs of echo.Server (a test gives it a fake).
type server interface {
	Serve(l net.Listener) error
	Shutdown(ctx context.Context) error
}

// run serves l until the first signal on sigs, then shuts srv down
// gracefully, waiting at most drain for its clients to finish. A second
// signal ends the wait at once. It returns once Shutdown has.
func run(srv server, l net.Listener, sigs <-chan os.Signal, drain time.Duration) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		return err // Serve stopped by itself: no one asked
	case sig := <-sigs:
		log.Printf("echoserver: %v: stopping; clients have %v to finish (again to stop now)", sig, drain)
	}

	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	go func() {
		select {
		case <-sigs:
			log.Print("echoserver: stopping now")
			cancel()
		case <-ctx.Done(): // drained, or out of time: this goroutine ends too
		}
	}()
	err := srv.Shutdown(ctx)
	if serr := <-served; !errors.Is(serr, errServerClosed) {
		return serr
	}
	if err != nil {
		log.Printf("echoserver: stopped: %v; the clients left were cut off", err)
		return nil
	}
	log.Print("echoserver: stopped: every client had its echo, every handler done")
	return nil
}

// parseFlags works out the address to listen on and the drain deadline
// from the command line. The default address answers this machine only: a
// server open to the network is something to ask for, not something to
// get by surprise.
func parseFlags(args []string) (addr string, drain time.Duration, err error) {
	flags := flag.NewFlagSet("echoserver", flag.ContinueOnError)
	flags.StringVar(&addr, "addr", "127.0.0.1:7007", "`host:port` to listen on; -addr :7007 listens on every interface")
	port := flags.String("port", "", "listen on this `port`, keeping the host from -addr")
	flags.DurationVar(&drain, "drain", 10*time.Second, "how long clients have to finish once a shutdown begins")
	if err := flags.Parse(args); err != nil {
		return "", 0, err
	}
	if *port == "" {
		return addr, drain, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("-addr %q: %w", addr, err)
	}
	// Not host+":"+port: an IPv6 host such as ::1 needs brackets.
	return net.JoinHostPort(host, *port), drain, nil
}
