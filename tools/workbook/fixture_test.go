package main

// Fixture workbooks, written to a temporary folder by each test: a go.work
// and small lessons whose code passes, fails, does not build or hangs. No
// go.mod is committed under the repository for them.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// The test runs TestAddZero first, so a failing Add still passes one.
	addTest = `package echo

import "testing"

func TestAddZero(t *testing.T) {
	if got := Add(0, 0); got != 0 {
		t.Fatalf("Add(0, 0) = %d, want 0", got)
	}
}

func TestAdd(t *testing.T) {
	if got := Add(1, 2); got != 3 {
		t.Fatalf("Add(1, 2) = %d, want 3: does Add return a + b?", got)
	}
}
`
	passCode    = "package echo\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n"
	failCode    = "package echo\n\n// Add adds.\nfunc Add(a, b int) int {\n\t// TODO: add a and b\n\treturn a\n}\n"
	brokenCode  = "package echo\n\n// Add adds.\nfunc Add(a, b int) int { return a + c }\n"
	hangingCode = "package echo\n\n// Add waits for a sum nobody sends.\nfunc Add(a, b int) int {\n\tsums := make(chan int)\n\treturn <-sums\n}\n"
	hintsMD     = "# Hints\n\nIntro.\n\n## 1. Look at Add\n\nIt returns one number.\n\n## 2. Use +\n\n```go\n## not a heading\nreturn a + b\n```\n\n## 3. Nearly there\n\n`return a + b`\n\n## When the test says…\n\n### \"want 3\"\n\nYou return a alone.\n"
)

// workbook writes a fixture workbook: for each lesson name ("01-add"), the
// learner's code and the reference code, with addTest as the tests of
// both. An empty code means the lesson has no code yet.
func workbook(t *testing.T, lessons map[string][2]string) string {
	t.Helper()
	root := t.TempDir()
	var use []string
	for name, code := range lessons {
		for i, side := range []string{"lessons", "solutions"} {
			dir := filepath.Join(side, name)
			write(t, root, dir+"/go.mod", fmt.Sprintf("module example.com/fixture/%s/%s\n\ngo 1.26.0\n", side, name))
			use = append(use, "./"+filepath.ToSlash(dir))
			if code[i] == "" {
				continue
			}
			write(t, root, dir+"/add.go", code[i])
			write(t, root, dir+"/add_test.go", addTest)
		}
		write(t, root, "lessons/"+name+"/HINTS.md", hintsMD)
	}
	write(t, root, "go.work", "go 1.26.0\n\nuse (\n\t"+strings.Join(use, "\n\t")+"\n)\n")
	return root
}

func write(t *testing.T, root, rel, content string) {
	t.Helper()
	path := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, root, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// gitCommit makes root a git repository with everything committed.
func gitCommit(t *testing.T, root string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "."},
		{"-c", "user.name=fixture", "-c", "user.email=fixture@example.com", "commit", "-q", "-m", "fixture"},
	} {
		if out, err := exec.Command("git", append([]string{"-C", root}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

func mustLessons(t *testing.T, root string) []lesson {
	t.Helper()
	ls, err := findLessons(root)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// syncBuffer is an output that a test reads while a command writes to it.
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

func plainScreen(w *syncBuffer) *screen { return &screen{w: w, width: 200} }

// waitFor waits until ok(output) holds, failing the test after a minute:
// generous, since a loaded machine can take seconds per go test.
func waitFor(t *testing.T, out *syncBuffer, what string, ok func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok(out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s; the output so far:\n%s", what, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
