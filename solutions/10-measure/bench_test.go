package echo

import (
	"io"
	"net"
	"testing"
	"time"
)

// The benchmarks: what this lesson measures on the real clock, for you to
// read, never for a test to judge (README: go test -bench, and pprof).

// BenchmarkHandle echoes 64 KiB, in 16 Reads of 4 KiB, on a connection
// with no network under it: handle's own cost, its allocations included
// (-benchmem).
func BenchmarkHandle(b *testing.B) {
	c := newScriptConn(16, 4096)
	b.SetBytes(int64(len(c.want)))
	b.ReportAllocs()
	for b.Loop() {
		c.rewind()
		handle(c)
	}
}

// BenchmarkServe echoes 64 KiB through Serve over loopback TCP, on one
// connection, with a client of the test's own: the server's cost with
// its system calls. Profile it: go test -run '^$' -bench Serve -cpuprofile cpu.out
func BenchmarkServe(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	go Serve(l)
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg, echo := randomBytes(64<<10), make([]byte, 64<<10)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		go c.Write(msg) // while the echo comes back: the server writes as it reads
		if _, err := io.ReadFull(c, echo); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPingPong is your load generator against Serve over loopback:
// b.N round trips on 8 connections, with their latency percentiles.
func BenchmarkPingPong(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	go Serve(l)
	samples, err := PingPong(b.Context(), TCP(l.Addr().String()), 8, max(b.N/8, 1), []byte("ping\n"))
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range []float64{50, 99} {
		b.ReportMetric(float64(Percentile(samples, p))/float64(time.Microsecond), "p"+map[float64]string{50: "50", 99: "99"}[p]+"-µs")
	}
}
