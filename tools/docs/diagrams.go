package main

// Diagrams are Mermaid sources, docs/diagrams/NAME.mmd, rendered here to
// docs/diagrams/NAME.svg, which is committed and shown as an image. So a
// page needs no JavaScript and no network to show a diagram, and looks
// the same on every Material version. Rendering needs npm and chromium
// (mermaid-cli, pinned in tools/docs/mermaid/package-lock.json, driving
// Debian's chromium); checking does not: each SVG starts with a comment
// holding the SHA-256 of the source it was rendered from.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

func runDiagrams(args []string) int {
	flags := flag.NewFlagSet("diagrams", flag.ExitOnError)
	check := flags.Bool("check", false, "do not render: fail if an SVG was not rendered from its current source")
	flags.Parse(args)
	root, err := findRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "diagrams:", err)
		return 2
	}
	sources, _ := filepath.Glob(filepath.Join(root, "docs", "diagrams", "*.mmd"))
	if *check {
		problems := checkDiagrams(root, sources)
		for _, p := range problems {
			fmt.Println(p)
		}
		if len(problems) > 0 {
			fmt.Println("diagrams: render them again with: make diagrams")
			return 1
		}
		fmt.Printf("diagrams: %d SVGs rendered from their current sources\n", len(sources))
		return 0
	}
	mmdc, err := installMermaid(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "diagrams:", err)
		return 1
	}
	for _, src := range sources {
		if err := render(root, mmdc, src); err != nil {
			fmt.Fprintf(os.Stderr, "diagrams: %s: %v\n", rel(root, src), err)
			return 1
		}
		fmt.Println("rendered", rel(root, strings.TrimSuffix(src, ".mmd")+".svg"))
	}
	return 0
}

var stamp = regexp.MustCompile(`^<!-- rendered from (\S+) sha256:([0-9a-f]{64})`)

// checkDiagrams says which sources have no SVG, or an SVG from another version.
func checkDiagrams(root string, sources []string) []string {
	var problems []string
	for _, src := range sources {
		svg := strings.TrimSuffix(src, ".mmd") + ".svg"
		b, err := os.ReadFile(svg)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: not rendered (no %s)", rel(root, src), rel(root, svg)))
			continue
		}
		m := stamp.FindSubmatch(b)
		if m == nil || string(m[2]) != sourceHash(src) {
			problems = append(problems, fmt.Sprintf("%s: out of date: it was not rendered from the current %s", rel(root, svg), rel(root, src)))
		}
	}
	return problems
}

func sourceHash(path string) string {
	b, _ := os.ReadFile(path)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// installMermaid installs mermaid-cli, at the pinned versions, without the
// browser puppeteer would download: it drives Debian's chromium instead.
func installMermaid(root string) (string, error) {
	dir := filepath.Join(root, "tools", "docs", "mermaid")
	mmdc := filepath.Join(dir, "node_modules", ".bin", "mmdc")
	if _, err := exec.LookPath("chromium"); err != nil {
		return "", fmt.Errorf("rendering needs chromium (apt-get install -y chromium)")
	}
	if isFile(mmdc) {
		return mmdc, nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", fmt.Errorf("rendering needs npm, to install mermaid-cli (apt-get install -y npm)")
	}
	cmd := exec.Command("npm", "ci", "--no-fund", "--no-audit")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PUPPETEER_SKIP_DOWNLOAD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm ci in %s: %v\n%s", rel(root, dir), err, out)
	}
	return mmdc, nil
}

func render(root, mmdc, src string) error {
	dir := filepath.Join(root, "tools", "docs", "mermaid")
	tmp, err := os.MkdirTemp("", "workbook-diagram-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "out.svg")
	cmd := exec.Command(mmdc, "--quiet", "-p", filepath.Join(dir, "puppeteer.json"), "-c", filepath.Join(dir, "mermaid.json"),
		"-b", "white", "-i", src, "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, b)
	}
	svg, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	name := filepath.Base(src)
	head := fmt.Sprintf("<!-- rendered from %s sha256:%s by make diagrams: edit the source, not this file -->\n", name, sourceHash(src))
	return os.WriteFile(strings.TrimSuffix(src, ".mmd")+".svg", append([]byte(head), bytes.TrimSpace(svg)...), 0o644)
}

func rel(root, path string) string {
	r, err := filepath.Rel(root, path)
	if err != nil {
		return path
	}
	return r
}
