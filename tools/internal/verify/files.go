package verify

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"example.com/echo-workbook/tools/internal/lessons"
)

var numberedHint = regexp.MustCompile(`(?m)^## \d+\. `)

// lessonFiles: a README, ordered hints, a TODO in the starter, a learner's
// and an instructor's page.
func (x *v) lessonFiles(l lessons.Lesson, bad func(string, ...any)) {
	readme, err := os.ReadFile(filepath.Join(x.Root, l.Dir, "README.md"))
	if err != nil || !bytes.HasPrefix(readme, []byte("# ")) {
		bad("README.md is missing or does not start with a '# ' title")
	}
	hints, err := os.ReadFile(filepath.Join(x.Root, l.Dir, "HINTS.md"))
	if n := len(numberedHint.FindAll(hints, -1)); err != nil || n < 3 {
		bad("HINTS.md needs at least 3 numbered hints ('## 1. …'), from a nudge to near the solution; found %d", n)
	}
	todo := false
	for _, f := range goFiles(filepath.Join(x.Root, l.Dir), false) {
		b, _ := os.ReadFile(filepath.Join(x.Root, l.Dir, f))
		todo = todo || bytes.Contains(b, []byte("// TODO"))
	}
	if !todo {
		bad("the starter has no // TODO marker showing where the learner works")
	}
	for _, page := range []string{"lessons", "instructor"} {
		if !lessons.IsFile(filepath.Join(x.Root, "docs", page, l.Name+".md")) {
			bad("no docs page docs/%s/%s.md (copy lesson 01's)", page, l.Name)
		}
	}
}

// sameTests: the learner and the reference run the same tests, and every
// module holds the kit (tools/testkit/*_test.go) byte for byte.
func (x *v) sameTests(l lessons.Lesson, bad func(string, ...any)) {
	mine, ref := goFiles(filepath.Join(x.Root, l.Dir), true), goFiles(filepath.Join(x.Root, l.Ref), true)
	if !slices.Equal(mine, ref) {
		bad("test files differ: %s has %v, %s has %v", l.Dir, mine, l.Ref, ref)
	}
	if len(mine) == 0 {
		bad("has no tests")
	}
	for _, f := range mine {
		a, _ := os.ReadFile(filepath.Join(x.Root, l.Dir, f))
		b, err := os.ReadFile(filepath.Join(x.Root, l.Ref, f))
		if err == nil && !bytes.Equal(a, b) {
			bad("%s differs between %s and %s: the learner and the reference must run the same tests", f, l.Dir, l.Ref)
		}
	}
	kit, _ := filepath.Glob(filepath.Join(x.Root, "tools", "testkit", "*_test.go"))
	for _, k := range kit {
		want, _ := os.ReadFile(k)
		for _, dir := range []string{l.Dir, l.Ref} {
			got, err := os.ReadFile(filepath.Join(x.Root, dir, filepath.Base(k)))
			if err != nil || !bytes.Equal(got, want) {
				bad("%s is not a copy of tools/testkit/%s (run: make kit)", filepath.Join(dir, filepath.Base(k)), filepath.Base(k))
			}
		}
	}
}

// plumbingMarker starts the part of a lesson's test file that holds its
// helpers; above it, only the tests.
const plumbingMarker = "// ---- plumbing for the tests above"

// maxPlumbing is how many lines of helpers a lesson's own test files may
// hold: more means plumbing that belongs in the kit, or that is too big.
const maxPlumbing = 150

// plumbing: a lesson's own test files hold its tests (and the values they
// share), then at most maxPlumbing lines of helpers below their marker;
// the rest is the kit's.
func (x *v) plumbing(l lessons.Lesson, bad func(string, ...any)) {
	total := 0
	for _, f := range goFiles(filepath.Join(x.Root, l.Dir), true) {
		if strings.HasPrefix(filepath.Base(f), "kit_") {
			continue
		}
		n, stray, err := plumbingIn(filepath.Join(x.Root, l.Dir, f))
		if err != nil {
			bad("%v", err)
		}
		if len(stray) > 5 {
			stray = append(stray[:5], fmt.Sprintf("%d more", len(stray)-5))
		}
		if len(stray) > 0 {
			bad("%s declares %s above its plumbing marker (%q): only tests go there", f, strings.Join(stray, ", "), plumbingMarker)
		}
		total += n
	}
	if total > maxPlumbing {
		bad("its test files hold %d lines of plumbing below their marker, more than %d: move what other lessons "+
			"share into tools/testkit, and make the rest plainer", total, maxPlumbing)
	}
}

// plumbingIn returns how many lines of a test file follow its plumbing
// marker (none without one), and the functions and types above the marker
// that are not tests (Test, Benchmark, Example and Fuzz functions).
func plumbingIn(path string) (lines int, stray []string, err error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return 0, nil, err
	}
	end := fset.File(f.Pos()).LineCount()
	mark := end
	for _, c := range f.Comments {
		if strings.HasPrefix(c.List[0].Text, plumbingMarker) {
			mark = fset.Position(c.Pos()).Line
		}
	}
	for _, d := range f.Decls {
		if fset.Position(d.Pos()).Line > mark {
			break
		}
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv != nil || !regexp.MustCompile(`^(Test|Benchmark|Example|Fuzz)([A-Z_]|$)`).MatchString(d.Name.Name) {
				stray = append(stray, "func "+d.Name.Name)
			}
		case *ast.GenDecl:
			if d.Tok == token.TYPE { // values the tests share may stay with them
				stray = append(stray, "type "+d.Specs[0].(*ast.TypeSpec).Name.Name)
			}
		}
	}
	return end - mark, stray, nil
}

// testNames: every test is named for the function it tests, then the
// behaviour (TestServeEchoesTwoClientsAtOnce, TestShutdownTwice): one
// scheme in every lesson, and a failing test's name says where to look.
func (x *v) testNames(l lessons.Lesson, bad func(string, ...any)) {
	funcs := map[string][]string{} // a package's folder → its functions, capitalized
	for _, f := range goFiles(filepath.Join(x.Root, l.Dir), false) {
		ds, _ := decls(filepath.Join(x.Root, l.Dir, f))
		for _, d := range ds {
			if strings.HasPrefix(d.key, "func ") {
				name := d.key[strings.LastIndex(d.key, " ")+1:] // a method's own name, after its receiver
				funcs[filepath.Dir(f)] = append(funcs[filepath.Dir(f)], strings.ToUpper(name[:1])+name[1:])
			}
		}
	}
	var stray []string
	for _, f := range goFiles(filepath.Join(x.Root, l.Dir), true) {
		if strings.HasPrefix(filepath.Base(f), "kit_") {
			continue
		}
		ds, _ := decls(filepath.Join(x.Root, l.Dir, f))
		for _, d := range ds {
			test, ok := strings.CutPrefix(d.key, "func Test")
			if !ok || test == "Main" {
				continue
			}
			if !slices.ContainsFunc(funcs[filepath.Dir(f)], func(fn string) bool {
				rest, ok := strings.CutPrefix(test, fn)
				return ok && (rest == "" || unicode.IsUpper(rune(rest[0])))
			}) {
				stray = append(stray, "Test"+test)
			}
		}
	}
	if len(stray) > 0 {
		bad("%s named for no function of the lesson: name a test Test + the function it tests + the behaviour "+
			"(TestServeEchoesTwoClientsAtOnce)", strings.Join(stray, ", "))
	}
}

// givenCode (D6): every top-level declaration of the starter whose text
// has no "TODO:" comment is byte-identical, doc comment included, to the
// same declaration in the solution, so that make lesson-NN diff shows only
// the learner's work.
func (x *v) givenCode(l lessons.Lesson, bad func(string, ...any)) {
	for _, f := range goFiles(filepath.Join(x.Root, l.Dir), false) {
		mine, err := decls(filepath.Join(x.Root, l.Dir, f))
		if err != nil {
			continue // the build reports it
		}
		ref, err := dirDecls(filepath.Join(x.Root, l.Ref, filepath.Dir(f)))
		if err != nil {
			bad("%v", err)
			continue
		}
		var differ []string
		for _, d := range mine {
			if d.todo {
				continue
			}
			if r, ok := ref[d.key]; !ok || r.text != d.text {
				differ = append(differ, d.key)
			}
		}
		if len(differ) > 0 {
			bad("given code differs from the solution's (or is missing there) in %s: %s; code without a TODO: comment must be byte-identical, doc comment included, so that make lesson-%s diff shows only the learner's work",
				f, strings.Join(differ, ", "), l.Num)
		}
	}
}

type decl struct {
	key  string // "func (*server) handle", "type config", "var errX"
	text string // the source, doc comment included
	todo bool   // a comment in it says TODO:
}

func decls(path string) ([]decl, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	tf := fset.File(file.Pos())
	text := func(from, to token.Pos) string { return string(src[tf.Offset(from):tf.Offset(to)]) }
	var out []decl
	for _, d := range file.Decls {
		start, key := d.Pos(), ""
		switch d := d.(type) {
		case *ast.FuncDecl:
			key = "func " + d.Name.Name
			if d.Recv != nil && len(d.Recv.List) > 0 {
				recv := d.Recv.List[0].Type
				key = fmt.Sprintf("func (%s) %s", text(recv.Pos(), recv.End()), d.Name.Name)
			}
			if d.Doc != nil {
				start = d.Doc.Pos()
			}
		case *ast.GenDecl:
			if d.Tok == token.IMPORT {
				continue // the solution may need more imports
			}
			var names []string
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					names = append(names, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						names = append(names, n.Name)
					}
				}
			}
			key = d.Tok.String() + " " + strings.Join(names, ", ")
			if d.Doc != nil {
				start = d.Doc.Pos()
			}
		}
		todo := slices.ContainsFunc(file.Comments, func(c *ast.CommentGroup) bool {
			return c.Pos() >= start && c.End() <= d.End() && strings.Contains(c.Text(), "TODO:")
		})
		out = append(out, decl{key: key, text: text(start, d.End()), todo: todo})
	}
	return out, nil
}

// dirDecls reads the declarations of every non-test Go file in dir.
func dirDecls(dir string) (map[string]decl, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	out := map[string]decl{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ds, err := decls(f)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			out[d.key] = d
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no Go files in %s, where the starter has some", dir)
	}
	return out, nil
}

// goFiles lists the .go files under dir, relative to it: tests or not.
func goFiles(dir string, tests bool) []string {
	var files []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && path != dir && lessons.SkipDir(d.Name()) {
			return filepath.SkipDir
		}
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") && strings.HasSuffix(path, "_test.go") == tests {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	return files
}
