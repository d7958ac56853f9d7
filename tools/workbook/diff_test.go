package main

import (
	"os/exec"
	"strings"
	"testing"
)

// apply replays edits: what '-' and ' ' give must be a, what '+' and ' '
// give must be b. Any script that fails this is wrong, shortest or not.
func apply(edits []edit) (a, b []string) {
	for _, e := range edits {
		if e.op != '+' {
			a = append(a, e.line)
		}
		if e.op != '-' {
			b = append(b, e.line)
		}
	}
	return a, b
}

func TestDiffLines(t *testing.T) {
	cases := []struct{ a, b string }{
		{"", ""},
		{"", "x\n"},
		{"x\n", ""},
		{"a\nb\nc\n", "a\nb\nc\n"},
		{"a\nb\nc\n", "a\nx\nc\n"},
		{"a\nb\nc\nd\ne\n", "b\nc\ne\nf\n"},
		{"abcabba", "cbabac"}, // Myers' own example, a line per letter
		{"no newline", "no newline\n"},
	}
	for _, c := range cases {
		a, b := splitLines([]byte(c.a)), splitLines([]byte(c.b))
		if c.a == "abcabba" {
			a, b = strings.Split(c.a, ""), strings.Split(c.b, "")
		}
		edits := diffLines(a, b)
		ga, gb := apply(edits)
		if strings.Join(ga, "") != strings.Join(a, "") || strings.Join(gb, "") != strings.Join(b, "") {
			t.Errorf("diff of %q and %q does not replay: %q", c.a, c.b, edits)
		}
		if c.a == "abcabba" {
			changes := 0
			for _, e := range edits {
				if e.op != ' ' {
					changes++
				}
			}
			if changes != 5 { // the paper's D for this pair
				t.Errorf("abcabba to cbabac in %d edits, want 5", changes)
			}
		}
	}
}

// TestDiffLesson: the learner's code against the reference, tests and
// go.mod left out, a plain unified diff that patch(1) applies.
func TestDiffLesson(t *testing.T) {
	root := workbook(t, map[string][2]string{"01-add": {failCode, passCode}})
	write(t, root, "lessons/01-add/extra.go", "package echo\n")
	l := mustLessons(t, root)[0]
	var out syncBuffer
	n, err := diffLesson(plainScreen(&out), root, l)
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if n != 2 {
		t.Errorf("%d files differ, want 2 (add.go, extra.go):\n%s", n, got)
	}
	want := `--- solutions/01-add/add.go
+++ lessons/01-add/add.go
@@ -1,4 +1,7 @@
 package echo
 
 // Add adds.
-func Add(a, b int) int { return a + b }
+func Add(a, b int) int {
+	// TODO: add a and b
+	return a
+}
--- /dev/null
+++ lessons/01-add/extra.go
@@ -0,0 +1 @@
+package echo
`
	if got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(got, "go.mod") || strings.Contains(got, "_test.go") {
		t.Errorf("the diff shows go.mod or tests:\n%s", got)
	}
	if strings.Contains(got, "\033[") {
		t.Errorf("plain output has escape codes")
	}

	// patch(1) accepts it: reversed, it takes the learner's files back to
	// the reference.
	if _, err := exec.LookPath("patch"); err == nil {
		cmd := exec.Command("patch", "-p0", "-R", "--dry-run", "-s")
		cmd.Dir = root
		cmd.Stdin = strings.NewReader(got)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("patch rejects the diff: %v\n%s", err, out)
		}
	}
}

func TestDiffLessonSameAsReference(t *testing.T) {
	root := workbook(t, map[string][2]string{"01-add": {passCode, passCode}})
	// cmd/ imports the lesson by its module path, which differs between
	// the two trees and must not show.
	for _, side := range []string{"lessons", "solutions"} {
		write(t, root, side+"/01-add/cmd/add/main.go", "package main\n\nimport echo \"example.com/fixture/"+side+"/01-add\"\n\nfunc main() { echo.Add(1, 2) }\n")
	}
	var out syncBuffer
	n, err := diffLesson(plainScreen(&out), root, mustLessons(t, root)[0])
	if err != nil || n != 0 || out.String() != "" {
		t.Errorf("identical code: %d files differ, error %v, output:\n%s", n, err, out.String())
	}
}

func TestDiffColour(t *testing.T) {
	var out syncBuffer
	sc := &screen{w: &out, color: true, width: 80}
	unified(sc, diffLines([]string{"a\n"}, []string{"b\n"}), 3)
	if !strings.Contains(out.String(), "\033[31m-a\033[0m") || !strings.Contains(out.String(), "\033[32m+b\033[0m") {
		t.Errorf("coloured diff: %q", out.String())
	}
}
