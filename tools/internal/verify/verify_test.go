package verify

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/echo-workbook/tools/internal/lessons"
	"example.com/echo-workbook/tools/internal/testfix"
)

func TestMain(m *testing.M) {
	testfix.CleanEnv()
	// The fixtures' tests take milliseconds; a hang is cut off sooner than
	// a lesson's, and the tests, each on a workbook of its own, run in
	// parallel while a hang waits.
	testTimeout = 3 * time.Second
	os.Exit(m.Run())
}

const givenSub = "\n// Sub subtracts: given code.\nfunc Sub(a, b int) int { return a - b }\n"

// TestLesson checks a fixture lesson with a good starter and solution and
// a corpus with one entry of each kind verify must tell apart.
func TestLesson(t *testing.T) {
	t.Parallel()
	root := testfix.Workbook(t, map[string][2]string{"01-add": {testfix.Fail + givenSub, testfix.Pass + strings.Replace(givenSub, "a - b", "-b + a", 1)}})
	for _, p := range []string{"lessons", "instructor"} {
		testfix.Write(t, root, "docs/"+p+"/01-add.md", "# Add\n\n--8<-- \"docs/outputs/01-add/forgot-b.txt\"\n--8<-- \"docs/outputs/01-add/gone.txt\"\n--8<-- \"docs/outputs/01-add/starter.txt\"\n")
	}
	kit := "package echo\n\n// kit: shared.\n"
	testfix.Write(t, root, "tools/testkit/kit_test.go", kit)
	testfix.Write(t, root, "lessons/01-add/kit_test.go", kit)
	testfix.Write(t, root, "solutions/01-add/kit_test.go", kit+"// drifted\n")
	replace := "-- add.go: replace --\nfunc Add(a, b int) int { return a + b }\n-- add.go: with --\n"
	for name, text := range map[string]string{
		"forgot-b":   "Add returns a alone.\nwant: does Add return a + b?\n" + replace + "func Add(a, b int) int { return a }\n",
		"wrong-want": "Add returns a alone.\nwant: Add must not be empty\n" + replace + "func Add(a, b int) int { return a }\n",
		"swapped":    "Add adds the other way round.\nwant: anything\n" + replace + "func Add(a, b int) int { return b + a }\n",
		"hangs":      "Add waits for nothing.\nwant: anything\n" + replace + "func Add(a, b int) int { select {} }\n",
		"no-build":   "Add uses a name that does not exist.\nwant: anything\n" + replace + "func Add(a, b int) int { return a + c }\n",
	} {
		testfix.Write(t, root, "solutions/01-add/mistakes/"+name+".txtar", text)
	}
	testfix.Write(t, root, "docs/outputs/01-add/forgot-b.txt", "--- FAIL: TestAddZero (0.00s)\n    add_test.go:7: Add(0, 0) = 1, want 0\nFAIL\n")
	all, _ := lessons.List(root)
	x := &v{Options: Options{Root: root, All: all, Lessons: all, Count: 1, Out: &bytes.Buffer{}}, sem: make(chan struct{}, 4), scratch: t.TempDir()}
	var out bytes.Buffer
	var mu sync.Mutex
	x.lesson(context.Background(), all[0], func(name, format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		out.WriteString(name + " " + strings.TrimSpace(strings.ReplaceAll(format, "%s", "%v")) + "\n")
		out.WriteString(strings.Join(strings.Fields(sprintf(format, args...)), " ") + "\n")
	})
	report := strings.Join(x.problems, "\n")
	for _, want := range []string{
		"solutions/01-add/mistakes/wrong-want.txtar: the first failure, TestAdd, does not say \"Add must not be empty\"",
		"solutions/01-add/mistakes/swapped.txtar: the tests PASS with this mistake",
		"solutions/01-add/mistakes/hangs.txtar: caught only by a hang",
		"solutions/01-add/mistakes/no-build.txtar: does not build or vet",
		"given code differs from the solution's (or is missing there) in add.go: func Sub",
		"solutions/01-add/kit_test.go is not a copy of tools/testkit/kit_test.go",
		"docs/outputs/01-add/forgot-b.txt (shown by docs/instructor/01-add.md) is out of date",
		"includes docs/outputs/01-add/gone.txt, but there is no corpus entry solutions/01-add/mistakes/gone.txt",
		"docs/outputs/01-add/starter.txt (shown by docs/instructor/01-add.md) is missing",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the problems do not say %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "forgot-b.txtar:") {
		t.Errorf("a caught mistake is reported:\n%s", report)
	}
	line := out.String()
	for _, want := range []string{"FAIL (10)", "starter fails first by TestAdd in", "solution passes ×1", "corpus 1/5 caught, slowest forgot-b", "2 recorded outputs"} {
		if !strings.Contains(line, want) {
			t.Errorf("the lesson's line does not say %q:\n%s", want, line)
		}
	}
}

// TestStarterThatPasses: a starter must fail.
func TestStarterThatPasses(t *testing.T) {
	t.Parallel()
	root := testfix.Workbook(t, map[string][2]string{"01-add": {testfix.Pass, testfix.Pass}})
	all, _ := lessons.List(root)
	x := &v{Options: Options{Root: root, All: all}, sem: make(chan struct{}, 2)}
	var problem string
	x.judgeStarter(x.runStarter(context.Background(), all[0]), func(f string, a ...any) { problem = sprintf(f, a...) })
	if !strings.Contains(problem, "the starter passes its tests") {
		t.Errorf("a passing starter: %q", problem)
	}
}

func TestWorkspace(t *testing.T) {
	t.Parallel()
	root := testfix.Workbook(t, map[string][2]string{"01-add": {testfix.Fail, testfix.Pass}})
	testfix.Write(t, root, "tools/go.mod", "module example.com/echo-workbook/tools\n\ngo 1.26.0\n")
	testfix.Write(t, root, "extra/go.mod", "module example.com/elsewhere\n\ngo 1.25.0\n")
	all, _ := lessons.List(root)
	x := &v{Options: Options{Root: root, All: all}}
	x.workspace(func(string, string, ...any) {})
	report := strings.Join(x.problems, "\n")
	for _, want := range []string{
		"go.work does not use ./tools",
		"go.work does not use ./extra",
		filepath.Join("extra", "go.mod") + ": the go line must read 'go 1.26.0'",
		filepath.Join("extra", "go.mod") + ": the module path must be example.com/echo-workbook/extra",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the problems do not say %q:\n%s", want, report)
		}
	}
	if len(x.problems) != 4 {
		t.Errorf("%d problems, want 4:\n%s", len(x.problems), report)
	}
}

func TestClassroomGradesEveryLesson(t *testing.T) {
	t.Parallel()
	root := testfix.Workbook(t, map[string][2]string{"01-add": {testfix.Fail, testfix.Pass}, "02-add": {testfix.Fail, testfix.Pass}})
	testfix.Write(t, root, ".github/workflows/classroom.yml", "steps:\n  - with:\n      command: make lesson-01 test\n")
	all, _ := lessons.List(root)
	x := &v{Options: Options{Root: root, All: all}}
	x.classroom(&tally{x: x})
	if len(x.problems) != 1 || !strings.Contains(x.problems[0], "grades no lesson 02: add its step (command: make lesson-02 test)") {
		t.Errorf("problems: %q, want lesson 02 named", x.problems)
	}
}

func sprintf(format string, args ...any) string {
	return strings.TrimSpace(fmt.Sprintf(format, args...))
}

// TestRecord: make docs-outputs writes what pages include, from the same
// runs verify checks them with, so a recording is current at once; it
// refuses to record from uncommitted solutions.
func TestRecord(t *testing.T) {
	t.Parallel()
	root := testfix.Workbook(t, map[string][2]string{"01-add": {testfix.Fail, testfix.Pass}})
	testfix.Write(t, root, "docs/lessons/01-add.md", "--8<-- \"docs/outputs/01-add/starter.txt\"\n--8<-- \"docs/outputs/01-add/forgot-b.txt\"\n")
	testfix.Write(t, root, "solutions/01-add/mistakes/forgot-b.txtar", "Add returns a alone.\nwant: does Add return a + b?\n-- add.go: replace --\nfunc Add(a, b int) int { return a + b }\n-- add.go: with --\nfunc Add(a, b int) int { return a }\n")
	testfix.GitCommit(t, root)
	all, _ := lessons.List(root)
	var out bytes.Buffer
	o := Options{Root: root, All: all, Lessons: all, Out: &out}
	if !Record(context.Background(), o) {
		t.Fatalf("Record failed:\n%s", out.String())
	}
	starter := testfix.Read(t, root, "docs/outputs/01-add/starter.txt")
	mistake := testfix.Read(t, root, "docs/outputs/01-add/forgot-b.txt")
	for _, want := range []string{"--- FAIL: TestAdd (", "does Add return a + b?", "FAIL\texample.com/echo-workbook/lessons/01-add\t"} {
		if !strings.Contains(starter, want) || !strings.Contains(mistake, want) {
			t.Errorf("the recordings lack %q:\n%s\n%s", want, starter, mistake)
		}
	}
	if strings.Contains(mistake, "solutions/01-add") || strings.Contains(mistake, os.TempDir()) {
		t.Errorf("the recording shows the scratch copy, not the learner's lesson:\n%s", mistake)
	}
	x := &v{Options: o, sem: make(chan struct{}, 2), scratch: t.TempDir()}
	x.lesson(context.Background(), all[0], func(string, string, ...any) {})
	for _, p := range x.problems {
		if strings.Contains(p, "docs/outputs") {
			t.Errorf("just recorded, and: %s", p)
		}
	}
	testfix.Write(t, root, "solutions/01-add/add.go", testfix.Pass+"// edited\n")
	out.Reset()
	if Record(context.Background(), o) || !strings.Contains(out.String(), "solutions/ has uncommitted changes") {
		t.Errorf("recorded from an edited solution:\n%s", out.String())
	}
}

// TestRecordShows: a corpus entry whose first failure varies names the test
// its page shows (shows:), and the recording is that test's failure, run
// alone, which verify finds current.
func TestRecordShows(t *testing.T) {
	t.Parallel()
	root := testfix.Workbook(t, map[string][2]string{"01-add": {testfix.Fail, testfix.Pass}})
	const twice = "package echo\n\nimport \"testing\"\n\nfunc TestAddTwice(t *testing.T) {\n\tif got := Add(2, 2); got != 4 {\n\t\tt.Errorf(\"Add(2, 2) = %d, want 4: twice 2 is 4\", got)\n\t}\n}\n"
	testfix.Write(t, root, "lessons/01-add/twice_test.go", twice)
	testfix.Write(t, root, "solutions/01-add/twice_test.go", twice)
	testfix.Write(t, root, "docs/lessons/01-add.md", "--8<-- \"docs/outputs/01-add/forgot-b.txt\"\n")
	entry := "Add returns a alone.\nwant: does Add return a + b?\nshows: %s\n-- add.go: replace --\nfunc Add(a, b int) int { return a + b }\n-- add.go: with --\nfunc Add(a, b int) int { return a }\n"
	testfix.Write(t, root, "solutions/01-add/mistakes/forgot-b.txtar", fmt.Sprintf(entry, "TestAddTwice"))
	testfix.GitCommit(t, root)
	all, _ := lessons.List(root)
	var out bytes.Buffer
	o := Options{Root: root, All: all, Lessons: all, Out: &out}
	if !Record(context.Background(), o) {
		t.Fatalf("Record failed:\n%s", out.String())
	}
	if rec := testfix.Read(t, root, "docs/outputs/01-add/forgot-b.txt"); !strings.Contains(rec, "--- FAIL: TestAddTwice (") || strings.Contains(rec, "--- FAIL: TestAdd (") {
		t.Errorf("the recording is not TestAddTwice's failure alone:\n%s", rec)
	}
	x := &v{Options: o, sem: make(chan struct{}, 2), scratch: t.TempDir()}
	x.lesson(context.Background(), all[0], func(string, string, ...any) {})
	for _, p := range x.problems {
		if strings.Contains(p, "docs/outputs") {
			t.Errorf("just recorded, and: %s", p)
		}
	}
	testfix.Write(t, root, "solutions/01-add/mistakes/forgot-b.txtar", fmt.Sprintf(entry, "TestAddsNothing"))
	testfix.GitCommit(t, root)
	out.Reset()
	if Record(context.Background(), o) || !strings.Contains(out.String(), "does not fail TestAddsNothing (its shows: line) when that test runs alone") {
		t.Errorf("recorded a test that does not fail:\n%s", out.String())
	}
}

// TestPlumbing: helpers go below a lesson's plumbing marker, and there are
// at most maxPlumbing lines of them.
func TestPlumbing(t *testing.T) {
	t.Parallel()
	root := testfix.Workbook(t, map[string][2]string{"01-add": {testfix.Fail, testfix.Pass}})
	above := "package echo\n\nimport \"testing\"\n\nvar cases = []int{1}\n\nfunc TestA(t *testing.T) {}\n\nfunc helper() {}\n\ntype pair [2]int\n\n"
	helpers := plumbingMarker + " ----\n\n" + strings.Repeat("// a helper's line\n", maxPlumbing-2) + "func later() {}\n"
	testfix.Write(t, root, "lessons/01-add/a_test.go", above+helpers)
	testfix.Write(t, root, "lessons/01-add/b_test.go", "package echo\n\nimport \"testing\"\n\nfunc TestB(t *testing.T) {}\n"+plumbingMarker+" ----\nfunc b() {}\n")
	testfix.Write(t, root, "lessons/01-add/kit_test.go", "package echo\n\nfunc kitHelper() {}\n")
	all, _ := lessons.List(root)
	x := &v{Options: Options{Root: root, All: all, Lessons: all}}
	var got []string
	x.plumbing(all[0], func(format string, args ...any) { got = append(got, fmt.Sprintf(format, args...)) })
	report := strings.Join(got, "\n")
	for _, want := range []string{
		"a_test.go declares func helper, type pair above its plumbing marker",
		fmt.Sprintf("hold %d lines of plumbing below their marker, more than %d", maxPlumbing+1, maxPlumbing),
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the problems do not say %q:\n%s", want, report)
		}
	}
	if len(got) != 2 {
		t.Errorf("want 2 problems (b_test.go and kit_test.go are fine), got %d:\n%s", len(got), report)
	}
}

// TestTestNames: a test is named Test + a function of the lesson + the
// behaviour.
func TestTestNames(t *testing.T) {
	t.Parallel()
	root := testfix.Workbook(t, map[string][2]string{"01-add": {testfix.Fail, testfix.Pass}})
	testfix.Write(t, root, "lessons/01-add/more_test.go", "package echo\n\nimport \"testing\"\n\n"+
		"func TestAddition(t *testing.T) {}\n\nfunc TestSumIsRight(t *testing.T) {}\n\nfunc TestAddZeroTwice(t *testing.T) {}\n")
	all, _ := lessons.List(root)
	x := &v{Options: Options{Root: root, All: all, Lessons: all}}
	var got []string
	x.testNames(all[0], func(format string, args ...any) { got = append(got, fmt.Sprintf(format, args...)) })
	if want := "TestAddition, TestSumIsRight named for no function of the lesson"; len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Errorf("testNames said %q; want one problem that starts %q (TestAdd, TestAddZero and TestAddZeroTwice are fine)", got, want)
	}
}
