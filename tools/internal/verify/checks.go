package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"example.com/echo-workbook/tools/internal/browser"
	"example.com/echo-workbook/tools/internal/docs"
	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/lessons"
)

// workspace: go.work uses exactly the modules in the tree (`go work use -r
// .` would change nothing), and every module has the workspace's go line
// and the path its folder gives it.
func (x *v) workspace(line func(string, string, ...any)) {
	t := &tally{x: x}
	out, err := gotest.Go(context.Background(), x.Root, nil, "work", "edit", "-json", filepath.Join(x.Root, "go.work"))
	var work struct {
		Go  string
		Use []struct{ DiskPath string }
	}
	if err == nil {
		err = json.Unmarshal([]byte(out), &work)
	}
	if err != nil {
		t.fail("go.work: %v\n%s", err, gotest.Indent(out, 6))
		line("go.work", "FAIL")
		return
	}
	var used, mods []string
	for _, u := range work.Use {
		used = append(used, filepath.Clean(u.DiskPath))
	}
	// go work use -r walks every folder, hidden ones too; .git holds no
	// go.mod worth the walk.
	filepath.WalkDir(x.Root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case d.IsDir() && d.Name() == ".git":
			return filepath.SkipDir
		case d.Name() != "go.mod" || d.IsDir():
			return nil
		}
		rel, _ := filepath.Rel(x.Root, filepath.Dir(path))
		mods = append(mods, rel)
		b, _ := os.ReadFile(path)
		if !bytes.Contains(b, []byte("\ngo "+work.Go+"\n")) {
			t.fail("%s: the go line must read 'go %s', as go.work's and every module's do", filepath.Join(rel, "go.mod"), work.Go)
		}
		if want := ModulePath + "/" + filepath.ToSlash(rel); lessons.ModulePath(filepath.Dir(path)) != want {
			t.fail("%s: the module path must be %s", filepath.Join(rel, "go.mod"), want)
		}
		return nil
	})
	for _, m := range mods {
		if !slices.Contains(used, m) {
			t.fail("go.work does not use ./%s (run: go work use ./%s)", m, m)
		}
	}
	for _, u := range used {
		if !slices.Contains(mods, u) {
			t.fail("go.work uses ./%s, which is not a module (run: go work use -r .)", u)
		}
	}
	for _, l := range x.All {
		for _, dir := range []string{l.Dir, l.Ref} {
			if !slices.Contains(mods, dir) {
				t.fail("%s: %s must be a module of its own (a go.mod)", l.Name, dir)
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Join(x.Root, "solutions"))
	for _, e := range entries {
		if e.IsDir() && !lessons.IsDir(filepath.Join(x.Root, "lessons", e.Name())) {
			t.fail("solutions/%s has no lesson in lessons/%s", e.Name(), e.Name())
		}
	}
	if t.failed() {
		line("go.work", "FAIL")
		return
	}
	line("go.work", "ok    %s, each with go %s and its folder's module path", plural(len(mods), "module", "modules"), work.Go)
}

// lint: gofmt, go vet with every analyzer (go test runs only a few), and
// staticcheck at the version tools/go.mod pins, on the solutions.
func (x *v) lint(ctx context.Context, line func(string, string, ...any)) {
	start := time.Now()
	t := &tally{x: x}
	dirs := []string{"lessons", "solutions", "tools"}
	gofmt := "gofmt"
	if root, err := gotest.Go(ctx, x.Root, nil, "env", "GOROOT"); err == nil {
		gofmt = filepath.Join(strings.TrimSpace(root), "bin", "gofmt")
	}
	cmd := exec.CommandContext(ctx, gofmt, append([]string{"-l"}, dirs...)...)
	cmd.Dir = x.Root
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.fail("gofmt would change these files (run: gofmt -w FILE):\n%s", gotest.Indent(string(out), 6))
	}
	var pkgs []string
	for _, d := range dirs {
		pkgs = append(pkgs, ModulePath+"/"+d+"/...")
	}
	// lint's three go commands take no slot (x.goCmd): queued behind
	// every corpus run, they made lint the last check by minutes; beside
	// them, the machine stays as busy and verify ends sooner.
	if out, err := gotest.Go(ctx, x.Root, x.workspaceEnv(), append([]string{"vet"}, pkgs...)...); err != nil {
		t.fail("go vet %s:\n%s", strings.Join(pkgs, " "), gotest.Indent(gotest.Tail(out, 20), 6))
	}
	// staticcheck on the code learners read as right: the solutions. (The
	// tools get go vet: staticcheck on them would analyse chromedp's
	// generated protocol, minutes of a cold CI run.)
	if out, err := gotest.Go(ctx, x.Root, x.workspaceEnv(), "tool", "staticcheck", pkgs[1]); err != nil {
		t.fail("staticcheck (go tool staticcheck, pinned in tools/go.mod):\n%s", gotest.Indent(gotest.Tail(out, 20), 6))
	}
	x.workflows(ctx, t)
	if ctx.Err() != nil {
		return
	}
	if t.failed() {
		line("lint", "FAIL  gofmt, go vet, staticcheck, actionlint")
		return
	}
	line("lint", "ok    gofmt, go vet (every analyzer), staticcheck and actionlint clean (%.1fs)", time.Since(start).Seconds())
}

// workflows: actionlint, at the version tools/go.mod pins, on every
// workflow, without shellcheck and pyflakes (not pinned: their verdicts
// would differ from machine to machine); and the classroom's grades every
// lesson.
func (x *v) workflows(ctx context.Context, t *tally) {
	files, _ := filepath.Glob(filepath.Join(x.Root, ".github", "workflows", "*.yml"))
	if len(files) == 0 {
		return
	}
	args := []string{"tool", "actionlint", "-shellcheck=", "-pyflakes="}
	for _, f := range files {
		rel, _ := filepath.Rel(x.Root, f) // its messages name the files as given
		args = append(args, rel)
	}
	if out, err := gotest.Go(ctx, x.Root, x.workspaceEnv(), args...); err != nil {
		t.fail("actionlint (go tool actionlint, pinned in tools/go.mod):\n%s", gotest.Indent(gotest.Tail(out, 30), 6))
	}
	x.classroom(t)
}

// classroom: the autograding workflow, if there is one, grades every lesson.
func (x *v) classroom(t *tally) {
	classroom := filepath.Join(".github", "workflows", "classroom.yml")
	b, err := os.ReadFile(filepath.Join(x.Root, classroom))
	if err != nil {
		return
	}
	for _, l := range x.All {
		if !bytes.Contains(b, []byte("command: make lesson-"+l.Num+" test\n")) {
			t.fail("%s grades no lesson %s: add its step (command: make lesson-%s test) and its LESSON-%s_RESULTS", classroom, l.Num, l.Num, l.Num)
		}
	}
}

// toolsTests runs the tools' own tests.
func (x *v) toolsTests(ctx context.Context, line func(string, string, ...any)) {
	opts := gotest.Options{Race: x.race && x.ToolsFull, Short: !x.ToolsFull, Timeout: 15 * time.Minute}
	if x.ToolsFull {
		opts.Count = 1 // a pass from go's test cache proves nothing under load
	}
	r := x.test(ctx, filepath.Join(x.Root, "tools"), opts, "./...")
	switch {
	case ctx.Err() != nil:
	case r.Outcome != gotest.Passed:
		x.fail("tools: (cd tools && go test ./...) does not pass:\n%s", describe(r))
		line("tools", "FAIL  go test ./... in tools")
	default:
		line("tools", "ok    %d tests of the tools pass (%.1fs)", r.Passed, r.Wall.Seconds())
	}
}

// ScreenshotDir is where the browser check leaves a screenshot of every
// page at every width, when asked (Options.Shots): CI's artifact.
const ScreenshotDir = ".artifacts/docs-screenshots"

// site: the diagrams are current, the concept pages' recorded outputs
// match their programs, the site builds strictly, and every page passes
// the browser check.
func (x *v) site(ctx context.Context, line func(string, string, ...any)) {
	if ps := docs.CheckDiagrams(x.Root); len(ps) > 0 {
		for _, p := range ps {
			x.fail("docs: %s", p)
		}
		line("docs diagrams", "FAIL")
	} else {
		line("docs diagrams", "ok    %s rendered from their current sources", plural(len(docs.Sources(x.Root)), "SVG", "SVGs"))
	}

	site, err := os.MkdirTemp("", "workbook-site-")
	if err != nil {
		x.fail("docs: %v", err)
		return
	}
	defer os.RemoveAll(site)
	start := time.Now()
	switch err := docs.Build(ctx, x.Root, site); {
	case errors.Is(err, docs.ErrNoMkdocs):
		x.skip("the docs build (mkdocs build --strict) and the browser check", docs.InstallMkdocs)
		line("docs build", "SKIPPED (no mkdocs)")
		return
	case err != nil:
		x.fail("docs: %s", gotest.Tail(err.Error(), 20))
		line("docs build", "FAIL  mkdocs build --strict")
		return
	}
	line("docs build", "ok    mkdocs build --strict (%.1fs)", time.Since(start).Seconds())

	start = time.Now()
	pages, err := docs.Pages(x.Root, site)
	if err != nil {
		x.fail("docs: %v", err)
		return
	}
	var shots, where string
	if x.Shots {
		shots, where = filepath.Join(x.Root, ScreenshotDir), "; screenshots in "+ScreenshotDir
		os.RemoveAll(shots)
	}
	problems, err := browser.Check(ctx, site, pages, browser.Options{ScreenshotDir: shots})
	switch {
	case errors.Is(err, browser.ErrNoChromium):
		x.skip("the browser check of the docs: "+err.Error(), "apt-get install -y chromium")
		line("docs in a browser", "SKIPPED (no chromium)")
		return
	case err != nil:
		x.fail("docs: the browser check did not run: %v", err)
		line("docs in a browser", "FAIL")
		return
	}
	for _, p := range problems {
		x.fail("docs in chromium: /%s at %dpx: %s", p.Page, p.Width, p.What)
	}
	status := "ok  "
	if len(problems) > 0 {
		status = "FAIL"
	}
	line("docs in a browser", "%s  %d pages in headless chromium (%.1fs)%s", status, len(pages), time.Since(start).Seconds(), where)
}

// examples checks the outputs of the concept pages' example programs.
func (x *v) examples(ctx context.Context, line func(string, string, ...any)) {
	included, _ := docs.Included(x.Root)
	n, t := 0, &tally{x: x}
	for _, o := range included {
		if !o.Example {
			continue
		}
		n++
		out, err := x.runExample(ctx, o.Name)
		if err != nil {
			t.fail("docs: %s (shown by %s): %v", o.Path, o.IncBy, err)
			continue
		}
		x.checkOutput(o, out, func(format string, args ...any) { t.fail("docs: "+format, args...) })
	}
	if n == 0 || ctx.Err() != nil {
		return
	}
	if t.failed() {
		line("docs examples", "FAIL")
		return
	}
	line("docs examples", "ok    %s of tools/docs/examples match their recorded outputs", plural(n, "program", "programs"))
}

// runExample runs tools/docs/examples/NAME as its doc comment says (with
// -race if it says `go run -race`) and returns what it printed.
func (x *v) runExample(ctx context.Context, name string) (string, error) {
	dir := filepath.Join("tools", "docs", "examples", name)
	src, err := os.ReadFile(filepath.Join(x.Root, dir, "main.go"))
	if err != nil {
		return "", fmt.Errorf("no program %s", dir)
	}
	args := []string{"run"}
	if bytes.Contains(src, []byte("go run -race")) {
		if !x.race {
			return "", fmt.Errorf("it runs with -race, and the race detector cannot run here: %s", gotest.RaceProblem())
		}
		args = append(args, "-race")
	}
	x.sem <- struct{}{} // the slot first: the time limit is for the program
	defer func() { <-x.sem }()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	// The programs fail on purpose: their exit status says nothing.
	out, _ := gotest.Go(ctx, x.Root, x.workspaceEnv(), append(args, "./"+filepath.ToSlash(dir))...)
	if ctx.Err() != nil {
		return "", fmt.Errorf("did not finish within 2 minutes")
	}
	return docs.Clean(out, x.Root, "", ""), nil
}
