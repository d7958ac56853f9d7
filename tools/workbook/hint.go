package main

// hint shows a lesson's hints one at a time, from its HINTS.md: the
// numbered "## N. title" sections, then, once they are all out, the
// "## When the test says…" section that maps failures to fixes. How many
// were shown is kept in .workbook/hints/<lesson>, so the next call shows
// the next one.

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

type hint struct {
	title string // "Start with `handle`"
	body  string
}

type hints struct {
	numbered []hint
	after    string // everything from the first other "## " section on
}

var hintHeading = regexp.MustCompile(`^## (\d+)\.\s+(.*)$`)

// parseHints splits a HINTS.md. A "## " line inside a code fence is code,
// not a heading.
func parseHints(md string) hints {
	var h hints
	var body *strings.Builder
	var after strings.Builder
	inAfter, fenced := false, false
	for _, line := range strings.SplitAfter(md, "\n") {
		bare := strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(strings.TrimSpace(bare), "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(bare, "## ") {
			if m := hintHeading.FindStringSubmatch(bare); m != nil && !inAfter {
				h.numbered = append(h.numbered, hint{title: m[2]})
				body = &strings.Builder{}
				continue
			}
			if body != nil || inAfter {
				inAfter = true
			}
		}
		switch {
		case inAfter:
			after.WriteString(line)
		case body != nil:
			h.numbered[len(h.numbered)-1].body += line
		}
	}
	for i := range h.numbered {
		h.numbered[i].body = strings.TrimSpace(h.numbered[i].body)
	}
	h.after = strings.TrimSpace(after.String())
	return h
}

func loadHints(root string, l lesson) (hints, error) {
	b, err := os.ReadFile(filepath.Join(root, l.Dir, "HINTS.md"))
	if errors.Is(err, fs.ErrNotExist) {
		return hints{}, fmt.Errorf("lesson %s has no hints yet (no %s)", l.Num, filepath.Join(l.Dir, "HINTS.md"))
	}
	if err != nil {
		return hints{}, err
	}
	h := parseHints(string(b))
	if len(h.numbered) == 0 {
		return h, fmt.Errorf("lesson %s has no numbered hints (\"## 1. …\") in %s", l.Num, filepath.Join(l.Dir, "HINTS.md"))
	}
	return h, nil
}

// hintState remembers, per lesson, how many hints were shown.
type hintState struct{ dir string }

func newHintState(root string) hintState {
	return hintState{dir: filepath.Join(root, ".workbook", "hints")}
}

func (s hintState) shown(l lesson) int {
	b, err := os.ReadFile(filepath.Join(s.dir, l.Name))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return max(n, 0)
}

func (s hintState) set(l lesson, n int) error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("remembering the hints shown: %w", err)
	}
	// Write then rename: watch and hint may run at once in two terminals.
	tmp := filepath.Join(s.dir, "."+l.Name+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)+"\n"), 0o644); err != nil {
		return fmt.Errorf("remembering the hints shown: %w", err)
	}
	return os.Rename(tmp, filepath.Join(s.dir, l.Name))
}

// nextHint shows the hint after the ones already shown and remembers it;
// once all are out, it shows the "When the test says…" part. again says
// how to ask for the next one ("make lesson-01 hint", "press h").
func nextHint(sc *screen, root string, l lesson, again string) error {
	h, err := loadHints(root, l)
	if err != nil {
		return err
	}
	st := newHintState(root)
	n := st.shown(l) + 1
	if n > len(h.numbered) {
		sc.printf("%s\n\n", sc.bold(fmt.Sprintf("Lesson %s: you have seen all %d hints.", l.Num, len(h.numbered))))
		if h.after != "" {
			sc.printf("%s\n\n", h.after)
		}
		sc.printf("%s\n", sc.dim(fmt.Sprintf("All of them again: make lesson-%s hint ALL=1 · start over: make lesson-%s hint HINT=1", l.Num, l.Num)))
		return nil
	}
	return showHint(sc, root, l, h, n, again)
}

// showHint shows hint n (from 1) and remembers it as the last one shown.
func showHint(sc *screen, root string, l lesson, h hints, n int, again string) error {
	if n < 1 || n > len(h.numbered) {
		return fmt.Errorf("lesson %s has hints 1 to %d, not %d", l.Num, len(h.numbered), n)
	}
	if err := newHintState(root).set(l, n); err != nil {
		return err
	}
	sc.printf("%s\n\n%s\n\n", sc.bold(fmt.Sprintf("Lesson %s, hint %d of %d: %s", l.Num, n, len(h.numbered), h.numbered[n-1].title)), h.numbered[n-1].body)
	if n < len(h.numbered) {
		sc.printf("%s\n", sc.dim("Still stuck? Try a little first, then: "+again))
	} else {
		sc.printf("%s\n", sc.dim("That was the last hint. What the common failures mean: "+again))
	}
	return nil
}

// allHints shows every hint and the part after them.
func allHints(sc *screen, root string, l lesson) error {
	h, err := loadHints(root, l)
	if err != nil {
		return err
	}
	for i, x := range h.numbered {
		sc.printf("%s\n\n%s\n\n", sc.bold(fmt.Sprintf("Hint %d of %d: %s", i+1, len(h.numbered), x.title)), x.body)
	}
	if h.after != "" {
		sc.printf("%s\n", h.after)
	}
	return newHintState(root).set(l, len(h.numbered))
}

func runHint(args []string) int {
	flags := flag.NewFlagSet("hint", flag.ContinueOnError)
	all := flags.Bool("all", false, "show every hint at once")
	n := flags.Int("n", 0, "show hint `N` (1 starts over); the next call shows N+1")
	if flags.Parse(args) != nil {
		return 2
	}
	root, l, err := oneLesson(flags.Args())
	if err != nil {
		return fail("hint", err)
	}
	sc := newScreen(os.Stdout)
	switch {
	case *all:
		err = allHints(sc, root, l)
	case *n != 0:
		var h hints
		if h, err = loadHints(root, l); err == nil {
			err = showHint(sc, root, l, h, *n, "make lesson-"+l.Num+" hint")
		}
	default:
		err = nextHint(sc, root, l, "make lesson-"+l.Num+" hint")
	}
	if err != nil {
		return fail("hint", err)
	}
	return 0
}
