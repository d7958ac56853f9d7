package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
)

// checkDocsSite runs the site's checks (tools/docs: make docs-check) and
// reports them as make verify's own: its lines, its problems, its skips.
func checkDocsSite(root string, only []lesson, r *report) string {
	args := []string{"run", modulePath + "/tools/docs", "check", "-json"}
	for _, l := range only {
		args = append(args, l.Num)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var res struct {
		Lines    []string
		Problems []string
		Skipped  [][]string
	}
	if jerr := json.Unmarshal([]byte(lines[len(lines)-1]), &res); jerr != nil {
		r.fail("docs: the site's checks (go run ./tools/docs check) did not run: %v\n%s", err, indent(tail(stderr.String()+string(out), 30)))
		return fmt.Sprintf("%-22s FAIL  tools/docs check", "docs")
	}
	for _, p := range res.Problems {
		r.fail("%s", p)
	}
	for _, s := range res.Skipped {
		if len(s) == 2 {
			r.skip(s[0], s[1])
		}
	}
	return strings.Join(res.Lines, "\n")
}
