// Test plumbing shared by every lesson. Each lesson and solution holds a
// byte-for-byte copy of this file as kit_test.go (make verify checks it;
// make kit copies it), so every module still works alone with GOWORK=off.
// You do not need to read it to do a lesson.

//lint:file-ignore U1000 shared by every lesson; not every lesson uses every helper

package echo

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// patience bounds every wait for something a correct solution does in
// microseconds to milliseconds. It is a thousand times that, so a loaded
// 2-core machine running the race detector never fails a correct solution,
// and short, so a wrong one is told what is wrong instead of hanging.
const patience = 2 * time.Second

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

// checkNoLeaks makes the test fail if, once it and its cleanups are over, a
// goroutine it started is still running this package's code (the code under
// test, not the tests). Call it first, so that its check runs last.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	before := goroutinesInPackage()
	t.Cleanup(func() {
		if t.Failed() {
			return // the first failure says more than the leak it caused
		}
		var leaked []string
		for deadline := time.Now().Add(patience); ; time.Sleep(10 * time.Millisecond) {
			leaked = leaked[:0]
			for id, stack := range goroutinesInPackage() {
				if _, old := before[id]; !old {
					leaked = append(leaked, stack)
				}
			}
			if len(leaked) == 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(leaked) > 0 {
			t.Errorf("%d goroutine(s) still running your code %v after the test ended; "+
				"every goroutine needs an end. Where it is stuck:\n\n%s",
				len(leaked), patience, strings.Join(leaked, "\n\n"))
		}
	})
}

// goroutinesInPackage returns, by goroutine id, the goroutines that are
// running a function from this package's non-test files. Each stack is cut
// down to what it is doing right now and the package's own frames.
func goroutinesInPackage() map[string]string {
	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Dir(self)
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	found := map[string]string{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		lines := strings.Split(g, "\n")
		short := []string{lines[0]}
		ours := false
		// Frames come in pairs: "function(args)", then "\tfile:line +0x…".
		for i := 1; i+1 < len(lines); i += 2 {
			if strings.HasPrefix(lines[i], "created by ") {
				break // the rest is where it was started, not where it runs
			}
			file, _, _ := strings.Cut(strings.TrimSpace(lines[i+1]), ":")
			mine := filepath.Dir(file) == dir && !strings.HasSuffix(file, "_test.go")
			ours = ours || mine
			if mine || i == 1 {
				fn := lines[i]
				if j := strings.LastIndex(fn, "("); j > 0 {
					fn = fn[:j] // drop the arguments, keep net.(*pipe).read whole
				}
				at, _, _ := strings.Cut(strings.TrimSpace(lines[i+1]), " ")
				short = append(short, "    "+fn+"  "+at)
			} else if short[len(short)-1] != "    …" {
				short = append(short, "    …")
			}
		}
		if ours {
			found[strings.Fields(lines[0])[1]] = strings.Join(short, "\n")
		}
	}
	return found
}
