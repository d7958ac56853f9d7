package class

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"
)

// The page is one file with its style inside: no script, no font, no
// image, nothing fetched. It opens from a USB stick on a projector with
// no network. Folded sections are <details>, which need no script.
//
//go:embed report.html.tmpl
var page string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"mark":     Mark,
	"headline": Headline,
	"summary":  func(r *Report, num string) string { return summary(r.Counts(num)) },
	"plural":   plural,
	"anchor":   anchor,
	"passing":  func(r *Report, num string) int { return r.Counts(num)[Passing] },
	"class":    func(s State) string { return strings.ReplaceAll(string(s), " ", "-") },
	"gmark":    func(g *Group, i int) string { return Mark(&Cell{State: g.State, Group: i + 1}) },
	"diffLines": func(d string) []diffLine {
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
	},
	"touchedAny": func(ln Learner, r *Report) bool {
		for _, l := range r.Lessons {
			if ln.Cells[l.Num].State != Untouched {
				return true
			}
		}
		return false
	},
	"seconds": func(s float64) string { return fmt.Sprintf("%.0fs", s) },
}).Parse(page))

type diffLine struct{ Kind, Text string }

var notID = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// anchor is the id of a learner's lesson on the page.
func anchor(learner, num string) string {
	return "l-" + notID.ReplaceAllString(learner, "_") + "-" + num
}

// HTML writes the report as one self-contained page.
func HTML(w io.Writer, r *Report) error {
	return tmpl.Execute(w, r)
}
