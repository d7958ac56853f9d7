// Package class is the instructor's view of a room: every learner's
// checkout in one folder, every lesson each has touched run against the
// workbook's tests, and a report of who passes, who is stuck where, and
// which failure the room keeps hitting.
//
// A learner's code is never run where it lies. Their lesson's non-test .go
// files are copied into a scratch copy of the instructor's lesson (its
// tests, go.mod and kit), so the tests are the workbook's, whatever the
// learner did to theirs, and nothing the code does to its own folder
// reaches the learner's. It is not a sandbox: the code runs as the
// instructor, bounded only in time.
package class

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"example.com/echo-workbook/tools/internal/corpus"
	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/lessons"
)

// State is where a learner is in one lesson.
type State string

const (
	Untouched State = "untouched" // the code is the starter's, or the lesson's folder is missing
	Passing   State = "passing"
	Failing   State = "failing"
	NoBuild   State = "no build"
	TimedOut  State = "timed out"
)

// Options say which room to run and how.
type Options struct {
	Root     string           // the instructor's workbook: its tests and references are used
	Room     string           // the folder holding one checkout per learner
	Lessons  []lessons.Lesson // the lessons to report; nil: every lesson
	Learners []string         // only these learners (folder names); nil: all
	Scratch  string           // where scratch copies go (each removed after its run); "" = a temporary folder. Keep it outside any workspace
	Jobs     int              // lessons run at once, each by one go test (itself one package at a time per core); 0 = one per core
	Timeout  time.Duration    // go test -timeout of one learner's test binary; 0 = 60s
	Race     bool
	Count    int // go test -count; 0 lets go reuse a passing result of the same code
	// Progress, if set, is called after each run (one call at a time).
	Progress func(done, total int, learner string, l lessons.Lesson, c Cell)
}

// BuildGrace is what a learner's run gets on top of its -timeout for the
// build: a lesson's go test, which runs n learners' code, is killed after
// n×(Timeout+BuildGrace), whatever it is doing. It is a backstop: go test
// itself cuts off each test binary at its -timeout (and kills it a minute
// later), so one learner's hang costs the others nothing.
const BuildGrace = 90 * time.Second

// Cell is one learner's result in one lesson.
type Cell struct {
	State   State    `json:"state"`
	Test    string   `json:"test,omitempty"`    // the first test that failed or was cut off
	Message string   `json:"message,omitempty"` // one line: the failure, the build error, the cut-off
	Details []string `json:"details,omitempty"` // what came with it, capped
	Passed  int      `json:"passed,omitempty"`  // tests that passed
	Seconds float64  `json:"seconds,omitempty"` // the lesson's go test that ran it, builds included
	Group   int      `json:"group,omitempty"`   // its group in the lesson's Groups (1 = most common)
	Diff    string   `json:"diff,omitempty"`    // the reference (-) against the learner's code (+)
}

// Learner is one checkout in the room.
type Learner struct {
	Name  string           `json:"name"`
	Cells map[string]*Cell `json:"lessons"` // by lesson number
}

// Report is the room at a glance.
type Report struct {
	Room     string              `json:"room"`
	Started  time.Time           `json:"started"`
	Seconds  float64             `json:"seconds"`
	Runs     int                 `json:"runs"` // test runs: identical code is run once
	Lessons  []lessons.Lesson    `json:"lessons"`
	Learners []Learner           `json:"learners"`
	Groups   map[string][]*Group `json:"groups"`            // by lesson number, most common first
	Skipped  []string            `json:"skipped,omitempty"` // folders in the room that are not checkouts
}

// Learners lists the checkouts in room: its folders that hold a lessons
// folder, sorted. The others are returned as skipped.
func Learners(room string) (names, skipped []string, err error) {
	entries, err := os.ReadDir(room)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the room: %w", err)
	}
	for _, e := range entries {
		switch {
		case !e.IsDir() || strings.HasPrefix(e.Name(), "."):
		case lessons.IsDir(filepath.Join(room, e.Name(), "lessons")):
			names = append(names, e.Name())
		default:
			skipped = append(skipped, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, skipped, fmt.Errorf("%s holds no learner checkouts (a folder per learner, each with a lessons folder inside, as git clone leaves it)", room)
	}
	return names, skipped, nil
}

// job is one test run: one lesson's code, which any number of learners
// may share byte for byte, and so its diff against the reference.
type job struct {
	lesson lessons.Lesson
	files  lessons.Files
	key    string
	diff   string
	cells  []*Cell
	names  []string
}

// Run runs the room and reports it.
func Run(ctx context.Context, o Options) (*Report, error) {
	start := time.Now()
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Jobs <= 0 {
		o.Jobs = runtime.NumCPU()
	}
	if o.Lessons == nil {
		all, err := lessons.List(o.Root)
		if err != nil {
			return nil, err
		}
		o.Lessons = all
	}
	// A lesson still being written has nothing to run against.
	o.Lessons = slices.DeleteFunc(slices.Clone(o.Lessons), func(l lessons.Lesson) bool {
		return lessons.NotReady(filepath.Join(o.Root, l.Dir)) != ""
	})
	names, skipped, err := Learners(o.Room)
	if err != nil {
		return nil, err
	}
	if o.Learners != nil {
		for _, n := range o.Learners {
			if !slices.Contains(names, n) {
				return nil, fmt.Errorf("no learner %q in %s; the learners: %s", n, o.Room, strings.Join(names, ", "))
			}
		}
		names = o.Learners
	}
	scratch := o.Scratch
	if scratch == "" {
		if scratch, err = os.MkdirTemp("", "workbook-class-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(scratch)
	}

	rep, batches, err := o.plan(names, skipped, start)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, b := range batches {
		for _, j := range b {
			total += len(j.cells)
		}
	}

	var mu sync.Mutex
	done := 0
	sem := make(chan struct{}, o.Jobs)
	var wg sync.WaitGroup
	for _, b := range batches {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			cs := runLesson(ctx, o, scratch, b)
			mu.Lock()
			defer mu.Unlock()
			for k, j := range b {
				for i, cell := range j.cells {
					*cell = cs[k]
					cell.Diff = j.diff
					done++
					if o.Progress != nil {
						o.Progress(done, total, j.names[i], j.lesson, cs[k])
					}
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, l := range o.Lessons {
		rep.Groups[l.Num] = group(rep.Learners, l.Num)
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// plan reads every learner's code and returns the report to fill in and
// the runs to fill it, by lesson: an untouched lesson needs none,
// identical code one.
func (o Options) plan(names, skipped []string, start time.Time) (*Report, map[string][]*job, error) {
	all, _ := lessons.List(o.Root)
	starters := lessons.OpenStarters(o.Root, all, true) // as status does: without git, the copy taken on first sight
	rep := &Report{Room: o.Room, Started: start, Lessons: o.Lessons, Groups: map[string][]*Group{}, Skipped: skipped}
	// Each lesson's starter, read once: from git, it is a command per file.
	starter := map[string]lessons.Files{}
	for _, l := range o.Lessons {
		if st, err := starters.Files(l); err == nil {
			starter[l.Num] = st
		}
	}
	jobs := map[string]*job{}
	batches := map[string][]*job{} // by lesson number
	for _, name := range names {
		ln := Learner{Name: name, Cells: map[string]*Cell{}}
		for _, l := range o.Lessons {
			c := &Cell{State: Untouched}
			ln.Cells[l.Num] = c
			dir := filepath.Join(o.Room, name, l.Dir)
			if !lessons.IsDir(dir) {
				continue // a checkout from before the lesson existed
			}
			mine, err := lessons.LearnerFiles(dir)
			if err != nil {
				return nil, nil, err
			}
			if st, ok := starter[l.Num]; ok && st.Equal(mine) {
				continue
			}
			key := hash(mine)
			j := jobs[l.Name+key]
			if j == nil {
				j = &job{lesson: l, files: mine, key: key}
				j.diff, _ = lessons.Diff(o.Root, l, mine)
				jobs[l.Name+key] = j
				batches[l.Num] = append(batches[l.Num], j)
			}
			j.cells, j.names = append(j.cells, c), append(j.names, name)
		}
		rep.Learners = append(rep.Learners, ln)
	}
	rep.Runs = len(jobs)
	return rep, batches, nil
}

// runLesson runs one lesson's tests on the learners' code of jobs, in one
// go test: each job's code in its own copy of the lesson, a package of one
// scratch module. Each package is still built, linked and run as its own
// test binary, with its own -timeout, as a learner's run would be; the go
// command's start and module loading are paid once per lesson, not once
// per learner.
//
// The folders are named by the lesson and the code's hash, so the same
// code gets the same path on the next make class, and go's test cache can
// answer for a passing run that nothing changed (unless Count is set).
func runLesson(ctx context.Context, o Options, scratch string, jobs []*job) []Cell {
	l := jobs[0].lesson
	lessonDir, dir := filepath.Join(o.Root, l.Dir), filepath.Join(scratch, l.Name)
	defer removeAll(dir)
	module := lessons.ModulePath(lessonDir)
	cells := make([]Cell, len(jobs))
	removeAll(dir) // a run stopped half way may have left it
	err := corpus.NewModule(lessonDir, dir)
	var pkgs []string
	for i, j := range jobs {
		if err == nil {
			err = prepare(lessonDir, filepath.Join(dir, j.key), j.files, module, module+"/"+j.key)
		}
		if err != nil {
			cells[i] = Cell{State: NoBuild, Message: "could not copy the code to a scratch folder: " + err.Error()}
			continue
		}
		pkgs = append(pkgs, "./"+j.key+"/...")
	}
	if len(pkgs) == 0 {
		return cells
	}
	limit := time.Duration(len(pkgs)) * (o.Timeout + BuildGrace)
	runCtx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	// Lean: the room is judged by the tests, as the corpus is. Without go
	// vet's pass and the binaries' DWARF a room takes a fifth less CPU; code
	// that only vet rejects is shown by what its tests say (the learner's
	// own make test still runs vet).
	opts := gotest.Options{Race: o.Race, Failfast: true, Count: o.Count, Timeout: o.Timeout, Lean: true}
	rs := gotest.RunGroups(runCtx, dir, opts, []string{"GOWORK=off"}, func(pkg string) string {
		key, _, _ := strings.Cut(strings.TrimPrefix(pkg, module+"/"), "/")
		return key // a job's packages: its lesson's and those under cmd
	}, pkgs...)
	for i, j := range jobs {
		if cells[i].State == "" {
			cells[i] = cell(rs[j.key], runCtx.Err() != nil && ctx.Err() == nil, limit, o.Timeout)
		}
	}
	return cells
}

// cell says what a job's run showed. killed: its lesson's go test ran past limit.
func cell(r gotest.Result, killed bool, limit, timeout time.Duration) Cell {
	c := Cell{Passed: r.Passed, Seconds: r.Wall.Seconds(), Test: r.Test}
	switch {
	case killed && r.Outcome != gotest.Hung && !r.Ended:
		c.State, c.Message = TimedOut, fmt.Sprintf("the lesson's go test was still running after %v (-timeout %v and %v for the build, per learner): killed", limit, timeout, BuildGrace)
	case r.Outcome == gotest.Passed:
		c.State = Passing
	case r.Outcome == gotest.Hung:
		// Hung or spinning: the dump alone cannot tell which, so say what happened.
		c.State = TimedOut
		c.Message = fmt.Sprintf("%s was still running after %v: cut off by go test -timeout", orElse(r.Test, "a test"), timeout)
		c.Details = gotest.Cap(r.Details, 8)
	case strings.Contains(r.Text, "*** Test killed") && strings.Contains(r.Text, "ran too long"):
		// go test kills a test binary a minute after its -timeout, which
		// cuts off only a test: this one hung where no test runs (an init).
		c.State = TimedOut
		c.Message = fmt.Sprintf("the test binary was still running a minute after its -timeout %v, outside any test (in an init?): killed by go test", timeout)
	case r.Outcome == gotest.Broken:
		c.State, c.Message = NoBuild, strings.TrimPrefix(r.Message, "does not build: ")
		c.Details = gotest.Cap(r.Details, 10)
	case r.Outcome == gotest.NotReady:
		c.State, c.Message = Failing, "no test ran"
	default:
		c.State, c.Message = Failing, r.Message
		if r.Panic != "" && !strings.Contains(c.Message, r.Panic) {
			c.Details = append(c.Details, r.Panic)
		}
		c.Details = append(c.Details, gotest.Cap(gotest.NonEmpty(r.Details), 15)...)
	}
	// The message is the first of the details, often: say it once.
	if len(c.Details) > 0 && strings.TrimSpace(c.Details[0]) == strings.TrimSpace(c.Message) {
		c.Details = c.Details[1:]
	}
	return c
}

// prepare writes into dst, a package of the scratch module, the
// instructor's lesson lessonDir with the learner's code in place of the
// starter's, and its imports of module as imports of pkg.
func prepare(lessonDir, dst string, mine lessons.Files, module, pkg string) error {
	if err := os.CopyFS(dst, os.DirFS(lessonDir)); err != nil {
		return err
	}
	corpus.AsPackage(dst)
	given, err := lessons.LearnerFiles(dst)
	if err != nil {
		return err
	}
	for n := range given {
		if err := os.Remove(filepath.Join(dst, filepath.FromSlash(n))); err != nil {
			return err
		}
	}
	if err := mine.Write(dst); err != nil {
		return err
	}
	return corpus.RenameModule(dst, module, pkg)
}

// removeAll removes dir even where the learner's code took the write bit
// off a folder of its scratch copy.
func removeAll(dir string) {
	if err := os.RemoveAll(dir); err == nil || errors.Is(err, os.ErrNotExist) {
		return
	}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(path, 0o755)
		}
		return nil
	})
	os.RemoveAll(dir)
}

// hash names a set of files by their names and contents.
func hash(f lessons.Files) string {
	h := sha256.New()
	for _, n := range f.Names() {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(f[n]))
		h.Write(f[n])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Counts says how many learners are in each state in lesson num.
func (r *Report) Counts(num string) map[State]int {
	out := map[State]int{}
	for _, ln := range r.Learners {
		out[ln.Cells[num].State]++
	}
	return out
}

// Learner returns the learner named name, or nil.
func (r *Report) Learner(name string) *Learner {
	i := slices.IndexFunc(r.Learners, func(l Learner) bool { return l.Name == name })
	if i < 0 {
		return nil
	}
	return &r.Learners[i]
}

func orElse(s, def string) string { return cmp.Or(s, def) }
