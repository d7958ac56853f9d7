package echo

import (
	"context"
	"errors"
	"net"
	"time"
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
	// TODO: sort a copy of samples; the rank is p percent of the number of
	// samples, rounded up (math.Ceil), counting from 1.
	return 0
}

// Throughput is what Stream measured: Bytes echoed back in Elapsed.
type Throughput struct {
	Bytes   int64
	Elapsed time.Duration
}

// MBps is the throughput in megabytes per second (a megabyte is 1,000,000
// bytes, as network speeds count them), or 0 when nothing was timed.
func (t Throughput) MBps() float64 {
	// TODO: bytes, in megabytes, divided by the time, in seconds.
	return 0
}

// dialAll opens n connections with dial, one after another. If one fails,
// it closes those already open and returns the error, saying which one.
func dialAll(ctx context.Context, dial Dialer, n int) ([]net.Conn, error) {
	// TODO: dial n times; on an error, closeAll what is open, and wrap
	// the error with %w.
	return nil, errors.New("not implemented yet: write dialAll in load.go")
}

// Hold opens n connections and leaves them idle: not a byte sent, each
// one a client that is connected and quiet. It returns a function that
// closes them all. If a dial fails, it closes those it opened and returns
// the error.
func Hold(ctx context.Context, dial Dialer, n int) (release func(), err error) {
	// TODO: dialAll, and a function that closes what it opened.
	return nil, errors.New("not implemented yet: write Hold in load.go")
}

// PingPong opens conns connections, then, on all of them at once, sends
// msg and waits for its whole echo, rounds times on each. It returns how
// long each round trip took (conns*rounds of them), timed from just
// before the write to the last byte of the echo: never the dial. The
// first error stops every connection and is returned; so is ctx's. Every
// connection is closed when it returns.
func PingPong(ctx context.Context, dial Dialer, conns, rounds int, msg []byte) ([]time.Duration, error) {
	// TODO: dialAll first. Then a goroutine per connection (lesson 05's
	// errgroup.WithContext), each timing its rounds: time.Now() before the
	// Write, time.Since after io.ReadFull of the echo. Collect the samples
	// under a lock. When the group's ctx ends (an error, or the caller's
	// ctx), close every connection: context.AfterFunc. Close them all
	// before returning, whatever happened.
	return nil, errors.New("not implemented yet: write PingPong in load.go")
}

// Stream opens conns connections, then, on all of them at once, writes
// size bytes and reads their echo back, at the same time: the server
// echoes as it reads, and would stop reading once its echo has nowhere to
// go. Elapsed runs from when every connection is open to the last byte
// back; Bytes counts the bytes echoed back, conns*size when all is well.
// The first error stops every connection and is returned. Every
// connection is closed when it returns.
func Stream(ctx context.Context, dial Dialer, conns int, size int64) (Throughput, error) {
	// TODO: dialAll first, then start the clock. Per connection, two
	// goroutines: one writes size bytes (a buffer of 32 KiB, again and
	// again), one reads size bytes back (io.CopyN to io.Discard) and adds
	// them to Bytes. An echo that ends early is an error. As in PingPong:
	// the first error closes every connection.
	return Throughput{}, errors.New("not implemented yet: write Stream in load.go")
}
