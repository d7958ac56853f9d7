package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestResetFromGit: the starter comes back from git, the learner's files
// (their own new one too) go to a timestamped backup, the tests stay.
func TestResetFromGit(t *testing.T) {
	root := workbook(t, map[string][2]string{"01-add": {failCode, passCode}})
	gitCommit(t, root)
	l := mustLessons(t, root)[0]
	write(t, root, "lessons/01-add/add.go", passCode)
	write(t, root, "lessons/01-add/helper.go", "package echo\n\nvar helper = 1\n")
	write(t, root, "lessons/01-add/add_test.go", addTest+"// the learner's note\n")

	st := openStarters(root, mustLessons(t, root), false)
	if st.ref == "" {
		t.Fatal("no git commit found for the starter")
	}
	p, err := planReset(st, root, l)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.restore, ",") != "add.go" || strings.Join(p.remove, ",") != "helper.go" {
		t.Fatalf("plan: restore %q, remove %q; want add.go, helper.go", p.restore, p.remove)
	}
	now := time.Date(2026, 11, 24, 9, 30, 5, 0, time.UTC)
	saved, err := applyReset(root, l, p, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, root, "lessons/01-add/add.go"); got != failCode {
		t.Errorf("add.go after reset:\n%s\nwant the starter:\n%s", got, failCode)
	}
	if _, err := os.Stat(filepath.Join(root, "lessons/01-add/helper.go")); !os.IsNotExist(err) {
		t.Errorf("the learner's helper.go is still there (%v)", err)
	}
	if got := read(t, root, "lessons/01-add/add_test.go"); !strings.HasSuffix(got, "// the learner's note\n") {
		t.Error("reset touched the tests")
	}
	if want := filepath.Join(root, ".workbook/backup/01-add/20261124-093005"); saved != want {
		t.Errorf("backup in %s, want %s", saved, want)
	}
	for name, want := range map[string]string{"add.go": passCode, "helper.go": "package echo\n\nvar helper = 1\n"} {
		if got := read(t, saved, name); got != want {
			t.Errorf("backup of %s:\n%s\nwant:\n%s", name, got, want)
		}
	}
	if isUntouched(st, root, l) != true {
		t.Error("after reset, the lesson is not untouched")
	}

	// A second reset in the same second gets its own folder.
	write(t, root, "lessons/01-add/add.go", passCode)
	p, _ = planReset(st, root, l)
	again, err := applyReset(root, l, p, now)
	if err != nil || again == saved || read(t, saved, "helper.go") == "" {
		t.Errorf("second backup in %s (first %s), error %v", again, saved, err)
	}
}

// TestResetWithoutGit: without git, the starter is the copy the first
// workbook command took, before the learner's edits.
func TestResetWithoutGit(t *testing.T) {
	root := workbook(t, map[string][2]string{"01-add": {failCode, passCode}})
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(root)) // even if TMPDIR is in a repository
	lessons := mustLessons(t, root)
	if st := openStarters(root, lessons, true); st.ref != "" {
		t.Fatalf("found git commit %s in a folder with no repository", st.ref)
	}
	if got := read(t, root, ".workbook/starter/01-add/add.go"); got != failCode {
		t.Fatalf("the starter copy holds:\n%s", got)
	}
	write(t, root, "lessons/01-add/add.go", passCode)
	st := openStarters(root, lessons, true) // must not copy the edited file over the first copy
	if isUntouched(st, root, lessons[0]) {
		t.Error("an edited lesson is untouched")
	}
	p, err := planReset(st, root, lessons[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := applyReset(root, lessons[0], p, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := read(t, root, "lessons/01-add/add.go"); got != failCode {
		t.Errorf("add.go after reset:\n%s", got)
	}
}

func TestResetNoStarter(t *testing.T) {
	root := workbook(t, map[string][2]string{"01-add": {failCode, passCode}})
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(root))
	st := openStarters(root, mustLessons(t, root), false)
	if _, err := planReset(st, root, mustLessons(t, root)[0]); err == nil {
		t.Error("no git and no copy of the starter, yet a reset plan")
	}
}

// TestResetRefusesWithoutTerminal: no terminal to ask on, no -yes: no
// change, and an error that says how to go ahead.
func TestResetRefusesWithoutTerminal(t *testing.T) {
	root := workbook(t, map[string][2]string{"01-add": {failCode, passCode}})
	gitCommit(t, root)
	write(t, root, "lessons/01-add/add.go", passCode)
	t.Chdir(root)
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	stdin := os.Stdin
	os.Stdin = null
	defer func() { os.Stdin = stdin }()
	if code := runReset([]string{"01"}); code != 2 {
		t.Errorf("reset from /dev/null returned %d, want 2", code)
	}
	if got := read(t, root, "lessons/01-add/add.go"); got != passCode {
		t.Error("reset changed the files without asking")
	}
	if code := runReset([]string{"-yes", "01"}); code != 0 || read(t, root, "lessons/01-add/add.go") != failCode {
		t.Errorf("reset -yes returned %d and left add.go as:\n%s", code, read(t, root, "lessons/01-add/add.go"))
	}
}

func TestConfirm(t *testing.T) {
	for answer, want := range map[string]bool{"y\n": true, "YES\n": true, "\n": false, "n\n": false, "": false, "yep\n": false} {
		var out syncBuffer
		if got := confirm(&out, strings.NewReader(answer), "Go ahead?"); got != want {
			t.Errorf("answer %q: %v, want %v", answer, got, want)
		}
	}
}
