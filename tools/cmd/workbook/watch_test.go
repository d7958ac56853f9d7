package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/lessons"
	"example.com/echo-workbook/tools/internal/term"
	"example.com/echo-workbook/tools/internal/testfix"
	"example.com/echo-workbook/tools/internal/watch"
)

// syncBuffer is an output a test reads while watch writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// watching runs the watch loop on a fixture lesson that fails, and returns
// its folder, its output and its keys; the loop stops when the test ends.
func watching(t *testing.T, cfg watch.Config) (string, *syncBuffer, chan byte) {
	t.Helper()
	os.Unsetenv("GOWORK")
	root := testfix.Workbook(t, map[string][2]string{"01-add": {testfix.Fail, testfix.Pass}, "02-next": {testfix.Fail, testfix.Pass}})
	all, _ := lessons.List(root)
	o := watchOptions{root: root, lesson: all[0], next: &all[1], test: gotest.Options{Failfast: true, Timeout: time.Minute}, cfg: cfg}
	out, keys := &syncBuffer{}, make(chan byte)
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		watchLoop(ctx, term.Plain(out), o, keys, "h, r or q")
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ended:
		case <-time.After(30 * time.Second):
			t.Error("watch did not stop within 30s of its context ending")
		}
	})
	waitFor(t, out, "the first run's end", "stuck? make lesson-01 hint", 1)
	return filepath.Join(root, all[0].Dir), out, keys
}

// waitFor waits until s occurs n times in the output; a minute is
// generous, for a loaded machine where a go test takes seconds.
func waitFor(t *testing.T, out *syncBuffer, what, s string, n int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); strings.Count(out.String(), s) < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s; the output so far:\n%s", what, out.String())
		}
	}
}

func TestWatchRunsOnSave(t *testing.T) {
	t.Parallel()
	dir, out, _ := watching(t, watch.Config{Poll: true, Interval: 20 * time.Millisecond})
	testfix.Write(t, dir, "add.go", testfix.Pass)
	waitFor(t, out, "the lesson to pass", "Lesson 01 passes.", 1)
	for _, want := range []string{"--- FAIL: TestAdd", "make lesson-01 diff", "Next: make lesson-02 watch", "h, r or q"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output does not say %q:\n%s", want, out.String())
		}
	}
}

// TestWatchKeys: h shows the next hint, r runs again without go's cache,
// q quits.
func TestWatchKeys(t *testing.T) {
	t.Parallel()
	_, out, keys := watching(t, watch.Config{Poll: true})
	keys <- 'h'
	waitFor(t, out, "hint 1", "hint 1 of 3: Look at Add", 1)
	keys <- 'h'
	waitFor(t, out, "hint 2", "hint 2 of 3: Use +", 1)
	keys <- 'r'
	waitFor(t, out, "a second run", "(run again", 1)
	waitFor(t, out, "its result", "stuck? make lesson-01 hint", 2)
	keys <- 'q'
	// The cleanup fails the test if q did not end the loop.
}
