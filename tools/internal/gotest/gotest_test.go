package gotest

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"example.com/echo-workbook/tools/internal/testfix"
)

func TestMain(m *testing.M) {
	testfix.CleanEnv()
	os.Exit(m.Run())
}

// parse reads a recorded go test -json run from testdata (recorded from
// small modules under /tmp/gen; their paths stay in the goroutine dumps).
func parse(t *testing.T, name string) Result {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var p Parser
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		p.Event(ev)
	}
	return p.Result("/tmp/gen/"+name, time.Second, nil, "")
}

func TestParserFailed(t *testing.T) {
	r := parse(t, "fail")
	if r.Outcome != Failed || r.Test != "TestAdd" || r.Passed != 1 || !slices.Equal(r.Failed, []string{"TestAdd", "TestSub"}) {
		t.Fatalf("outcome %v, first %q, passed %d, failed %v; want Failed, TestAdd, 1, [TestAdd TestSub]", r.Outcome, r.Test, r.Passed, r.Failed)
	}
	if want := "a_test.go:9: Add(1, 2) = 1, want 3: does Add return a + b?"; r.Message != want {
		t.Errorf("message %q, want %q", r.Message, want)
	}
	if want := "TestAdd: " + r.Message; r.Headline() != want {
		t.Errorf("headline %q, want %q", r.Headline(), want)
	}
	// The test's report first (its second line with it), the server's log after.
	if got := strings.Join(r.Details, "\n"); !strings.HasPrefix(strings.TrimSpace(got), "a_test.go:7: trying 1 + 2") ||
		!strings.Contains(got, "more detail on a second line\n\nOutput while it ran:\n") || !strings.Contains(got, "adding 1 and 2") {
		t.Errorf("details:\n%s", got)
	}
	if r.FirstFail <= 0 || r.FirstFail > time.Second {
		t.Errorf("first failure %v after the binary started; the recording says about 10ms", r.FirstFail)
	}
	// As go test prints it without -json: the FAIL line first, subtests indented.
	for _, want := range []string{
		"--- FAIL: TestAdd (0.00s)\n    a_test.go:7: trying 1 + 2\n",
		"--- FAIL: TestSub (0.00s)\n    --- FAIL: TestSub/inner (0.00s)\n        a_test.go:12: inner broke\n",
		"FAIL\texample.com/fail\t0.006s\nFAIL\n",
	} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, r.Text)
		}
	}
	if strings.Contains(r.Text, "=== RUN") || strings.Contains(r.Text, "--- PASS") {
		t.Errorf("text has -v lines:\n%s", r.Text)
	}
}

func TestParserPassedAndCached(t *testing.T) {
	r := parse(t, "pass")
	if r.Outcome != Passed || r.Passed != 1 || r.Cached {
		t.Errorf("pass: %+v", r)
	}
	if r := parse(t, "cached"); r.Outcome != Passed || !r.Cached {
		t.Errorf("cached: outcome %v, cached %v", r.Outcome, r.Cached)
	}
}

func TestParserBroken(t *testing.T) {
	for name, want := range map[string]string{
		"broken":  "does not build: ./a.go:3:37: undefined: c",
		"vetfail": "does not build: ./a.go:5:39: fmt.Sprintf format %d has arg \"x\" of wrong type string",
	} {
		if r := parse(t, name); r.Outcome != Broken || r.Message != want {
			t.Errorf("%s: outcome %v, message %q; want Broken, %q", name, r.Outcome, r.Message, want)
		}
	}
}

func TestParserHung(t *testing.T) {
	r := parse(t, "hang")
	if r.Outcome != Hung || r.Test != "TestWait" {
		t.Fatalf("outcome %v, test %q; want Hung, TestWait", r.Outcome, r.Test)
	}
	if !strings.Contains(r.Message, "TestWait did not finish within 1s") {
		t.Errorf("message %q", r.Message)
	}
	if r.Headline() != r.Message {
		t.Errorf("headline %q names the test twice", r.Headline())
	}
	if want := "a goroutine waits (chan receive) at a.go:4, in Wait"; !slices.Contains(r.Details, want) {
		t.Errorf("details %q lack %q", r.Details, want)
	}
}

func TestParserPanicAndRace(t *testing.T) {
	r := parse(t, "panics")
	if r.Outcome != Failed || r.Test != "TestBoom" || !strings.HasPrefix(r.Panic, "panic: assignment to entry in nil map") {
		t.Errorf("panic: outcome %v, test %q, panic %q", r.Outcome, r.Test, r.Panic)
	}
	if r.Message != r.Panic {
		t.Errorf("a panic's headline is %q, want the panic line", r.Message)
	}
	r = parse(t, "race")
	if !r.Race || r.Panic != "" || r.Outcome != Failed {
		t.Errorf("race: race %v, panic %q, outcome %v", r.Race, r.Panic, r.Outcome)
	}
	// The report's file lines are indented like a test's log, yet belong
	// to the report, printed before the --- FAIL line.
	fail := slices.IndexFunc(r.Output, func(l string) bool { return strings.HasPrefix(l, "--- FAIL") })
	if file := slices.Index(r.Output, "      /tmp/gen/race/a.go:7 +0x33"); fail < 0 || file < 0 || file > fail {
		t.Errorf("race: the report's a.go:7 line at %d, the --- FAIL line at %d; want the report first:\n%s", file, fail, strings.Join(r.Output, "\n"))
	}
}

func TestLineBufKeepsHeadAndTail(t *testing.T) {
	var b lineBuf
	for i := range 1000 {
		b.add(strings.Repeat("x", i%7) + string(rune('a'+i%26)))
	}
	lines := b.lines()
	if len(lines) != maxTestLines+1 || !strings.Contains(lines[maxTestLines/3], "700 lines cut") {
		t.Errorf("%d lines, marker %q", len(lines), lines[maxTestLines/3])
	}
	if last := lines[len(lines)-1]; last != strings.Repeat("x", 999%7)+string(rune('a'+999%26)) {
		t.Errorf("the last line kept is %q, not the last one added", last)
	}
}

func TestReadLinesCutsLongLines(t *testing.T) {
	long := strings.Repeat("y", 300<<10)
	var got []int
	ReadLines(strings.NewReader("a\n"+long+"\nb"), 1000, func(b []byte) { got = append(got, len(b)) })
	if !slices.Equal(got, []int{1, 1000, 1}) {
		t.Errorf("line lengths %v, want [1 1000 1]", got)
	}
}

func TestCapAndTail(t *testing.T) {
	if got := Cap([]string{"a", "b", "c"}, 2); !slices.Equal(got, []string{"a", "b", "… 1 more lines"}) {
		t.Errorf("Cap: %q", got)
	}
	if got := Tail("1\n2\n3\n", 2); got != "… (1 lines before)\n2\n3" {
		t.Errorf("Tail: %q", got)
	}
	if got := Indent("a\nb\n", 2); got != "  a\n  b" {
		t.Errorf("Indent: %q", got)
	}
}

// TestRun runs go test for real on a module written here: the one test
// of this package that compiles something.
func TestRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/run\n\ngo 1.26.0\n")
	write("a.go", "package run\n\n// Two is 2.\nfunc Two() int { return 3 }\n")
	write("a_test.go", "package run\n\nimport \"testing\"\n\nfunc TestTwo(t *testing.T) {\n\tif Two() != 2 {\n\t\tt.Fatal(\"Two is not 2\")\n\t}\n}\n")
	r := Run(context.Background(), dir, Options{Failfast: true, Count: 1, Timeout: time.Minute}, []string{"GOWORK=off"}, "./...")
	if r.Outcome != Failed || r.Message != "a_test.go:7: Two is not 2" || r.Wall <= 0 {
		t.Errorf("outcome %v, message %q, wall %v\n%s", r.Outcome, r.Message, r.Wall, r.Stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := Run(ctx, dir, Options{}, []string{"GOWORK=off"}, "./..."); r.Outcome == Passed || r.Outcome == Failed {
		t.Errorf("a cancelled run reported %v", r.Outcome)
	}
}

// TestRunEach: one go test over four packages gives each its own result,
// as a Run of that package alone would.
func TestRunEach(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/each\n\ngo 1.26.0\n")
	test := "package p\n\nimport \"testing\"\n\nfunc TestTwo(t *testing.T) {\n\tif Two() != 2 {\n\t\tt.Fatal(\"Two is not 2\")\n\t}\n}\n"
	for name, code := range map[string]string{"right": "return 2", "wrong": "return 3", "broken": "return two", "wrong2": "return 4"} {
		write(name+"/a.go", "package p\n\n// Two is 2.\nfunc Two() int { "+code+" }\n")
		write(name+"/a_test.go", test)
	}
	rs := RunEach(context.Background(), dir, Options{Failfast: true, Count: 1, Timeout: time.Minute}, []string{"GOWORK=off"}, "./wrong", "./right", "./broken", "./wrong2")
	if r := rs["example.com/each/right"]; r.Outcome != Passed || r.Passed != 1 {
		t.Errorf("right: outcome %v, %d passed, message %q", r.Outcome, r.Passed, r.Message)
	}
	if r := rs["example.com/each/wrong"]; r.Outcome != Failed || r.Message != "a_test.go:7: Two is not 2" {
		t.Errorf("wrong: outcome %v, message %q", r.Outcome, r.Message)
	}
	if r := rs["example.com/each/broken"]; r.Outcome != Broken || !strings.Contains(r.Message, "undefined: two") {
		t.Errorf("broken: outcome %v, message %q", r.Outcome, r.Message)
	}
	if r := rs["example.com/each/wrong2"]; r.Outcome != Failed {
		t.Errorf("wrong2, after another package failed (-failfast is each package's own): outcome %v, message %q", r.Outcome, r.Message)
	}
	if len(rs) != 4 {
		t.Errorf("results for %d packages, want 4: %v", len(rs), rs)
	}
}

func TestOptionsFlags(t *testing.T) {
	o := Options{Race: true, Failfast: true, Count: 3, Timeout: time.Minute, Run: "TestX", Short: true}
	if got := strings.Join(o.Flags(), " "); got != "-race -failfast -count=3 -timeout 1m0s -run TestX -short" {
		t.Errorf("flags %q", got)
	}
	if got := (Options{}).Flags(); len(got) != 0 {
		t.Errorf("zero options give flags %q", got)
	}
}

func TestEnvTurnsOffTheRacePauseOnce(t *testing.T) {
	t.Setenv("GORACE", "")
	if n := strings.Count(strings.Join(Env("A=1"), "\n"), "GORACE=atexit_sleep_ms=0"); n != 1 {
		t.Errorf("GORACE set %d times", n)
	}
	t.Setenv("GORACE", "halt_on_error=1")
	if slices.Contains(Env(), "GORACE=atexit_sleep_ms=0") {
		t.Error("the caller's GORACE was overridden")
	}
}
