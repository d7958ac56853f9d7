package watch

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain runs every test at once unless -parallel says otherwise: they
// wait out quiet periods and polls, and barely use a CPU, so go test's
// default (one at a time per CPU) would only queue them.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", "16")
	}
	os.Exit(m.Run())
}

// watching starts a watcher on a folder with one Go file, and returns the
// folder and its changes; the watcher stops when the test ends, and the
// test fails if it does not.
func watching(t *testing.T, cfg Config, newSource func() (*Source, error)) (string, <-chan Change) {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "add.go"), "package add\n")
	ctx, cancel := context.WithCancel(context.Background())
	changes := Watch(ctx, dir, cfg, newSource)
	t.Cleanup(func() {
		cancel()
		for {
			select {
			case _, ok := <-changes:
				if !ok {
					return
				}
			case <-time.After(30 * time.Second):
				t.Error("the watcher did not stop within 30s of its context ending")
				return
			}
		}
	})
	return dir, changes
}

// next waits for the next change; a minute is generous for a loaded box.
func next(t *testing.T, changes <-chan Change, what string) Change {
	t.Helper()
	select {
	case c := <-changes:
		return c
	case <-time.After(time.Minute):
		t.Fatalf("no change reported within a minute after %s", what)
		return Change{}
	}
}

// none checks that no change comes while the watcher has had time to
// report one: three quiet periods and three polls.
func none(t *testing.T, changes <-chan Change, cfg Config, after string) {
	t.Helper()
	cfg = cfg.withDefaults()
	select {
	case c := <-changes:
		t.Errorf("a second change after %s: %+v", after, c)
	case <-time.After(3*cfg.Quiet + 3*cfg.Interval):
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// saveRename saves the way JetBrains' "safe write" and vim's default do:
// write a temporary file, then rename it over the real one.
func saveRename(t *testing.T, path, content string) {
	t.Helper()
	write(t, path+"___jb_tmp___", content)
	if err := os.Rename(path+"___jb_tmp___", path); err != nil {
		t.Fatal(err)
	}
}

// saveAside saves the way vim does with backupcopy=no: move the file
// aside, write a new one, delete the old.
func saveAside(t *testing.T, path, content string) {
	t.Helper()
	if err := os.Rename(path, path+"~"); err != nil {
		t.Fatal(err)
	}
	write(t, path, content)
	if err := os.Remove(path + "~"); err != nil {
		t.Fatal(err)
	}
}

func TestWatchSeesEachKindOfSave(t *testing.T) {
	t.Parallel()
	for name, save := range map[string]func(*testing.T, string, string){
		"write":       func(t *testing.T, p, c string) { write(t, p, c) },
		"rename over": saveRename,
		"move aside":  saveAside,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// A quiet period well above the default, so that a loaded
			// machine pausing between a save's steps does not split it.
			// Events only (the backstop never ticks): the polling interval
			// only makes none wait longer.
			cfg := Config{Quiet: 300 * time.Millisecond, Backstop: time.Hour, Interval: 20 * time.Millisecond}
			dir, changes := watching(t, cfg, Fsnotify)
			save(t, filepath.Join(dir, "add.go"), "package add // saved\n")
			c := next(t, changes, "a save")
			if c.Note != "" {
				t.Skipf("file events do not work in this test's folder: %s", c.Note)
			}
			if len(c.Files) != 1 || c.Files[0] != "add.go" {
				t.Errorf("the change names %q, want [add.go]", c.Files)
			}
			none(t, changes, cfg, "one save")
		})
	}
}

// TestWatchDebouncesBursts: ten saves in a row are one change, by file
// events and by polling alike.
func TestWatchDebouncesBursts(t *testing.T) {
	t.Parallel()
	for _, poll := range []bool{false, true} {
		t.Run(map[bool]string{false: "events", true: "polling"}[poll], func(t *testing.T) {
			t.Parallel()
			// The quiet period is far longer than the burst and than a poll.
			cfg := Config{Poll: poll, Interval: 20 * time.Millisecond, Quiet: 500 * time.Millisecond, Backstop: time.Hour}
			// A burst is saves closer together than the quiet period. On a
			// loaded machine the test itself can pause that long between
			// two saves, and then two changes are right: such a try says
			// nothing about the watcher, so it is made again.
			for range 3 {
				dir, changes := watching(t, cfg, Fsnotify)
				path := filepath.Join(dir, "add.go")
				start := time.Now()
				for i := range 10 {
					saveRename(t, path, "package add\n"+strings.Repeat("\n", i+1))
				}
				took := time.Since(start)
				if c := next(t, changes, "a burst of saves"); c.Note != "" {
					t.Skipf("file events do not work here: %s", c.Note)
				}
				if took > cfg.Quiet/2 {
					t.Logf("10 saves took %v, not a burst next to a quiet period of %v: trying again", took, cfg.Quiet)
					continue
				}
				none(t, changes, cfg, "one burst")
				return
			}
			t.Skip("the machine was too busy to save 10 times within half the quiet period, three times in a row")
		})
	}
}

// TestWatchFallsBackToPolling: when events never arrive, the backstop sees
// the change, says so, and polls from then on.
func TestWatchFallsBackToPolling(t *testing.T) {
	t.Parallel()
	silent := func() (*Source, error) {
		return &Source{Add: func(string) error { return nil }, Close: func() error { return nil }}, nil
	}
	cfg := Config{Backstop: 50 * time.Millisecond, Interval: 20 * time.Millisecond}
	dir, changes := watching(t, cfg, silent)
	write(t, filepath.Join(dir, "add.go"), "package add // 1\n")
	c := next(t, changes, "a save no event reports")
	if !strings.Contains(c.Note, "file events do not work here (a file changed and no event came") {
		t.Errorf("the switch to polling is not explained: %+v", c)
	}
	write(t, filepath.Join(dir, "add.go"), "package add // 2\n")
	if c := next(t, changes, "a save, by polling"); c.Note != "" {
		t.Errorf("a second note: %+v", c)
	}
}

func TestWatchPollsWhenEventsCannotStart(t *testing.T) {
	t.Parallel()
	broken := func() (*Source, error) { return nil, errors.New("too many open files") }
	dir, changes := watching(t, Config{Interval: 20 * time.Millisecond}, broken)
	if c := next(t, changes, "starting"); !strings.Contains(c.Note, "file events do not work here (too many open files)") {
		t.Errorf("the fallback to polling is not explained: %+v", c)
	}
	write(t, filepath.Join(dir, "add.go"), "package add // 1\n")
	next(t, changes, "a save, by polling")
}

func TestWatchIgnoresEditorFiles(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"add.go.swp", "4913", "add.go~", ".#add.go", "add.go___jb_tmp___", "README.md"} {
		if IsWatchedFile(name) {
			t.Errorf("%s counts as a save", name)
		}
	}
	for _, name := range []string{"add.go", "cmd/x/main.go", "go.mod", "go.sum"} {
		if !IsWatchedFile(name) {
			t.Errorf("%s is not watched", name)
		}
	}
	cfg := Config{Quiet: 50 * time.Millisecond, Interval: 20 * time.Millisecond, Poll: true}
	dir, changes := watching(t, cfg, nil)
	write(t, filepath.Join(dir, "add.go.swp"), "swap")
	write(t, filepath.Join(dir, "notes.md"), "notes")
	none(t, changes, cfg, "editor files")
}
