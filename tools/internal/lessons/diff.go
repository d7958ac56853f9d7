package lessons

import (
	"bytes"
	"maps"
	"path/filepath"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// Diff is the unified diff of lesson l's reference (-) against a learner's
// code (+), tests and go.mod left out, as make lesson-NN diff shows it,
// and how many files differ; "" when they are the same or there is no
// reference. make class shows the same diff for each learner.
func Diff(root string, l Lesson, mine Files) (diff string, files int) {
	refDir := filepath.Join(root, l.Ref)
	ref, err := LearnerFiles(refDir)
	if err != nil || !IsDir(refDir) {
		return "", 0
	}
	// The reference imports its own packages by its own module path; read
	// it as if it had the lesson's, or every import line differs.
	refPath, myPath := ModulePath(refDir), ModulePath(filepath.Join(root, l.Dir))
	if refPath != "" && myPath != "" {
		for n, b := range ref {
			ref[n] = bytes.ReplaceAll(b, []byte(`"`+refPath), []byte(`"`+myPath))
		}
	}
	names := maps.Clone(ref)
	maps.Copy(names, mine)
	var out strings.Builder
	for _, n := range names.Names() {
		a, inRef := ref[n]
		b, inMine := mine[n]
		if inRef && inMine && bytes.Equal(a, b) {
			continue
		}
		files++
		from, to := filepath.ToSlash(filepath.Join(l.Ref, n)), filepath.ToSlash(filepath.Join(l.Dir, n))
		if !inRef {
			from = "/dev/null"
		}
		if !inMine {
			to = "/dev/null"
		}
		out.WriteString(udiff.Unified(from, to, string(a), string(b)))
	}
	return out.String(), files
}
