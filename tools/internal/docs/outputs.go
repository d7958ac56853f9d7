// Package docs keeps the site honest: the test output its pages show is
// recorded from real runs, its diagrams are rendered from their sources,
// and it builds strictly; it lists the pages for the browser check.
package docs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"example.com/echo-workbook/tools/internal/gotest"
)

// Recorded outputs (docs/outputs/):
//
//	NN-slug/starter.txt   the lesson's tests on the untouched starter
//	NN-slug/NAME.txt      the tests on the reference with corpus entry NAME
//	                      (solutions/NN-slug/mistakes/NAME.txtar)
//	concepts/NAME.txt     the example program tools/docs/examples/NAME
//
// Only what a page includes is recorded and checked. A check compares a
// signature, not bytes: ports, timings and counts change from run to run.

// Output is one recorded output a page includes.
type Output struct {
	Path    string // docs/outputs/01-blocking-echo/spin-loop.txt
	Lesson  string // "01-blocking-echo", or "concepts"
	Name    string // "spin-loop", "starter", or the example's name
	IncBy   string // a page that includes it
	Example bool   // a concept page's example program
}

// includeLine is a pymdownx.snippets include: --8<-- "path".
var includeLine = regexp.MustCompile(`(?m)^[ \t]*-{2,}8<-{2,}[ \t]+"([^"]+)"[ \t]*$`)

// Included lists the recorded outputs that Markdown in docs/, lessons/ or
// solutions/ includes.
func Included(root string) ([]Output, error) {
	var outs []Output
	for _, top := range []string{"docs", "lessons", "solutions"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && path == filepath.Join(root, top) {
				return filepath.SkipDir
			}
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			page, _ := filepath.Rel(root, path)
			for _, m := range includeLine.FindAllStringSubmatch(string(b), -1) {
				rel := filepath.ToSlash(filepath.Clean(m[1]))
				dir, file := filepath.Split(strings.TrimPrefix(rel, "docs/outputs/"))
				if !strings.HasPrefix(rel, "docs/outputs/") || !strings.HasSuffix(file, ".txt") ||
					slices.ContainsFunc(outs, func(o Output) bool { return o.Path == rel }) {
					continue
				}
				o := Output{Path: rel, Lesson: strings.Trim(dir, "/"), Name: strings.TrimSuffix(file, ".txt"), IncBy: page}
				o.Example = o.Lesson == "concepts"
				outs = append(outs, o)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("finding the recorded outputs pages include: %w", err)
		}
	}
	slices.SortFunc(outs, func(a, b Output) int { return strings.Compare(a.Path, b.Path) })
	return outs, nil
}

// Clean makes a run's output read as a learner's: the scratch folder it ran
// in becomes the lesson's folder, the workbook's root "~/echo-workbook",
// and an output too long for a page loses its middle.
func Clean(out, root, ranIn, lessonDir string) string {
	if ranIn != "" {
		out = strings.ReplaceAll(out, ranIn, "~/echo-workbook/"+filepath.ToSlash(lessonDir))
	}
	out = strings.ReplaceAll(out, root, "~/echo-workbook")
	const head, tail = 12, 40
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) <= head+tail+10 {
		return out
	}
	cut := fmt.Sprintf("[… %d more lines, cut here to fit the page …]", len(lines)-head-tail)
	return strings.Join(slices.Concat(lines[:head], []string{cut}, lines[len(lines)-tail:]), "\n") + "\n"
}

var (
	failLine  = regexp.MustCompile(`^\s*--- FAIL: (\S+)`)
	msgLine   = regexp.MustCompile(`^\s+(\w+\.go):\d+: (.*)$`)
	numbers   = regexp.MustCompile(`\d+`)
	sigEvents = []string{"panic: ", "WARNING: DATA RACE", "fatal error: ", "[build failed]", "goroutine 1 ["}
)

const race = "WARNING: DATA RACE"

// Signature is what must stay the same between a recording and a fresh
// run: which tests fail, in order, the file each message comes from and
// its first words, and any panic or race report. Not timings, ports,
// counts or line numbers.
func Signature(out string) []string {
	var sig []string
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		if m := failLine.FindStringSubmatch(line); m != nil {
			sig = append(sig, "FAIL "+m[1])
			if i+1 < len(lines) {
				if mm := msgLine.FindStringSubmatch(lines[i+1]); mm != nil {
					words := strings.Fields(numbers.ReplaceAllString(mm[2], "N"))
					sig = append(sig, "  "+mm[1]+": "+strings.Join(words[:min(4, len(words))], " "))
				}
			}
		}
		for _, ev := range sigEvents {
			if strings.HasPrefix(strings.TrimSpace(line), ev) && !slices.Contains(sig, ev) {
				sig = append(sig, ev)
			}
		}
	}
	return sig
}

// Stale says how a recording differs from a fresh run's output, or "".
// Whether the race detector sees a race depends on how goroutines ran: a
// recorded race only needs a race in the fresh run, and a race in the
// fresh run does not make a recording without one stale.
func Stale(recorded, fresh string) string {
	want, got := Signature(recorded), Signature(fresh)
	if slices.Contains(want, race) && slices.Contains(got, race) {
		return ""
	}
	if slices.Equal(want, slices.DeleteFunc(slices.Clone(got), func(s string) bool { return s == race })) {
		return ""
	}
	show := func(sig []string) string { return gotest.Indent(strings.Join(append(sig, "(end)"), "\n"), 6) }
	return fmt.Sprintf("the page shows:\n%s\n  a fresh run says:\n%s", show(want), show(got))
}
