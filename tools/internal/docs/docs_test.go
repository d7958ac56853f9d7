package docs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"example.com/echo-workbook/tools/internal/testfix"
)

func TestIncluded(t *testing.T) {
	root := t.TempDir()
	testfix.Write(t, root, "docs/lessons/01-add.md", "# Add\n\n```text\n--8<-- \"docs/outputs/01-add/starter.txt\"\n```\n\n    --8<-- \"docs/outputs/01-add/forgot-b.txt\"\n--8<-- \"lessons/01-add/add.go\"\n")
	testfix.Write(t, root, "docs/concepts/failures.md", "--8<-- \"docs/outputs/concepts/race.txt\"\n--8<-- \"docs/outputs/01-add/starter.txt\"\n")
	testfix.Write(t, root, "lessons/01-add/HINTS.md", "--8<-- \"docs/outputs/01-add/hint.txt\"\n")
	outs, err := Included(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range outs {
		got = append(got, o.Lesson+"/"+o.Name)
	}
	if strings.Join(got, " ") != "01-add/forgot-b 01-add/hint 01-add/starter concepts/race" {
		t.Errorf("included: %v", got)
	}
	if !outs[3].Example || outs[0].Example || outs[1].IncBy != filepath.Join("lessons", "01-add", "HINTS.md") {
		t.Errorf("outputs: %+v", outs)
	}
}

func TestCleanAndSignature(t *testing.T) {
	out := "--- FAIL: TestAdd (0.00s)\n    add_test.go:12: Add(1, 2) = 1, want 3\n/tmp/scratch/x/add.go:3\n/home/me/wb/lessons/01-add/add_test.go:1\nFAIL\n"
	got := Clean(out, "/home/me/wb", "/tmp/scratch/x", "lessons/01-add")
	if !strings.Contains(got, "~/echo-workbook/lessons/01-add/add.go:3") || !strings.Contains(got, "~/echo-workbook/lessons/01-add/add_test.go:1") {
		t.Errorf("Clean:\n%s", got)
	}
	long := strings.Repeat("log line\n", 500)
	if n := strings.Count(Clean(long, "/r", "", ""), "\n"); n != 53 {
		t.Errorf("a long output keeps %d lines, want 12 + the cut + 40", n)
	}
	sig := Signature(out)
	if strings.Join(sig, "|") != "FAIL TestAdd|  add_test.go: Add(N, N) = N," {
		t.Errorf("signature %q", sig)
	}
	// Line numbers, counts and timings do not matter; the failing test does.
	if s := Stale(out, strings.ReplaceAll(strings.ReplaceAll(out, "12", "14"), "0.00s", "2.01s")); s != "" {
		t.Errorf("stale on numbers alone: %s", s)
	}
	if s := Stale(out, strings.ReplaceAll(out, "TestAdd", "TestSub")); !strings.Contains(s, "a fresh run says:") {
		t.Errorf("not stale when another test fails first: %q", s)
	}
	race := out + "WARNING: DATA RACE\n"
	if Stale(race, out) == "" || Stale(race, race) != "" || Stale(out, race) != "" {
		t.Error("a race: recorded, it must be there; fresh, it does not make a recording stale")
	}
}

func TestCheckDiagrams(t *testing.T) {
	root := t.TempDir()
	testfix.Write(t, root, "docs/diagrams/a.mmd", "graph LR; A-->B\n")
	testfix.Write(t, root, "docs/diagrams/b.mmd", "graph LR; B-->C\n")
	testfix.Write(t, root, "docs/diagrams/a.svg", "<!-- rendered from a.mmd sha256:"+sourceHash(filepath.Join(root, "docs/diagrams/a.mmd"))+" by make diagrams -->\n<svg/>")
	ps := CheckDiagrams(root)
	if len(ps) != 1 || !strings.Contains(ps[0], "b.mmd: not rendered") {
		t.Errorf("problems: %q", ps)
	}
	testfix.Write(t, root, "docs/diagrams/a.mmd", "graph LR; A-->C\n")
	if ps := CheckDiagrams(root); len(ps) != 2 || !strings.Contains(ps[0], "a.svg: out of date") {
		t.Errorf("after an edit: %q", ps)
	}
}

func TestPages(t *testing.T) {
	root := t.TempDir()
	site := filepath.Join(root, "site")
	testfix.Write(t, root, "docs/index.md", "# Home\n")
	testfix.Write(t, root, "docs/lessons/01-add.md", "# Add\n\n--8<-- \"lessons/01-add/README.md\"\n\n```go\n--8<-- \"lessons/01-add/add.go\"\n```\n")
	testfix.Write(t, root, "lessons/01-add/README.md", "Intro.\n\n# Lesson 01: [Add](x.md) *two* numbers\n")
	testfix.Write(t, root, "lessons/01-add/add.go", "package add\n\nfunc Add(a, b int) int { return a + b }\n")
	for _, p := range []string{"index.html", "lessons/01-add/index.html", "404.html"} {
		testfix.Write(t, site, p, "<html></html>")
	}
	pages, err := Pages(root, site)
	if err != nil || len(pages) != 2 {
		t.Fatalf("pages %+v, %v", pages, err)
	}
	if p := pages[0]; p.Path != "" || p.Title != "The Echo Workbook" || len(p.Contains) != 0 {
		t.Errorf("home: %+v", p)
	}
	if p := pages[1]; p.Path != "lessons/01-add/" || strings.Join(p.Contains, "|") != "Lesson 01: Add two numbers|func Add(a, b int) int { return a + b }" {
		t.Errorf("lesson page: %+v", p)
	}
	if _, err := Pages(root, filepath.Join(root, "nothing")); err == nil {
		t.Error("no site, no error")
	}
	os.RemoveAll(site)
}
