package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"example.com/echo-workbook/tools/internal/bench"
	"example.com/echo-workbook/tools/internal/cli"
)

// runBench puts the reference servers side by side under lesson 10's
// load generator (make bench). It is not part of verify: it measures,
// on the real clock, and judges nothing.
func runBench(ctx context.Context, args []string) int {
	fs := cli.Flags("bench")
	o := bench.Options{Out: os.Stdout}
	fs.IntVar(&o.Runs, "runs", 3, "each load this many times on each server; the median is reported")
	conns := fs.String("conns", "1,64", "round trips on this many connections, then on this many: a load with each")
	fs.IntVar(&o.Trips, "trips", 64000, "round trips in all in each of those loads, shared among its connections")
	fs.IntVar(&o.StreamConns, "stream-conns", 4, "connections for streaming")
	fs.IntVar(&o.StreamMB, "stream", 64, "megabytes each way on each of them")
	fs.IntVar(&o.Idle, "idle", 5000, "idle connections held, for the memory each one costs the server")
	if cli.Parse(fs, args) != nil {
		return 2
	}
	for _, f := range strings.Split(*conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fail("bench", fmt.Errorf("-conns %q: want numbers of connections, as in 1,64", *conns))
		}
		o.Conns = append(o.Conns, n)
	}
	vo, err := options(nil)
	if err != nil {
		return fail("bench", err)
	}
	o.Root, o.All = vo.Root, vo.All
	if err := bench.Run(ctx, o); err != nil {
		return fail("bench", err)
	}
	return 0
}
