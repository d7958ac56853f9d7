package browser

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The tests check testdata/site, a small site with one page per kind of
// problem, in headless Chromium. Without Chromium they are skipped with a
// SKIPPED line; REQUIRE_ALL=1 (as in CI) makes that a failure.

const site = "testdata/site"

func needChromium(t *testing.T) {
	t.Helper()
	if _, err := findChromium(""); err != nil {
		if os.Getenv("REQUIRE_ALL") != "" {
			t.Fatalf("REQUIRE_ALL is set, and %v", err)
		}
		t.Skipf("SKIPPED: %v", err)
	}
}

// One Check of every page serves most tests: a browser start per test
// would cost more than the tests.
var checked struct {
	once     sync.Once
	problems []Problem
	err      error
	shots    string       // the screenshot directory
	external string       // the path of the page that loads from elsewhere
	reached  atomic.Int64 // requests that got to the other host
	left     []string     // chromium processes of the run's still there once Check returned
}

// tmpMark is the package's TMPDIR while its tests run. Chromium's profile
// goes there, so its helpers carry the directory in their command lines
// (--user-data-dir); the browser itself, and the crash handlers it starts
// outside its process tree, carry it in their environment (TMPDIR).
// Either way they can be found after.
var tmpMark string

// The tests that start a browser of their own (markChromium) run first,
// one at a time; then the rest in parallel, where only the shared run
// starts one: whatever carries tmpMark once it returned, it left behind.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "browser-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpMark = dir
	tmp, had := os.LookupEnv("TMPDIR")
	os.Setenv("TMPDIR", dir)
	code := m.Run()
	if had {
		os.Setenv("TMPDIR", tmp)
	} else {
		os.Unsetenv("TMPDIR")
	}
	if checked.shots != "" {
		os.RemoveAll(checked.shots)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// checkedPages are the pages of the shared run.
var checkedPages = []Page{
	{Path: "good/", Title: "A good page", Contains: []string{"the quick echo jumps", "text in a tab that is not selected", "Folded text."}},
	{Path: "good/?title=wrong", Title: "Lesson 99", Contains: []string{"a sentence the page does not have"}},
	{Path: "console-error/"},
	{Path: "missing/"},
	{Path: "hidden-tab/"},
	{Path: "tiny-diagram/"},
	{Path: "wrapping-code/"},
	{Path: "list-start/"},
	{Path: "too-wide/"},
	{Path: "untitled/"},
}

// problems returns what the shared run found on one page at one width.
func problems(t *testing.T, page string, width int) []string {
	t.Helper()
	needChromium(t)
	checked.once.Do(func() {
		// "Another host": a server of the test's own, so a request that
		// got through the block would show, without any network.
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			checked.reached.Add(1)
		}))
		defer other.Close()
		checked.external = "external/?to=" + url.QueryEscape(other.URL+"/pixel.png")
		pages := slices.Concat(checkedPages, []Page{{Path: checked.external}})
		if checked.shots, checked.err = os.MkdirTemp("", "browser-shots-"); checked.err != nil {
			return
		}
		checked.problems, checked.err = Check(context.Background(), site, pages, Options{ScreenshotDir: checked.shots})
		checked.left = processesWith(tmpMark)
	})
	if checked.err != nil {
		t.Fatalf("Check: %v", checked.err)
	}
	var out []string
	for _, p := range checked.problems {
		if p.Page == page && p.Width == width {
			out = append(out, p.What)
		}
	}
	return out
}

// want fails unless one of the problems contains every part.
func want(t *testing.T, got []string, parts ...string) {
	t.Helper()
	for _, p := range got {
		if containsAll(p, parts) {
			return
		}
	}
	t.Errorf("no problem says %q; the problems:\n%s", parts, strings.Join(got, "\n"))
}

// wantNone fails if a problem contains the part.
func wantNone(t *testing.T, got []string, part string) {
	t.Helper()
	for _, p := range got {
		if strings.Contains(p, part) {
			t.Errorf("a problem says %q, and should not: %s", part, p)
		}
	}
}

func containsAll(s string, parts []string) bool {
	for _, part := range parts {
		if !strings.Contains(s, part) {
			return false
		}
	}
	return true
}

func TestCheckFindsNothingWrongWithAGoodPage(t *testing.T) {
	t.Parallel()
	for _, width := range []int{1366, 390} {
		if got := problems(t, "good/", width); len(got) > 0 {
			t.Errorf("at %dpx, the good page has problems:\n%s", width, strings.Join(got, "\n"))
		}
	}
}

func TestCheckReportsAWrongTitleAndMissingText(t *testing.T) {
	t.Parallel()
	got := problems(t, "good/?title=wrong", 1366)
	want(t, got, `the title is "A good page - Test site", which does not contain "Lesson 99"`)
	want(t, got, `does not show "a sentence the page does not have"`)
}

func TestCheckReportsConsoleErrorsAndExceptions(t *testing.T) {
	t.Parallel()
	for _, width := range []int{1366, 390} {
		got := problems(t, "console-error/", width)
		want(t, got, "console.error: boom: the page's own error")
		want(t, got, "uncaught exception: ReferenceError: notDefinedAnywhere is not defined")
	}
}

func TestCheckBlocksAndReportsRequestsToOtherHosts(t *testing.T) {
	t.Parallel()
	problems(t, "good/", 1366) // the shared run, which names the external page
	for _, width := range []int{1366, 390} {
		got := problems(t, checked.external, width)
		want(t, got, "request(s) to other hosts", "https://fonts.googleapis.com/css2?family=Roboto", "http://127.0.0.1:", "ws://127.0.0.1:")
	}
	if n := checked.reached.Load(); n > 0 {
		t.Errorf("the other host got %d request(s): the check must block them, not only report them", n)
	}
}

func TestCheckReportsFilesThatFailToLoad(t *testing.T) {
	t.Parallel()
	for _, width := range []int{1366, 390} {
		got := problems(t, "missing/", width)
		want(t, got, "failed to load", "/missing/nothere.png: 404 Not Found", "/missing/nothere.js: 404 Not Found", "/missing/nothere.css")
	}
}

func TestCheckReportsHiddenTabLabels(t *testing.T) {
	t.Parallel()
	// At 390 px the first bar's last labels and the folded bar's last
	// label are past the edge; the bar whose labels wrap, the bar with a
	// scroll button and the bar with a scrollbar are fine, at any width.
	got := problems(t, "hidden-tab/", 390)
	want(t, got, "tab label(s) out of sight", `"cmd/cli"`, `"inside-four.go"`)
	for _, fine := range []string{`"server.go"`, `"inside-one.go"`, `"cmd/six"`, `"alpha-label.go"`, `"hotel-label.go"`, `"papa-label.go"`} {
		wantNone(t, got, fine)
	}
	wantNone(t, problems(t, "hidden-tab/", 1366), "tab label")
}

func TestCheckReportsDiagramTextTooSmall(t *testing.T) {
	t.Parallel()
	// The column is 700 px at 1366 and 374 px at 390; both diagrams are
	// about 1500 units wide with 16-unit text: 16 × 700 / 1500 and
	// 16 × 374 / 1500.
	got := problems(t, "tiny-diagram/", 1366)
	want(t, got, "diagram tiny.svg", `"a label in 16-unit text"`, "shows at 7.5 px, below 12 px")
	want(t, got, "diagram flow.svg", `"wg.Go: count 1"`, "shows at 7.5 px, below 12 px")
	got = problems(t, "tiny-diagram/", 390)
	want(t, got, "diagram tiny.svg", "shows at 4.0 px", "a box that scrolls sideways")
}

func TestCheckReportsDiagramsThatDoNotOpenFullSize(t *testing.T) {
	t.Parallel()
	got := problems(t, "tiny-diagram/", 1366)
	want(t, got, "diagram tiny.svg does not open full size on click")
	wantNone(t, got, "flow.svg does not open")
	wantNone(t, problems(t, "tiny-diagram/", 390), "does not open") // said once, at the widest
}

func TestCheckReportsCodeBlocksThatBreakWords(t *testing.T) {
	t.Parallel()
	for _, width := range []int{1366, 390} {
		got := problems(t, "wrapping-code/", width)
		want(t, got, "1 code block(s) break lines inside words", "overflow-wrap: anywhere", `"--- FAIL: TestServeEchoesEachMessage`)
		wantNone(t, got, "make lesson-01 test") // wraps at spaces only
	}
}

func TestCheckReportsCodeBlocksThatAreCutOff(t *testing.T) {
	t.Parallel()
	got := problems(t, "wrapping-code/", 390)
	want(t, got, `code block "ok example.com/echo-workbook`, "cuts it off (overflow-x: hidden)")
}

func TestCheckReportsCodeChangedByTextTransform(t *testing.T) {
	t.Parallel()
	got := problems(t, "wrapping-code/", 1366)
	want(t, got, `code "main.go:20: no reply" is shown changed by text-transform: uppercase`)
}

func TestCheckReportsListsThatIgnoreTheirNumbers(t *testing.T) {
	t.Parallel()
	for _, width := range []int{1366, 390} {
		got := problems(t, "list-start/", width)
		want(t, got, `list item "ten, says the source" shows "1." where its HTML numbers it 10`)
		if len(got) != 1 {
			t.Errorf("at %dpx, want only the restyled list reported, got:\n%s", width, strings.Join(got, "\n"))
		}
	}
}

func TestCheckReportsAPageWiderThanTheScreen(t *testing.T) {
	t.Parallel()
	want(t, problems(t, "too-wide/", 390), "the page is 608 px wide on a 390 px screen")
	wantNone(t, problems(t, "too-wide/", 1366), "wide on a")
}

func TestCheckReportsAPageWithoutAHeading(t *testing.T) {
	t.Parallel()
	want(t, problems(t, "untitled/", 1366), "no heading (h1)")
}

func TestCheckReportsImagesWithoutAltText(t *testing.T) {
	t.Parallel()
	want(t, problems(t, "untitled/", 1366), "image ../good/small.svg has no alt text")
}

func TestCheckReportsMermaidLeftAsText(t *testing.T) {
	t.Parallel()
	want(t, problems(t, "untitled/", 1366), "1 mermaid block(s) left as text")
}

func TestCheckSavesAScreenshotOfEveryPageAtEveryWidth(t *testing.T) {
	t.Parallel()
	problems(t, "good/", 1366) // the shared run
	for _, p := range checkedPages {
		for _, width := range []int{1366, 390} {
			file := filepath.Join(checked.shots, fmt.Sprint(width), shotName(p.Path))
			b, err := os.ReadFile(file)
			if err != nil {
				t.Errorf("no screenshot of /%s at %dpx: %v", p.Path, width, err)
				continue
			}
			// A PNG's width is in its header, after the signature and the
			// IHDR chunk's length and type.
			if len(b) < 24 || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
				t.Errorf("%s is not a PNG", file)
			} else if w := binary.BigEndian.Uint32(b[16:20]); w != uint32(width) {
				t.Errorf("%s is %d px wide, want %d", file, w, width)
			}
		}
	}
}

func TestCheckReportsAPageThatMakesNoProgress(t *testing.T) {
	needChromium(t)
	// The page opens a dialog before it loads, and nothing answers it: it
	// stalls however fast the machine, so a short patience says the same
	// as a long one.
	got, err := check(context.Background(), site, []Page{{Path: "stuck/"}}, Options{Widths: []int{1366}}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !containsAll(got[0].What, []string{"no progress for 1s while trying to", "re-run"}) {
		t.Errorf("want one problem, no progress; got %v", got)
	}
}

// TestCheckLeavesNoChromiumRunning: once the shared run's Check returned,
// no process carries the package's mark (tmpMark).
func TestCheckLeavesNoChromiumRunning(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("finding processes by their command line needs Linux's /proc")
	}
	problems(t, "good/", 1366) // the shared run
	if len(checked.left) > 0 {
		t.Errorf("Check returned and left chromium processes %v", checked.left)
	}
}

func TestCheckStopsChromiumWhenCancelled(t *testing.T) {
	needChromium(t)
	mark := markChromium(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Check(ctx, site, []Page{{Path: "stuck/"}}, Options{})
		done <- err
	}()
	// Cancel once a page is open in a renderer, stuck on its dialog.
	for len(processesWith(mark, "--type=renderer")) == 0 {
		select {
		case err := <-done:
			t.Fatalf("Check returned before it was cancelled: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Check returned %v, want an error that wraps context.Canceled", err)
	}
	if pids := processesWith(mark); len(pids) > 0 {
		t.Errorf("Check was cancelled and left chromium processes %v", pids)
	}
}

func TestCheckFailsWithoutChromium(t *testing.T) {
	t.Parallel()
	_, err := Check(context.Background(), site, []Page{{Path: "good/"}}, Options{Chromium: filepath.Join(t.TempDir(), "chromium")})
	if !errors.Is(err, ErrNoChromium) {
		t.Errorf("Check with a browser that is not there returned %v, want ErrNoChromium", err)
	}
}

func TestCheckFailsWithoutASite(t *testing.T) {
	t.Parallel()
	needChromium(t)
	_, err := Check(context.Background(), filepath.Join(t.TempDir(), "site"), []Page{{Path: ""}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "no site to check") {
		t.Errorf("Check of a missing site returned %v, want an error that says there is no site", err)
	}
}

// markChromium gives chromium a temporary directory of the test's own,
// as TMPDIR (see tmpMark), and returns it. The test cannot be parallel.
// The name is short: chromium's socket path there must fit in 108 bytes.
func markChromium(t *testing.T) string {
	if runtime.GOOS != "linux" {
		t.Skip("finding processes by their command line needs Linux's /proc")
	}
	dir, err := os.MkdirTemp("", "m")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	t.Setenv("TMPDIR", dir)
	return dir
}

// processesWith lists the processes but this one that carry dir, and
// whose command line holds every one of args.
func processesWith(dir string, args ...string) []string {
	var pids []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, proc := range procs {
		env, _ := os.ReadFile(filepath.Join(proc, "environ"))
		cmdline, err := os.ReadFile(filepath.Join(proc, "cmdline"))
		carries := bytes.Contains(cmdline, []byte(dir)) || bytes.Contains(env, []byte("TMPDIR="+dir+"\x00"))
		if err == nil && carries && containsAll(string(cmdline), args) && filepath.Base(proc) != fmt.Sprint(os.Getpid()) {
			pids = append(pids, filepath.Base(proc)+" "+strings.ReplaceAll(string(cmdline[:min(len(cmdline), 60)]), "\x00", " "))
		}
	}
	return pids
}

func TestServeGivesAnEmptySearchIndexAndTheRestAsIs(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "search"), 0o755)
	os.WriteFile(filepath.Join(dir, searchIndex), []byte(`{"config":{},"docs":[{"location":"","text":"the whole site"}]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "page.html"), []byte("<p>a page</p>"), 0o644)
	base, stop, err := serve(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	get := func(path string) string {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return b.String()
	}
	if got := get(searchIndex); got != emptySearchIndex {
		t.Errorf("GET /%s = %q; want the empty index %q", searchIndex, got, emptySearchIndex)
	}
	if got := get("page.html"); got != "<p>a page</p>" {
		t.Errorf("GET /page.html = %q; want the file", got)
	}
}
