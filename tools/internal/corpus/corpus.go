// Package corpus reads a lesson's mistakes corpus, the wrong answers its
// tests must reject, and judges a run of the tests on each. A mistake is
// solutions/NN-slug/mistakes/NAME.txtar: a txtar archive whose comment is
//
//	One to three lines, as a learner would recognise it: what was written and why it is wrong.
//	want: the phrase the first failure message must contain
//	race: needed   (optional: only the race detector catches it)
//	shows: TestName (optional: the test whose failure a docs page shows,
//	                 when which test fails first varies from run to run)
//
// followed by edits of the reference: each "-- FILE: replace --" section's
// text (whole lines) must occur exactly once in FILE and is replaced by the
// next "-- FILE: with --" section's text; "-- FILE --" alone writes a whole
// file.
package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/tools/txtar"

	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/lessons"
)

// A Mistake is one entry of the corpus.
type Mistake struct {
	Name  string // "spin-loop"
	Path  string // solutions/01-blocking-echo/mistakes/spin-loop.txtar, from the root
	About string // the description lines
	Want  string // the phrase the first failure must contain
	Race  bool   // only -race catches it
	Shows string // the test a page's recording runs alone, or "" for the first failure
	edits []edit
}

type edit struct {
	file     string
	old, new []byte
	whole    bool // new is the whole file
}

// Packages is the go test pattern for what mistake m can change: its
// lesson's own package when every edit is there ("."), else "./...". The
// packages under cmd/ import the lesson's, but a learner's first failure
// comes from the lesson's own tests, so the corpus need not build theirs.
func (m Mistake) Packages() string {
	for _, e := range m.edits {
		if strings.Contains(filepath.ToSlash(e.file), "/") {
			return "./..."
		}
	}
	return "."
}

// Dir is where lesson l's mistakes live, relative to the root.
func Dir(l lessons.Lesson) string { return filepath.Join(l.Ref, "mistakes") }

// Load reads lesson l's mistakes, sorted by name. Each entry that cannot
// be read is an error of its own, so one bad entry does not hide the rest.
func Load(root string, l lessons.Lesson) ([]Mistake, []error) {
	paths, _ := filepath.Glob(filepath.Join(root, Dir(l), "*.txtar"))
	var ms []Mistake
	var errs []error
	for _, p := range paths {
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		m := Mistake{}
		if err == nil {
			m, err = Parse(rel, b)
		}
		if err != nil {
			errs = append(errs, err)
		} else {
			ms = append(ms, m)
		}
	}
	return ms, errs
}

var (
	key      = regexp.MustCompile(`^(want|race|run|shows):\s*(.*)$`)
	testName = regexp.MustCompile(`^Test\w*$`)
)

// Parse reads one mistake; path names it in errors.
func Parse(path string, data []byte) (Mistake, error) {
	bad := func(format string, args ...any) (Mistake, error) {
		return Mistake{}, fmt.Errorf("%s: "+format, append([]any{path}, args...)...)
	}
	a := txtar.Parse(data)
	m := Mistake{Name: strings.TrimSuffix(filepath.Base(path), ".txtar"), Path: path}
	var about []string
	for _, line := range strings.Split(strings.TrimSpace(string(a.Comment)), "\n") {
		k := key.FindStringSubmatch(strings.TrimSpace(line))
		switch {
		case k == nil:
			if strings.TrimSpace(line) != "" {
				about = append(about, strings.TrimSpace(line))
			}
		case k[1] == "want":
			m.Want = k[2]
		case k[1] == "race" && k[2] == "needed":
			m.Race = true
		case k[1] == "race":
			return bad("%q: the only race line is 'race: needed'", line)
		case k[1] == "shows" && !testName.MatchString(k[2]):
			return bad("%q: shows: names one test, as in 'shows: TestServeEchoes'", line)
		case k[1] == "shows":
			m.Shows = k[2]
		case k[1] == "run":
			return bad("%q: a corpus entry runs every test, as the learner does; delete the run: line", line)
		}
	}
	m.About = strings.Join(about, " ")
	switch {
	case m.Want == "":
		return bad("no 'want:' line in the comment: add one naming a phrase the first failure message must contain")
	case len(about) == 0 || len(about) > 3:
		return bad("the comment has %d lines of description; write one to three, as a learner would recognise the mistake", len(about))
	case len(a.Files) == 0:
		return bad("no edits: add a '-- FILE: replace --' section and a '-- FILE: with --' section after the comment")
	}
	for i := 0; i < len(a.Files); i++ {
		file, verb, _ := strings.Cut(a.Files[i].Name, ": ")
		switch {
		case verb == "":
			m.edits = append(m.edits, edit{file: file, new: a.Files[i].Data, whole: true})
		case verb != "replace":
			return bad("'-- %s --' must follow a '-- %s: replace --' section", a.Files[i].Name, file)
		case i+1 >= len(a.Files) || a.Files[i+1].Name != file+": with":
			return bad("'-- %s: replace --' must be followed by '-- %s: with --'", file, file)
		default:
			m.edits = append(m.edits, edit{file: file, old: a.Files[i].Data, new: a.Files[i+1].Data})
			i++
		}
	}
	return m, nil
}

// Apply writes into dst (which must not exist) a copy of the solution
// module ref with the mistake's edits, and with the lesson's module path
// instead of the solution's, so that the output reads as a learner's run.
func (m Mistake) Apply(ref, dst, solutionModule, lessonModule string) error {
	if err := os.CopyFS(dst, os.DirFS(ref)); err != nil {
		return fmt.Errorf("%s: copying %s: %w", m.Path, ref, err)
	}
	os.RemoveAll(filepath.Join(dst, "mistakes"))
	for _, e := range m.edits {
		path := filepath.Join(dst, filepath.FromSlash(e.file))
		b, err := os.ReadFile(path)
		switch n := bytes.Count(b, e.old); {
		case e.whole:
			b = e.new
		case err != nil:
			return fmt.Errorf("%s: the edit of %s: the reference has no such file", m.Path, e.file)
		case n != 1:
			lines := strings.Split(strings.TrimRight(string(e.old), "\n"), "\n")
			return fmt.Errorf("%s: the text to replace in %s occurs %d times in %s, want exactly once (did the reference change?); it starts:\n%s",
				m.Path, e.file, n, filepath.Join(ref, e.file), gotest.Indent(strings.Join(gotest.Cap(lines, 5), "\n"), 4))
		default:
			b = bytes.Replace(b, e.old, e.new, 1)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return fmt.Errorf("%s: %w", m.Path, err)
		}
	}
	return RenameModule(dst, solutionModule, lessonModule)
}

// moduleFiles make a folder a module of its own.
var moduleFiles = []string{"go.mod", "go.sum"}

// NewModule makes dir a scratch module with src's go.mod and go.sum (a
// module without dependencies has no go.sum). Copies of src become its
// packages (see AsPackage): one go command then builds and runs them all,
// each package still on its own, as a learner's would be.
func NewModule(src, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range moduleFiles {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, f), b, 0o644)
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// AsPackage makes dir, a copy of a module inside a scratch module, a
// package of it.
func AsPackage(dir string) {
	for _, f := range moduleFiles {
		os.Remove(filepath.Join(dir, f))
	}
}

// RenameModule replaces module path from by to in dir's go.mod and Go files.
func RenameModule(dir, from, to string) error {
	if from == "" || from == to {
		return nil
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".go") || d.Name() == "go.mod") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(b, []byte(from)) {
			return err
		}
		// Whole paths only: "…/solutions/01-x" must not match "…/solutions/01-xy".
		re := regexp.MustCompile(regexp.QuoteMeta(from) + `\b`)
		return os.WriteFile(path, re.ReplaceAll(b, []byte(to)), 0o644)
	})
}

// Judge says what is wrong with how the tests took the mistake, or ""
// when they caught it as a learner should see it: a named test fails,
// nothing hangs or panics, and the first failure says the want phrase.
func (m Mistake) Judge(r gotest.Result) string {
	shown := func(lines []string) string {
		return gotest.Indent(strings.Join(gotest.Cap(gotest.NonEmpty(lines), 12), "\n"), 6)
	}
	switch {
	case r.Outcome == gotest.Passed:
		return "the tests PASS with this mistake: no test catches it"
	case r.Outcome == gotest.NotReady:
		return "no test ran"
	case r.Outcome == gotest.Hung:
		return fmt.Sprintf("caught only by a hang: %s; a test must bound its wait and fail with a message. Where it waits:\n%s",
			r.Message, shown(r.Details))
	case r.Outcome == gotest.Broken:
		return fmt.Sprintf("does not build or vet, which is not what the tests teach; write the mistake as code that compiles:\n%s", shown(r.Details))
	case r.Panic != "":
		return fmt.Sprintf("%s panics the test binary (%s): a test must catch this before it takes the binary down", r.Test, r.Panic)
	case len(message(r.Output)) > MaxMessage:
		return fmt.Sprintf("the first failure, %s, says %d characters before any goroutine dump (at most %d: a learner reads it whole); cap its lists (the first few, then \"… N more\"). It starts:\n%s",
			r.Test, len(message(r.Output)), MaxMessage, shown(r.Output))
	case logLines(r.Text) > MaxLogLines:
		return fmt.Sprintf("the run prints %d lines of the code's own log output (at most %d); cap what the tests capture and repeat", logLines(r.Text), MaxLogLines)
	case !strings.Contains(squash(strings.Join(r.Output, "\n")), squash(m.Want)):
		return fmt.Sprintf("the first failure, %s, does not say %q (the want: line). It says:\n%s\n      Fix the message, or the want: line if the message is right.",
			r.Test, m.Want, shown(slices.DeleteFunc(slices.Clone(r.Output), func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), "--- FAIL") })))
	}
	return ""
}

// What a learner can be asked to read: a failure message (before any
// goroutine dump) of at most MaxMessage characters, and at most
// MaxLogLines lines of the code's own log output in a run.
const (
	MaxMessage  = 1500
	MaxLogLines = 200
)

var (
	space    = regexp.MustCompile(`\s+`)
	dumpHead = regexp.MustCompile(`^\s*goroutine \d+ \[`)
	logLine  = regexp.MustCompile(`(?m)^\s*\d{4}/\d\d/\d\d \d\d:\d\d:\d\d `)
)

// message is what a failed test said: its output after the --- FAIL
// line, without race reports, up to the first goroutine of a dump. (What
// comes before the --- FAIL line is the code's own output, counted by
// logLines.)
func message(output []string) string {
	var b strings.Builder
	failed, inRace := false, false
	for _, l := range output {
		t := strings.TrimSpace(l)
		switch {
		case dumpHead.MatchString(l):
			return b.String()
		case strings.HasPrefix(t, "--- FAIL"):
			failed = true
		case t == gotest.RaceFence:
			inRace = !inRace
		case failed && !inRace:
			b.WriteString(t + "\n")
		}
	}
	return b.String()
}

// logLines counts the lines of standard log output (a date, a time) in text.
func logLines(text string) int { return len(logLine.FindAllStringIndex(text, -1)) }

// squash makes a message comparable across line wraps.
func squash(s string) string { return space.ReplaceAllString(strings.TrimSpace(s), " ") }
