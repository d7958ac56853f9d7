// Command echoserver runs this lesson's echo server, so you can load it
// with echoload and profile it:
//
//	go run ./cmd/echoserver -cpuprofile cpu.out    (or: make lesson-10 run ARGS='-cpuprofile cpu.out')
//	go run ./cmd/echoload -stream 4                (in another terminal)
//	go tool pprof -top cpu.out                     (once Ctrl-C has stopped the server)
//
// Ctrl-C closes the listener, which is how Serve is told to stop; the CPU
// profile, if asked for, covers the whole run and is written then.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	echo "example.com/echo-workbook/solutions/10-measure"
)

func main() {
	addr, profile, err := parseFlags(os.Args[1:])
	if err != nil {
		log.Fatalf("echoserver: %v", err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatalf("echoserver: %v", err)
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			log.Fatalf("echoserver: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatalf("echoserver: %v", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
			log.Printf("echoserver: CPU profile written to %s; read it with: go tool pprof -top %s", profile, profile)
		}()
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
	log.Printf("echoserver: listening on %s; try: nc %s %s", l.Addr(), host, port)
	if err := echo.Serve(l); err != nil {
		log.Printf("echoserver: %v", err)
	}
}

// parseFlags works out the address to listen on, and where to write a
// CPU profile, from the command line. The default address answers this
// machine only.
func parseFlags(args []string) (addr, profile string, err error) {
	flags := flag.NewFlagSet("echoserver", flag.ContinueOnError)
	flags.StringVar(&addr, "addr", "127.0.0.1:7007", "`host:port` to listen on; -addr :7007 listens on every interface")
	port := flags.String("port", "", "listen on this `port`, keeping the host from -addr")
	flags.StringVar(&profile, "cpuprofile", "", "write a CPU profile of the whole run to this `file` (read it with go tool pprof)")
	if err := flags.Parse(args); err != nil {
		return "", "", err
	}
	if *port == "" {
		return addr, profile, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("-addr %q: %w", addr, err)
	}
	// Not host+":"+port: an IPv6 host such as ::1 needs brackets.
	return net.JoinHostPort(host, *port), profile, nil
}
