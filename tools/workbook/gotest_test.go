package main

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRunLessonTests(t *testing.T) {
	root := workbook(t, map[string][2]string{
		"01-pass":   {passCode, passCode},
		"02-fail":   {failCode, passCode},
		"03-broken": {brokenCode, passCode},
		"04-hang":   {hangingCode, passCode},
		"05-empty":  {"", passCode},
	})
	opts := testOptions{timeout: 3 * time.Second}
	run := func(name string) testResult {
		return runLessonTests(context.Background(), filepath.Join(root, "lessons", name), opts)
	}
	t.Run("pass", func(t *testing.T) {
		t.Parallel()
		r := run("01-pass")
		if r.outcome != passed || r.passed != 2 {
			t.Errorf("got outcome %d with %d passed (%q), want passed with 2", r.outcome, r.passed, r.message)
		}
	})
	t.Run("fail", func(t *testing.T) {
		t.Parallel()
		r := run("02-fail")
		want := "add_test.go:13: Add(1, 2) = 1, want 3: does Add return a + b?"
		if r.outcome != failed || r.test != "TestAdd" || r.message != want || r.passed != 1 {
			t.Errorf("got outcome %d, test %q, message %q, %d passed; want failed, TestAdd, %q, 1 passed", r.outcome, r.test, r.message, r.passed, want)
		}
		if strings.Contains(strings.Join(r.details, "\n"), "=== RUN") {
			t.Errorf("details keep go test's framing lines: %q", r.details)
		}
	})
	t.Run("does not build", func(t *testing.T) {
		t.Parallel()
		r := run("03-broken")
		if r.outcome != broken || !strings.Contains(r.message, "add.go:4:") || !strings.Contains(r.message, "undefined: c") {
			t.Errorf("got outcome %d, message %q; want broken, naming add.go:4 and undefined: c", r.outcome, r.message)
		}
	})
	t.Run("hang is cut off", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		r := run("04-hang")
		if took := time.Since(start); took > 30*time.Second {
			t.Errorf("a hanging test took %v to report; -timeout is %v", took, opts.timeout)
		}
		if r.outcome != hung || r.test != "TestAddZero" {
			t.Fatalf("got outcome %d, test %q, message %q; want hung in TestAddZero", r.outcome, r.test, r.message)
		}
		for _, want := range []string{"did not finish within 3s", "-timeout 3s"} {
			if !strings.Contains(r.message, want) {
				t.Errorf("message %q does not say %q", r.message, want)
			}
		}
		where := strings.Join(r.details, "\n")
		if !strings.Contains(where, "(chan receive) at add.go:6, in Add") {
			t.Errorf("details do not say where the code waits (chan receive at add.go:6 in Add):\n%s", where)
		}
	})
	t.Run("not ready", func(t *testing.T) {
		t.Parallel()
		if r := run("05-empty"); r.outcome != notReady {
			t.Errorf("a lesson with no code: outcome %d (%q), want not ready", r.outcome, r.message)
		}
	})
}

// TestRunLessonTestsWholeModule: the lesson's package passing is not
// enough; its other packages and go test's vet checks count too, as in
// make lesson-NN test.
func TestRunLessonTestsWholeModule(t *testing.T) {
	root := workbook(t, map[string][2]string{"01-cmd": {passCode, passCode}, "02-vet": {passCode, passCode}})
	write(t, root, "lessons/01-cmd/cmd/add/main.go", "package main\n\nfunc main() {}\n")
	write(t, root, "lessons/01-cmd/cmd/add/main_test.go", "package main\n\nimport \"testing\"\n\nfunc TestProgram(t *testing.T) { t.Fatal(\"the program is wrong\") }\n")
	write(t, root, "lessons/02-vet/vet.go", "package echo\n\nimport \"fmt\"\n\n// Say prints.\nfunc Say() { fmt.Printf(\"%d\\n\", \"x\") }\n")
	opts := testOptions{timeout: time.Minute}
	if r := runLessonTests(context.Background(), filepath.Join(root, "lessons/01-cmd"), opts); r.outcome != failed || r.test != "TestProgram" {
		t.Errorf("a failing test in cmd/: outcome %d, test %q (%q); want failed, TestProgram", r.outcome, r.test, r.message)
	}
	if r := runLessonTests(context.Background(), filepath.Join(root, "lessons/02-vet"), opts); r.outcome != broken || !strings.Contains(r.message, "Printf format %d has arg") {
		t.Errorf("a vet error: outcome %d (%q); want broken, naming the Printf mistake", r.outcome, r.message)
	}
}

func TestRunLessonTestsNoTestsYet(t *testing.T) {
	root := workbook(t, map[string][2]string{"01-kit": {passCode, passCode}})
	// Only a kit_test.go without tests, as while a lesson is being written.
	write(t, root, "lessons/01-kit/add_test.go", "package echo\n")
	r := runLessonTests(context.Background(), filepath.Join(root, "lessons/01-kit"), testOptions{timeout: time.Minute})
	if r.outcome != notReady {
		t.Errorf("tests files with no tests: outcome %d (%q), want not ready", r.outcome, r.message)
	}
}

func TestRunLessonTestsCancel(t *testing.T) {
	root := workbook(t, map[string][2]string{"01-hang": {hangingCode, passCode}})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	runLessonTests(ctx, filepath.Join(root, "lessons/01-hang"), testOptions{timeout: time.Hour})
	// The whole process group goes, the test binary with go: no wait for
	// the hour's -timeout.
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("a cancelled run took %v to end", took)
	}
}

func TestReadLinesLongLine(t *testing.T) {
	long := strings.Repeat("x", 3<<20)
	var got []string
	readLines(strings.NewReader("a\n"+long+"\nb"), 1<<20, func(b []byte) { got = append(got, string(b)) })
	if len(got) != 3 || got[0] != "a" || len(got[1]) != 1<<20 || got[2] != "b" {
		t.Errorf("got %d lines, the second %d bytes; want a, 1 MiB cut, b", len(got), len(got[1]))
	}
}

func TestWaitingGoroutines(t *testing.T) {
	dump := []string{
		"goroutine 7 [running]:",
		"testing.(*M).startAlarm.func1()",
		"\t/usr/local/go/src/testing/testing.go:2802 +0x354",
		"",
		"goroutine 20 [chan receive]:",
		"example.com/x/lessons/01-a.Serve(0xc000010000)",
		"\t/work/lessons/01-a/echo.go:12 +0x3f",
		"example.com/x/lessons/01-a.TestServe(0xc000)",
		"\t/work/lessons/01-a/echo_test.go:30 +0x3f",
	}
	got := waitingGoroutines(dump, "/work/lessons/01-a")
	want := "a goroutine waits (chan receive) at echo.go:12, in Serve"
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %q, want [%q]", got, want)
	}
}

func TestFailureReport(t *testing.T) {
	logs := make([]string, 50)
	for i := range logs {
		logs[i] = "2026/11/24 12:00:00 echo: accept: too many open files; retrying"
	}
	cases := []struct {
		name     string
		lines    []string
		headline string
		first    string // details[0]
	}{
		{"logs before the report",
			append(logs, "    echo_test.go:40: Accept failed 60 times in 0.5s: does accept pause?", "        more of the message"),
			"echo_test.go:40: Accept failed 60 times in 0.5s: does accept pause?", "    echo_test.go:40: Accept failed 60 times in 0.5s: does accept pause?"},
		{"panic", []string{"panic: runtime error: index out of range [recovered]", "", "goroutine 7 [running]:"},
			"panic: runtime error: index out of range [recovered]", "panic: runtime error: index out of range [recovered]"},
		{"race", []string{"==================", "WARNING: DATA RACE", "Write at 0x00c000 by goroutine 8:", "==================", "    testing.go:1617: race detected during execution of test"},
			"testing.go:1617: race detected during execution of test", "    testing.go:1617: race detected during execution of test"},
	}
	for _, c := range cases {
		headline, details := failureReport(c.lines)
		if headline != c.headline || len(details) == 0 || details[0] != c.first {
			t.Errorf("%s: headline %q, details %q…; want %q, starting %q", c.name, headline, details[:min(len(details), 2)], c.headline, c.first)
		}
		if len(details) > 40 {
			t.Errorf("%s: %d lines of details, want the log cut to 30", c.name, len(details))
		}
	}
	_, details := failureReport(cases[2].lines)
	if strings.Join(details, "\n") != "    testing.go:1617: race detected during execution of test\n\nOutput while it ran:\nWARNING: DATA RACE\nWrite at 0x00c000 by goroutine 8:" {
		t.Errorf("race details:\n%s", strings.Join(details, "\n"))
	}
}

func TestLineBuf(t *testing.T) {
	var b lineBuf
	for i := range 1000 {
		b.add(strconv.Itoa(i))
	}
	got := b.lines()
	if len(got) != maxTestLines+1 || got[0] != "0" || got[len(got)-1] != "999" || got[maxTestLines/3] != "… (700 lines cut)" {
		t.Errorf("%d lines: first %q, last %q, cut note %q", len(got), got[0], got[len(got)-1], got[maxTestLines/3])
	}
	for i := 1; i < len(got)-1; i++ {
		if i != maxTestLines/3 && i != maxTestLines/3+1 && got[i] != "" && got[i+1] != "" {
			a, _ := strconv.Atoi(got[i])
			c, err := strconv.Atoi(got[i+1])
			if err == nil && c != a+1 {
				t.Fatalf("lines out of order at %d: %q then %q", i, got[i], got[i+1])
			}
		}
	}
}
