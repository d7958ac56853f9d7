package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"

	"example.com/echo-workbook/tools/internal/corpus"
	"example.com/echo-workbook/tools/internal/docs"
	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/lessons"
)

// Record writes every recorded output the pages include (make
// docs-outputs), from the same runs verify checks them against: the
// starter, the corpus entry of the same name, or the example program.
// With lessons named, only theirs.
func Record(ctx context.Context, o Options) bool {
	// Recordings are made from the references as they are on disk: while a
	// mutation tester rewrites one in place, that would record a mutant.
	if out, err := lessons.Git(o.Root, "status", "--porcelain", "--", "solutions"); err == nil && out != "" {
		fmt.Fprintf(o.Out, "docs-outputs: solutions/ has uncommitted changes, and recordings are made from it; commit or restore them first:\n%s\n", out)
		return false
	}
	included, err := docs.Included(o.Root)
	if err != nil {
		fmt.Fprintln(o.Out, "docs-outputs:", err)
		return false
	}
	x, err := newV(o, "workbook-record-")
	if err != nil {
		fmt.Fprintln(o.Out, "docs-outputs:", err)
		return false
	}
	defer os.RemoveAll(x.scratch)
	picked := func(name string) bool {
		return len(o.Lessons) == len(o.All) || slices.ContainsFunc(o.Lessons, func(l lessons.Lesson) bool { return l.Name == name })
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, n := true, 0
	for _, out := range included {
		if !picked(out.Lesson) {
			continue
		}
		wg.Go(func() {
			text, err := x.record(ctx, out)
			path := filepath.Join(o.Root, out.Path)
			if err == nil {
				err = os.MkdirAll(filepath.Dir(path), 0o755)
			}
			if err == nil {
				err = os.WriteFile(path, []byte(text), 0o644)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fmt.Fprintf(o.Out, "%s: %v\n", out.Path, err)
				ok = false
				return
			}
			fmt.Fprintf(o.Out, "recorded %s\n", out.Path)
			n++
		})
	}
	wg.Wait()
	fmt.Fprintf(o.Out, "docs-outputs: recorded %d of %d outputs the pages include\n", n, len(included))
	return ok
}

// record runs what output out is recorded from, and returns its text.
func (x *v) record(ctx context.Context, out docs.Output) (string, error) {
	if out.Example {
		return x.runExample(ctx, out.Name)
	}
	i := slices.IndexFunc(x.All, func(l lessons.Lesson) bool { return l.Name == out.Lesson })
	if i < 0 {
		return "", fmt.Errorf("%s includes it, and there is no lesson %s", out.IncBy, out.Lesson)
	}
	l := x.All[i]
	if out.Name == "starter" {
		r := x.runStarter(ctx, l)
		var problem string
		if x.judgeStarter(r, func(f string, a ...any) { problem = fmt.Sprintf(f, a...) }); problem != "" {
			return "", fmt.Errorf("not recorded: %s", problem)
		}
		return docs.Clean(r.Text, x.Root, "", ""), nil
	}
	path := filepath.Join(x.Root, corpus.Dir(l), out.Name+".txtar")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s includes it, and there is no corpus entry %s to record it from", out.IncBy, path)
	}
	rel, _ := filepath.Rel(x.Root, path)
	m, err := corpus.Parse(rel, b)
	if err != nil {
		return "", err
	}
	// Run the lesson's tests on it as a learner does; or, when the first
	// failure varies from run to run, the one test its page shows, alone.
	run, pkgs, problem := "", "./...", m.Judge
	if m.Shows != "" {
		run, pkgs = "^"+regexp.QuoteMeta(m.Shows)+"$", m.Packages()
		problem = func(r gotest.Result) string {
			if r.Outcome != gotest.Failed || r.Test != m.Shows {
				return fmt.Sprintf("%s does not fail %s (its shows: line) when that test runs alone: %s", m.Path, m.Shows, r.Message)
			}
			return ""
		}
	}
	r, dir, err := x.runMistakeOnly(ctx, l, m, run, pkgs)
	defer os.RemoveAll(dir)
	if err != nil {
		return "", err
	}
	if p := problem(r); p != "" {
		return "", fmt.Errorf("not recorded: %s", p)
	}
	return docs.Clean(r.Text, x.Root, dir, l.Dir), nil
}
