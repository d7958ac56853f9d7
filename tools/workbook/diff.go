package main

// diff shows the learner's code against the reference solution as a
// unified diff, with no diff program needed. Tests are left out (they are
// the same on both sides, make verify sees to that), and so is go.mod,
// whose module path always differs.

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// An edit is one line of a diff: ' ' in both, '-' only in a, '+' only in b.
type edit struct {
	op   byte
	line string // with its "\n", if it had one
}

// diffLines returns the shortest edit script from a to b (Myers, 1986,
// "An O(ND) Difference Algorithm"). Lesson files are short, so keeping a
// copy of the frontier per step, to walk back along, costs little.
func diffLines(a, b []string) []edit {
	// Common ends are the bulk of a learner's file against the reference:
	// strip them first.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []edit
	for _, l := range a[:pre] {
		out = append(out, edit{' ', l})
	}
	out = append(out, myers(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, l := range a[len(a)-suf:] {
		out = append(out, edit{' ', l})
	}
	return out
}

func myers(a, b []string) []edit {
	n, m := len(a), len(b)
	off := n + m + 1 // v[off+k]: the furthest x reached on diagonal k
	v := make([]int, 2*off+1)
	var trace [][]int
	for d := 0; d <= n+m; d++ {
		trace = append(trace, slices.Clone(v[off-d-1:off+d+2]))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: take a line of b
			} else {
				x = v[off+k-1] + 1 // right: drop a line of a
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, a, b)
			}
		}
	}
	return nil // unreachable: d = n+m always reaches the end
}

// backtrack walks the trace from the end to the start, collecting edits.
func backtrack(trace [][]int, a, b []string) []edit {
	var rev []edit
	x, y := len(a), len(b)
	for d := len(trace) - 1; d > 0; d-- {
		v := trace[d] // the frontier after d-1 steps; v[i] is diagonal i-d-1
		at := func(k int) int { return v[k+d+1] }
		k := x - y
		prev := k - 1
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prev = k + 1
		}
		px := at(prev)
		py := px - prev
		for x > px && y > py {
			x, y = x-1, y-1
			rev = append(rev, edit{' ', a[x]})
		}
		if x == px {
			y--
			rev = append(rev, edit{'+', b[y]})
		} else {
			x--
			rev = append(rev, edit{'-', a[x]})
		}
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, edit{' ', a[x]})
	}
	slices.Reverse(rev)
	return rev
}

// splitLines splits text into lines that keep their "\n".
func splitLines(text []byte) []string {
	lines := strings.SplitAfter(string(text), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// unified writes the edits as unified diff hunks with ctx lines of context.
func unified(sc *screen, edits []edit, ctx int) {
	// Find runs of changes, then widen each by ctx lines and merge the
	// ones that touch.
	type span struct{ from, to int } // edits[from:to]
	var spans []span
	for i := 0; i < len(edits); {
		if edits[i].op == ' ' {
			i++
			continue
		}
		j := i
		for j < len(edits) && edits[j].op != ' ' {
			j++
		}
		from, to := max(i-ctx, 0), min(j+ctx, len(edits))
		if len(spans) > 0 && from <= spans[len(spans)-1].to {
			spans[len(spans)-1].to = to
		} else {
			spans = append(spans, span{from, to})
		}
		i = j
	}
	// Line numbers where each edit sits in a and in b.
	aLine, bLine := make([]int, len(edits)+1), make([]int, len(edits)+1)
	for i, e := range edits {
		aLine[i+1], bLine[i+1] = aLine[i], bLine[i]
		if e.op != '+' {
			aLine[i+1]++
		}
		if e.op != '-' {
			bLine[i+1]++
		}
	}
	for _, s := range spans {
		an, bn := aLine[s.to]-aLine[s.from], bLine[s.to]-bLine[s.from]
		sc.printf("%s\n", sc.cyan(fmt.Sprintf("@@ -%s +%s @@", hunkRange(aLine[s.from], an), hunkRange(bLine[s.from], bn))))
		for _, e := range edits[s.from:s.to] {
			text := strings.TrimSuffix(e.line, "\n")
			switch e.op {
			case '-':
				sc.printf("%s\n", sc.red("-"+text))
			case '+':
				sc.printf("%s\n", sc.green("+"+text))
			default:
				sc.printf(" %s\n", text)
			}
			if !strings.HasSuffix(e.line, "\n") {
				sc.printf("\\ No newline at end of file\n")
			}
		}
	}
}

// hunkRange formats "start,count" the way diff -u does: an empty range
// names the line before it.
func hunkRange(before, count int) string {
	if count == 0 {
		return fmt.Sprintf("%d,0", before)
	}
	if count == 1 {
		return fmt.Sprint(before + 1)
	}
	return fmt.Sprintf("%d,%d", before+1, count)
}

// diffLesson writes the reference-to-learner diff of lesson l and returns
// how many files differ.
func diffLesson(sc *screen, root string, l lesson) (int, error) {
	ref, err := learnerFiles(filepath.Join(root, l.Ref))
	if err != nil {
		return 0, err
	}
	mine, err := learnerFiles(filepath.Join(root, l.Dir))
	if err != nil {
		return 0, err
	}
	// The reference imports its own packages by its own module path
	// (cmd/… imports the lesson's package): that line differs in every
	// lesson and says nothing, so read the reference as if it had the
	// learner's path.
	refPath, myPath := modulePathOf(filepath.Join(root, l.Ref)), modulePathOf(filepath.Join(root, l.Dir))
	if refPath != "" && myPath != "" {
		for n, b := range ref {
			ref[n] = bytes.ReplaceAll(b, []byte(`"`+refPath), []byte(`"`+myPath))
		}
	}
	names := files{}
	for n := range ref {
		names[n] = nil
	}
	for n := range mine {
		names[n] = nil
	}
	differ := 0
	for _, n := range names.names() {
		a, inRef := ref[n]
		b, inMine := mine[n]
		if inRef && inMine && string(a) == string(b) {
			continue
		}
		differ++
		from, to := filepath.ToSlash(filepath.Join(l.Ref, n)), filepath.ToSlash(filepath.Join(l.Dir, n))
		if !inRef {
			from = "/dev/null"
		}
		if !inMine {
			to = "/dev/null"
		}
		sc.printf("%s\n%s\n", sc.bold("--- "+from), sc.bold("+++ "+to))
		unified(sc, diffLines(splitLines(a), splitLines(b)), 3)
	}
	return differ, nil
}

// modulePathOf reads the module path from dir/go.mod, or returns "".
func modulePathOf(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return ""
	}
	m := moduleLine.FindSubmatch(b)
	if m == nil {
		return ""
	}
	return string(m[1])
}

var moduleLine = regexp.MustCompile(`(?m)^module\s+"?([^\s"]+)"?\s*$`)

func runDiff(args []string) int {
	flags := flag.NewFlagSet("diff", flag.ContinueOnError)
	if flags.Parse(args) != nil {
		return 2
	}
	root, l, err := oneLesson(flags.Args())
	if err != nil {
		return fail("diff", err)
	}
	if !isDir(filepath.Join(root, l.Ref)) {
		return fail("diff", fmt.Errorf("lesson %s has no reference solution yet (%s)", l.Num, l.Ref))
	}
	sc := newScreen(os.Stdout)
	// On a terminal, a legend; in a pipe, only the diff, so that it can
	// be saved and applied as a patch.
	if sc.color {
		sc.printf("Lesson %s: %s the reference (%s), %s your code (%s). Tests and go.mod are left out.\n\n",
			l.Num, sc.red("-"), l.Ref, sc.green("+"), l.Dir)
	}
	n, err := diffLesson(sc, root, l)
	if err != nil {
		return fail("diff", err)
	}
	switch {
	case n == 0:
		fmt.Fprintf(os.Stderr, "Your code in %s is the same as the reference.\n", l.Dir)
	case sc.color:
		sc.printf("\n%d file(s) differ. Passing tests matter more than matching lines: yours may be just as good.\n", n)
	}
	return 0
}
