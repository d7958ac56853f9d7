package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"example.com/echo-workbook/tools/internal/corpus"
	"example.com/echo-workbook/tools/internal/docs"
	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/lessons"
)

// lesson checks one lesson and prints its line.
func (x *v) lesson(ctx context.Context, l lessons.Lesson, line func(string, string, ...any)) {
	t := &tally{x: x}
	bad := func(format string, args ...any) { t.fail("%s: "+format, append([]any{l.Name}, args...)...) }
	if !lessons.IsDir(filepath.Join(x.Root, l.Ref)) {
		bad("no reference solution: %s is missing", l.Ref)
		line(l.Name, "FAIL  no solution")
		return
	}
	outs := x.outputs(l, bad)
	if !x.Docs {
		x.lessonFiles(l, bad)
		x.sameTests(l, bad)
		x.givenCode(l, bad)
		x.plumbing(l, bad)
		x.testNames(l, bad)
	}

	var mu sync.Mutex
	var starter, solution, slowest string
	var caught int
	var slowestAt time.Duration
	var wg sync.WaitGroup
	wg.Go(func() {
		if x.Docs {
			return
		}
		o := gotest.Options{Race: x.race, Count: x.Count, Timeout: time.Duration(x.Count) * testTimeout}
		r := x.test(ctx, filepath.Join(x.Root, l.Ref), o, "./...")
		if r.Outcome == gotest.Passed {
			solution = fmt.Sprintf("solution passes ×%d in %.1fs", x.Count, r.Wall.Seconds())
			return
		}
		bad("the solution does not pass (cd %s && go test %s ./...):\n%s", l.Ref, strings.Join(o.Flags(), " "), describe(r))
	})
	wg.Go(func() {
		r := x.runStarter(ctx, l)
		starter = x.judgeStarter(r, bad)
		if o, ok := outs["starter"]; ok {
			x.checkOutput(o, docs.Clean(r.Text, x.Root, "", ""), bad)
		}
	})
	ms, errs := corpus.Load(x.Root, l)
	for _, err := range errs {
		t.fail("%v", err)
	}
	judge := func(m corpus.Mistake, got ran) {
		if got.err != nil {
			t.fail("%v", got.err)
			return
		}
		r := got.r
		if p := m.Judge(r); p != "" {
			t.fail("%s: %s", m.Path, p)
			return
		}
		if o, ok := outs[m.Name]; ok {
			// Which test a mistake reaches first may change from run to
			// run (which side fails first is the machine's choice, and a
			// loaded machine chooses differently). The page shows one
			// real run, so it is current if the tests it shows still
			// fail as shown when run alone; a recording left stale by a
			// changed message or a renamed test does not.
			fresh := docs.Clean(r.Text, x.Root, got.dir, l.Dir)
			run := x.recordedTests(o)
			for try := 0; try < 2 && run != "" && x.stale(o, fresh) && ctx.Err() == nil; try++ {
				os.RemoveAll(filepath.Join(x.scratch, l.Name, m.Name)) // applied afresh
				r, again, err := x.runMistakeOnly(ctx, l, m, run, m.Packages())
				if err == nil {
					fresh = docs.Clean(r.Text, x.Root, again, l.Dir)
				}
				os.RemoveAll(again)
			}
			x.checkOutput(o, fresh, bad)
		}
		mu.Lock()
		defer mu.Unlock()
		caught++
		if r.FirstFail >= slowestAt {
			slowest, slowestAt = m.Name, r.FirstFail
		}
	}
	batches := map[bool][]corpus.Mistake{} // by race: needed
	for _, m := range ms {
		if _, shown := outs[m.Name]; x.Docs && !shown {
			continue
		}
		if m.Race && !x.race {
			x.skip(fmt.Sprintf("%s (race: needed) without the race detector", m.Path), gotest.RaceFix)
			continue
		}
		if m.Packages() != "." {
			// An edit below the lesson's package: its own go command,
			// for every package of the lesson.
			wg.Go(func() {
				r, dir, err := x.runMistakeOnly(ctx, l, m, "", m.Packages())
				defer os.RemoveAll(dir)
				judge(m, ran{r, dir, err})
			})
			continue
		}
		batches[m.Race] = append(batches[m.Race], m)
	}
	for race, batch := range batches {
		wg.Go(func() {
			got, dir := x.runMistakes(ctx, l, batch, race)
			defer os.RemoveAll(dir)
			var judged sync.WaitGroup
			for _, m := range batch {
				judged.Go(func() { judge(m, got[m.Name]) })
			}
			judged.Wait()
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return
	}

	notes := []string{starter, solution}
	if len(ms) > 0 {
		notes = append(notes, fmt.Sprintf("corpus %d/%d caught, slowest %s in %.1fs", caught, len(ms), slowest, slowestAt.Seconds()))
	} else {
		notes = append(notes, "no corpus yet")
	}
	if len(outs) > 0 {
		notes = append(notes, plural(len(outs), "recorded output", "recorded outputs"))
	}
	status := "ok  "
	if t.failed() {
		status = fmt.Sprintf("FAIL (%d)", t.n.Load())
	}
	line(l.Name, "%s  %s", status, strings.Join(gotest.NonEmpty(notes), "; "))
}

// runStarter runs lesson l's tests on the untouched starter, as a learner
// does, except without -race (like the corpus: a starter's failure is by
// design, not by the race detector).
func (x *v) runStarter(ctx context.Context, l lessons.Lesson) gotest.Result {
	return x.test(ctx, filepath.Join(x.Root, l.Dir), learnerOptions(false), "./...")
}

// A mistake's run in a batch: its result, the folder it ran in, or why
// it could not run.
type ran struct {
	r   gotest.Result
	dir string
	err error
}

// runMistakes runs mistakes ms of lesson l (all needing race, or none) in
// one go command: each applied to its own copy of the reference, a
// package of one scratch module. A go command's start and module loading
// is then paid once per lesson, not once per mistake; each package is
// still built, linked and run on its own, as a learner's would be. The
// caller removes dir.
func (x *v) runMistakes(ctx context.Context, l lessons.Lesson, ms []corpus.Mistake, race bool) (map[string]ran, string) {
	dir := filepath.Join(x.scratch, l.Name, "corpus")
	if race {
		dir += "-race"
	}
	ref := filepath.Join(x.Root, l.Ref)
	solution, lesson := lessons.ModulePath(ref), lessons.ModulePath(filepath.Join(x.Root, l.Dir))
	out := map[string]ran{}
	fail := func(err error) (map[string]ran, string) {
		for _, m := range ms {
			out[m.Name] = ran{err: fmt.Errorf("%s: the corpus's scratch module: %w", m.Path, err)}
		}
		return out, dir
	}
	if err := corpus.NewModule(ref, dir); err != nil {
		return fail(err)
	}
	if err := corpus.RenameModule(dir, solution, lesson); err != nil {
		return fail(err)
	}
	var pkgs []string
	for _, m := range ms {
		sub := filepath.Join(dir, m.Name)
		err := m.Apply(ref, sub, solution, lesson+"/"+m.Name)
		corpus.AsPackage(sub)
		out[m.Name] = ran{dir: sub, err: err}
		if err == nil {
			pkgs = append(pkgs, "./"+m.Name)
		}
	}
	if len(pkgs) == 0 {
		return out, dir
	}
	o := x.corpusOptions(race, "")
	// Building is most of a corpus run's CPU (about a second an entry, the
	// run a tenth of that), and each run's scratch folder is new: with
	// -trimpath, an entry whose files did not change since the last verify
	// is linked from the build cache. A failing test's result is never
	// cached, so every entry still runs. Not with -race: the few entries
	// that need it would cost a second build of the standard library.
	o.Trimpath = !race
	x.sem <- struct{}{}
	rs := gotest.RunEach(ctx, dir, o, []string{"GOWORK=off"}, pkgs...)
	<-x.sem
	for _, m := range ms {
		if out[m.Name].err != nil {
			continue
		}
		r, ok := rs[lesson+"/"+m.Name]
		if !ok {
			r = gotest.Result{Outcome: gotest.Broken, Message: "go test said nothing of this mistake's package"}
			if ctx.Err() != nil {
				r.Details = []string{ctx.Err().Error()}
			}
		}
		out[m.Name] = ran{r: r, dir: out[m.Name].dir}
	}
	return out, dir
}

// runMistakeOnly applies mistake m to a scratch copy of the reference and
// runs there the tests run matches (a -run pattern; "" runs them all) in
// the packages pkgs matches. The caller removes dir.
func (x *v) runMistakeOnly(ctx context.Context, l lessons.Lesson, m corpus.Mistake, run, pkgs string) (r gotest.Result, dir string, err error) {
	dir = filepath.Join(x.scratch, l.Name, m.Name)
	ref := filepath.Join(x.Root, l.Ref)
	if err := m.Apply(ref, dir, lessons.ModulePath(ref), lessons.ModulePath(filepath.Join(x.Root, l.Dir))); err != nil {
		return r, dir, err
	}
	return x.test(ctx, dir, x.corpusOptions(m.Race, run), pkgs), dir, nil
}

// corpusOptions are a learner's flags, lean: a corpus entry is judged on
// the tests' first message, so go vet's pass and the debugger's part of
// the binary are left out (lint runs every vet check on the reference).
func (x *v) corpusOptions(race bool, run string) gotest.Options {
	o := learnerOptions(race)
	o.Run, o.Lean = run, true
	return o
}

// recordedTests returns a -run pattern for the failing tests a recording
// shows, or "" if it shows none.
func (x *v) recordedTests(o docs.Output) string {
	rec, err := os.ReadFile(filepath.Join(x.Root, o.Path))
	if err != nil {
		return ""
	}
	var names []string
	for _, s := range docs.Signature(string(rec)) {
		if name, ok := strings.CutPrefix(s, "FAIL "); ok {
			top, _, _ := strings.Cut(name, "/") // -run matches subtests level by level
			if q := regexp.QuoteMeta(top); !slices.Contains(names, q) {
				names = append(names, q)
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "^(" + strings.Join(names, "|") + ")$"
}

// learnerOptions are the flags of a learner's run, and of the corpus: one
// failure at a time, no cached result, a hang cut off.
func learnerOptions(race bool) gotest.Options {
	return gotest.Options{Race: race, Failfast: true, Count: 1, Timeout: testTimeout}
}

// judgeStarter checks a starter's run and returns its note, or "".
func (x *v) judgeStarter(r gotest.Result, bad func(string, ...any)) string {
	switch {
	case r.Outcome == gotest.Hung:
		bad("the starter hangs instead of failing a test: %s\n%s", r.Message, describe(r))
	case r.Outcome == gotest.Broken:
		bad("the starter does not build or vet (GOWORK=off go test ./...):\n%s", describe(r))
	case r.Panic != "":
		bad("the starter panics the test binary in %s (%s): a starter returns zero values or an error, never panics", r.Test, r.Panic)
	case r.Outcome == gotest.Passed:
		bad("the starter passes its tests: a lesson must fail until the learner does the work")
	case r.Outcome != gotest.Failed || r.Test == "":
		bad("the starter fails, but by no named test:\n%s", describe(r))
	case r.FirstFail > starterPatience:
		bad("the starter's first failure (%s) came %.1fs after its test binary started; it should come within seconds (limit %v): does a test wait out a timeout before failing?",
			r.Test, r.FirstFail.Seconds(), starterPatience)
	default:
		return fmt.Sprintf("starter fails first by %s in %.1fs", r.Test, r.FirstFail.Seconds())
	}
	return ""
}

// describe shows a failed run: its message and what came with it, capped.
func describe(r gotest.Result) string {
	lines := append([]string{r.Headline()}, r.Details...)
	return gotest.Indent(strings.Join(gotest.Cap(gotest.NonEmpty(lines), 15), "\n"), 6)
}

// outputs returns the recorded outputs of lesson l that pages include, by
// name, and reports an included output with nothing to record it from.
func (x *v) outputs(l lessons.Lesson, bad func(string, ...any)) map[string]docs.Output {
	included, err := docs.Included(x.Root)
	if err != nil {
		bad("%v", err)
	}
	outs := map[string]docs.Output{}
	for _, o := range included {
		if o.Lesson != l.Name {
			continue
		}
		if o.Name != "starter" && !lessons.IsFile(filepath.Join(x.Root, corpus.Dir(l), o.Name+".txtar")) {
			bad("%s includes %s, but there is no corpus entry %s to record it from",
				o.IncBy, o.Path, filepath.Join(corpus.Dir(l), o.Name+".txtar"))
			continue
		}
		outs[o.Name] = o
	}
	return outs
}

// stale says whether a recorded output is missing or differs from a fresh run's.
func (x *v) stale(o docs.Output, fresh string) bool {
	rec, err := os.ReadFile(filepath.Join(x.Root, o.Path))
	return err != nil || docs.Stale(string(rec), fresh) != ""
}

// checkOutput compares a recorded output with a fresh run's.
func (x *v) checkOutput(o docs.Output, fresh string, bad func(string, ...any)) {
	rec, err := os.ReadFile(filepath.Join(x.Root, o.Path))
	if err != nil {
		bad("%s (shown by %s) is missing: record it with make docs-outputs", o.Path, o.IncBy)
		return
	}
	if stale := docs.Stale(string(rec), fresh); stale != "" {
		bad("%s (shown by %s) is out of date; record it again with make docs-outputs. %s", o.Path, o.IncBy, stale)
	}
}
