package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"example.com/echo-workbook/tools/internal/cli"
	"example.com/echo-workbook/tools/internal/hints"
	"example.com/echo-workbook/tools/internal/lessons"
	"example.com/echo-workbook/tools/internal/term"
)

func runHint(args []string) int {
	fs := cli.Flags("hint")
	all := fs.Bool("all", false, "show every hint at once (make: ALL=1)")
	n := fs.Int("hint", 0, "show hint `N` (1 starts over); the next call shows N+1 (make: HINT=1)")
	if cli.Parse(fs, args) != nil {
		return 2
	}
	root, _, l, err := oneLesson(fs.Args())
	if err != nil {
		return fail("hint", err)
	}
	sc := term.New(os.Stdout)
	again := "make lesson-" + l.Num + " hint"
	switch {
	case *all:
		err = hints.All(sc, root, l)
	case *n != 0:
		var h hints.Hints
		if h, err = hints.Load(root, l); err == nil {
			err = hints.Show(sc, root, l, h, *n, again)
		}
	default:
		err = hints.Next(sc, root, l, again)
	}
	if err != nil {
		return fail("hint", err)
	}
	return 0
}

func runDiff(args []string) int {
	fs := cli.Flags("diff")
	if cli.Parse(fs, args) != nil {
		return 2
	}
	root, _, l, err := oneLesson(fs.Args())
	if err != nil {
		return fail("diff", err)
	}
	if !lessons.IsDir(filepath.Join(root, l.Ref)) {
		return fail("diff", fmt.Errorf("lesson %s has no reference solution yet (%s)", l.Num, l.Ref))
	}
	sc := term.New(os.Stdout)
	// On a terminal, a legend; in a pipe, only the diff, so that it can be
	// saved and applied as a patch.
	if sc.Color {
		sc.Printf("Lesson %s: %s the reference (%s), %s your code (%s). Tests and go.mod are left out.\n\n",
			l.Num, sc.Red("-"), l.Ref, sc.Green("+"), l.Dir)
	}
	mine, err := lessons.LearnerFiles(filepath.Join(root, l.Dir))
	if err != nil {
		return fail("diff", err)
	}
	diff, n := lessons.Diff(root, l, mine)
	for line := range strings.Lines(diff) {
		paint := func(s string) string { return s }
		switch {
		case strings.HasPrefix(line, "---"), strings.HasPrefix(line, "+++"):
			paint = sc.Bold
		case strings.HasPrefix(line, "@@"):
			paint = sc.Cyan
		case strings.HasPrefix(line, "-"):
			paint = sc.Red
		case strings.HasPrefix(line, "+"):
			paint = sc.Green
		}
		sc.Printf("%s\n", paint(strings.TrimSuffix(line, "\n")))
	}
	switch {
	case n == 0:
		fmt.Fprintf(os.Stderr, "Your code in %s is the same as the reference.\n", l.Dir)
	case sc.Color:
		sc.Printf("\n%d file(s) differ. Passing tests matter more than matching lines: yours may be just as good.\n", n)
	}
	return 0
}

// resetPlan is what a reset would do to a lesson.
type resetPlan struct {
	starter, mine   lessons.Files
	restore, remove []string // files put back; the learner's own new files
}

func planReset(st *lessons.Starters, root string, l lessons.Lesson) (resetPlan, error) {
	starter, err := st.Files(l)
	if err != nil {
		return resetPlan{}, err
	}
	mine, err := lessons.LearnerFiles(filepath.Join(root, l.Dir))
	if err != nil {
		return resetPlan{}, err
	}
	p := resetPlan{starter: starter, mine: mine}
	for _, n := range starter.Names() {
		if b, ok := mine[n]; !ok || !bytes.Equal(b, starter[n]) {
			p.restore = append(p.restore, n)
		}
	}
	for _, n := range mine.Names() {
		if _, ok := starter[n]; !ok {
			p.remove = append(p.remove, n)
		}
	}
	return p, nil
}

// applyReset copies the learner's files to a new folder under
// .workbook/backup/<lesson>/, then writes the starter and removes the
// learner's extra files. It returns the backup folder.
func applyReset(root string, l lessons.Lesson, p resetPlan) (string, error) {
	base := filepath.Join(root, ".workbook", "backup", l.Name)
	var saved string
	err := os.MkdirAll(base, 0o755)
	if err == nil {
		// A name of its own: two resets in one second must not share a folder.
		saved, err = os.MkdirTemp(base, time.Now().Format("20060102-150405-"))
	}
	if err != nil {
		return "", fmt.Errorf("backing up: %w", err)
	}
	if err := p.mine.Write(saved); err != nil {
		return "", fmt.Errorf("backing up to %s: %w", saved, err)
	}
	dir := filepath.Join(root, l.Dir)
	for _, n := range p.restore {
		// Whole or not at all, so an editor or a watcher never sees half a file.
		err := writeFile(filepath.Join(dir, filepath.FromSlash(n)), func(w io.Writer) error {
			_, err := w.Write(p.starter[n])
			return err
		})
		if err != nil {
			return saved, fmt.Errorf("restoring %s (your files are safe in %s): %w", n, saved, err)
		}
	}
	for _, n := range p.remove {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(n))); err != nil {
			return saved, fmt.Errorf("removing %s (your files are safe in %s): %w", n, saved, err)
		}
	}
	return saved, nil
}

func runReset(args []string) int {
	fs := cli.Flags("reset")
	yes := fs.Bool("yes", false, "do not ask (for scripts and instructors) (make: YES=1)")
	if cli.Parse(fs, args) != nil {
		return 2
	}
	root, all, l, err := oneLesson(fs.Args())
	if err != nil {
		return fail("reset", err)
	}
	// No snapshot here: taken now, it would hold the learner's code.
	st := lessons.OpenStarters(root, all, false)
	p, err := planReset(st, root, l)
	if err != nil {
		return fail("reset", err)
	}
	sc := term.New(os.Stdout)
	if len(p.restore)+len(p.remove) == 0 {
		sc.Printf("Lesson %s is already as it started: nothing to reset.\n", l.Num)
		return 0
	}
	sc.Printf("Reset lesson %s to its starter (from %s):\n", l.Num, st.Describe())
	for _, n := range p.restore {
		sc.Printf("  %s %s\n", sc.Yellow("put back"), filepath.Join(l.Dir, n))
	}
	for _, n := range p.remove {
		sc.Printf("  %s %s (your own file)\n", sc.Red("remove  "), filepath.Join(l.Dir, n))
	}
	sc.Printf("Tests stay as they are. Your files are copied to %s first.\n", filepath.Join(".workbook", "backup", l.Name)+string(filepath.Separator))
	if !*yes {
		if !term.IsTerminal(os.Stdin) {
			return fail("reset", fmt.Errorf("reset asks before it changes your files, and there is no terminal to ask on; to go ahead anyway: make lesson-%s reset YES=1", l.Num))
		}
		fmt.Print("Go ahead? [y/N] ")
		answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" { // anything else is no
			sc.Printf("Nothing changed.\n")
			return 0
		}
	}
	saved, err := applyReset(root, l, p)
	if err != nil {
		return fail("reset", err)
	}
	rel, _ := filepath.Rel(root, saved)
	sc.Printf("%s Lesson %s is back to its starter. Your previous files are in %s\n", sc.Green("✓"), l.Num, rel+string(filepath.Separator))
	return 0
}
