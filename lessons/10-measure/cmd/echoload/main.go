// Command echoload loads an echo server with this lesson's load
// generator, and says what it measured:
//
//	go run ./cmd/echoserver                           (one terminal; or make lesson-10 run)
//	go run ./cmd/echoload                             (another: round trips, then streaming)
//	go run ./cmd/echoload -rounds 0 -stream 0 -idle 1000 -hold 30s
//
// Three loads, each skipped when its flag is 0: -rounds round trips of a
// -msg byte message on each of -conns connections (round trips a second,
// latency percentiles); -stream megabytes each way on each of
// -stream-conns connections (MB/s); -idle connections held open and quiet
// for -hold (0: until Ctrl-C). -json prints one JSON object per load
// (make bench reads them).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	echo "example.com/echo-workbook/lessons/10-measure"
)

// A config is what the command line asks for.
type config struct {
	addr        string
	conns       int
	rounds      int
	msg         int
	streamConns int
	stream      int // megabytes each way, per connection
	idle        int
	hold        time.Duration
	json        bool
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		log.Fatalf("echoload: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		log.Fatalf("echoload: %v", err)
	}
}

// run puts each load asked for on the server at cfg.addr, in turn, and
// prints what it measured.
func run(ctx context.Context, cfg config, out *os.File) error {
	dial := echo.TCP(cfg.addr)
	say := func(human string, fields map[string]any) {
		if cfg.json {
			b, _ := json.Marshal(fields)
			fmt.Fprintf(out, "%s\n", b)
			return
		}
		fmt.Fprintln(out, human)
	}
	if cfg.rounds > 0 {
		start := time.Now()
		samples, err := echo.PingPong(ctx, dial, cfg.conns, cfg.rounds, make([]byte, cfg.msg))
		if err != nil {
			return fmt.Errorf("round trips: %w", err)
		}
		elapsed := time.Since(start) // the dials too: a few, against thousands of round trips
		perSecond := float64(len(samples)) / elapsed.Seconds()
		p := func(q float64) time.Duration { return echo.Percentile(samples, q) }
		say(fmt.Sprintf("round trips: %d in %v on %d connections: %.0f/s; latency p50 %v, p90 %v, p99 %v, max %v",
			len(samples), elapsed.Round(time.Millisecond), cfg.conns, perSecond, p(50), p(90), p(99), p(100)),
			map[string]any{"load": "pingpong", "conns": cfg.conns, "roundTrips": len(samples), "seconds": elapsed.Seconds(),
				"perSecond": perSecond, "p50us": p(50).Microseconds(), "p90us": p(90).Microseconds(),
				"p99us": p(99).Microseconds(), "maxus": p(100).Microseconds()})
	}
	if cfg.stream > 0 {
		tp, err := echo.Stream(ctx, dial, cfg.streamConns, int64(cfg.stream)*1e6)
		if err != nil {
			return fmt.Errorf("streaming: %w", err)
		}
		say(fmt.Sprintf("streaming: %d MB echoed in %v on %d connections: %.1f MB/s",
			tp.Bytes/1e6, tp.Elapsed.Round(time.Millisecond), cfg.streamConns, tp.MBps()),
			map[string]any{"load": "stream", "conns": cfg.streamConns, "bytes": tp.Bytes, "seconds": tp.Elapsed.Seconds(), "mbps": tp.MBps()})
	}
	if cfg.idle > 0 {
		release, err := echo.Hold(ctx, dial, cfg.idle)
		if err != nil {
			return fmt.Errorf("idle connections: %w", err)
		}
		defer release()
		until := "Ctrl-C"
		if cfg.hold > 0 {
			until = cfg.hold.String()
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, cfg.hold)
			defer cancel()
		}
		say(fmt.Sprintf("idle: %d connections open and quiet, until %s", cfg.idle, until),
			map[string]any{"load": "idle", "conns": cfg.idle, "held": true})
		<-ctx.Done()
	}
	return nil
}

// parseFlags reads the command line.
func parseFlags(args []string) (config, error) {
	var cfg config
	flags := flag.NewFlagSet("echoload", flag.ContinueOnError)
	flags.StringVar(&cfg.addr, "addr", "127.0.0.1:7007", "the server's `host:port`")
	port := flags.String("port", "", "the server's `port`, keeping the host from -addr")
	flags.IntVar(&cfg.conns, "conns", 8, "connections for the round trips")
	flags.IntVar(&cfg.rounds, "rounds", 2000, "round trips on each connection (0: none)")
	flags.IntVar(&cfg.msg, "msg", 64, "bytes in each round trip's message")
	flags.IntVar(&cfg.streamConns, "stream-conns", 4, "connections for streaming")
	flags.IntVar(&cfg.stream, "stream", 16, "megabytes streamed each way on each connection (0: none)")
	flags.IntVar(&cfg.idle, "idle", 0, "idle connections to open and hold (0: none)")
	flags.DurationVar(&cfg.hold, "hold", 0, "how long to hold the idle connections (0: until Ctrl-C)")
	flags.BoolVar(&cfg.json, "json", false, "print one JSON object per load")
	if err := flags.Parse(args); err != nil {
		return config{}, err
	}
	if cfg.conns < 1 || cfg.streamConns < 1 || cfg.msg < 1 {
		return config{}, fmt.Errorf("-conns, -stream-conns and -msg must be at least 1")
	}
	if *port != "" {
		host, _, err := net.SplitHostPort(cfg.addr)
		if err != nil {
			return config{}, fmt.Errorf("-addr %q: %w", cfg.addr, err)
		}
		// Not host+":"+port: an IPv6 host such as ::1 needs brackets.
		cfg.addr = net.JoinHostPort(host, *port)
	}
	return cfg, nil
}
