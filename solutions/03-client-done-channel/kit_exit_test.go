// The kit, part 8: code that ends the process fails the test that ran it.
//
// os.Exit, log.Fatal through a logger of the learner's own, a panic in any
// goroutine: each ends the test binary, and go test says only "exit status
// 1" (or 2), naming no test. So TestMain runs the tests in a copy of this
// binary and reads what the copy prints; if the copy ends in the middle of
// a test, that test fails by name, saying what ended it. The copy notes
// each test as captureLog first sees it: checkNoLeaks and inBubble call
// captureLog, first in every test, so no lesson has anything to add.

//lint:file-ignore U1000 shared by every lesson; not every lesson uses every helper

package echo

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// childEnv, set in the copy, names the file where it notes each test it
// starts and ends ("run <unix ns> <name>", "end <name>"), and "done" once
// every test has.
const childEnv = "ECHO_WORKBOOK_TEST_NOTES"

// notes is the copy's side: nil file in the watcher (and when unwatched).
var notes struct {
	sync.Mutex
	f       *os.File
	running []string // the tests noted as running, innermost last
}

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		notes.f, _ = os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
		code := m.Run()
		writeNote("done")
		os.Exit(code)
	}
	os.Exit(watchCopy(m))
}

// noteTest notes that t is running, until its last cleanup. A bubble's t
// (inBubble) has its parent's name and is not noted twice.
func noteTest(t *testing.T) {
	notes.Lock()
	defer notes.Unlock()
	if notes.f == nil || slices.Contains(notes.running, t.Name()) {
		return
	}
	notes.running = append(notes.running, t.Name())
	fmt.Fprintf(notes.f, "run %d %s\n", time.Now().UnixNano(), t.Name())
	t.Cleanup(func() {
		notes.Lock()
		defer notes.Unlock()
		notes.running = slices.DeleteFunc(notes.running, func(n string) bool { return n == t.Name() })
		fmt.Fprintf(notes.f, "end %s\n", t.Name())
	})
}

// writeNote writes straight to the file (no buffer): a note must be there
// however suddenly the process ends.
func writeNote(line string) {
	notes.Lock()
	defer notes.Unlock()
	if notes.f != nil {
		fmt.Fprintln(notes.f, line)
	}
}

// watchCopy runs the tests in a copy of this binary, passes on what it
// prints, and returns its exit code, or 1 and a named failure if it ended
// before every test had.
func watchCopy(m *testing.M) int {
	f, err := os.CreateTemp("", "echo-test-notes-")
	exe, err2 := os.Executable()
	if err != nil || err2 != nil {
		return m.Run() // no watching, but the tests still run
	}
	f.Close()
	defer os.Remove(f.Name())
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), childEnv+"="+f.Name())
	out, err := cmd.StdoutPipe()
	if err != nil {
		return m.Run()
	}
	cmd.Stderr = cmd.Stdout // one pipe: the order of what it prints is kept
	if err := cmd.Start(); err != nil {
		return m.Run()
	}
	// From a "panic: " or "fatal error: " line on, the dump is held back:
	// shown whole only for go test's -timeout (its dump says which test
	// hung, and where), else cut to the line that matters.
	var dying []string
	for r := bufio.NewReader(out); ; {
		line, err := r.ReadString('\n')
		if dying == nil && (strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ")) {
			dying = []string{}
		}
		if dying != nil && line != "" {
			dying = append(dying, strings.TrimRight(line, "\n"))
		} else {
			os.Stdout.WriteString(line)
		}
		if err != nil {
			break
		}
	}
	cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	b, _ := os.ReadFile(f.Name())
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if slices.Contains(lines, "done") || len(dying) > 0 && strings.HasPrefix(dying[0], "panic: test timed out") {
		for _, l := range dying {
			fmt.Println(l)
		}
		return code
	}
	// The test still running is the last one noted that did not end;
	// none, when the copy ended between tests (or before the first).
	type run struct {
		at   int64
		name string
	}
	var running []run
	last := ""
	for _, l := range lines {
		var r run
		if name, ok := strings.CutPrefix(l, "end "); ok {
			running, last = slices.DeleteFunc(running, func(r run) bool { return r.name == name }), name
		} else if _, err := fmt.Sscanf(l, "run %d %s", &r.at, &r.name); err == nil {
			running = append(running, r)
		}
	}
	why := fmt.Sprintf("it exited (exit code %d) without a panic: something called os.Exit, "+
		"directly or through the Fatal method of a logger of its own", code)
	advice := "Your code must not end the process: that ends everything the program is doing (for a server, " +
		"every client's connection with it). Return the error to your caller, or log it (log.Printf) and carry on: " +
		"only main may decide that the program ends"
	switch {
	case len(dying) > 0 && strings.HasPrefix(dying[0], "fatal error: "):
		why, advice = fmt.Sprintf("%q%s", dying[0], whereDied(dying)), "The Go runtime ends the program for that: "+
			"no recover can catch it (for concurrent map writes: a map shared by goroutines, run with -race)"
	case len(dying) > 0 && strings.Contains(dying[0], "the test's fake clock stopped"):
		// inBubble's own panic: nothing else can end a bubble that spins.
		said := strings.NewReplacer(" Where your code is:", "", " (see where it runs, below)", "").Replace(dying[0])
		why = fmt.Sprintf("%q%s", said, whereSpun(dying))
		advice = "The test runs on a fake clock, which moves only while every " +
			"goroutine waits: a loop that never waits (polling a variable, retrying at once) stops it for good. " +
			"Wait on what you are waiting for instead: a channel, a WaitGroup, a Read, a timer"
	case len(dying) > 0 && strings.Contains(dying[0], "sync: negative WaitGroup counter"):
		why = fmt.Sprintf("%q%s, and a panic no one recovers ends the whole program", dying[0], whereDied(dying))
		advice = "The WaitGroup counted below 0: more Done calls than Add. wg.Go calls Done itself when its " +
			"function returns, so a wg.Done inside that function is one too many; with wg.Add(n), each of the n " +
			"goroutines calls Done exactly once (defer wg.Done(), and no other)"
	case len(dying) > 0:
		why = fmt.Sprintf("%q%s, and a panic no one recovers ends the whole program", dying[0], whereDied(dying))
		advice = "Your code must not end the process (that ends all it is doing, for a server every client's connection): " +
			"where it calls panic, return the error or log it (log.Printf) and carry on; where Go panics " +
			"(a nil map or pointer, an index out of range, a closed channel), that line has a bug to fix"
	case code < 0:
		why, advice = fmt.Sprintf("it was stopped from outside (%v)", cmd.ProcessState), "Not by your code, as far as "+
			"the test can tell: run the tests again"
	}
	mark := "" // go test -json needs its framing lines marked
	if slices.Contains(os.Args, "-test.v=test2json") {
		mark = "\x16"
	}
	_, file, line, _ := runtime.Caller(0)
	at := fmt.Sprintf("%s:%d: ", filepath.Base(file), line)
	switch {
	case len(running) > 0:
		test := running[len(running)-1]
		msg := fmt.Sprintf("    %sthe test binary ended in the middle of this test: %s. %s\n", at, why, advice)
		took := time.Since(time.Unix(0, test.at)).Seconds()
		if mark != "" {
			fmt.Printf("%s=== NAME  %s\n%s%s--- FAIL: %s (%.2fs)\n", mark, test.name, msg, mark, test.name, took)
		} else {
			fmt.Printf("--- FAIL: %s (%.2fs)\n%s", test.name, took, msg)
		}
		// A subtest's parents fail with it, as go test would say (a reader
		// of the output takes a top-level test for the failure); how long
		// they ran is not noted: at least as long as it.
		for name := test.name; strings.Contains(name, "/"); {
			name = name[:strings.LastIndex(name, "/")]
			fmt.Printf("%s--- FAIL: %s (%.2fs)\n", mark, name, took)
		}
	case last != "":
		fmt.Printf("%sthe test binary ended after %s ended, outside any test: %s. %s\n", at, last, why, advice)
	default:
		fmt.Printf("%sthe test binary ended before any test began: %s. %s\n", at, why, advice)
	}
	fmt.Printf("%sFAIL\n", mark)
	return 1
}

// whereSpun names the place of inBubble's panic: " in spin (server.go:4)"
// from a line "\t    example.com/…/NN-x.spin  server.go:4" of where(),
// which lists busy goroutines first. The first frame of the code under
// under test (a module path, a dot in its first element; not a _test.go
// file) in a busy goroutine, or else in any.
func whereSpun(dying []string) string {
	first, busy := "", true
	for _, l := range dying[1:] {
		if h := strings.TrimSpace(l); strings.HasPrefix(h, "goroutine") {
			busy = strings.Contains(h, "[running") || strings.Contains(h, "[runnable") || strings.Contains(h, "[syscall")
		}
		f := strings.Fields(l)
		if len(f) == 2 && strings.Contains(f[1], ".go:") && !strings.Contains(f[1], "_test.go:") &&
			strings.Contains(f[0], "/") && strings.Contains(strings.Split(f[0], "/")[0], ".") {
			_, name, _ := strings.Cut(f[0][strings.LastIndex(f[0], "/")+1:], ".")
			if busy {
				return fmt.Sprintf(" in %s (%s)", name, f[1])
			}
			if first == "" {
				first = fmt.Sprintf(" in %s (%s)", name, f[1])
			}
		}
	}
	return first
}

// frame matches a function's line in a goroutine dump, and the next line,
// its file.
var frame = regexp.MustCompile(`^(\S+)\(.*\)\n\t(\S+):(\d+)`)

// whereDied names the first function of the package's own code (not its
// tests) in the dump of a dying program: " in accept (echo.go:40)". Only
// the goroutine that died counts, the first in the dump: a fatal error
// lists every goroutine, and the others were merely waiting somewhere.
func whereDied(dump []string) string {
	dir, _ := os.Getwd() // go test runs the binary in the package's folder
	goroutines := 0
	for i := 1; i+1 < len(dump); i++ {
		if strings.HasPrefix(dump[i], "goroutine ") {
			if goroutines++; goroutines > 1 {
				break
			}
		}
		f := frame.FindStringSubmatch(dump[i] + "\n" + dump[i+1])
		if f == nil || filepath.Dir(f[2]) != dir || strings.HasSuffix(f[2], "_test.go") {
			continue
		}
		name := f[1][strings.LastIndex(f[1], "/")+1:]
		_, name, _ = strings.Cut(name, ".")
		return fmt.Sprintf(" in %s (%s:%s)", name, filepath.Base(f[2]), f[3])
	}
	return ""
}
