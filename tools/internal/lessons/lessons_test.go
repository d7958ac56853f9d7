package lessons

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"example.com/echo-workbook/tools/internal/testfix"
)

func TestMain(m *testing.M) {
	testfix.CleanEnv()
	os.Exit(m.Run())
}

func TestFindRootAndList(t *testing.T) {
	root := testfix.Workbook(t, map[string][2]string{"02-two": {testfix.Fail, testfix.Pass}, "01-one": {testfix.Fail, testfix.Pass}})
	testfix.Write(t, root, "lessons/notes/x.txt", "not a lesson")
	got, err := FindRoot(filepath.Join(root, "lessons", "01-one"))
	if err != nil || got != root {
		t.Fatalf("FindRoot from a lesson = %q, %v; want %q", got, err, root)
	}
	if _, err := FindRoot(t.TempDir()); err == nil {
		t.Error("FindRoot outside a workbook: no error")
	}
	all, err := List(root)
	if err != nil || len(all) != 2 || all[0].Name != "01-one" || all[1].Ref != filepath.Join("solutions", "02-two") {
		t.Fatalf("List: %+v, %v", all, err)
	}
	if n := Next(all, all[0]); n == nil || n.Num != "02" {
		t.Errorf("Next(01) = %v", n)
	}
	if n := Next(all, all[1]); n != nil {
		t.Errorf("Next(last) = %v", n)
	}
	for _, ask := range []string{"1", "01", "lesson-01", "01-one"} {
		if ls, err := Pick(all, []string{ask}); err != nil || ls[0].Num != "01" {
			t.Errorf("Pick(%q) = %v, %v", ask, ls, err)
		}
	}
	_, err = Pick(all, []string{"9"})
	var no NoLessonError
	if !errors.As(err, &no) || no.Nearest().Num != "02" || err.Error() != "there is no lesson 09; the lessons are 01-02 (nearest: lesson-02)" {
		t.Errorf("Pick(9): %v", err)
	}
	if mp := ModulePath(filepath.Join(root, all[0].Dir)); mp != "example.com/echo-workbook/lessons/01-one" {
		t.Errorf("ModulePath = %q", mp)
	}
}

func TestLearnerFilesAndNotReady(t *testing.T) {
	root := testfix.Workbook(t, map[string][2]string{"01-one": {testfix.Fail, testfix.Pass}, "02-empty": {"", testfix.Pass}})
	testfix.Write(t, root, "lessons/01-one/cmd/x/main.go", "package main\n")
	testfix.Write(t, root, "lessons/01-one/testdata/skip.go", "package skip\n")
	testfix.Write(t, root, "lessons/01-one/.hidden/skip.go", "package skip\n")
	fs, err := LearnerFiles(filepath.Join(root, "lessons/01-one"))
	if err != nil || len(fs) != 2 || fs["cmd/x/main.go"] == nil || fs["add.go"] == nil {
		t.Errorf("LearnerFiles: %v, %v", fs.Names(), err)
	}
	if why := NotReady(filepath.Join(root, "lessons/01-one")); why != "" {
		t.Errorf("a lesson with code and tests is not ready: %s", why)
	}
	if why := NotReady(filepath.Join(root, "lessons/02-empty")); why != "not ready yet: no Go code" {
		t.Errorf("NotReady(no code) = %q", why)
	}
}

func TestStartersFromGit(t *testing.T) {
	root := testfix.Workbook(t, map[string][2]string{"01-one": {testfix.Fail, testfix.Pass}})
	testfix.GitCommit(t, root)
	all, _ := List(root)
	st := OpenStarters(root, all, true)
	if !st.Untouched(all[0]) {
		t.Fatal("a lesson as committed is not untouched")
	}
	testfix.Write(t, root, "lessons/01-one/add.go", testfix.Pass)
	if st.Untouched(all[0]) {
		t.Error("an edited lesson is untouched")
	}
	// Committing one's work does not make it the starter, once the branch
	// tracks the one it came from.
	testfix.Write(t, root, "lessons/01-one/add.go", testfix.Fail)
	if _, err := Git(root, "branch", "-q", "work"); err != nil {
		t.Fatal(err)
	}
	if _, err := Git(root, "checkout", "-q", "--track", "-b", "mine", "work"); err != nil {
		t.Fatal(err)
	}
	testfix.Write(t, root, "lessons/01-one/add.go", testfix.Pass)
	if _, err := Git(root, "-c", "user.name=x", "-c", "user.email=x@example.com", "commit", "-qam", "my work"); err != nil {
		t.Fatal(err)
	}
	if OpenStarters(root, all, true).Untouched(all[0]) {
		t.Error("committed work counts as the starter")
	}
}

func TestStartersWithoutGit(t *testing.T) {
	root := testfix.Workbook(t, map[string][2]string{"01-one": {testfix.Fail, testfix.Pass}})
	all, _ := List(root)
	if OpenStarters(root, all, false).Untouched(all[0]) {
		t.Error("untouched with no starter to compare with")
	}
	st := OpenStarters(root, all, true) // takes the copy
	if !st.Untouched(all[0]) || st.Describe() != "the copy in "+filepath.Join(".workbook", "starter") {
		t.Errorf("after the copy: untouched %v, from %s", st.Untouched(all[0]), st.Describe())
	}
	testfix.Write(t, root, "lessons/01-one/add.go", testfix.Pass)
	if OpenStarters(root, all, true).Untouched(all[0]) {
		t.Error("a second snapshot replaced the first copy")
	}
}
