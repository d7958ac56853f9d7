package echo

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// A Dialer opens one connection to the server under load. TCP(addr) is
// the real one; the tests hand in their own, on a fake clock.
type Dialer func(ctx context.Context) (net.Conn, error)

// TCP is the Dialer for a server at addr.
func TCP(addr string) Dialer {
	var d net.Dialer
	return func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
}

// closeAll closes every connection in conns.
func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// Percentile returns the p-th percentile of samples (0 <= p <= 100), by
// the nearest-rank method: the smallest sample that at least p percent of
// the samples are less than or equal to. Percentile 0 is the smallest
// sample, 100 the largest; no samples give 0. samples is left as it was.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	// Sort a copy: the caller's samples are in the order they were taken,
	// and may be asked for another percentile next.
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	// The rank counts from 1: p percent of n samples, rounded up.
	rank := int(math.Ceil(p * float64(len(sorted)) / 100))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Throughput is what Stream measured: Bytes echoed back in Elapsed.
type Throughput struct {
	Bytes   int64
	Elapsed time.Duration
}

// MBps is the throughput in megabytes per second (a megabyte is 1,000,000
// bytes, as network speeds count them), or 0 when nothing was timed.
func (t Throughput) MBps() float64 {
	if t.Elapsed <= 0 {
		return 0
	}
	return float64(t.Bytes) / 1e6 / t.Elapsed.Seconds()
}

// dialAll opens n connections with dial, one after another. If one fails,
// it closes those already open and returns the error, saying which one.
func dialAll(ctx context.Context, dial Dialer, n int) ([]net.Conn, error) {
	conns := make([]net.Conn, 0, n)
	for i := range n {
		c, err := dial(ctx)
		if err != nil {
			// A load generator that leaks a socket per failure runs out of
			// them in the middle of the next measurement.
			closeAll(conns)
			return nil, fmt.Errorf("connection %d of %d: %w", i+1, n, err)
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// Hold opens n connections and leaves them idle: not a byte sent, each
// one a client that is connected and quiet. It returns a function that
// closes them all. If a dial fails, it closes those it opened and returns
// the error.
func Hold(ctx context.Context, dial Dialer, n int) (release func(), err error) {
	conns, err := dialAll(ctx, dial, n)
	if err != nil {
		return nil, err
	}
	return func() { closeAll(conns) }, nil
}

// PingPong opens conns connections, then, on all of them at once, sends
// msg and waits for its whole echo, rounds times on each. It returns how
// long each round trip took (conns*rounds of them), timed from just
// before the write to the last byte of the echo: never the dial. The
// first error stops every connection and is returned; so is ctx's. Every
// connection is closed when it returns.
func PingPong(ctx context.Context, dial Dialer, conns, rounds int, msg []byte) ([]time.Duration, error) {
	cs, err := dialAll(ctx, dial, conns)
	if err != nil {
		return nil, err
	}
	defer closeAll(cs)
	// The first error cancels ctx, and closing the connections is what
	// wakes the others from a Read that would never end.
	g, ctx := errgroup.WithContext(ctx)
	stop := context.AfterFunc(ctx, func() { closeAll(cs) })
	defer stop()

	var mu sync.Mutex
	samples := make([]time.Duration, 0, conns*rounds)
	for _, c := range cs {
		g.Go(func() error {
			echo := make([]byte, len(msg))
			mine := make([]time.Duration, 0, rounds)
			for range rounds {
				start := time.Now()
				if _, err := c.Write(msg); err != nil {
					return err
				}
				// The echo may come in pieces: one Read is not the round trip.
				if _, err := io.ReadFull(c, echo); err != nil {
					return err
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			samples = append(samples, mine...)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return samples, nil
}

// Stream opens conns connections, then, on all of them at once, writes
// size bytes and reads their echo back, at the same time: the server
// echoes as it reads, and would stop reading once its echo has nowhere to
// go. Elapsed runs from when every connection is open to the last byte
// back; Bytes counts the bytes echoed back, conns*size when all is well.
// The first error stops every connection and is returned. Every
// connection is closed when it returns.
func Stream(ctx context.Context, dial Dialer, conns int, size int64) (Throughput, error) {
	cs, err := dialAll(ctx, dial, conns)
	if err != nil {
		return Throughput{}, err
	}
	defer closeAll(cs)
	g, ctx := errgroup.WithContext(ctx)
	stop := context.AfterFunc(ctx, func() { closeAll(cs) })
	defer stop()

	chunk := make([]byte, 32<<10) // only read, so every writer can share it
	var mu sync.Mutex
	var got int64
	start := time.Now()
	for _, c := range cs {
		g.Go(func() error {
			for sent := int64(0); sent < size; {
				n, err := c.Write(chunk[:min(int64(len(chunk)), size-sent)])
				sent += int64(n)
				if err != nil {
					return err
				}
			}
			return nil
		})
		g.Go(func() error {
			n, err := io.CopyN(io.Discard, c, size)
			mu.Lock()
			got += n
			mu.Unlock()
			if err == io.EOF {
				return fmt.Errorf("the echo ended after %d of %d bytes", n, size)
			}
			return err
		})
	}
	err = g.Wait()
	return Throughput{Bytes: got, Elapsed: time.Since(start)}, err
}
