// Package watch notices saves in a lesson's folder. Two ways, one truth:
//
//   - File events (fsnotify: inotify, kqueue, ReadDirectoryChangesW) say at
//     once that something happened. Folders are watched, not files, so a
//     save that replaces the file (vim, JetBrains' "safe write": write a
//     temporary file, rename it over) is seen as the Create it ends with.
//   - Polling compares a fingerprint of the files (names, sizes, times,
//     contents) every interval. It works everywhere, including where events
//     never arrive: Docker bind mounts, network drives, WSL's /mnt/c.
//
// In event mode a slow poll runs as a backstop: if the files changed and
// no event said so over two of its ticks, events do not arrive here, and
// the watcher says so and polls from then on. Both modes debounce alike: a
// burst of saves (save-all, format-on-save) is one change, reported once
// the files have been still for a quiet period.
package watch

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"example.com/echo-workbook/tools/internal/lessons"
)

// Config tunes a watcher; zero values take the defaults.
type Config struct {
	Poll     bool          // poll from the start
	Interval time.Duration // polling interval
	Backstop time.Duration // event mode: how often to check that events arrive
	Quiet    time.Duration // how long the files must be still to count as one change
}

func (c Config) withDefaults() Config {
	c.Interval = cmp.Or(c.Interval, 250*time.Millisecond)
	c.Backstop = cmp.Or(c.Backstop, time.Second)
	c.Quiet = cmp.Or(c.Quiet, 80*time.Millisecond)
	return c
}

// A Change is one report of the watcher.
type Change struct {
	Files []string // what changed, relative to the folder, when known
	Note  string   // something the learner should know, e.g. a switch to polling
}

// Source is where file events come from: fsnotify, or a test's fake.
type Source struct {
	Events <-chan fsnotify.Event
	Errors <-chan error
	Add    func(dir string) error
	Close  func() error
}

// Fsnotify is the system's file events.
func Fsnotify() (*Source, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	return &Source{Events: w.Events, Errors: w.Errors, Add: w.Add, Close: w.Close}, nil
}

// Watch reports changes to the lesson files under dir until ctx ends, then
// closes the channel. newSource nil polls. A save after Watch returns is
// reported: the watcher is in place by then.
func Watch(ctx context.Context, dir string, cfg Config, newSource func() (*Source, error)) <-chan Change {
	cfg = cfg.withDefaults()
	out := make(chan Change)
	w := &watcher{dir: dir, cfg: cfg, out: out, fp: fingerprint(dir)}
	var src *Source
	var err error
	if !cfg.Poll && newSource != nil {
		src, err = w.startEvents(newSource)
	}
	go func() {
		defer close(out)
		if src != nil {
			err = w.run(ctx, src)
			src.Close()
			if err == nil {
				return // ctx ended
			}
		}
		if err != nil {
			note := fmt.Sprintf("file events do not work here (%v): checking for saves every %v instead", err, cfg.Interval)
			if !w.send(ctx, Change{Note: note}) {
				return
			}
		}
		w.run(ctx, nil)
	}()
	return out
}

type watcher struct {
	dir string
	cfg Config
	out chan<- Change
	fp  string // the fingerprint when the last change was reported
}

// startEvents starts file events on dir and every folder in it.
func (w *watcher) startEvents(newSource func() (*Source, error)) (*Source, error) {
	src, err := newSource()
	if err != nil {
		return nil, err
	}
	err = filepath.WalkDir(w.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if path != w.dir && lessons.SkipDir(d.Name()) {
			return filepath.SkipDir
		}
		return src.Add(path)
	})
	if err != nil {
		src.Close()
		return nil, err
	}
	return src, nil
}

// run reports changes until ctx ends: from src's events, or, with src
// nil, by polling. Both debounce alike: a change is reported once the
// files have been still for the quiet period. With events, the tick is the
// backstop, and run returns an error when events have stopped being useful.
func (w *watcher) run(ctx context.Context, src *Source) error {
	var events <-chan fsnotify.Event
	var errs <-chan error
	every := w.cfg.Interval
	if src != nil {
		events, errs, every = src.Events, src.Errors, w.cfg.Backstop
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	var pending []string
	seen := w.fp     // polling: the fingerprint last looked at
	suspect := false // events: the files changed, and no event has come since
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-events:
			if ev.Op == fsnotify.Chmod {
				continue // not a save: editors and backups touch permissions
			}
			path := ev.Name
			if fi, err := os.Stat(path); err == nil && fi.IsDir() && !lessons.SkipDir(fi.Name()) {
				src.Add(path) // a new folder: watch it too
			}
			if !IsWatchedFile(path) {
				continue // editor swap and temporary files
			}
			suspect = false
			if rel, err := filepath.Rel(w.dir, path); err == nil && !slices.Contains(pending, filepath.ToSlash(rel)) {
				pending = append(pending, filepath.ToSlash(rel))
			}
			quiet.Reset(w.cfg.Quiet)
		case err := <-errs:
			if err == nil {
				return fmt.Errorf("the event stream closed")
			}
			// The kernel's queue overflowed, most likely: events were lost,
			// so look for ourselves.
			quiet.Reset(w.cfg.Quiet)
		case <-tick.C:
			switch fp := fingerprint(w.dir); {
			case src == nil:
				if fp != seen {
					seen = fp
					quiet.Reset(w.cfg.Quiet)
				}
			case fp == w.fp || len(pending) > 0:
				suspect = false
			case !suspect:
				suspect = true // give a late event one more tick
			default:
				return fmt.Errorf("a file changed and no event came in %v", 2*w.cfg.Backstop)
			}
		case <-quiet.C:
			switch fp := fingerprint(w.dir); {
			case src == nil && fp != seen: // still moving
				seen = fp
				quiet.Reset(w.cfg.Quiet)
			case fp == w.fp:
				pending = nil // saved as it was: nothing to run
			default:
				w.fp, seen, suspect = fp, fp, false
				if !w.send(ctx, Change{Files: pending}) {
					return nil
				}
				pending = nil
			}
		}
	}
}

func (w *watcher) send(ctx context.Context, c Change) bool {
	select {
	case w.out <- c:
		return true
	case <-ctx.Done():
		return false
	}
}

// IsWatchedFile: the files a lesson's build depends on. Everything else an
// editor writes (echo.go.swp, 4913, echo.go~, .#echo.go, echo.go___jb_tmp___)
// is not a save.
func IsWatchedFile(path string) bool {
	name := filepath.Base(path)
	return (strings.HasSuffix(name, ".go") && !strings.HasPrefix(name, ".")) || name == "go.mod" || name == "go.sum"
}

// fingerprint hashes the watched files under dir: names, sizes,
// modification times and contents. Contents, because a quick second save
// can keep the size and the time (on file systems with 1s or 2s clocks).
func fingerprint(dir string) string {
	h := sha256.New()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case d.IsDir():
			if path != dir && lessons.SkipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		case !IsWatchedFile(path):
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
