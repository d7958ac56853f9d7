package main

// reset puts a lesson's starter code back: its non-test .go files, never
// the tests. It asks first, and copies the learner's files to
// .workbook/backup/<lesson>/<time>/ before it touches anything.

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// resetPlan is what a reset would do to a lesson.
type resetPlan struct {
	starter files
	mine    files
	restore []string // files put back as they were
	remove  []string // the learner's own new files (backed up first)
}

func planReset(st *starters, root string, l lesson) (resetPlan, error) {
	starter, err := st.files(l)
	if err != nil {
		return resetPlan{}, err
	}
	mine, err := learnerFiles(filepath.Join(root, l.Dir))
	if err != nil {
		return resetPlan{}, err
	}
	p := resetPlan{starter: starter, mine: mine}
	for _, n := range starter.names() {
		if b, ok := mine[n]; !ok || string(b) != string(starter[n]) {
			p.restore = append(p.restore, n)
		}
	}
	for _, n := range mine.names() {
		if _, ok := starter[n]; !ok {
			p.remove = append(p.remove, n)
		}
	}
	return p, nil
}

// backup copies the learner's files to a new folder under
// .workbook/backup/<lesson>/ and returns it.
func backup(root string, l lesson, mine files, now time.Time) (string, error) {
	base := filepath.Join(root, ".workbook", "backup", l.Name)
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("backing up: %w", err)
	}
	stamp := now.Format("20060102-150405")
	dir := filepath.Join(base, stamp)
	// Two resets in one second must not share a folder.
	for i := 2; ; i++ {
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("backing up: %w", err)
		}
		dir = filepath.Join(base, fmt.Sprintf("%s-%d", stamp, i))
	}
	if err := writeFiles(dir, mine); err != nil {
		return "", fmt.Errorf("backing up to %s: %w", dir, err)
	}
	return dir, nil
}

// applyReset backs up, then writes the starter and removes the learner's
// extra files. It returns the backup folder.
func applyReset(root string, l lesson, p resetPlan, now time.Time) (string, error) {
	saved, err := backup(root, l, p.mine, now)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, l.Dir)
	for _, n := range p.restore {
		if err := writeFileAtomic(filepath.Join(dir, filepath.FromSlash(n)), p.starter[n]); err != nil {
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

// writeFileAtomic replaces path by a rename, so that an editor or a
// watcher never sees half a file.
func writeFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".workbook-tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// confirm asks a yes/no question on in; anything but y or yes is no.
func confirm(out io.Writer, in io.Reader, question string) bool {
	fmt.Fprintf(out, "%s [y/N] ", question)
	answer, _ := bufio.NewReader(in).ReadString('\n')
	answer = strings.ToLower(strings.TrimSpace(answer))
	return answer == "y" || answer == "yes"
}

func runReset(args []string) int {
	flags := flag.NewFlagSet("reset", flag.ContinueOnError)
	yes := flags.Bool("yes", false, "do not ask (for scripts and instructors)")
	if flags.Parse(args) != nil {
		return 2
	}
	root, l, err := oneLesson(flags.Args())
	if err != nil {
		return fail("reset", err)
	}
	all, _ := findLessons(root)
	// No snapshot here: taken now, it would hold the learner's code.
	st := openStarters(root, all, false)
	p, err := planReset(st, root, l)
	if err != nil {
		return fail("reset", err)
	}
	sc := newScreen(os.Stdout)
	if len(p.restore)+len(p.remove) == 0 {
		sc.printf("Lesson %s is already as it started: nothing to reset.\n", l.Num)
		return 0
	}
	sc.printf("Reset lesson %s to its starter (from %s):\n", l.Num, st.describe())
	for _, n := range p.restore {
		sc.printf("  %s %s\n", sc.yellow("put back"), filepath.Join(l.Dir, n))
	}
	for _, n := range p.remove {
		sc.printf("  %s %s (your own file)\n", sc.red("remove  "), filepath.Join(l.Dir, n))
	}
	sc.printf("Tests stay as they are. Your files are copied to %s first.\n", filepath.Join(".workbook", "backup", l.Name)+string(filepath.Separator))
	if !*yes {
		if !isTTY(os.Stdin) {
			return fail("reset", fmt.Errorf("reset asks before it changes your files, and there is no terminal to ask on; to go ahead anyway: make lesson-%s reset YES=1", l.Num))
		}
		if !confirm(os.Stdout, os.Stdin, "Go ahead?") {
			sc.printf("Nothing changed.\n")
			return 0
		}
	}
	saved, err := applyReset(root, l, p, time.Now())
	if err != nil {
		return fail("reset", err)
	}
	rel, _ := filepath.Rel(root, saved)
	sc.printf("%s Lesson %s is back to its starter. Your previous files are in %s\n", sc.green("✓"), l.Num, rel+string(filepath.Separator))
	return 0
}
