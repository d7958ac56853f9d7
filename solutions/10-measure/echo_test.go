package echo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The load generator's tests run on a fake clock (a synctest bubble) and a
// fake server behind a fake Dialer: a dial takes exactly dialTime, an echo
// exactly what its plan sleeps, so every latency and every throughput is
// known to the nanosecond. The server's tests count: Writes, allocations,
// goroutines. No test here times anything on the real clock: speed is for
// you to measure (go test -bench, README), never for a test to assert.

func TestPercentileOfGivenSamples(t *testing.T) {
	noteTest(t) // a panic or exit fails this test by name (kit_exit_test.go)
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	// Ten samples, out of order: sorted, they are 1ms … 10ms.
	ten := ms(7, 3, 10, 1, 9, 2, 8, 4, 6, 5)
	seven := ms(4, 7, 1, 6, 2, 5, 3)
	// A thousand, 1µs … 1000µs, out of order (7 and 1000 share no factor).
	thousand := make([]time.Duration, 1000)
	for i := range thousand {
		thousand[i] = time.Duration(i*7%1000+1) * time.Microsecond
	}
	for _, tc := range []struct {
		samples []time.Duration
		p       float64
		want    time.Duration
		why     string
	}{
		{ten, 50, 5 * time.Millisecond, "5 of the 10 samples are <= 5ms"},
		{ten, 90, 9 * time.Millisecond, "9 of the 10 are <= 9ms"},
		{ten, 99, 10 * time.Millisecond, "99% of 10 samples is 9.9 of them: rounded up, all 10"},
		{ten, 100, 10 * time.Millisecond, "the largest"},
		{ten, 0, 1 * time.Millisecond, "the smallest"},
		{ten, 25, 3 * time.Millisecond, "25% of 10 is 2.5 samples: rounded up, the 3rd"},
		{ms(42), 50, 42 * time.Millisecond, "one sample is every percentile"},
		{ms(30, 10, 20), 50, 20 * time.Millisecond, "the middle one of three"},
		{seven, 90, 7 * time.Millisecond, "90% of 7 samples is 6.3 of them: rounded up (not to the nearest), the 7th"},
		{thousand, 99.9, 999 * time.Microsecond, "99.9% of 1000 samples is 999 of them: p is a float64, 99.9 is not 99"},
		{nil, 50, 0, "no samples, no latency"},
	} {
		before := slices.Clone(tc.samples)
		got, panicked := percentile(tc.samples, tc.p)
		switch {
		case panicked != "":
			empty := ""
			if len(tc.samples) == 0 {
				empty = " With no samples there is no latency to report: return 0."
			}
			t.Fatalf("Percentile(%v, %v) panicked: %s.%s The rank of p%v among n samples is p*n/100 rounded up, "+
				"counting from 1: the sample at index rank-1 of the sorted copy, never below 0 nor past n-1.",
				fewSamples(tc.samples), tc.p, panicked, empty, tc.p)
		case got != tc.want:
			t.Fatalf("Percentile(%v, %v) = %v, want %v (%s). %s", fewSamples(tc.samples), tc.p, got, tc.want, tc.why, percentileHint(tc.samples, tc.p, got))
		case !slices.Equal(tc.samples, before):
			t.Fatalf("Percentile(%v, %v) left the caller's samples as %v: it sorted them in place. The caller keeps "+
				"them in the order they were taken: sort a copy (slices.Clone, then slices.Sort).", fewSamples(before), tc.p, fewSamples(tc.samples))
		}
	}
}

func TestMBpsCountsMegabytesPerSecond(t *testing.T) {
	noteTest(t) // a panic or exit fails this test by name (kit_exit_test.go)
	for _, tc := range []struct {
		tp   Throughput
		want float64
	}{
		{Throughput{Bytes: 5_000_000, Elapsed: 2 * time.Second}, 2.5},
		{Throughput{Bytes: 1 << 20, Elapsed: time.Second}, 1.048576}, // a MiB is a little more than a MB
		{Throughput{Bytes: 300_000, Elapsed: 100 * time.Millisecond}, 3},
		{Throughput{Bytes: 0, Elapsed: time.Second}, 0},
		{Throughput{Bytes: 1000, Elapsed: 0}, 0}, // nothing timed: no speed, not +Inf
	} {
		got := tc.tp.MBps()
		if d := got - tc.want; d > 1e-9 || d < -1e-9 {
			t.Fatalf("Throughput{Bytes: %d, Elapsed: %v}.MBps() = %v, want %v: %s", tc.tp.Bytes, tc.tp.Elapsed, got, tc.want, units(got, tc.want))
		}
	}
}

func TestPingPongTimesEachRoundTripNotTheDial(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		msg := []byte("ping, a message of 32 bytes ok\n")
		// Each dial takes 100ms. The server takes 1ms to take a message in
		// (the Write returns only then, as a real one does when the socket's
		// buffer is full); the echo comes in two halves, 1ms and 3ms after
		// that: a round trip is 4ms, always.
		f := startLoad(t, dialPlan{took: 100 * time.Millisecond}, echoInPieces(len(msg), time.Millisecond, time.Millisecond, 2*time.Millisecond))
		samples, err := finish(t, f, "PingPong", func() ([]time.Duration, error) {
			return PingPong(t.Context(), f.dial, 3, 5, msg)
		})
		unread, halfRead := f.unread(len(msg))
		if n := unread; n > 0 {
			t.Fatalf("PingPong returned %s, after the test's server could not write an echo for 1s on %s: no one "+
				"read it, while PingPong wrote its next message (or waited for something else). A round trip is "+
				"one message, then its whole echo, then the next message: sending the next before the echo is "+
				"back is a pipeline, and its samples time the queue, not the round trip.",
				errText(err), count(n, "connection", "connections"))
		}
		if n := halfRead; n > 0 {
			t.Fatalf("PingPong returned %s, after the test's server could not write the second half of an echo for "+
				"1s on %s: no one read it. PingPong stopped at the first piece of the echo and moved on. One Read is "+
				"not the whole echo: io.ReadFull(conn, buf) with len(buf) == len(msg).", errText(err), count(n, "connection", "connections"))
		}
		if err != nil {
			t.Fatalf("PingPong(3 connections, 5 rounds) returned %v; the test's server echoes every message, whole", err)
		}
		if len(samples) != 15 {
			t.Fatalf("PingPong(3 connections, 5 rounds) returned %s, want 15: one for each round trip on each connection "+
				"(it dialed %s; samples: %v)", count(len(samples), "sample", "samples"), count(len(f.p.dialed()), "connection", "connections"), samples)
		}
		for _, d := range samples {
			switch {
			case d == 4*time.Millisecond:
				continue
			case d == 2*time.Millisecond:
				t.Fatalf("PingPong measured a round trip of 2ms, where the echo's first half comes 2ms after the Write "+
					"began and the second 2ms later (samples: %v): it stopped the clock at the first piece of the echo. "+
					"One Read is not the whole echo: io.ReadFull(conn, buf) with len(buf) == len(msg).", samples)
			case d == 3*time.Millisecond:
				t.Fatalf("PingPong measured a round trip of 3ms, where the test's server took 1ms to take the message "+
					"in (the Write returned only then) and echoed it 3ms later (samples: %v): its clock started after "+
					"the Write. A Write waits when the server is slow to read: that wait is part of the round trip. "+
					"Take time.Now() just before the Write.", samples)
			case d >= 100*time.Millisecond:
				t.Fatalf("PingPong measured a round trip of %v, where each echo takes 4ms and each dial 100ms (samples: %v): "+
					"its clock includes dialing. Dial first (every connection), then time each round trip from just "+
					"before its Write to the end of its echo.", d, samples)
			case d > 4*time.Millisecond:
				t.Fatalf("PingPong measured a round trip of %v, where each takes exactly 4ms on the test's clock, from just "+
					"before the Write to the end of the echo (samples: %v): its clock also ran while something else "+
					"waited. Does it send the next message before the echo of the last is back (a writer and a reader "+
					"of their own: a pipeline, whose samples time the queue, not the round trip)? Or does the clock "+
					"start before something other than the Write?", d, samples)
			default:
				t.Fatalf("PingPong measured a round trip of %v, where each takes exactly 4ms on the test's clock, from just "+
					"before the Write to the end of the echo (samples: %v): its clock stopped before the whole echo "+
					"was back, or started after the Write began.", d, samples)
			}
		}
	})
}

func TestPingPongLoadsEveryConnectionAtOnce(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		msg := []byte("ping\n")
		const conns = 4
		// The server echoes nothing until all four connections have sent
		// their first message; after 10s it gives up on them.
		var mu sync.Mutex
		arrived, most := 0, 0
		all := make(chan struct{})
		f := startLoad(t, dialPlan{}, func(c *peerConn) {
			buf := make([]byte, len(msg))
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			mu.Lock()
			arrived++
			most = max(most, arrived)
			if arrived == conns {
				close(all)
			}
			mu.Unlock()
			select {
			case <-all:
			case <-time.After(10 * time.Second):
				return // the connection closes
			}
			c.Write(buf)
			echoInHalves(len(msg), 0)(c)
		})
		samples, err := finish(t, f, "PingPong", func() ([]time.Duration, error) {
			return PingPong(t.Context(), f.dial, conns, 3, msg)
		})
		mu.Lock()
		defer mu.Unlock()
		if err != nil || len(samples) != conns*3 {
			t.Fatalf("PingPong(%d connections, 3 rounds) returned %s and %s, want 12 samples and no error. The test's server "+
				"held every echo until all %d connections had sent a message, and gave up after 10s: %d had, at most. "+
				"A load generator loads the server with all its connections at once: one goroutine per connection, "+
				"each doing its rounds, and wait for them all.",
				conns, count(len(samples), "sample", "samples"), errText(err), conns, most)
		}
	})
}

func TestPingPongClosesEveryConnectionWhateverHappens(t *testing.T) {
	msg := []byte("ping\n")
	t.Run("done", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			f := startLoad(t, dialPlan{settle: true}, echoInHalves(len(msg), time.Millisecond))
			if _, err := finish(t, f, "PingPong", func() ([]time.Duration, error) {
				return PingPong(t.Context(), f.dial, 3, 4, msg)
			}); err != nil {
				t.Fatalf("PingPong returned %v; the test's server echoes every message, whole", err)
			}
		})
	})
	t.Run("dial fails", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			f := startLoad(t, dialPlan{failAt: 3}, echoInHalves(len(msg), time.Millisecond))
			samples, err := finish(t, f, "PingPong", func() ([]time.Duration, error) {
				return PingPong(t.Context(), f.dial, 4, 4, msg)
			})
			if !errors.Is(err, errRefused) {
				t.Fatalf("PingPong(4 connections), whose 3rd dial failed with %q, returned %s (and %s): want that "+
					"error, wrapped with %%w if you add words to it", errRefused, errText(err), count(len(samples), "sample", "samples"))
			}
		})
	})
	t.Run("connection fails", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			// The server echoes two rounds on the second connection, then
			// closes it; it echoes every round on the others.
			f := startLoad(t, dialPlan{}, func(c *peerConn) {
				if c.index == 1 {
					io.CopyN(c, c, int64(2*len(msg))) // two rounds
					return
				}
				echoInHalves(len(msg), time.Millisecond)(c)
			})
			_, err := finish(t, f, "PingPong", func() ([]time.Duration, error) {
				return PingPong(t.Context(), f.dial, 3, 4, msg)
			})
			if err == nil {
				t.Fatalf("PingPong returned no error, while the test's server closed one of its connections after 2 " +
					"of its 4 rounds: that round trip failed, and its error is PingPong's to return")
			}
		})
	})
	t.Run("connection fails, the others silent", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			// As above, but on the other connections the server reads and
			// echoes nothing: only PingPong closing them, on the first
			// error, ends their wait.
			f := startLoad(t, dialPlan{}, func(c *peerConn) {
				if c.index == 1 {
					io.CopyN(c, c, int64(2*len(msg))) // two rounds
					return
				}
				io.Copy(io.Discard, c)
			})
			f.why = "the test's server had closed one connection after 2 rounds long before, and read " +
				"the others' messages without an echo"
			_, err := finish(t, f, "PingPong", func() ([]time.Duration, error) {
				return PingPong(t.Context(), f.dial, 3, 4, msg)
			})
			if err == nil {
				t.Fatalf("PingPong returned no error, while the test's server closed one of its connections after 2 " +
					"of its 4 rounds: that round trip failed, and its error is PingPong's to return")
			}
		})
	})
	t.Run("a Write fails", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			// The second connection's Writes fail once 2 messages went
			// through; the server echoes every message it gets, whole.
			f := startLoad(t, dialPlan{faulty: 1, fault: fault{"Write", 2 * len(msg), errBrokenPipe}}, echoInHalves(len(msg), time.Millisecond))
			samples, err := finish(t, f, "PingPong", func() ([]time.Duration, error) {
				return PingPong(t.Context(), f.dial, 3, 4, msg)
			})
			if !errors.Is(err, errBrokenPipe) {
				t.Fatalf("PingPong(3 connections, 4 rounds), where one connection's Write failed with %q once 2 messages had gone through, "+
					"returned %s (and %s): want that error, wrapped with %%w if you add words to it. A failed Write "+
					"ends that connection's rounds: no echo comes for a message that was not sent.",
					errBrokenPipe, errText(err), count(len(samples), "sample", "samples"))
			}
		})
	})
	t.Run("a Read fails", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			// The second connection's Reads fail once one echo came in
			// (each echo comes in two halves).
			f := startLoad(t, dialPlan{faulty: 1, fault: fault{"Read", len(msg), errReset}}, echoInHalves(len(msg), time.Millisecond))
			samples, err := finish(t, f, "PingPong", func() ([]time.Duration, error) {
				return PingPong(t.Context(), f.dial, 3, 4, msg)
			})
			if !errors.Is(err, errReset) {
				t.Fatalf("PingPong(3 connections, 4 rounds), where one connection's Read failed with %q once the first echo had come in, "+
					"returned %s (and %s): want that error, wrapped with %%w if you add words to it. A failed Read "+
					"ends that connection's rounds: that round trip has no end to time.",
					errReset, errText(err), count(len(samples), "sample", "samples"))
			}
		})
	})
	t.Run("ctx ends", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			// A server that reads, and never echoes; ctx is cancelled after
			// 5s, as Ctrl-C cancels echoload's: it has no deadline.
			f := startLoad(t, dialPlan{}, func(c *peerConn) { c.readAll() })
			f.why = "the test's server never echoed, and ctx was cancelled long before"
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			time.AfterFunc(5*time.Second, cancel)
			samples, err := finish(t, f, "PingPong", func() ([]time.Duration, error) {
				return PingPong(ctx, f.dial, 3, 4, msg)
			})
			if err == nil {
				t.Fatalf("PingPong returned no error (and %s), while the test's server never echoed and ctx was "+
					"cancelled after 5s: return an error, ctx's or the one closing the connections caused (a Read "+
					"on a connection you closed fails with net.ErrClosed: that is not the rounds' planned end).",
					count(len(samples), "sample", "samples"))
			}
		})
	})
}

func TestStreamEchoesEveryByteAndTimesOnlyTheTransfer(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		// Each dial takes 1s; the server takes 1µs per byte to echo, so
		// 100,000 bytes take 100ms on each connection, all at once.
		f := startLoad(t, dialPlan{took: time.Second}, echoStream(time.Microsecond))
		tp, err := finish(t, f, "Stream", func() (Throughput, error) {
			return Stream(t.Context(), f.dial, 3, 100_000)
		})
		stuck := len(f.p.gaveUp())
		switch {
		case stuck > 0:
			t.Fatalf("Stream returned %s, after the test's server could not write its echo for 10s on %s: no one "+
				"read it. The server reads only as fast as its echo leaves (so does a real one, once the socket "+
				"buffers are full): read the echo while you write, in a goroutine of its own.",
				errText(err), count(stuck, "connection", "connections"))
		case err != nil:
			t.Fatalf("Stream(3 connections, 100000 bytes) returned %v; the test's server echoes every byte", err)
		case tp.Bytes != 300_000:
			t.Fatalf("Stream(3 connections, 100000 bytes) returned Bytes %d, want 300000: every byte echoed back, on every connection", tp.Bytes)
		case tp.Elapsed >= time.Second:
			t.Fatalf("Stream returned Elapsed %v, where the echo takes 100ms and each dial 1s: its clock includes "+
				"dialing. Dial every connection first, then start the clock.", tp.Elapsed)
		case tp.Elapsed != 100*time.Millisecond:
			t.Fatalf("Stream returned Elapsed %v, where the echo of 100000 bytes takes exactly 100ms on each of the "+
				"3 connections, at once: from when every connection is open to the last byte back.", tp.Elapsed)
		}
	})
}

func TestStreamClosesEveryConnectionWhateverHappens(t *testing.T) {
	t.Run("done", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			f := startLoad(t, dialPlan{settle: true}, echoStream(0))
			if _, err := finish(t, f, "Stream", func() (Throughput, error) {
				return Stream(t.Context(), f.dial, 3, 10_000)
			}); err != nil {
				t.Fatalf("Stream returned %v; the test's server echoes every byte", err)
			}
		})
	})
	t.Run("dial fails", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			f := startLoad(t, dialPlan{failAt: 2}, echoStream(0))
			_, err := finish(t, f, "Stream", func() (Throughput, error) {
				return Stream(t.Context(), f.dial, 3, 10_000)
			})
			if !errors.Is(err, errRefused) {
				t.Fatalf("Stream(3 connections), whose 2nd dial failed with %q, returned %s: want that error, "+
					"wrapped with %%w if you add words to it", errRefused, errText(err))
			}
		})
	})
	t.Run("echo cut short", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			// The server echoes 1000 bytes of the first connection, reads
			// the rest, and closes it; it echoes everything on the others.
			f := startLoad(t, dialPlan{}, func(c *peerConn) {
				if c.index == 0 {
					io.CopyN(c, c, 1000)
					io.CopyN(io.Discard, c, 9000)
					return
				}
				echoStream(0)(c)
			})
			tp, err := finish(t, f, "Stream", func() (Throughput, error) {
				return Stream(t.Context(), f.dial, 3, 10_000)
			})
			switch sent, got := f.p.traffic(); {
			case err == nil:
				t.Fatalf("Stream returned no error (and Bytes %d), while the test's server closed a connection after "+
					"echoing 1000 of its 10000 bytes (and reading them all): an echo cut short is an error to return", tp.Bytes)
			case tp.Bytes > int64(got):
				also := ""
				if tp.Bytes == int64(sent) {
					also = ": that is the bytes it sent"
				} else if tp.Bytes == int64(sent+got) {
					also = ": that is the bytes it sent and those it read, added up"
				}
				t.Fatalf("Stream returned Bytes %d, where it had read %d bytes of echo in all (and sent %d)%s. Bytes "+
					"counts the echo that came back: what io.CopyN read, on every connection, cut short or not.",
					tp.Bytes, got, sent, also)
			case err == io.EOF:
				t.Fatalf("Stream returned io.EOF itself (and Bytes %d), where the test's server closed a connection after "+
					"echoing 1000 of its 10000 bytes: io.EOF is how a Reader says \"the end, as planned\", and a caller "+
					"that checks for it takes the measurement for complete. io.CopyN returns it when the echo ends "+
					"early: return an error that says so, such as fmt.Errorf(\"the echo ended after %%d of %%d bytes\", n, size).", tp.Bytes)
			}
		})
	})
	t.Run("a Write fails", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			// The second connection's Writes fail once 32 KiB went
			// through; the server echoes everything it gets.
			f := startLoad(t, dialPlan{faulty: 1, fault: fault{"Write", 32 << 10, errBrokenPipe}}, echoStream(0))
			tp, err := finish(t, f, "Stream", func() (Throughput, error) {
				return Stream(t.Context(), f.dial, 3, 100_000)
			})
			if !errors.Is(err, errBrokenPipe) {
				t.Fatalf("Stream(3 connections, 100000 bytes), where one connection's Write failed with %q once 32768 bytes had gone through, "+
					"returned %s (and Bytes %d): want that error, wrapped with %%w if you add words to it. The bytes "+
					"that were not sent will never be echoed: the writer's error is the one to return.",
					errBrokenPipe, errText(err), tp.Bytes)
			}
		})
	})
	t.Run("a Read fails", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			// The second connection's Reads fail once 8 KiB came in; the server
			// echoes everything it gets, and gives up on an echo no one
			// reads for 10s.
			f := startLoad(t, dialPlan{faulty: 1, fault: fault{"Read", 8 << 10, errReset}}, echoStream(0))
			tp, err := finish(t, f, "Stream", func() (Throughput, error) {
				return Stream(t.Context(), f.dial, 3, 100_000)
			})
			if !errors.Is(err, errReset) {
				t.Fatalf("Stream(3 connections, 100000 bytes), where one connection's Read failed with %q once 8192 bytes had come in, "+
					"returned %s (and Bytes %d): want that error, wrapped with %%w if you add words to it. io.CopyN "+
					"returns it; the reader's error is the one to return.", errReset, errText(err), tp.Bytes)
			}
		})
	})
	t.Run("echo cut short, the others silent", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			// As above, but on the other connections the server reads
			// everything and echoes nothing: only Stream closing them, on
			// the first error, ends their wait.
			f := startLoad(t, dialPlan{}, func(c *peerConn) {
				if c.index == 0 {
					io.CopyN(c, c, 1000)
					io.CopyN(io.Discard, c, 9000)
					return
				}
				io.Copy(io.Discard, c)
			})
			if _, err := finish(t, f, "Stream", func() (Throughput, error) {
				return Stream(t.Context(), f.dial, 3, 10_000)
			}); err == nil {
				t.Fatalf("Stream returned no error, while the test's server closed a connection after echoing 1000 " +
					"of its 10000 bytes: an echo cut short is an error to return")
			}
		})
	})
	t.Run("ctx ends", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			// A server that reads, and never echoes; ctx is cancelled after
			// 5s, as Ctrl-C cancels echoload's.
			f := startLoad(t, dialPlan{}, func(c *peerConn) { c.readAll() })
			f.why = "the test's server never echoed, and ctx was cancelled long before"
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			time.AfterFunc(5*time.Second, cancel)
			tp, err := finish(t, f, "Stream", func() (Throughput, error) {
				return Stream(ctx, f.dial, 3, 10_000)
			})
			if err == nil {
				t.Fatalf("Stream returned no error (and Bytes %d), while the test's server never echoed and ctx was "+
					"cancelled after 5s: return an error, ctx's or the one closing the connections caused (a Read "+
					"on a connection you closed fails with net.ErrClosed: that is not the echo's planned end).", tp.Bytes)
			}
		})
	})
}

func TestHoldKeepsConnectionsOpenAndIdle(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		f := startLoad(t, dialPlan{}, func(c *peerConn) { c.readAll() })
		before := ourGoroutines()
		release, err := Hold(t.Context(), f.dial, 5)
		synctest.Wait()
		if err != nil {
			f.p.hangUp()
			t.Fatalf("Hold(5) returned %v; every dial succeeds", err)
		}
		sent, _ := f.p.traffic()
		if open := len(f.p.dialed()) - f.p.closes(); open != 5 || sent != 0 {
			f.p.hangUp()
			t.Fatalf("Hold(5) returned with %d of the %s it dialed open and %d bytes sent: want 5 connections open, "+
				"idle (not a byte sent), until the function it returns is called.", open, count(len(f.p.dialed()), "connection", "connections"), sent)
		}
		if release == nil {
			f.p.hangUp()
			t.Fatal("Hold returned a nil function: it must return one that closes the connections it holds")
		}
		if left := launchedSince(before); len(left) > 0 {
			release()
			f.p.hangUp()
			synctest.Wait()
			t.Fatalf("Hold(5) returned with %s it started running: an idle connection is open and quiet, and "+
				"costs the load generator nothing, no goroutine and no Read; the server's cost is what it "+
				"measures. Keep the connections in a slice, and nothing else. Where:\n\n%s",
				count(len(left), "goroutine", "goroutines"), where(left))
		}
		release()
		synctest.Wait()
		if open := len(f.p.dialed()) - f.p.closes(); open != 0 {
			f.p.hangUp()
			t.Fatalf("the function Hold returned left %d of its 5 connections open: it must close every one", open)
		}
		f.p.hangUp()
		synctest.Wait()
		if left := startedSince(before); len(left) > 0 {
			t.Fatalf("once its connections were closed, %s Hold started still ran. Where:\n\n%s",
				count(len(left), "goroutine", "goroutines"), where(left))
		}
	})
}

func TestHoldClosesWhatItOpenedWhenADialFails(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		f := startLoad(t, dialPlan{failAt: 4}, func(c *peerConn) { c.readAll() })
		release, err := finish(t, f, "Hold", func() (func(), error) {
			return Hold(t.Context(), f.dial, 6)
		})
		if !errors.Is(err, errRefused) {
			if release != nil {
				release()
			}
			t.Fatalf("Hold(6), whose 4th dial failed with %q, returned %s: want that error, wrapped with %%w if "+
				"you add words to it", errRefused, errText(err))
		}
	})
}

func TestHandleWritesEachPieceOnce(t *testing.T) {
	noteTest(t) // a panic or exit fails this test by name (kit_exit_test.go)
	// 64 KiB, arriving in 16 pieces of 4 KiB: 16 Reads.
	c := newScriptConn(16, 4096)
	x := goCall("handle", func() (struct{}, error) { return struct{}{}, handle(c) })
	_, err := x.wait(t, nil, func() string {
		return "Its connection had brought 65536 bytes in 16 Reads, then io.EOF, and io.EOF again on every Read " +
			"after that: at io.EOF the client has sent all it will, and handle returns."
	})
	x.expectNoneLeft(t, "handle is one connection's loop: it needs no goroutine of its own.")
	switch {
	case err != nil:
		t.Fatalf("handle returned %v, on a connection that brought 65536 bytes, then EOF", err)
	case c.wrong >= 0:
		t.Fatalf("handle echoed 65536 bytes wrong, from byte %d on (%d bytes echoed in all): the echo is every byte "+
			"read, in order: buf[:n] of each Read", c.wrong, c.echoed)
	case c.echoed != 65536:
		t.Fatalf("handle echoed %d of the 65536 bytes it read: the echo is every byte read, buf[:n] of each Read", c.echoed)
	case c.writes > 16 && c.reads > 17:
		t.Fatalf("handle made %d Reads and %d Writes to echo 65536 bytes that came in 16 pieces of 4096 bytes: its "+
			"buffer holds less than a piece, so each piece took several Reads, and as many Writes; on a real "+
			"connection each one is a system call. A buffer of 32 KiB, made once before the loop, takes a piece "+
			"in one Read.", c.reads, c.writes)
	case c.writes > 16:
		t.Fatalf("handle made %d Writes to echo 65536 bytes that came in 16 Reads: each Write on a real connection "+
			"is a system call: %d of them where 16 would do. Write what one Read brought in one Write: "+
			"conn.Write(buf[:n]).", c.writes, c.writes)
	case !c.closed:
		t.Fatal("handle returned without closing the connection: the client then waits forever for the end of its echo")
	}
}

func TestHandleAllocatesNothingPerMessage(t *testing.T) {
	noteTest(t) // a panic or exit fails this test by name (kit_exit_test.go)
	// The same connection, read by handle again and again: once with one
	// message, once with 201. What handle allocates for the connection
	// (a buffer) is the same in both; what it allocates per message is
	// 200 times more in the second.
	one, many := newScriptConn(1, 1024), newScriptConn(201, 1024)
	a1 := testing.AllocsPerRun(20, func() { one.rewind(); handle(one) })
	a201 := testing.AllocsPerRun(20, func() { many.rewind(); handle(many) })
	if per := (a201 - a1) / 200; per >= 0.5 {
		t.Fatalf("handle allocated %.1f times per message (%v allocations for a connection of 1 message, %v for 201): "+
			"something is made in the loop, once per Read (a buffer? make it once, before the loop) or once "+
			"per byte (a []byte{b} to Write?). Each allocation is work for the garbage collector, paid by every client.",
			per, a1, a201)
	}
}

func TestHandleStopsAtTheFirstError(t *testing.T) {
	noteTest(t) // a panic or exit fails this test by name (kit_exit_test.go)
	t.Run("a Read fails", func(t *testing.T) {
		// Two pieces, then the connection is reset: every Read fails.
		c := newScriptConn(2, 4096)
		c.readErr = errReset
		x := goCall("handle", func() (struct{}, error) { return struct{}{}, handle(c) })
		_, err := x.wait(t, nil, func() string {
			return fmt.Sprintf("Its connection had brought 8192 bytes in 2 Reads, then failed every Read with %q.", errReset)
		})
		switch {
		case c.echoed != 8192:
			t.Fatalf("handle echoed %d of the 8192 bytes its connection brought before a Read failed with %q: "+
				"the echo is every byte read, buf[:n] of each Read", c.echoed, errReset)
		case !errors.Is(err, errReset):
			t.Fatalf("handle returned %s, where its 3rd Read failed with %q (it called Read %d times in all): a Read "+
				"error other than io.EOF means the connection is broken, and the client gets no more echo. Return "+
				"it, wrapped with %%w if you add words to it, so that Serve logs it.", errText(err), errReset, c.reads)
		case c.reads > 3:
			t.Fatalf("handle called Read %d times after a Read failed with %q: a broken connection stays broken; "+
				"return at the first error.", c.reads-3, errReset)
		case !c.closed:
			t.Fatal("handle returned without closing the connection, after a Read failed: close it on every path (defer)")
		}
	})
	t.Run("a Write fails", func(t *testing.T) {
		// 16 pieces to read; the first Write fails: the client is gone.
		c := newScriptConn(16, 4096)
		c.writeErr = errBrokenPipe
		x := goCall("handle", func() (struct{}, error) { return struct{}{}, handle(c) })
		_, err := x.wait(t, nil, func() string {
			return fmt.Sprintf("Its connection had 65536 bytes to bring in 16 Reads, and failed every Write with %q.", errBrokenPipe)
		})
		switch {
		case !errors.Is(err, errBrokenPipe):
			t.Fatalf("handle returned %s, where its first Write failed with %q (it called Read %d times in all): "+
				"check what Write returns. A failed Write means the client gets no echo: return the error, "+
				"wrapped with %%w if you add words to it, so that Serve logs it.", errText(err), errBrokenPipe, c.reads)
		case c.reads > 1:
			t.Fatalf("handle called Read %d more times after a Write failed with %q: an echo that cannot be "+
				"sent is no reason to read more. Return at the first error.", c.reads-1, errBrokenPipe)
		case !c.closed:
			t.Fatal("handle returned without closing the connection, after a Write failed: close it on every path (defer)")
		}
	})
}

func TestHandleEchoesWhatComesWithEOF(t *testing.T) {
	noteTest(t) // a panic or exit fails this test by name (kit_exit_test.go)
	// 16 pieces of 4 KiB; the Read that brings the last one returns io.EOF
	// with it, as any io.Reader may.
	c := newScriptConn(16, 4096)
	c.eofWithLast = true
	x := goCall("handle", func() (struct{}, error) { return struct{}{}, handle(c) })
	_, err := x.wait(t, nil, func() string {
		return "Its connection had brought 65536 bytes in 16 Reads, the last one with io.EOF, and io.EOF again on " +
			"every Read after that: at io.EOF the client has sent all it will, and handle returns."
	})
	switch {
	case err != nil:
		t.Fatalf("handle returned %v, on a connection that brought 65536 bytes, the last 4096 with io.EOF", err)
	case c.echoed == 65536-4096:
		t.Fatalf("handle echoed %d of the 65536 bytes it read: not the last 4096, which its last Read returned "+
			"together with io.EOF. A Read may return n > 0 bytes and an error at once (io.Reader's contract): "+
			"write buf[:n] first, then look at the error.", c.echoed)
	case c.echoed != 65536 || c.wrong >= 0:
		t.Fatalf("handle echoed %d of the 65536 bytes it read (the last 4096 came with io.EOF), wrong from byte %d "+
			"on: the echo is every byte read, buf[:n] of each Read, the one with io.EOF included.", c.echoed, c.wrong)
	}
}

func TestServeLogsWhatGoesWrong(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		logs := captureLog(t)
		l := newFakeListener(t)
		s := start(t, l)
		// A client that sends a message and leaves without reading its
		// echo: handle's Write fails. Then one that is served, and leaves.
		gone, _ := s.connectPipe(t)
		if _, err := gone.Write([]byte("ping\n")); err != nil {
			l.fatalf(t, "write %q: %v; is the connection read (handle, in a goroutine of its own)?", "ping\n", err)
		}
		gone.Close()
		fine, _ := s.connectPipe(t)
		expectPipeEcho(t, fine, "hello\n")
		fine.Close()
		synctest.Wait()
		switch {
		case !logs.contains(io.ErrClosedPipe.Error()):
			l.fatalf(t, "a client left before reading its echo, and handle's Write failed with %q, yet the server "+
				"logged nothing about it: Serve logs the error handle returns, so that whoever runs the server "+
				"sees what went wrong (if err != nil { log.Printf(...) }). The log:\n%s", io.ErrClosedPipe, logs)
		case strings.Count(logs.String(), "\n") > 1:
			l.fatalf(t, "two clients came: one left before reading its echo, one was served and left; the server "+
				"logged more than the first one's error. A client served and gone is nothing to log: log only "+
				"when handle returns an error. The log:\n%s", logs)
		}

		// Now every Accept fails, as when the process runs out of file
		// descriptors: under load, it does. (From the next call on: Serve
		// waits in one now, which a last client ends.)
		l.failAlways()
		last, _ := s.connectPipe(t)
		last.Close()
		time.Sleep(10 * time.Second) // on the fake clock: no real time passes
		synctest.Wait()
		calls := l.acceptTimes()
		if s.stopped() {
			l.fatalf(t, "Serve returned (err = %v) while Accept was failing with %q; only a closed listener "+
				"(errors.Is(err, net.ErrClosed)) ends Serve: for other errors, pause and Accept again", s.err, acceptError)
		}
		if n := len(calls); n > 40 {
			l.fatalf(t, "Accept was called %d times in 10s while it failed with %q: pause before trying again, "+
				"longer each time (5ms, doubled up to 1s), or a lasting failure spins a CPU core", n, acceptError)
		}
		if !strings.Contains(logs.String(), "too many open files") {
			l.fatalf(t, "Accept failed with %q for 10s, and the server logged nothing about it: log the error "+
				"before you retry, or no one will know why clients wait. The log:\n%s", acceptError, logs)
		}
	})
}

func TestServeRunsOneGoroutinePerIdleConnection(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	const n = 10
	for range n {
		c := s.connect(t)
		c.expectEcho(t, "ping\n") // served; now idle
	}
	var got map[int]goroutine
	others := func() bool { // every goroutine of the server but Serve's own
		got = ourGoroutines()
		maps.DeleteFunc(got, func(_ int, g goroutine) bool { return g.in("Serve") })
		return len(got) == n
	}
	if st, ok := waitUntil(others); !ok {
		t.Fatalf("with %d clients connected and idle, %s of your server ran besides Serve (%s): want %d, one handler "+
			"per connection. An idle connection costs a goroutine's stack and its buffer; more per connection "+
			"(or per message, left behind) is memory every idle client holds. Where:\n\n%s",
			n, count(len(got), "goroutine", "goroutines"), st, n, where(got))
	}
}

// TestPingPongStreamAndHoldOverTCP: the generator against Serve on real
// sockets, end to end: every sample, every byte, every connection closed.
func TestPingPongStreamAndHoldOverTCP(t *testing.T) {
	checkNoLeaks(t)
	s := start(t, listen(t))
	dial := TCP(s.addr)
	x := goCall("PingPong", func() ([]time.Duration, error) {
		return PingPong(t.Context(), dial, 4, 25, []byte("ping\n"))
	})
	samples, err := x.wait(t, nil, nil)
	if err != nil || len(samples) != 100 {
		t.Fatalf("PingPong over TCP (4 connections, 25 rounds) returned %s and %s, want 100 samples and no error",
			count(len(samples), "sample", "samples"), errText(err))
	}
	y := goCall("Stream", func() (Throughput, error) { return Stream(t.Context(), dial, 2, 1<<20) })
	tp, err := y.wait(t, nil, nil)
	if err != nil || tp.Bytes != 2<<20 {
		t.Fatalf("Stream over TCP (2 connections, 1 MiB) returned Bytes %d and %s, want %d and no error", tp.Bytes, errText(err), 2<<20)
	}
	release, err := Hold(t.Context(), dial, 20)
	if err != nil {
		t.Fatalf("Hold over TCP (20 connections) returned %v", err)
	}
	release()
	// The server's cleanup checks that every socket opened here is closed.
}

// ---- plumbing for the tests above (the rest is in kit_*_test.go) ----

// fewSamples shows samples, the first ten of them at most.
func fewSamples(samples []time.Duration) string {
	if len(samples) <= 10 {
		return fmt.Sprint(samples)
	}
	return fmt.Sprintf("%v … %d more]", strings.TrimSuffix(fmt.Sprint(samples[:10]), "]"), len(samples)-10)
}

// percentile calls Percentile, turning a panic into a message, not the end of the test binary.
func percentile(samples []time.Duration, p float64) (d time.Duration, panicked string) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Sprint(r)
		}
	}()
	return Percentile(samples, p), ""
}

// percentileHint names the mistake a wrong percentile fits, where one does.
func percentileHint(samples []time.Duration, p float64, got time.Duration) string {
	nearest := "The nearest rank is p*n/100 rounded up (math.Ceil), counting from 1: the sample at index rank-1 of a sorted copy."
	sorted := slices.Sorted(slices.Values(samples))
	rank := int(math.Ceil(p * float64(len(samples)) / 100))
	i := min(max(rank, 1), len(samples)) - 1
	switch {
	case len(samples) == 0:
		return "With no samples there is no latency to report: return 0. " + nearest
	case got == samples[i] && got != sorted[i]:
		return "That is the right place in the samples as given, unsorted: sort a copy first. " + nearest
	case i > 0 && got == sorted[i-1] && math.Round(p*float64(len(samples))/100) == float64(i):
		return "That is the sample at rank p*n/100 rounded to the nearest (math.Round): the nearest rank rounds up, always. " + nearest
	case p != math.Trunc(p) && got == sorted[min(max(int(math.Ceil(math.Trunc(p)*float64(len(samples))/100)), 1), len(samples))-1]:
		return fmt.Sprintf("That is p%v: p was cut to a whole number before the rank was computed. ", math.Trunc(p)) + nearest
	case got != sorted[i] && got == sorted[min(max(int(math.Ceil(p/100*float64(len(samples)))), 1), len(samples))-1]:
		return fmt.Sprintf("That is the rank of p/100*n: divided first, %v/100*%d is %v in floating point, and math.Ceil moves it one rank. Multiply first, p*n/100. ", p, len(samples), p/100*float64(len(samples))) + nearest
	case i+1 < len(sorted) && got == sorted[i+1], i > 0 && got == sorted[i-1]:
		return "That is the next sample in order: off by one. " + nearest
	}
	return nearest
}

// units names the mistake a wrong MBps fits, where one does.
func units(got, want float64) string {
	near := func(x float64) bool { return want != 0 && got/want > x*0.999 && got/want < x*1.001 }
	switch {
	case near(8):
		return "8 times too much: bits, where the unit is bytes"
	case near(1.0 / 1.048576):
		return "that is MiB/s (1,048,576 bytes); a megabyte here is 1,000,000 bytes, as network speeds count"
	case near(1000) || near(0.001):
		return "a factor of 1000 off: Elapsed.Seconds() is the time in seconds (not Milliseconds), and a MB is 1e6 bytes"
	case near(1e6):
		return "bytes per second: divide by 1e6 for megabytes"
	}
	return "MB/s is Bytes / 1e6 / Elapsed.Seconds(), and 0 when Elapsed is 0"
}

// start runs this lesson's Serve on l until the test ends (startServer).
func start(t *testing.T, l net.Listener) *server {
	return startServer(t, l, func(_ context.Context, l net.Listener) error { return Serve(l) })
}

// A load is the test's server (a peer in a bubble) and the Dialer onto it.
type load struct {
	p    *peer
	d    dialPlan
	dial Dialer
	why  string // what had happened, if the load generator does not return
}

func startLoad(t *testing.T, d dialPlan, serve func(*peerConn)) *load {
	p := startPipePeer(t, serve, false)
	f := &load{p: p, d: d, dial: p.dialer(t, d), why: "the test's server had stopped answering or ctx had ended long before"}
	if d.fault.op != "" {
		f.why = fmt.Sprintf("a %s on one connection had failed with %q long before", d.fault.op, d.fault.err)
	}
	return f
}

// unread counts the echoes' halves the test's server gave up on, unread: first halves, and second.
func (f *load) unread(size int) (first, second int) {
	all := f.p.gaveUp()
	first = len(slices.DeleteFunc(slices.Clone(all), func(at int) bool { return at%size != 0 }))
	return first, len(all) - first
}

// finish runs call (the load generator) for a minute at most, on the fake clock. Then every connection
// must be closed, before call returned (settle), and no goroutine of it left.
func finish[T any](t *testing.T, f *load, name string, call func() (T, error)) (T, error) {
	t.Helper()
	x := goCall(name, call)
	select {
	case <-x.done:
	case <-time.After(time.Minute):
		t.Fatalf("%s had not returned after a minute on the test's fake clock (%s): it must stop when a connection "+
			"fails or ctx ends, closing its connections so that every Read and Write returns. Where its goroutines "+
			"were:\n\n%s", name, f.why, where(startedSince(x.before)))
	}
	closedThen := f.p.closes() // before any Close made after it: those wait for the bubble to settle
	if f.d.settle {
		time.Sleep(time.Second) // now they are made
	}
	synctest.Wait()
	n := len(f.p.dialed())
	if open := n - f.p.closes(); open > 0 {
		t.Fatalf("%s returned %s, leaving %d of the %s it opened open: close every one, on every path "+
			"(defer), errors included. A load generator that leaks sockets runs out of them.",
			name, errText(x.err), open, count(n, "connection", "connections"))
	}
	if late := n - closedThen; f.d.settle && late > 0 {
		t.Fatalf("%s returned %s, and only then were %d of the %s it opened closed, by a goroutine it did not "+
			"wait for (context.AfterFunc's, once the group's ctx had ended?): close every one before returning "+
			"(defer), or a caller that measures again at once finds them still open.",
			name, errText(x.err), late, count(n, "connection", "connections"))
	}
	f.p.hangUp()
	synctest.Wait()
	if left := startedSince(x.before); len(left) > 0 {
		allSending := !slices.ContainsFunc(slices.Collect(maps.Values(left)), func(g goroutine) bool { return g.state != "chan send" })
		sending := map[bool]string{true: ", every one blocked sending on a channel that no one receives from any more"}[allSending]
		t.Fatalf("%s returned %s, but %s it started still ran%s: wait for every goroutine you start before "+
			"returning, and give each one an end. Where:\n\n%s", name, errText(x.err), count(len(left), "goroutine", "goroutines"), sending, where(left))
	}
	return x.got, x.err
}

// echoInHalves echoes messages of size bytes: the first half d after the message, the second d later.
func echoInHalves(size int, d time.Duration) func(*peerConn) { return echoInPieces(size, 0, d, d) }

// echoInPieces is echoInHalves, slower: it takes a message in over takeIn (the Write takes that long), then
// echoes its first half first later, the second half second after that. It gives up on a half unread for 1s.
func echoInPieces(size int, takeIn, first, second time.Duration) func(*peerConn) {
	return func(c *peerConn) {
		buf := make([]byte, size)
		for c.readSlowly(buf, takeIn) == nil {
			for i, half := range [][]byte{buf[:size/2], buf[size/2:]} {
				time.Sleep([]time.Duration{first, second}[i])
				if c.writeWithin(half, time.Second) != nil {
					return
				}
			}
		}
	}
}

// echoStream echoes as it reads, taking perByte per byte; it gives up on an echo unread for 10s.
func echoStream(perByte time.Duration) func(*peerConn) {
	return func(c *peerConn) { c.echoAt(perByte, 10*time.Second) }
}
