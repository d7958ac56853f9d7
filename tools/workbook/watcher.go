package main

// Noticing saves. Two ways, one truth:
//
//   - File events (fsnotify: inotify, kqueue, ReadDirectoryChangesW) say at
//     once that something happened in the lesson's folders. Folders are
//     watched, not files, so a save that replaces the file (vim's
//     backupcopy, JetBrains' "safe write": write a temp file, rename it
//     over) is seen as the Create it ends with.
//   - Polling compares a fingerprint of the lesson's files (names, sizes,
//     times, contents) every interval. It works everywhere, including
//     where events never arrive: Docker bind mounts, network drives, WSL's
//     /mnt/c, some VMs.
//
// In event mode a slow poll still runs as a backstop: if the files changed
// and no event said so over two of its ticks, events are not arriving
// here, and the watcher switches to polling and says so. If the watcher
// cannot start at all (inotify limits, unsupported system), it polls from
// the start.
//
// A burst of saves (save-all, format-on-save writing twice) is one change:
// a change is reported once the events have been quiet for a moment.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchConfig tunes a watcher; zero values take the defaults.
type watchConfig struct {
	poll     bool          // poll from the start
	interval time.Duration // polling interval
	backstop time.Duration // event mode: how often to check that events arrive
	quiet    time.Duration // how long a burst must be quiet to count as one change
}

func (c watchConfig) withDefaults() watchConfig {
	if c.interval == 0 {
		c.interval = 250 * time.Millisecond
	}
	if c.backstop == 0 {
		c.backstop = time.Second
	}
	if c.quiet == 0 {
		c.quiet = 80 * time.Millisecond
	}
	return c
}

// A change is one report of the watcher.
type change struct {
	files []string // what changed, relative to the folder, if known
	note  string   // something the learner should know, e.g. a switch to polling
}

// eventSource is where file events come from: fsnotify, or a test's fake.
type eventSource struct {
	events <-chan string // paths that were created, written, renamed or removed
	errors <-chan error
	add    func(dir string) error
	close  func() error
}

func fsnotifySource() (*eventSource, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	events := make(chan string)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.Events {
			// A chmod alone is not a save (some editors and backup tools
			// touch permissions).
			if ev.Op == fsnotify.Chmod {
				continue
			}
			events <- ev.Name
		}
	}()
	return &eventSource{
		events: events,
		errors: w.Errors,
		add:    w.Add,
		close: func() error {
			err := w.Close() // ends w.Events, and so the goroutine above
			for {
				select {
				case <-done:
					return err
				case <-events: // unblock a send nobody will receive
				}
			}
		},
	}, nil
}

// watch reports changes to the lesson files under dir on the returned
// channel until ctx ends; then it closes the channel. newSource is nil to
// poll only.
func watch(ctx context.Context, dir string, cfg watchConfig, newSource func() (*eventSource, error)) <-chan change {
	cfg = cfg.withDefaults()
	out := make(chan change)
	go func() {
		defer close(out)
		w := &watcher{dir: dir, cfg: cfg, out: out, fp: fingerprint(dir)}
		note := ""
		if !cfg.poll && newSource != nil {
			err := w.useEvents(ctx, newSource)
			if err == nil {
				return // ctx ended
			}
			note = fmt.Sprintf("file events do not work here (%v): checking for saves every %v instead", err, cfg.interval)
		}
		w.poll(ctx, note)
	}()
	return out
}

// useEvents reports changes as file events show them, until ctx ends (nil)
// or events turn out not to work here (the error says why).
func (w *watcher) useEvents(ctx context.Context, newSource func() (*eventSource, error)) error {
	src, err := newSource()
	if err != nil {
		return err
	}
	defer src.close()
	if err := w.addTree(src); err != nil {
		return err
	}
	return w.events(ctx, src)
}

type watcher struct {
	dir string
	cfg watchConfig
	out chan<- change
	fp  string // the fingerprint when the last change was reported
}

// addTree watches dir and every folder in it.
func (w *watcher) addTree(src *eventSource) error {
	return filepath.WalkDir(w.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if path != w.dir && skipDir(d.Name()) {
			return filepath.SkipDir
		}
		return src.add(path)
	})
}

// events reports changes as src sees them. It returns nil when ctx ends,
// and an error when events have stopped being useful.
func (w *watcher) events(ctx context.Context, src *eventSource) error {
	backstop := time.NewTicker(w.cfg.backstop)
	defer backstop.Stop()
	quiet := time.NewTimer(0)
	<-quiet.C
	var pending []string
	suspect := false // the files changed, and no event has come since
	for {
		select {
		case <-ctx.Done():
			return nil
		case path := <-src.events:
			if fi, err := os.Stat(path); err == nil && fi.IsDir() && !skipDir(fi.Name()) {
				src.add(path) // a new folder: watch it too
			}
			if !isWatchedFile(path) {
				continue // editor swap and temp files
			}
			suspect = false
			pending = appendNew(pending, w.rel(path))
			quiet.Reset(w.cfg.quiet)
		case err := <-src.errors:
			// The kernel's queue overflowed, most likely: events were
			// lost, so look for ourselves.
			if err == nil {
				return fmt.Errorf("the event stream closed")
			}
			pending = appendNew(pending, "")
			quiet.Reset(w.cfg.quiet)
		case <-quiet.C:
			fp := fingerprint(w.dir)
			if fp == w.fp && len(pending) == 0 {
				continue
			}
			w.fp, suspect = fp, false
			if !w.send(ctx, change{files: pending}) {
				return nil
			}
			pending = nil
		case <-backstop.C:
			fp := fingerprint(w.dir)
			switch {
			case fp == w.fp || len(pending) > 0:
				suspect = false
			case !suspect:
				suspect = true // give a late event one more tick
			default:
				return fmt.Errorf("a file changed and no event came in %v", 2*w.cfg.backstop)
			}
		}
	}
}

// poll reports a change whenever the fingerprint moves.
func (w *watcher) poll(ctx context.Context, note string) {
	if note != "" && !w.send(ctx, change{note: note}) {
		return
	}
	tick := time.NewTicker(w.cfg.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if fp := fingerprint(w.dir); fp != w.fp {
			w.fp = fp
			if !w.send(ctx, change{}) {
				return
			}
		}
	}
}

func (w *watcher) send(ctx context.Context, c change) bool {
	select {
	case w.out <- c:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *watcher) rel(path string) string {
	if r, err := filepath.Rel(w.dir, path); err == nil {
		return filepath.ToSlash(r)
	}
	return path
}

// isWatchedFile: the files a lesson's build depends on. Everything else an
// editor writes (echo.go.swp, 4913, echo.go~, .#echo.go, echo.go___jb_tmp___)
// is not a save.
func isWatchedFile(path string) bool {
	name := filepath.Base(path)
	return (strings.HasSuffix(name, ".go") && !strings.HasPrefix(name, ".")) || name == "go.mod" || name == "go.sum"
}

func skipDir(name string) bool {
	return name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// fingerprint hashes the watched files under dir: names, sizes,
// modification times and contents. Contents, because a quick second save
// can keep the size and the time (on file systems with 1s or 2s clocks).
func fingerprint(dir string) string {
	h := sha256.New()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if path != dir && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !isWatchedFile(path) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		b, _ := os.ReadFile(path)
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", path, fi.Size(), fi.ModTime().UnixNano())
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
