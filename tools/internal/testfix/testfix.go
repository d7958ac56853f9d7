// Package testfix writes fixture workbooks for the tools' tests: a go.work
// and small lessons whose code passes, fails, does not build or hangs,
// written to a test's temporary folder. Nothing here is committed as a
// module of its own.
package testfix

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	// AddTest runs TestAddZero first, so a failing Add still passes one.
	AddTest = `package echo

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
	Pass    = "package echo\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n"
	Fail    = "package echo\n\n// Add adds.\nfunc Add(a, b int) int {\n\t// TODO: add a and b\n\treturn a\n}\n"
	Broken  = "package echo\n\n// Add adds.\nfunc Add(a, b int) int { return a + c }\n"
	Hanging = "package echo\n\n// Add waits for a sum nobody sends.\nfunc Add(a, b int) int {\n\tsums := make(chan int)\n\treturn <-sums\n}\n"
	Hints   = "# Hints\n\nIntro.\n\n## 1. Look at Add\n\nIt returns one number.\n\n## 2. Use +\n\n```go\n## not a heading\nreturn a + b\n```\n\n## 3. Nearly there\n\n`return a + b`\n\n## When the test says…\n\n### \"want 3\"\n\nYou return a alone.\n"
)

// Workbook writes a fixture workbook: for each lesson name ("01-add"), the
// learner's code and the reference's, with AddTest as the tests of both.
// An empty code means no code yet. Module paths are the real workbook's.
func Workbook(t testing.TB, lessons map[string][2]string) string {
	t.Helper()
	root := t.TempDir()
	var use []string
	for name, code := range lessons {
		for i, side := range []string{"lessons", "solutions"} {
			dir := side + "/" + name
			Write(t, root, dir+"/go.mod", fmt.Sprintf("module example.com/echo-workbook/%s\n\ngo 1.26.0\n", dir))
			use = append(use, "./"+dir)
			if code[i] == "" {
				continue
			}
			Write(t, root, dir+"/add.go", code[i])
			Write(t, root, dir+"/add_test.go", AddTest)
		}
		Write(t, root, "lessons/"+name+"/HINTS.md", Hints)
		Write(t, root, "lessons/"+name+"/README.md", "# Lesson "+name+"\n")
	}
	Write(t, root, "go.work", "go 1.26.0\n\nuse (\n\t"+strings.Join(use, "\n\t")+"\n)\n")
	return root
}

// Write writes content to root/rel, making folders.
func Write(t testing.TB, root, rel, content string) {
	t.Helper()
	path := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Read reads root/rel.
func Read(t testing.TB, root, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// GitCommit makes root a git repository with everything committed.
func GitCommit(t testing.TB, root string) {
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

// CleanEnv makes the tests independent of the caller's environment: no
// workspace chosen for them, no terminal, no colour settings. Call it from
// TestMain.
func CleanEnv() {
	for _, v := range []string{"GOWORK", "TERM", "NO_COLOR", "CI", "GOFLAGS", "RACE", "COUNT", "RUN", "ALL", "V", "TIMEOUT", "PORT", "CMD", "ARGS", "LESSON", "POLL", "HINT", "YES", "REQUIRE_ALL"} {
		os.Unsetenv(v)
	}
}
