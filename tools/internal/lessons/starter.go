package lessons

// The starter of a lesson is its non-test .go files as the workbook ships
// them. status compares the learner's files with it ("untouched"), reset
// puts it back. Where it comes from:
//   - In a git checkout: the commit the learner started from. That is HEAD,
//     unless the branch tracks an upstream, in which case it is where HEAD
//     forked from it: a learner who commits their own work must not make it
//     "the starter".
//   - Without git (an archive download): a copy taken under
//     .workbook/starter/ the first time a workbook command sees the lesson.
//     `make doctor` before editing anything takes it.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Starters finds lessons' starter files.
type Starters struct {
	root string
	ref  string // the git commit holding the starters; "" without git
}

// OpenStarters finds where the starters are. Without git, and if snapshot
// is set, it first copies the starter of every lesson it has not seen yet.
func OpenStarters(root string, all []Lesson, snapshot bool) *Starters {
	s := &Starters{root: root, ref: starterCommit(root)}
	if s.ref == "" && snapshot {
		for _, l := range all {
			s.snapshot(l) // best effort: a failed copy only means no "untouched" label
		}
	}
	return s
}

// Describe says where the starters come from, for messages.
func (s *Starters) Describe() string {
	if s.ref != "" {
		return "git commit " + s.ref[:min(len(s.ref), 10)]
	}
	return "the copy in " + filepath.Join(".workbook", "starter")
}

// Untouched reports whether the learner's files in l are the starter's.
func (s *Starters) Untouched(l Lesson) bool {
	starter, err := s.Files(l)
	if err != nil {
		return false // nothing to compare with: say what the tests say
	}
	mine, err := LearnerFiles(filepath.Join(s.root, l.Dir))
	return err == nil && starter.Equal(mine)
}

// starterCommit returns the commit the learner's work started from, or ""
// outside a git checkout.
func starterCommit(root string) string {
	head, err := Git(root, "rev-parse", "-q", "--verify", "HEAD^{commit}")
	if err != nil {
		return ""
	}
	if base, err := Git(root, "merge-base", "HEAD", "@{upstream}"); err == nil {
		return base
	}
	return head
}

// Files returns lesson l's starter. An error means there is none: the
// lesson is not committed yet, or (without git) was never seen.
func (s *Starters) Files(l Lesson) (Files, error) {
	if s.ref == "" {
		dir := filepath.Join(s.root, ".workbook", "starter", l.Name)
		if !IsDir(dir) {
			return nil, fmt.Errorf("no git here, and no copy of lesson %s's starter in %s", l.Num, dir)
		}
		return LearnerFiles(dir)
	}
	out, err := Git(s.root, "ls-tree", "-r", "-z", s.ref, "--", filepath.ToSlash(l.Dir)+"/")
	if err != nil {
		return nil, err
	}
	fs := Files{}
	for _, entry := range strings.Split(out, "\x00") {
		meta, path, ok := strings.Cut(entry, "\t") // "100644 blob <id>\tlessons/01-x/echo.go"
		if f := strings.Fields(meta); !ok || len(f) != 3 || f[1] != "blob" || !IsLearnerFile(filepath.Base(path)) {
			continue
		}
		b, err := gitOutput(s.root, "show", s.ref+":"+path)
		if err != nil {
			return nil, err
		}
		fs[strings.TrimPrefix(path, filepath.ToSlash(l.Dir)+"/")] = b
	}
	if len(fs) == 0 {
		return nil, fmt.Errorf("lesson %s has no starter code in %s", l.Num, s.Describe())
	}
	return fs, nil
}

// snapshot copies lesson l's current files as its starter, once.
func (s *Starters) snapshot(l Lesson) error {
	dir := filepath.Join(s.root, ".workbook", "starter", l.Name)
	if IsDir(dir) {
		return nil
	}
	fs, err := LearnerFiles(filepath.Join(s.root, l.Dir))
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
	if err := fs.Write(tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	return os.Rename(tmp, dir) // a copy is there whole or not at all
}

// Git runs git in dir and returns its output, trimmed of the last newline.
func Git(dir string, args ...string) (string, error) {
	b, err := gitOutput(dir, args...)
	return strings.TrimRight(string(b), "\n"), err
}

func gitOutput(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if stderr.Len() > 0 {
			err = errors.New(strings.TrimSpace(stderr.String()))
		}
		return nil, fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return out, nil
}
