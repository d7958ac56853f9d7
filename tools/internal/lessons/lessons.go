// Package lessons finds the workbook and its lessons: where the root is,
// which lessons there are, and which files in a lesson are the learner's.
package lessons

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
)

// A Lesson is a numbered pair of modules: the learner's starter in
// lessons/NN-slug and the reference in solutions/NN-slug.
type Lesson struct {
	Num  string // "01"
	Name string // "01-blocking-echo"
	Dir  string // lessons/01-blocking-echo, relative to the root
	Ref  string // solutions/01-blocking-echo, relative to the root
}

var lessonName = regexp.MustCompile(`^(\d\d)-[a-z0-9-]+$`)

// FindRoot returns the workbook's root: the nearest directory from dir up
// that holds go.work and a lessons folder.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if IsFile(filepath.Join(dir, "go.work")) && IsDir(filepath.Join(dir, "lessons")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the workbook (no go.work next to a lessons folder here or above)")
		}
		dir = parent
	}
}

// List returns the lessons under root, in order.
func List(root string) ([]Lesson, error) {
	entries, err := os.ReadDir(filepath.Join(root, "lessons"))
	if err != nil {
		return nil, fmt.Errorf("listing the lessons: %w", err)
	}
	var ls []Lesson
	for _, e := range entries { // ReadDir sorts by name
		if m := lessonName.FindStringSubmatch(e.Name()); e.IsDir() && m != nil {
			ls = append(ls, Lesson{
				Num:  m[1],
				Name: e.Name(),
				Dir:  filepath.Join("lessons", e.Name()),
				Ref:  filepath.Join("solutions", e.Name()),
			})
		}
	}
	return ls, nil
}

// Pick returns the lessons named in nums ("3", "03" and "lesson-03" all
// mean lesson 03); no nums means all of them.
func Pick(all []Lesson, nums []string) ([]Lesson, error) {
	if len(nums) == 0 {
		return all, nil
	}
	var picked []Lesson
	for _, n := range nums {
		n = strings.TrimPrefix(n, "lesson-")
		if len(n) == 1 {
			n = "0" + n
		}
		i := slices.IndexFunc(all, func(l Lesson) bool { return l.Num == n || l.Name == n })
		if i < 0 {
			return nil, NoLessonError{n, all}
		}
		picked = append(picked, all[i])
	}
	return picked, nil
}

// NoLessonError says a lesson does not exist, and which one is nearest.
type NoLessonError struct {
	Asked string
	All   []Lesson
}

func (e NoLessonError) Error() string {
	if len(e.All) == 0 {
		return fmt.Sprintf("there is no lesson %s: there are no lessons yet", e.Asked)
	}
	return fmt.Sprintf("there is no lesson %s; the lessons are %s-%s (nearest: lesson-%s)",
		e.Asked, e.All[0].Num, e.All[len(e.All)-1].Num, e.Nearest().Num)
}

// Nearest is the lesson whose number is closest to the one asked for, or
// the first lesson when the ask is not a number.
func (e NoLessonError) Nearest() Lesson {
	n, err := strconv.Atoi(e.Asked)
	if err != nil {
		return e.All[0]
	}
	distance := func(l Lesson) int {
		a, _ := strconv.Atoi(l.Num)
		return max(a-n, n-a)
	}
	// MinFunc returns the first of equals: the lower lesson wins a tie.
	return slices.MinFunc(e.All, func(a, b Lesson) int { return cmp.Compare(distance(a), distance(b)) })
}

// Next returns the lesson after l in all, or nil after the last.
func Next(all []Lesson, l Lesson) *Lesson {
	i := slices.IndexFunc(all, func(x Lesson) bool { return x.Name == l.Name })
	if i < 0 || i+1 >= len(all) {
		return nil
	}
	return &all[i+1]
}

// ModulePath reads the module path from dir/go.mod, or returns "".
func ModulePath(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return ""
	}
	return modfile.ModulePath(b)
}

// Files maps paths relative to a folder (with forward slashes) to contents.
type Files map[string][]byte

// Names returns the paths in f, sorted.
func (f Files) Names() []string { return slices.Sorted(maps.Keys(f)) }

// Equal reports whether f and g hold the same files with the same bytes.
func (f Files) Equal(g Files) bool { return maps.EqualFunc(f, g, bytes.Equal) }

// Write writes f under dir, creating folders as needed.
func (f Files) Write(dir string) error {
	for n, b := range f {
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

// LearnerFiles reads the non-test .go files under dir: the learner's code.
// Folders go ignores (testdata, names starting with . or _) are skipped.
func LearnerFiles(dir string) (Files, error) {
	out := Files{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && SkipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !IsLearnerFile(d.Name()) {
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

// IsLearnerFile: a Go file that is not a test.
func IsLearnerFile(name string) bool {
	return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")
}

// SkipDir: folders the go command ignores.
func SkipDir(name string) bool {
	return name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// NotReady says why the module in dir cannot be tested yet, or "".
func NotReady(dir string) string {
	code, tests := false, false
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if name := e.Name(); !e.IsDir() && strings.HasSuffix(name, ".go") {
			tests = tests || strings.HasSuffix(name, "_test.go")
			code = code || !strings.HasSuffix(name, "_test.go")
		}
	}
	switch {
	case !IsFile(filepath.Join(dir, "go.mod")):
		return "not ready yet: no go.mod"
	case !code:
		return "not ready yet: no Go code"
	case !tests:
		return "not ready yet: no tests"
	}
	return ""
}

// IsFile reports whether path is a regular file.
func IsFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// IsDir reports whether path is a folder.
func IsDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
