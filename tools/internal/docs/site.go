package docs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"example.com/echo-workbook/tools/internal/browser"
	"example.com/echo-workbook/tools/internal/lessons"
)

// InstallMkdocs says how to get the docs build, as Debian packages it.
const InstallMkdocs = "apt-get install -y mkdocs mkdocs-material python3-pymdownx"

// ErrNoMkdocs: mkdocs is not installed.
var ErrNoMkdocs = errors.New("mkdocs is not installed (" + InstallMkdocs + ")")

// Build builds the site strictly into siteDir: a broken link or a missing
// include fails it.
func Build(ctx context.Context, root, siteDir string) error {
	if _, err := exec.LookPath("mkdocs"); err != nil {
		return ErrNoMkdocs
	}
	cmd := exec.CommandContext(ctx, "mkdocs", "build", "--strict", "--quiet", "--site-dir", siteDir)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mkdocs build --strict: %w\n%s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Pages lists the pages of the site built in siteDir for the browser
// check: each must carry the site's name in its title and show a line of
// every file its Markdown includes.
func Pages(root, siteDir string) ([]browser.Page, error) {
	var pages []browser.Page
	err := filepath.WalkDir(siteDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "index.html" {
			return err
		}
		dir, _ := filepath.Rel(siteDir, filepath.Dir(path))
		dir = filepath.ToSlash(dir)
		p := browser.Page{Path: dir + "/", Title: "The Echo Workbook"}
		source := "docs/" + dir + ".md"
		switch {
		case dir == ".":
			p.Path, source = "", "docs/index.md"
		case lessons.IsFile(filepath.Join(root, "docs", dir, "index.md")):
			source = "docs/" + dir + "/index.md"
		}
		p.Contains = probes(root, source)
		pages = append(pages, p)
		return nil
	})
	if err == nil && len(pages) == 0 {
		err = fmt.Errorf("no pages in %s: build the site first (make docs)", siteDir)
	}
	return pages, err
}

// probes returns, for each file the page's Markdown includes, a line of it
// that the rendered page must show.
func probes(root, source string) []string {
	md, err := os.ReadFile(filepath.Join(root, source))
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range includeLine.FindAllStringSubmatch(string(md), -1) {
		b, err := os.ReadFile(filepath.Join(root, m[1]))
		if err != nil {
			continue // the strict build reports it
		}
		if p := probeLine(m[1], string(b)); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var mdMarkup = regexp.MustCompile("[`*_]|^#+ +|\\[([^\\]]*)\\]\\([^)]*\\)")

// probeLine picks a line of an included file that must show on the page:
// for Markdown, its first heading without the markup; for anything else,
// its first line of some length.
func probeLine(path, content string) string {
	for _, line := range strings.Split(content, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasSuffix(path, ".md") && strings.HasPrefix(line, "#"):
			return strings.TrimSpace(mdMarkup.ReplaceAllString(line, "$1"))
		case !strings.HasSuffix(path, ".md") && len(line) >= 24:
			return line
		}
	}
	return ""
}
