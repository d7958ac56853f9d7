package class

import (
	_ "embed"
	"html/template"
	"io"
	"regexp"
	"slices"
	"strings"

	"example.com/echo-workbook/tools/internal/lessons"
)

// The page is one file with its style inside: no script, no font, no
// image, nothing fetched. It opens from a USB stick on a projector with
// no network. Folded sections are <details>, which need no script.
//
//go:embed report.html.tmpl
var page string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"mark":      Mark,
	"headline":  Headline,
	"summary":   func(r *Report, num string) string { return summary(r.Counts(num)) },
	"plural":    plural,
	"anchor":    anchor,
	"passing":   func(r *Report, num string) int { return r.Counts(num)[Passing] },
	"class":     func(s State) string { return strings.ReplaceAll(string(s), " ", "-") },
	"gmark":     func(g *Group, i int) string { return Mark(&Cell{State: g.State, Group: i + 1}) },
	"diffLines": diffLines,
	"touchedAny": func(ln Learner, r *Report) bool {
		return slices.ContainsFunc(r.Lessons, func(l lessons.Lesson) bool { return ln.Cells[l.Num].State != Untouched })
	},
}).Parse(page))

var notID = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// anchor is the id of a learner's lesson on the page.
func anchor(learner, num string) string {
	return "l-" + notID.ReplaceAllString(learner, "_") + "-" + num
}

// HTML writes the report as one self-contained page.
func HTML(w io.Writer, r *Report) error {
	return tmpl.Execute(w, r)
}
