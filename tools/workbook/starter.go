package main

// The starter of a lesson is its non-test .go files as the workbook ships
// them. status compares the learner's files with it ("untouched"), reset
// puts it back.
//
// Where it comes from:
//   - In a git checkout (the normal case): the commit the learner started
//     from. That is HEAD, unless the branch tracks an upstream, in which
//     case it is where HEAD forked from it: a learner who commits their own
//     work must not make it "the starter".
//   - Without git (a downloaded archive, or no git installed): a copy the
//     workbook takes under .workbook/starter/ the first time a workbook
//     command (doctor, status, watch, hint, diff) sees the lesson. Run
//     `make doctor` before editing anything, and the copy is the starter.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// files maps a path relative to a lesson's folder (with forward slashes) to
// its content.
type files map[string][]byte

func (f files) names() []string {
	var names []string
	for n := range f {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// sameFiles reports whether a and b hold the same files with the same bytes.
func sameFiles(a, b files) bool {
	if len(a) != len(b) {
		return false
	}
	for n, x := range a {
		if y, ok := b[n]; !ok || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

// learnerFiles reads the non-test .go files under dir: the learner's code.
// Folders go ignores (testdata, and names starting with . or _) are skipped.
func learnerFiles(dir string) (files, error) {
	out := files{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != dir && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !isLearnerFile(name) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	return out, nil
}

func isLearnerFile(name string) bool {
	return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")
}

// starters finds lessons' starter files.
type starters struct {
	root string
	ref  string // the git commit holding the starters; "" without git
}

// openStarters finds where the starters are. Without git, and if snapshot
// is set, it first copies the starter of every lesson it has not seen yet.
func openStarters(root string, lessons []lesson, snapshot bool) *starters {
	s := &starters{root: root, ref: starterCommit(root)}
	if s.ref == "" && snapshot {
		for _, l := range lessons {
			// Best effort: a failed copy only means no "untouched" label.
			s.snapshot(l)
		}
	}
	return s
}

// describe says where the starters come from, for messages.
func (s *starters) describe() string {
	if s.ref != "" {
		return "git commit " + shortHash(s.ref)
	}
	return "the copy in " + filepath.Join(".workbook", "starter")
}

// starterCommit returns the commit the learner's work started from, or ""
// when root is not in a git checkout.
func starterCommit(root string) string {
	head, err := git(root, "rev-parse", "-q", "--verify", "HEAD^{commit}")
	if err != nil {
		return ""
	}
	if up, err := git(root, "rev-parse", "-q", "--verify", "@{upstream}"); err == nil {
		if base, err := git(root, "merge-base", "HEAD", up); err == nil {
			return base
		}
	}
	return head
}

// files returns lesson l's starter. An error means there is none: the
// lesson is not committed yet, or (without git) was never seen.
func (s *starters) files(l lesson) (files, error) {
	if s.ref == "" {
		dir := filepath.Join(s.root, ".workbook", "starter", l.Name)
		if !isDir(dir) {
			return nil, fmt.Errorf("no git here, and no copy of lesson %s's starter in %s", l.Num, dir)
		}
		return learnerFiles(dir)
	}
	out, err := git(s.root, "ls-tree", "-r", "-z", s.ref, "--", l.Dir+"/")
	if err != nil {
		return nil, err
	}
	var ids, names []string
	for _, entry := range strings.Split(out, "\x00") {
		// "100644 blob <id>\tlessons/01-x/echo.go"
		meta, path, ok := strings.Cut(entry, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || f[1] != "blob" || !isLearnerFile(filepath.Base(path)) {
			continue
		}
		rel, err := filepath.Rel(l.Dir, filepath.FromSlash(path))
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		ids, names = append(ids, f[2]), append(names, filepath.ToSlash(rel))
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("lesson %s has no starter code in git commit %s", l.Num, shortHash(s.ref))
	}
	blobs, err := gitBlobs(s.root, ids)
	if err != nil {
		return nil, err
	}
	fs := files{}
	for i, n := range names {
		fs[n] = blobs[i]
	}
	return fs, nil
}

// snapshot copies lesson l's current files as its starter, once.
func (s *starters) snapshot(l lesson) error {
	dir := filepath.Join(s.root, ".workbook", "starter", l.Name)
	if isDir(dir) {
		return nil
	}
	fs, err := learnerFiles(filepath.Join(s.root, l.Dir))
	if err != nil || len(fs) == 0 {
		return err // nothing to copy yet: the lesson is being written
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-")
	if err != nil {
		return err
	}
	if err := writeFiles(tmp, fs); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	// A rename, so a copy is there whole or not at all.
	return os.Rename(tmp, dir)
}

// writeFiles writes fs under dir, creating folders as needed.
func writeFiles(dir string, fs files) error {
	for n, b := range fs {
		path := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// gitBlobs reads the objects ids in one git process.
func gitBlobs(root string, ids []string) ([][]byte, error) {
	cmd := exec.Command("git", "cat-file", "--batch")
	cmd.Dir = root
	cmd.Stdin = strings.NewReader(strings.Join(ids, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	r := bufio.NewReader(bytes.NewReader(out))
	var blobs [][]byte
	for range ids {
		header, err := r.ReadString('\n') // "<id> blob <size>"
		f := strings.Fields(header)
		if err != nil || len(f) != 3 {
			return nil, fmt.Errorf("git cat-file: unexpected %q", header)
		}
		size, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("git cat-file: unexpected %q", header)
		}
		b := make([]byte, size+1) // the content, then "\n"
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("git cat-file: %w", err)
		}
		blobs = append(blobs, b[:size])
	}
	return blobs, nil
}

// git runs git in dir and returns its trimmed output.
func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && stderr.Len() > 0 {
			err = errors.New(strings.TrimSpace(stderr.String()))
		}
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimRight(string(out), "\n"), nil
}

func shortHash(h string) string { return h[:min(len(h), 10)] }
