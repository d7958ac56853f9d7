// The test kit: plumbing shared by every lesson. Each lesson and solution
// holds a byte-for-byte copy of the kit's files (kit_*_test.go; make kit
// copies them, make verify checks them), so every module still works alone
// with GOWORK=off. You do not need to read them to do a lesson.
//
// This file: the basics, and helpers that put what a test saw into words.
// kit_watch_test.go: waits that measure progress; goroutines, sockets, log.
// kit_net_test.go: the server under test, its clients, fake peers, calls.
// kit_bubble_test.go: tests on a fake clock (testing/synctest).
// kit_exit_test.go: code that ends the process fails the test that ran it.
// tools/testkit/README.md, in the repository, is the guide for contributors.

//lint:file-ignore U1000 shared by every lesson; not every lesson uses every helper

package echo

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// patience is how long a test waits while nothing happens: no byte moves,
// no goroutine of the code under test changes what it is doing. A correct
// solution never sits still that long; a wrong one is told what is wrong
// two seconds after it stopped, instead of hanging.
const patience = 2 * time.Second

// stallCap bounds a wait however much keeps moving (a loop that resends
// forever): generous, since a slow machine only moves more slowly. It
// counts the time the code under test could run; twice as much on the
// clock ends a wait in any case, before go test's -timeout would.
const stallCap = 20 * time.Second

// listen returns a listener on a free loopback port, closed when the test ends.
func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// holdLookups makes every name lookup through Go's resolver wait until
// the dial's ctx ends (it asks no server), until the test ends. It
// returns how many lookups have started.
func holdLookups(t *testing.T) *atomic.Int32 {
	var started atomic.Int32
	saved := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		started.Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	t.Cleanup(func() { net.DefaultResolver = saved })
	return &started
}

// randomBytes returns n random bytes: binary data with no line breaks to
// lean on, so only an exact byte-for-byte echo passes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails: crypto/rand crashes the program instead
	return b
}

// mismatch says how got differs from want, or "" if they are equal.
func mismatch(got, want []byte) string {
	if bytes.Equal(got, want) {
		return ""
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	switch {
	case i == len(got):
		return fmt.Sprintf("got only the first %d of %d bytes", len(got), len(want))
	case i == len(want):
		return fmt.Sprintf("got all %d bytes, then %d more that were never sent", len(want), len(got)-len(want))
	default:
		return fmt.Sprintf("got %d bytes, want %d, and they differ from byte %d on", len(got), len(want), i)
	}
}

// diffLines says how the replies differ from the lines sent, or "" if they
// do not: "5 replies for 6 lines: …", where they first differ, and the
// lines around that place, sent (-) against returned (+).
func diffLines(sent, replies []string) string {
	i := 0
	for i < len(sent) && i < len(replies) && sent[i] == replies[i] {
		i++
	}
	if i == len(sent) && i == len(replies) {
		return ""
	}
	var first string
	switch {
	case len(replies) == 0:
		first = "none at all"
	case i == len(replies):
		first = fmt.Sprintf("the first %d are right, then they stop", i)
	case i == len(sent):
		first = fmt.Sprintf("all %d are right, then come %d more", i, len(replies)-i)
	case len(replies[i]) > 40 || len(sent[i]) > 40:
		first = fmt.Sprintf("reply %d has %d bytes, want %d, and they differ from byte %d on",
			i+1, len(replies[i]), len(sent[i]), len(mismatchPrefix(replies[i], sent[i])))
	default:
		first = fmt.Sprintf("reply %d is %q, want %q", i+1, replies[i], sent[i])
	}
	var d []string
	for j := max(i-1, 0); j < min(i+4, max(len(sent), len(replies))); j++ {
		if j < len(sent) {
			d = append(d, fmt.Sprintf("\t-%d: %s", j+1, short(sent[j])))
		}
		if j < len(replies) {
			d = append(d, fmt.Sprintf("\t+%d: %s", j+1, short(replies[j])))
		}
	}
	return fmt.Sprintf("%s for %d lines: %s. The lines sent (-) against the replies (+), from there:\n%s",
		count(len(replies), "reply", "replies"), len(sent), first, strings.Join(d, "\n"))
}

// mismatchPrefix returns the longest common prefix of a and b.
func mismatchPrefix(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return a[:i]
}

// short quotes s, cut to 60 bytes.
func short(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%q… (%d bytes)", s[:60], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// firstFew joins the first n items and says how many more there are:
// "a, b, c, … 12 more". Every list a message shows is capped.
func firstFew(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s, … %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// count says "1 reply" or "2 replies".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// explain says in words what a read error means to an echo client.
func explain(err error) string {
	switch {
	case err == nil:
		return "a clean close"
	case isTimeout(err):
		return fmt.Sprintf("nothing more for %v (the server neither sent nor closed)", patience)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection"
	case errors.Is(err, syscall.ECONNRESET):
		return "the connection was reset"
	}
	return err.Error()
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// isClosed reports, without waiting, whether ch is closed.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// ---- a client's lines and errors ----

// numberedLines returns n lines that say where they belong, so order shows.
func numberedLines(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d of %d", i+1, n)
	}
	return lines
}

// linesOf returns n lines for client i. Each says whose it is, so that a
// misplaced echo shows where it came from, and a peer knows which client
// is talking.
func linesOf(client, n int) []string {
	lines := make([]string, n)
	for j := range lines {
		lines[j] = fmt.Sprintf("client %d, line %d of %d", client, j+1, n)
	}
	return lines
}

// sessionsOf returns sessions for clients 0 to clients-1, n lines each:
// sessions[i] is linesOf(i, n).
func sessionsOf(clients, n int) [][]string {
	sessions := make([][]string, clients)
	for i := range sessions {
		sessions[i] = linesOf(i, n)
	}
	return sessions
}

// wireSize is how many bytes lines take on the wire, each with its "\n".
func wireSize(lines []string) int {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	return n
}

// resultsMismatch says, in a clause to follow "and", how the results of
// many clients differ from what they should be, results[i] the echo of
// sessions[i], or "" if they do not: a count that is off, an echo in another session's slot, a slot left
// nil, or where one echo differs. Each comes with the causes that fit it.
func resultsMismatch(sessions, results [][]string) string {
	if len(results) != len(sessions) {
		return fmt.Sprintf("there are %d results for %d sessions; results[i] is the echo of sessions[i]: make the slice, "+
			"len(sessions), before you start the goroutines, and let goroutine i fill in results[i]", len(results), len(sessions))
	}
	for i, want := range sessions {
		switch j := slices.IndexFunc(sessions, func(s []string) bool { return slices.Equal(results[i], s) }); {
		case slices.Equal(results[i], want):
		case j >= 0:
			return fmt.Sprintf("results[%d] holds the echo of sessions[%d]: the results are out of order. Clients finish "+
				"in any order; give each goroutine its own slot to write, results[i], instead of appending as they finish", i, j)
		case results[i] == nil:
			return fmt.Sprintf("results[%d] is nil: client %d's replies were not in results. Does it wait for every "+
				"goroutine before it returns, and does goroutine i write results[i]?", i, i)
		default:
			return fmt.Sprintf("results[%d] is not the echo of sessions[%d]: %s", i, i, diffLines(want, results[i]))
		}
	}
	return ""
}

// errText is "no error", or "the error" and err, quoted.
func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return fmt.Sprintf("the error %q", err)
}

// checkWrapped fails the test unless err wraps cause, whose message is
// bare, and says more than it. what says what happened; example is an
// fmt.Errorf call to suggest.
func checkWrapped(t *testing.T, err, cause error, bare, what, example string) {
	t.Helper()
	if !errors.Is(err, cause) {
		t.Fatalf("%s: the cause was %q, and your code returned %s, which does not wrap it. "+
			"Keep the cause inside your error with %%w: fmt.Errorf(\"...: %%w\", err)", what, bare, errText(err))
	}
	if err.Error() == bare {
		t.Fatalf("%s: the cause was %q, and your code returned just that. Say what failed, and keep the cause with %%w: "+
			"%s", what, bare, example)
	}
}
