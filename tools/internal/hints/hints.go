// Package hints shows a lesson's hints one at a time, from its HINTS.md:
// the numbered "## N. title" sections, then, once they are all out, the
// "## When the test says…" part that maps failures to fixes. How many were
// shown is kept in .workbook/hints/<lesson>, so the next call shows the
// next one (make lesson-NN hint, and h in watch, share it).
package hints

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"example.com/echo-workbook/tools/internal/lessons"
	"example.com/echo-workbook/tools/internal/term"
)

// Hint is one numbered section.
type Hint struct{ Title, Body string }

// Hints is a parsed HINTS.md.
type Hints struct {
	Numbered []Hint
	After    string // everything from the first other "## " section on
}

var heading = regexp.MustCompile(`^## (\d+)\.\s+(.*)$`)

// Parse splits a HINTS.md. A "## " line inside a code fence is code.
func Parse(md string) Hints {
	var h Hints
	inAfter, fenced := false, false
	for line := range strings.Lines(md) {
		bare := strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(strings.TrimSpace(bare), "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(bare, "## ") {
			if m := heading.FindStringSubmatch(bare); m != nil && !inAfter {
				h.Numbered = append(h.Numbered, Hint{Title: m[2]})
				continue
			}
			inAfter = inAfter || len(h.Numbered) > 0
		}
		switch {
		case inAfter:
			h.After += line
		case len(h.Numbered) > 0:
			h.Numbered[len(h.Numbered)-1].Body += line
		}
	}
	for i := range h.Numbered {
		h.Numbered[i].Body = strings.TrimSpace(h.Numbered[i].Body)
	}
	h.After = strings.TrimSpace(h.After)
	return h
}

// Load reads lesson l's hints.
func Load(root string, l lessons.Lesson) (Hints, error) {
	path := filepath.Join(l.Dir, "HINTS.md")
	b, err := os.ReadFile(filepath.Join(root, path))
	if errors.Is(err, fs.ErrNotExist) {
		return Hints{}, fmt.Errorf("lesson %s has no hints yet (no %s)", l.Num, path)
	}
	if err != nil {
		return Hints{}, err
	}
	h := Parse(string(b))
	if len(h.Numbered) == 0 {
		return h, fmt.Errorf("lesson %s has no numbered hints (\"## 1. …\") in %s", l.Num, path)
	}
	return h, nil
}

func stateFile(root string, l lessons.Lesson) string {
	return filepath.Join(root, ".workbook", "hints", l.Name)
}

// Shown says how many of lesson l's hints were shown.
func Shown(root string, l lessons.Lesson) int {
	b, _ := os.ReadFile(stateFile(root, l))
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return max(n, 0)
}

func setShown(root string, l lessons.Lesson, n int) error {
	path := stateFile(root, l)
	// Write then rename: watch and hint may run at once in two terminals.
	err := os.MkdirAll(filepath.Dir(path), 0o755)
	if err == nil {
		err = os.WriteFile(path+".tmp", []byte(strconv.Itoa(n)+"\n"), 0o644)
	}
	if err != nil {
		return fmt.Errorf("remembering the hints shown: %w", err)
	}
	return os.Rename(path+".tmp", path)
}

// Next shows the hint after the ones already shown and remembers it; once
// all are out, the "When the test says…" part. again says how to ask for
// the next one ("make lesson-01 hint", "press h").
func Next(sc *term.Screen, root string, l lessons.Lesson, again string) error {
	h, err := Load(root, l)
	if err != nil {
		return err
	}
	n := Shown(root, l) + 1
	if n <= len(h.Numbered) {
		return Show(sc, root, l, h, n, again)
	}
	sc.Printf("%s\n\n", sc.Bold(fmt.Sprintf("Lesson %s: you have seen all %d hints.", l.Num, len(h.Numbered))))
	if h.After != "" {
		sc.Printf("%s\n\n", h.After)
	}
	sc.Printf("%s\n", sc.Dim(fmt.Sprintf("All of them again: make lesson-%s hint ALL=1 · start over: make lesson-%s hint HINT=1", l.Num, l.Num)))
	return nil
}

// Show shows hint n (from 1) and remembers it as the last one shown.
func Show(sc *term.Screen, root string, l lessons.Lesson, h Hints, n int, again string) error {
	if n < 1 || n > len(h.Numbered) {
		return fmt.Errorf("lesson %s has hints 1 to %d, not %d", l.Num, len(h.Numbered), n)
	}
	if err := setShown(root, l, n); err != nil {
		return err
	}
	x := h.Numbered[n-1]
	sc.Printf("%s\n\n%s\n\n", sc.Bold(fmt.Sprintf("Lesson %s, hint %d of %d: %s", l.Num, n, len(h.Numbered), x.Title)), x.Body)
	if n < len(h.Numbered) {
		sc.Printf("%s\n", sc.Dim("Still stuck? Try a little first, then: "+again))
	} else {
		sc.Printf("%s\n", sc.Dim("That was the last hint. What the common failures mean: "+again))
	}
	return nil
}

// All shows every hint and the part after them.
func All(sc *term.Screen, root string, l lessons.Lesson) error {
	h, err := Load(root, l)
	if err != nil {
		return err
	}
	for i, x := range h.Numbered {
		sc.Printf("%s\n\n%s\n\n", sc.Bold(fmt.Sprintf("Hint %d of %d: %s", i+1, len(h.Numbered), x.Title)), x.Body)
	}
	if h.After != "" {
		sc.Printf("%s\n", h.After)
	}
	return setShown(root, l, len(h.Numbered))
}
