package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestStatus: every kind of lesson gets its line, untouched is told apart
// from failing by git, and the next step is the first lesson not done.
func TestStatus(t *testing.T) {
	root := workbook(t, map[string][2]string{
		"01-done":      {failCode, passCode},
		"02-started":   {failCode, passCode},
		"03-untouched": {failCode, passCode},
		"04-broken":    {failCode, passCode},
		"05-hangs":     {failCode, passCode},
		"06-empty":     {"", passCode},
	})
	gitCommit(t, root)
	write(t, root, "lessons/01-done/add.go", passCode)
	write(t, root, "lessons/02-started/add.go", failCode+"\n// started\n")
	write(t, root, "lessons/04-broken/add.go", brokenCode)
	write(t, root, "lessons/05-hangs/add.go", hangingCode)
	lessons := mustLessons(t, root)
	st := openStarters(root, lessons, true)

	var updates int
	all := checkLessons(context.Background(), root, lessons, st, testOptions{timeout: 3 * time.Second}, false, func(int, lessonStatus) { updates++ })
	if updates != len(lessons) {
		t.Errorf("%d updates for %d lessons", updates, len(lessons))
	}
	if r := all[2].result; r.elapsed != 0 || r.outcome != notReady {
		t.Errorf("the untouched lesson was run: %+v", r)
	}
	var out syncBuffer
	sc := plainScreen(&out)
	for _, s := range all {
		out.Write([]byte(statusLine(sc, s, "") + "\n"))
	}
	lines := strings.Split(out.String(), "\n")
	for i, want := range []string{
		"✓ 01 done                     passing   2 tests",
		"✗ 02 started                  failing   TestAdd: Add(1, 2) = 1, want 3: does Add return a + b?",
		"· 03 untouched                untouched",
		"✗ 04 broken                   no build  ./add.go:4:37: undefined: c",
		"✗ 05 hangs                    hangs     TestAddZero did not finish within 3s",
		"- 06 empty                    not ready no Go code",
	} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d:\n%s\nwant it to contain:\n%s", i+1, lines[i], want)
		}
	}
	if got := nextStep(sc, all); !strings.Contains(got, "make lesson-02 watch") {
		t.Errorf("next step: %q, want lesson 02", got)
	}
	if got := nextStep(sc, all[:1]); !strings.Contains(got, "Every lesson passes") {
		t.Errorf("next step when all pass: %q", got)
	}
	if got := nextStep(sc, all[2:]); !strings.Contains(got, "make lesson-03 test") {
		t.Errorf("next step for an untouched lesson: %q", got)
	}
}

// TestStatusRunsUntouched: with -all an untouched lesson is run, and its
// failure keeps the untouched label.
func TestStatusRunsUntouched(t *testing.T) {
	root := workbook(t, map[string][2]string{"01-untouched": {failCode, passCode}})
	gitCommit(t, root)
	lessons := mustLessons(t, root)
	all := checkLessons(context.Background(), root, lessons, openStarters(root, lessons, true), testOptions{timeout: time.Minute}, true, nil)
	if r := all[0].result; r.outcome != failed || !all[0].untouched {
		t.Errorf("got %+v, untouched %v; want a failed run, untouched", r, all[0].untouched)
	}
	if got := statusLine(plainScreen(&syncBuffer{}), all[0], ""); !strings.Contains(got, "untouched") {
		t.Errorf("line %q", got)
	}
}

// TestStatusLessonOutsideWorkspace: a lesson go.work does not list makes
// the one go test for all lessons fail at once; each lesson then runs
// alone, and only that one says why.
func TestStatusLessonOutsideWorkspace(t *testing.T) {
	root := workbook(t, map[string][2]string{"01-done": {passCode, passCode}})
	write(t, root, "lessons/02-orphan/go.mod", "module example.com/fixture/lessons/02-orphan\n\ngo 1.26.0\n")
	write(t, root, "lessons/02-orphan/add.go", passCode)
	write(t, root, "lessons/02-orphan/add_test.go", addTest)
	lessons := mustLessons(t, root)
	all := checkLessons(context.Background(), root, lessons, openStarters(root, lessons, false), testOptions{timeout: time.Minute}, false, nil)
	if r := all[0].result; r.outcome != passed {
		t.Errorf("lesson 01: %+v, want passed", r)
	}
	if r := all[1].result; r.outcome != broken || !strings.Contains(r.message, "go.work") {
		t.Errorf("lesson 02, outside go.work: %+v, want broken, naming go.work", r)
	}
}

// TestStatusSecondStepFails: a lesson failing in the shared second step
// (its cmd/ test) stops the packages after it (-failfast); the other
// lesson is then run alone, and all of its tests count.
func TestStatusSecondStepFails(t *testing.T) {
	root := workbook(t, map[string][2]string{"01-cmd": {passCode, passCode}, "02-fine": {passCode, passCode}})
	write(t, root, "lessons/01-cmd/cmd/add/main.go", "package main\n\nfunc main() {}\n")
	write(t, root, "lessons/01-cmd/cmd/add/main_test.go", "package main\n\nimport \"testing\"\n\nfunc TestProgram(t *testing.T) { t.Fatal(\"the program is wrong\") }\n")
	write(t, root, "lessons/02-fine/cmd/add/main.go", "package main\n\nfunc main() {}\n")
	write(t, root, "lessons/02-fine/cmd/add/main_test.go", "package main\n\nimport \"testing\"\n\nfunc TestProgram(t *testing.T) {}\n")
	lessons := mustLessons(t, root)
	all := checkLessons(context.Background(), root, lessons, openStarters(root, lessons, false), testOptions{timeout: time.Minute}, false, nil)
	if r := all[0].result; r.outcome != failed || r.test != "TestProgram" {
		t.Errorf("lesson 01: %+v, want failed in TestProgram", r)
	}
	if r := all[1].result; r.outcome != passed || r.passed != 3 {
		t.Errorf("lesson 02: %+v, want passed, 3 tests", r)
	}
}

func TestProgressBar(t *testing.T) {
	sc := plainScreen(&syncBuffer{})
	if got := sc.bar(1, 4, 8); got != "[##------]" {
		t.Errorf("bar(1, 4, 8) = %q", got)
	}
}
