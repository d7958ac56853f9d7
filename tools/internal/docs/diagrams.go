package docs

// Diagrams are Mermaid sources, docs/diagrams/NAME.mmd, rendered to
// docs/diagrams/NAME.svg, which is committed and shown as an image: a page
// needs no JavaScript and no network to show one. Rendering needs npm and
// chromium (mermaid-cli, pinned in tools/docs/mermaid/package-lock.json,
// driving Debian's chromium); checking does not: each SVG starts with a
// comment holding the SHA-256 of the source it was rendered from.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Sources lists the diagram sources under root.
func Sources(root string) []string {
	srcs, _ := filepath.Glob(filepath.Join(root, "docs", "diagrams", "*.mmd"))
	return srcs
}

var stamp = regexp.MustCompile(`^<!-- rendered from (\S+) sha256:([0-9a-f]{64})`)

// CheckDiagrams says which sources have no SVG, or an SVG rendered from
// another version of the source.
func CheckDiagrams(root string) []string {
	var problems []string
	for _, src := range Sources(root) {
		svg := strings.TrimSuffix(src, ".mmd") + ".svg"
		rs, rv := rel(root, src), rel(root, svg)
		b, err := os.ReadFile(svg)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: not rendered (no %s): run make diagrams", rs, rv))
			continue
		}
		if m := stamp.FindSubmatch(b); m == nil || string(m[2]) != sourceHash(src) {
			problems = append(problems, fmt.Sprintf("%s: out of date, not rendered from the current %s: run make diagrams", rv, rs))
		}
	}
	return problems
}

func sourceHash(path string) string {
	b, _ := os.ReadFile(path)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// RenderDiagrams renders every source to its SVG, installing mermaid-cli
// first if needed, and calls done with each SVG written.
func RenderDiagrams(ctx context.Context, root string, done func(svg string)) error {
	dir := filepath.Join(root, "tools", "docs", "mermaid")
	mmdc := filepath.Join(dir, "node_modules", ".bin", "mmdc")
	if _, err := exec.LookPath("chromium"); err != nil {
		return fmt.Errorf("rendering needs chromium (apt-get install -y chromium)")
	}
	if _, err := os.Stat(mmdc); err != nil {
		if _, err := exec.LookPath("npm"); err != nil {
			return fmt.Errorf("rendering needs npm, to install mermaid-cli (apt-get install -y npm)")
		}
		// Without the browser puppeteer would download: it drives chromium.
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-fund", "--no-audit")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PUPPETEER_SKIP_DOWNLOAD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("npm ci in %s: %w\n%s", rel(root, dir), err, out)
		}
	}
	tmp, err := os.MkdirTemp("", "workbook-diagram-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	conf := filepath.Join(dir, "puppeteer.json") // names Debian's chromium
	for _, src := range Sources(root) {
		out := filepath.Join(tmp, "out.svg")
		cmd := exec.CommandContext(ctx, mmdc, "--quiet", "-p", conf, "-c", filepath.Join(dir, "mermaid.json"), "-b", "white", "-i", src, "-o", out)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w\n%s", rel(root, src), err, b)
		}
		svg, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		head := fmt.Sprintf("<!-- rendered from %s sha256:%s by make diagrams: edit the source, not this file -->\n", filepath.Base(src), sourceHash(src))
		dst := strings.TrimSuffix(src, ".mmd") + ".svg"
		if err := os.WriteFile(dst, append([]byte(head), bytes.TrimSpace(svg)...), 0o644); err != nil {
			return err
		}
		done(rel(root, dst))
	}
	return nil
}

// rel names a path under root, from root.
func rel(root, path string) string {
	r, _ := filepath.Rel(root, path)
	return r
}
