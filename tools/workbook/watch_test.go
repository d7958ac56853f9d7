package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// watching starts watchLoop on a fixture lesson that fails, and returns
// its output, the key channel and a stop function that waits for the loop.
func watching(t *testing.T, cfg watchConfig, newSource func() (*eventSource, error)) (root string, out *syncBuffer, keys chan byte, stop func()) {
	t.Helper()
	root = workbook(t, map[string][2]string{"01-add": {failCode, passCode}, "02-next": {failCode, passCode}})
	ls := mustLessons(t, root)
	o := watchOptions{root: root, lesson: ls[0], next: &ls[1], test: testOptions{timeout: time.Minute}, cfg: cfg, newSource: newSource}
	out, keys = &syncBuffer{}, make(chan byte)
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		watchLoop(ctx, plainScreen(out), o, keys, "h, r or q")
	}()
	stop = func() {
		cancel()
		select {
		case <-ended:
		case <-time.After(30 * time.Second):
			t.Error("watch did not stop within 30s of its context ending")
		}
	}
	t.Cleanup(stop)
	waitFor(t, out, "the first run's failure", has("✗ TestAdd", 1))
	return root, out, keys, stop
}

// has: s occurs at least n times.
func has(s string, n int) func(string) bool {
	return func(out string) bool { return strings.Count(out, s) >= n }
}

func runs(out string) int { return strings.Count(out, "• running lesson 01's tests") }

// saveJetBrains saves the way JetBrains' "safe write" and vim's default do:
// write a temporary file, then rename it over the real one.
func saveJetBrains(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + "___jb_tmp___"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// saveVim saves the way vim does with backupcopy=no: move the file aside,
// write a new one, delete the old.
func saveVim(t *testing.T, path, content string) {
	t.Helper()
	if err := os.Rename(path, path+"~"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path + "~"); err != nil {
		t.Fatal(err)
	}
}

func TestWatchEvents(t *testing.T) {
	for name, save := range map[string]func(*testing.T, string, string){
		"write":           func(t *testing.T, p, c string) { write(t, filepath.Dir(p), filepath.Base(p), c) },
		"rename over":     saveJetBrains,
		"move aside, new": saveVim,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// A quiet time well above the default, so that a loaded machine
			// pausing the test between a save's steps does not split it.
			root, out, _, _ := watching(t, watchConfig{quiet: 300 * time.Millisecond}, fsnotifySource)
			if strings.Contains(out.String(), "polling") {
				t.Skipf("file events do not work in this test's folder:\n%s", out.String())
			}
			save(t, filepath.Join(root, "lessons/01-add/add.go"), passCode)
			waitFor(t, out, "the lesson to pass", has("✓ Lesson 01 passes: all 2 tests.", 1))
			for _, want := range []string{"(add.go changed)", "make lesson-01 diff", "make lesson-02 watch"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("the output does not say %q:\n%s", want, out.String())
				}
			}
			if n := runs(out.String()); n != 2 {
				t.Errorf("%d runs for one save, want 2 (the first, then the save):\n%s", n, out.String())
			}
			if strings.Contains(out.String(), "do not work here") {
				t.Errorf("the save was seen by the polling backstop, not by an event:\n%s", out.String())
			}
		})
	}
}

// TestWatchBurst: many saves in a row are one run, of the last version.
func TestWatchBurst(t *testing.T) {
	for _, mode := range []string{"events", "polling"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			// A quiet time far longer than the burst: a loaded machine must
			// not split it.
			cfg := watchConfig{quiet: 500 * time.Millisecond, poll: mode == "polling", interval: 50 * time.Millisecond}
			root, out, _, _ := watching(t, cfg, fsnotifySource)
			path := filepath.Join(root, "lessons/01-add/add.go")
			for i := range 10 {
				code := failCode + strings.Repeat("\n", i)
				if i == 9 {
					code = passCode
				}
				saveJetBrains(t, path, code)
			}
			waitFor(t, out, "the lesson to pass", has("✓ Lesson 01 passes", 1))
			// Polling may see the burst's start and its end on two ticks;
			// events are debounced into one.
			limit := map[string]int{"events": 2, "polling": 3}[mode]
			if n := runs(out.String()); n > limit || n < 2 {
				t.Errorf("%d runs for a burst of 10 saves, want 2 to %d (the first, then the burst):\n%s", n, limit, out.String())
			}
		})
	}
}

// TestWatchFallsBackToPolling: when events never arrive, the backstop sees
// the change, says so, and polls from then on.
func TestWatchFallsBackToPolling(t *testing.T) {
	silent := func() (*eventSource, error) {
		return &eventSource{add: func(string) error { return nil }, close: func() error { return nil }}, nil
	}
	cfg := watchConfig{backstop: 100 * time.Millisecond, interval: 50 * time.Millisecond}
	root, out, _, _ := watching(t, cfg, silent)
	path := filepath.Join(root, "lessons/01-add/add.go")
	saveJetBrains(t, path, passCode)
	waitFor(t, out, "the lesson to pass", has("✓ Lesson 01 passes", 1))
	if !strings.Contains(out.String(), "file events do not work here (a file changed and no event came") {
		t.Errorf("the switch to polling is not explained:\n%s", out.String())
	}
	// And polling goes on working.
	saveJetBrains(t, path, failCode)
	waitFor(t, out, "the next failure", has("✗ TestAdd", 2))
}

func TestWatchNoEventsAtAll(t *testing.T) {
	broken := func() (*eventSource, error) { return nil, errors.New("too many open files") }
	root, out, _, _ := watching(t, watchConfig{interval: 50 * time.Millisecond}, broken)
	if !strings.Contains(out.String(), "file events do not work here (too many open files)") {
		t.Errorf("the fallback to polling is not explained:\n%s", out.String())
	}
	write(t, root, "lessons/01-add/add.go", passCode)
	waitFor(t, out, "the lesson to pass", has("✓ Lesson 01 passes", 1))
}

// TestWatchKeys: h shows the next hint, r runs again, q quits.
func TestWatchKeys(t *testing.T) {
	_, out, keys, stop := watching(t, watchConfig{poll: true}, nil)
	keys <- 'h'
	waitFor(t, out, "hint 1", has("hint 1 of 3: Look at Add", 1))
	keys <- 'h'
	waitFor(t, out, "hint 2", has("hint 2 of 3: Use +", 1))
	keys <- 'r'
	waitFor(t, out, "a second run", has("(run again)", 1))
	waitFor(t, out, "its result", has("✗ TestAdd", 2))
	keys <- 'q'
	stop() // returns at once if q ended the loop; fails the test after 30s if not
}

func TestWatchIgnoresEditorFiles(t *testing.T) {
	for _, name := range []string{"add.go.swp", "4913", "add.go~", ".#add.go", "add.go___jb_tmp___", "README.md"} {
		if isWatchedFile(name) {
			t.Errorf("%s counts as a save", name)
		}
	}
	for _, name := range []string{"add.go", "cmd/x/main.go", "go.mod", "go.sum"} {
		if !isWatchedFile(name) {
			t.Errorf("%s is not watched", name)
		}
	}
}
