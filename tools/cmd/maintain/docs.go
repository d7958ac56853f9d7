package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"example.com/echo-workbook/tools/internal/docs"
	"example.com/echo-workbook/tools/internal/lessons"
)

func runDiagrams(ctx context.Context, args []string) int {
	r, err := lessons.FindRoot(".")
	if err != nil {
		return fail("diagrams", err)
	}
	err = docs.RenderDiagrams(ctx, r, func(svg string) { fmt.Println("rendered", svg) })
	if err != nil {
		return fail("diagrams", err)
	}
	return 0
}

func runDocs(ctx context.Context, args []string) int {
	r, err := lessons.FindRoot(".")
	if err != nil {
		return fail("docs", err)
	}
	if err := docs.Build(ctx, r, filepath.Join(r, "site")); err != nil {
		return fail("docs", err)
	}
	fmt.Println("docs: built the site into site/ (open site/index.html, or make docs-serve)")
	return 0
}

func runDocsServe(ctx context.Context, args []string) int {
	r, err := lessons.FindRoot(".")
	if err != nil {
		return fail("docs-serve", err)
	}
	if _, err := exec.LookPath("mkdocs"); err != nil {
		return fail("docs-serve", docs.ErrNoMkdocs)
	}
	cmd := exec.CommandContext(ctx, "mkdocs", "serve", "--dev-addr", "127.0.0.1:8000")
	cmd.Dir = r
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil && ctx.Err() == nil {
		return fail("docs-serve", err)
	}
	return 0
}

// runKit copies every tools/testkit/*_test.go to the root of every lesson
// and solution module (D3: the kit is the same everywhere; verify checks).
func runKit(ctx context.Context, args []string) int {
	o, err := options(nil)
	if err != nil {
		return fail("kit", err)
	}
	r := o.Root
	kit, _ := filepath.Glob(filepath.Join(r, "tools", "testkit", "*_test.go"))
	if len(kit) == 0 {
		return fail("kit", errors.New("no tools/testkit/*_test.go to copy"))
	}
	changed := 0
	for _, k := range kit {
		b, err := os.ReadFile(k)
		if err != nil {
			return fail("kit", err)
		}
		for _, l := range o.All {
			for _, dir := range []string{l.Dir, l.Ref} {
				dst := filepath.Join(r, dir, filepath.Base(k))
				if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, b) {
					continue
				}
				if !lessons.IsDir(filepath.Join(r, dir)) {
					continue
				}
				if err := os.WriteFile(dst, b, 0o644); err != nil {
					return fail("kit", err)
				}
				changed++
				fmt.Println("copied", filepath.Join(dir, filepath.Base(k)))
			}
		}
	}
	fmt.Printf("kit: %d file(s) of tools/testkit in every lesson and solution; %d copied\n", len(kit), changed)
	return 0
}
