package main

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"example.com/echo-workbook/tools/internal/term"
)

// A goal is one documented make goal: the Makefile is the list, so help
// cannot drift from it. Each goal's recipe is one line calling a workbook
// command; that line is also its go run equivalent.
type goal struct {
	section string
	name    string // "test", "lesson-%"
	about   string
	lesson  bool   // about one lesson: make lesson-NN GOAL
	command string // "go run ./tools/cmd/workbook test NN"
}

var (
	goalLine   = regexp.MustCompile(`^([a-zA-Z0-9_%-]+):[^=]*?## (.*)$`)
	recipeLine = regexp.MustCompile(`^\t@?\$\((WORKBOOK|MAINTAIN)\) (.*)$`)
	variable   = regexp.MustCompile(`\$\((LESSON|\*)\)|\$\*`)
)

// goals reads the documented goals of root's Makefile.
func goals(root string) ([]goal, error) {
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		return nil, err
	}
	var out []goal
	section := ""
	lines := strings.Split(string(b), "\n")
	for i, line := range lines {
		if s, ok := strings.CutPrefix(line, "##@ "); ok {
			section = s
			continue
		}
		m := goalLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		g := goal{section: section, name: m[1], about: m[2]}
		if i+1 < len(lines) {
			recipe := lines[i+1]
			if strings.Contains(recipe, "$(WORKBOOK) test $*") { // lesson-%: alone, it runs the lesson's tests
				recipe = "\t@$(WORKBOOK) test $(LESSON)"
			}
			if r := recipeLine.FindStringSubmatch(recipe); r != nil {
				cmd, args := "workbook", variable.ReplaceAllString(r[2], "NN")
				// The learner's commands need a lesson; the maintainer's
				// take one to narrow what they do.
				g.lesson = r[1] == "WORKBOOK" && args != r[2]
				if r[1] == "MAINTAIN" {
					cmd, args = "maintain", strings.ReplaceAll(args, "NN", "[NN]")
				}
				g.command = "go run ./tools/cmd/" + cmd + " " + strings.TrimSpace(args)
				// make passes DIR in the environment, so the recipe does
				// not show it, but go run needs it.
				if g.name == "class" {
					g.command += " -dir DIR"
				}
			}
		}
		out = append(out, g)
	}
	return out, nil
}

// settings are the make variables the commands read, and their flags.
var settings = [][2]string{
	{"RACE=0", "test without the race detector (-race=false)"},
	{"COUNT=1", "run tests even when go has the result cached; COUNT=n runs them n times (-count)"},
	{"RUN=TestName", "run only the tests matching it (-run)"},
	{"ALL=1", "test: every test, not only to the first failure; hint: every hint; status: untouched lessons too (-all)"},
	{"V=1", "print every test as it runs (-v)"},
	{"TIMEOUT=60s", "cut off a test that hangs (-timeout)"},
	{"HINT=1", "show hint 1 again, then 2, … (-hint)"},
	{"POLL=1", "watch by polling, where file events do not arrive (-poll)"},
	{"YES=1", "reset without asking (-yes)"},
	{"PORT=7007", "the port lesson programs listen on and dial (-port)"},
	{"CMD=echoclient", "which program of the lesson run starts (-cmd)"},
	{"ARGS='-n 3'", "more arguments for the program run starts (after --)"},
	{"DIR=room/", "class: the folder holding one checkout per learner (-dir)"},
	{"FORMAT=html", "class: one page to open or project; FORMAT=json for other tools (-format; OUT=file: -out)"},
	{"LEARNER=name", "class: one learner's results and their code against the reference (-learner)"},
	{"REQUIRE_ALL=1", "verify: a SKIPPED check is a failure (CI sets it)"},
}

func runHelp(args []string) int {
	root, all, _, err := workbook(nil)
	if err != nil {
		return fail("help", err)
	}
	gs, err := goals(root)
	if err != nil {
		return fail("help", err)
	}
	sc := term.New(os.Stdout)
	sc.Printf("%s\n", sc.Bold("The Echo Workbook"))
	sc.Printf("Under each goal, the command that does the same without make (from this folder).\n")
	section := ""
	for _, g := range gs {
		if g.section != section {
			section = g.section
			sc.Printf("\n%s\n", sc.Bold(section))
		}
		name := "make " + g.name
		switch {
		case g.name == "lesson-%":
			name = "make lesson-NN"
		case g.lesson:
			name = "make lesson-NN " + g.name
		case strings.Contains(g.command, "[NN]"):
			name += " [LESSON=NN]"
		}
		sc.Printf("  %s %s\n", sc.Cyan(fmt.Sprintf("%-30s", name)), g.about)
		if g.command != "" {
			sc.Printf("  %-30s %s\n", "", sc.Dim(g.command))
		}
	}
	sc.Printf("\n%s %s\n", sc.Bold("Settings"), "(make lesson-01 test COUNT=1; with go run, the flag in brackets)")
	for _, s := range settings {
		sc.Printf("  %-30s %s\n", s[0], s[1])
	}
	var nums []string
	for _, l := range all {
		nums = append(nums, l.Num)
	}
	sc.Printf("\nStart here: %s, then %s   (the lessons: %s)\n", sc.Cyan("make doctor"), sc.Cyan("make lesson-01 test"), strings.Join(nums, " "))
	return 0
}

// runGoal is the Makefile's catch-all: a goal that does not exist fails
// loudly, naming the nearest one.
func runGoal(args []string) int {
	root, all, _, err := workbook(nil)
	if err != nil || len(args) != 1 {
		return fail("goal", fmt.Errorf("usage: goal NAME (err: %v)", err))
	}
	gs, _ := goals(root)
	var names []string
	for _, g := range gs {
		if !strings.Contains(g.name, "%") {
			names = append(names, g.name)
		}
	}
	for _, l := range all {
		names = append(names, "lesson-"+l.Num)
	}
	fmt.Fprintf(os.Stderr, "make: there is no goal %q. Did you mean: make %s?   (make help lists every goal)\n", args[0], nearest(args[0], names))
	return 2
}

// nearest is the name closest to s by edit distance, the first of equals.
func nearest(s string, names []string) string {
	if len(names) == 0 {
		return "help"
	}
	return slices.MinFunc(names, func(a, b string) int { return cmp.Compare(distance(s, a), distance(s, b)) })
}

// distance is the Levenshtein distance, with a swap of two neighbours
// costing one (tset is one step from test).
func distance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
