package corpus

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/testfix"
)

const entry = `Add returns a alone: the learner forgot b.
want: does Add return a + b?
-- add.go: replace --
func Add(a, b int) int { return a + b }
-- add.go: with --
func Add(a, b int) int { return a }
`

func TestParse(t *testing.T) {
	m, err := Parse("solutions/01-add/mistakes/forgot-b.txtar", []byte(entry))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "forgot-b" || m.Want != "does Add return a + b?" || m.Race || m.About != "Add returns a alone: the learner forgot b." {
		t.Errorf("parsed %+v", m)
	}
	m, err = Parse("x.txtar", []byte("Races.\nwant: DATA RACE\nrace: needed\nshows: TestAdd\n-- a.go --\npackage a\n"))
	if err != nil || !m.Race || m.Shows != "TestAdd" || !m.edits[0].whole {
		t.Errorf("race: needed, shows: TestAdd and a whole file: %+v, %v", m, err)
	}
	for _, bad := range []struct{ text, says string }{
		{"No want.\n-- a.go: replace --\nx\n-- a.go: with --\ny\n", "no 'want:' line"},
		{"want: x\n-- a.go: replace --\nx\n-- a.go: with --\ny\n", "0 lines of description"},
		{"One.\nTwo.\nThree.\nFour.\nwant: x\n-- a.go --\n", "4 lines of description"},
		{"A.\nwant: x\nrun: TestX\n-- a.go --\n", "delete the run: line"},
		{"A.\nwant: x\nrace: maybe\n-- a.go --\n", "'race: needed'"},
		{"A.\nwant: x\nshows: TestA TestB\n-- a.go --\n", "shows: names one test"},
		{"A.\nwant: x\n", "no edits"},
		{"A.\nwant: x\n-- a.go: replace --\nx\n", "must be followed by '-- a.go: with --'"},
		{"A.\nwant: x\n-- a.go: replace --\nx\n-- b.go: with --\ny\n", "must be followed by '-- a.go: with --'"},
		{"A.\nwant: x\n-- a.go: with --\ny\n", "must follow a '-- a.go: replace --'"},
	} {
		if _, err := Parse("bad.txtar", []byte(bad.text)); err == nil || !strings.Contains(err.Error(), bad.says) || !strings.HasPrefix(err.Error(), "bad.txtar: ") {
			t.Errorf("Parse(%q): %v; want an error naming the file and saying %q", bad.text, err, bad.says)
		}
	}
}

func TestApply(t *testing.T) {
	root := testfix.Workbook(t, map[string][2]string{"01-add": {testfix.Fail, testfix.Pass}})
	testfix.Write(t, root, "solutions/01-add/cmd/add/main.go", "package main\n\nimport _ \"example.com/echo-workbook/solutions/01-add\"\n\nfunc main() {}\n")
	testfix.Write(t, root, "solutions/01-add/mistakes/forgot-b.txtar", entry)
	ref := filepath.Join(root, "solutions/01-add")
	m, err := Parse("forgot-b.txtar", []byte(entry))
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "copy")
	if err := m.Apply(ref, dst, "example.com/echo-workbook/solutions/01-add", "example.com/echo-workbook/lessons/01-add"); err != nil {
		t.Fatal(err)
	}
	if got := testfix.Read(t, dst, "add.go"); !strings.Contains(got, "{ return a }") {
		t.Errorf("the edit was not applied:\n%s", got)
	}
	if got := testfix.Read(t, dst, "go.mod"); !strings.HasPrefix(got, "module example.com/echo-workbook/lessons/01-add\n") {
		t.Errorf("go.mod keeps the solution's path:\n%s", got)
	}
	if got := testfix.Read(t, dst, "cmd/add/main.go"); !strings.Contains(got, `"example.com/echo-workbook/lessons/01-add"`) {
		t.Errorf("the program imports:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(dst, "mistakes")); err == nil {
		t.Error("the corpus was copied into the scratch module")
	}
	if got := testfix.Read(t, ref, "add.go"); got != testfix.Pass {
		t.Error("the reference itself changed")
	}
	// The reference moved on: the text to replace is gone.
	m.edits[0].old = []byte("func Add(a, b int) int { return b + a }\n")
	err = m.Apply(ref, filepath.Join(t.TempDir(), "copy"), "", "")
	if err == nil || !strings.Contains(err.Error(), "occurs 0 times") || !strings.Contains(err.Error(), "did the reference change?") {
		t.Errorf("a replace text that is not there: %v", err)
	}
}

func TestJudge(t *testing.T) {
	m := Mistake{Want: "does Add return a + b?"}
	caught := gotest.Result{Outcome: gotest.Failed, Test: "TestAdd", Output: []string{"--- FAIL: TestAdd (0.00s)", "    add_test.go:12: Add(1, 2) = 1, want 3: does Add", "        return a + b?"}}
	if p := m.Judge(caught); p != "" {
		t.Errorf("a catch with the phrase (wrapped over two lines): %s", p)
	}
	dump := caught
	dump.Output = append(slices.Clone(caught.Output), "    goroutine 7 [IO wait]:", strings.Repeat("    net.(*conn).Read(…)\n", 200))
	dump.Output = append(append(strings.Split(strings.Repeat("2026/12/02 11:30:00 echo: client reset\n", 100), "\n"), "=================="),
		append(strings.Split(strings.Repeat("WARNING: DATA RACE at client.go:12\n", 100), "\n"), append([]string{"=================="}, dump.Output...)...)...)
	dump.Text = strings.Repeat("2026/12/02 11:30:00 echo: client reset\n", 200)
	if p := m.Judge(dump); p != "" {
		t.Errorf("a catch with log lines and a race report before the message, a goroutine dump after it, and 200 log lines: %s", p)
	}
	for _, c := range []struct {
		r    gotest.Result
		says string
	}{
		{gotest.Result{Outcome: gotest.Passed}, "the tests PASS with this mistake"},
		{gotest.Result{Outcome: gotest.Hung, Message: "TestAdd did not finish"}, "caught only by a hang"},
		{gotest.Result{Outcome: gotest.Broken, Details: []string{"./add.go:3: undefined: c"}}, "does not build or vet"},
		{gotest.Result{Outcome: gotest.Failed, Test: "TestAdd", Panic: "panic: boom", Output: caught.Output}, "panics the test binary (panic: boom)"},
		{gotest.Result{Outcome: gotest.Failed, Test: "TestAddZero", Output: []string{"    add_test.go:5: Add(0, 0) = 1, want 0"}}, `TestAddZero, does not say "does Add return a + b?"`},
		{gotest.Result{Outcome: gotest.Failed, Test: "TestAdd", Output: append(slices.Clone(caught.Output), strings.Repeat("    every pause: 1ms\n", 100))}, "characters before any goroutine dump (at most 1500"},
		{gotest.Result{Outcome: gotest.Failed, Test: "TestAdd", Output: caught.Output, Text: strings.Repeat("2026/12/02 11:30:00 echo: accept: too many open files\n", 201)}, "201 lines of the code's own log output"},
	} {
		if p := m.Judge(c.r); !strings.Contains(p, c.says) {
			t.Errorf("Judge(%v) = %q, want it to say %q", c.r.Outcome, p, c.says)
		}
	}
}
