package class

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"example.com/echo-workbook/tools/internal/term"
)

// Group is the learners of one lesson who stopped at the same place: the
// same state, the same first test, the same message.
type Group struct {
	State    State    `json:"state"`
	Test     string   `json:"test,omitempty"`
	Message  string   `json:"message"`
	Learners []string `json:"learners"`
}

var (
	// position: "echo_test.go:48: " before a test's report, "./echo.go:12:3: "
	// before a build error. The line moves as code is edited; the words do not.
	position = regexp.MustCompile(`^\S+\.go:\d+(:\d+)?: `)
	// port: each run listens on a port of its own.
	port    = regexp.MustCompile(`(127\.0\.0\.1|\[::1\]|localhost):\d+`)
	pointer = regexp.MustCompile(`0x[0-9a-f]{4,}`)
)

// sameWords is a message as the room shares it: without what changes from
// run to run (file positions, ports, pointers).
func sameWords(msg string) string {
	msg = position.ReplaceAllString(strings.TrimSpace(msg), "")
	msg = port.ReplaceAllString(msg, "$1:PORT")
	return pointer.ReplaceAllString(msg, "0x…")
}

// group groups lesson num's failing, not building and timed-out learners,
// most common first, and numbers each cell by its group.
func group(ls []Learner, num string) []*Group {
	var gs []*Group
	for _, ln := range ls {
		c := ln.Cells[num]
		if c.State == Passing || c.State == Untouched {
			continue
		}
		msg := sameWords(c.Message)
		i := slices.IndexFunc(gs, func(g *Group) bool { return g.State == c.State && g.Test == c.Test && g.Message == msg })
		if i < 0 {
			i = len(gs)
			gs = append(gs, &Group{State: c.State, Test: c.Test, Message: msg})
		}
		gs[i].Learners = append(gs[i].Learners, ln.Name)
	}
	slices.SortStableFunc(gs, func(a, b *Group) int { return len(b.Learners) - len(a.Learners) })
	for i, g := range gs {
		for _, ln := range ls {
			if slices.Contains(g.Learners, ln.Name) {
				ln.Cells[num].Group = i + 1
			}
		}
	}
	return gs
}

// Mark is a cell as the table shows it: ok, · (untouched), or a letter
// for the state and the number of its group (F1, B2, T3).
func Mark(c *Cell) string {
	switch c.State {
	case Passing:
		return "ok"
	case Untouched:
		return "·"
	case NoBuild:
		return fmt.Sprintf("B%d", c.Group)
	case TimedOut:
		return fmt.Sprintf("T%d", c.Group)
	}
	return fmt.Sprintf("F%d", c.Group)
}

// Legend explains the marks.
const Legend = "ok passing   Fn failing   Bn does not build   Tn timed out   · untouched   (n: the group below)"

func paint(sc *term.Screen, s State, text string) string {
	switch s {
	case Passing:
		return sc.Green(text)
	case Failing, NoBuild:
		return sc.Red(text)
	case TimedOut:
		return sc.Yellow(text)
	}
	return sc.Dim(text)
}

// Headline is a group's or a cell's one line: the test and what it said.
func Headline(s State, test, msg string) string {
	switch {
	case s == NoBuild:
		return "does not build: " + msg
	case test != "" && !strings.HasPrefix(msg, test):
		return test + ": " + msg
	}
	return msg
}

// Text writes the report for a terminal: the table, then each lesson's
// groups. again is the command that made it, for the closing hint.
func Text(sc *term.Screen, r *Report, again string) {
	width := 8
	for _, ln := range r.Learners {
		width = max(width, len([]rune(ln.Name)))
	}
	sc.Printf("%s\n\n", sc.Bold(fmt.Sprintf("The room: %s, %s, in %s  (%d runs, %.0fs)",
		plural(len(r.Learners), "learner"), plural(len(r.Lessons), "lesson"), r.Room, r.Runs, r.Seconds)))
	head := fmt.Sprintf("  %-*s", width, "")
	for _, l := range r.Lessons {
		head += fmt.Sprintf("  %-4s", l.Num)
	}
	sc.Printf("%s\n", sc.Bold(strings.TrimRight(head, " ")))
	for _, ln := range r.Learners {
		row := fmt.Sprintf("  %-*s", width, ln.Name)
		for _, l := range r.Lessons {
			c := ln.Cells[l.Num]
			row += "  " + paint(sc, c.State, fmt.Sprintf("%-4s", Mark(c)))
		}
		sc.Printf("%s\n", strings.TrimRight(row, " "))
	}
	row := fmt.Sprintf("  %-*s", width, "passing")
	for _, l := range r.Lessons {
		row += fmt.Sprintf("  %-4d", r.Counts(l.Num)[Passing])
	}
	sc.Printf("%s\n\n  %s\n", sc.Dim(strings.TrimRight(row, " ")), sc.Dim(Legend))

	for _, l := range r.Lessons {
		gs := r.Groups[l.Num]
		if len(gs) == 0 {
			continue
		}
		sc.Printf("\n%s  %s\n", sc.Bold("Lesson "+l.Name), sc.Dim(summary(r.Counts(l.Num))))
		for i, g := range gs {
			mark := Mark(&Cell{State: g.State, Group: i + 1})
			sc.Printf("%s\n", sc.Fit(fmt.Sprintf("  %s %-11s %s", paint(sc, g.State, fmt.Sprintf("%-4s", mark)),
				plural(len(g.Learners), "learner"), Headline(g.State, g.Test, g.Message))))
			sc.Printf("%s\n", sc.Fit(sc.Dim(fmt.Sprintf("  %-4s %-11s %s", "", "", strings.Join(g.Learners, ", ")))))
		}
	}
	for _, s := range r.Skipped {
		sc.Printf("\n%s\n", sc.Dim("Not a checkout (no lessons folder), left out: "+s))
	}
	if len(r.Learners) > 0 {
		sc.Printf("\nOne learner's results and code against the reference: %s\n", sc.Cyan(again+" LEARNER="+r.Learners[0].Name))
	}
}

// LearnerText writes one learner's lessons: each state, what failed and
// what came with it, and the code's diff against the reference.
func LearnerText(sc *term.Screen, r *Report, ln *Learner) {
	sc.Printf("%s\n", sc.Bold(fmt.Sprintf("%s, in %s", ln.Name, r.Room)))
	for _, l := range r.Lessons {
		c := ln.Cells[l.Num]
		line := fmt.Sprintf("\n%s  %s", sc.Bold("Lesson "+l.Name), paint(sc, c.State, string(c.State)))
		if c.Message != "" {
			line += "  " + Headline(c.State, c.Test, c.Message)
		}
		sc.Printf("%s\n", line)
		for _, d := range c.Details {
			sc.Printf("    %s\n", d)
		}
		switch {
		case c.State == Untouched:
		case c.Diff == "":
			sc.Printf("  %s\n", sc.Dim("The same code as the reference."))
		default:
			sc.Printf("  %s\n", sc.Dim(fmt.Sprintf("%s the reference (%s), %s this learner's code:", sc.Red("-"), l.Ref, sc.Green("+"))))
			color := map[string]func(string) string{"file": sc.Bold, "hunk": sc.Cyan, "del": sc.Red, "add": sc.Green}
			for _, d := range diffLines(c.Diff) {
				if f := color[d.Kind]; f != nil {
					d.Text = f(d.Text)
				}
				sc.Printf("    %s\n", d.Text)
			}
		}
	}
}

type diffLine struct{ Kind, Text string }

// diffLines splits a diff into lines, each of a kind: file, hunk, del, add
// or "" (a line both sides have).
func diffLines(d string) []diffLine {
	var out []diffLine
	for _, l := range strings.Split(strings.TrimRight(d, "\n"), "\n") {
		kind := ""
		switch {
		case strings.HasPrefix(l, "---"), strings.HasPrefix(l, "+++"):
			kind = "file"
		case strings.HasPrefix(l, "@@"):
			kind = "hunk"
		case strings.HasPrefix(l, "-"):
			kind = "del"
		case strings.HasPrefix(l, "+"):
			kind = "add"
		}
		out = append(out, diffLine{kind, l})
	}
	return out
}

// JSON writes the report for other tools.
func JSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// summary is "3 passing, 12 failing, 1 no build, 4 untouched".
func summary(n map[State]int) string {
	var parts []string
	for _, s := range []State{Passing, Failing, NoBuild, TimedOut, Untouched} {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}
