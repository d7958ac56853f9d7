package main

// The offline kit: a room without internet still needs the Go modules the
// lessons and the workbook command use. offline-kit gathers them, from
// every go.sum, into a folder laid out as a Go module proxy; offline
// proves that this folder alone is enough for make lesson-01 test with the
// module proxy off.

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/module"

	"example.com/echo-workbook/tools/internal/cli"
	"example.com/echo-workbook/tools/internal/gotest"
	"example.com/echo-workbook/tools/internal/lessons"
)

const defaultKit = ".workbook/offline-kit"

func runOfflineKit(ctx context.Context, args []string) int {
	fs := cli.Flags("offline-kit")
	out := fs.String("out", os.Getenv("OUT"), "the folder to gather the modules in (make: OUT=DIR; default "+defaultKit+")")
	if cli.Parse(fs, args) != nil {
		return 2
	}
	r, err := lessons.FindRoot(".")
	if err != nil {
		return fail("offline-kit", err)
	}
	kit := *out
	if kit == "" {
		kit = filepath.Join(r, defaultKit)
	}
	mods, err := modules(r)
	if err != nil {
		return fail("offline-kit", err)
	}
	// Download every module: once as the workspace (make's way), once per
	// module alone (GOWORK=off, verify's and an instructor's way).
	for _, dir := range append([]string{"."}, mods...) {
		env := []string{"GOWORK=off"}
		if dir == "." {
			env = []string{"GOWORK=" + filepath.Join(r, "go.work")}
		}
		if out, err := gotest.Go(ctx, filepath.Join(r, dir), env, "mod", "download"); err != nil {
			return fail("offline-kit", fmt.Errorf("%s: %w\n%s", dir, err, out))
		}
	}
	// The go.sum files also name versions that no build downloads (go.mod
	// files read only to prune the module graph); offline, go may need
	// them, so they are fetched by name.
	want := wanted(r, append(mods, "."))
	if out, err := gotest.Go(ctx, os.TempDir(), []string{"GOWORK=off", "GOFLAGS=-mod=mod"}, append([]string{"mod", "download"}, slices.Sorted(maps.Keys(want))...)...); err != nil {
		return fail("offline-kit", fmt.Errorf("%w\n%s", err, out))
	}
	cache, err := gotest.Go(ctx, r, nil, "env", "GOMODCACHE")
	if err != nil {
		return fail("offline-kit", err)
	}
	n, size, err := gather(want, filepath.Join(strings.TrimSpace(cache), "cache", "download"), filepath.Join(kit, "modules"))
	if err != nil {
		return fail("offline-kit", err)
	}
	abs, _ := filepath.Abs(kit)
	fmt.Printf(`offline-kit: %d module versions (%.1f MB) in %s/modules
To carry it to a room without internet:
  1. Copy %s to a USB stick, with the Go installers (https://go.dev/dl/) and this workbook (git clone, or an archive).
  2. On each machine, once, from the workbook's folder (USB mounted at /media/usb):
       GOPROXY=file:///media/usb/offline-kit/modules GOTOOLCHAIN=local go mod download
     (Windows: GOPROXY=file:///E:/offline-kit/modules; a file:// path must be absolute.)
  3. Then offline, as usual: make lesson-01 test. To be sure nothing reaches out: export GOPROXY=off
     (not GOFLAGS=-mod=mod: in the workbook's workspace, go refuses it; a lesson alone, GOWORK=off, takes it)
Prove the kit is enough: make offline
`, n, float64(size)/1e6, abs, abs)
	return 0
}

// modules lists every module folder go.work uses, relative to root.
func modules(root string) ([]string, error) {
	out, err := gotest.Go(context.Background(), root, nil, "work", "edit", "-json", filepath.Join(root, "go.work"))
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, out)
	}
	var dirs []string
	for _, line := range strings.Split(out, "\n") {
		if _, dir, ok := strings.Cut(line, `"DiskPath": "`); ok {
			dirs = append(dirs, strings.TrimSuffix(strings.TrimSpace(dir), `"`))
		}
	}
	return dirs, nil
}

// wanted returns every module version the go.sum files (and go.work.sum)
// of dirs name, as "path@version", and whether its zip is needed too.
func wanted(root string, dirs []string) map[string]bool {
	want := map[string]bool{}
	for _, dir := range dirs {
		for _, sum := range []string{"go.sum", "go.work.sum"} {
			b, _ := os.ReadFile(filepath.Join(root, dir, sum)) // none: nothing to add
			for line := range strings.Lines(string(b)) {
				// "golang.org/x/sync v0.24.0 h1:…" or "… v0.24.0/go.mod h1:…"
				fields := strings.Fields(line)
				if len(fields) != 3 {
					continue
				}
				version, modOnly := strings.CutSuffix(fields[1], "/go.mod")
				key := fields[0] + "@" + version
				want[key] = want[key] || !modOnly
			}
		}
	}
	return want
}

// gather copies the files of every module version in want from the module
// cache's download folder into kit, which is then a module proxy a file://
// URL can serve.
func gather(want map[string]bool, cache, kit string) (n int, size int64, err error) {
	for key, zip := range want {
		path, version, _ := strings.Cut(key, "@")
		esc, err := module.EscapePath(path)
		if err != nil {
			return n, size, err
		}
		escV, err := module.EscapeVersion(version)
		if err != nil {
			return n, size, err
		}
		exts := []string{".info", ".mod"}
		if zip {
			exts = append(exts, ".zip")
		}
		for _, ext := range exts {
			rel := filepath.Join(esc, "@v", escV+ext)
			m, err := copyFile(filepath.Join(cache, rel), filepath.Join(kit, rel))
			if err != nil && ext != ".info" { // the go command does not always keep an .info
				return n, size, fmt.Errorf("%s is not in the module cache (%w): run make doctor online first", key, err)
			}
			size += m
		}
		n++
	}
	return n, size, nil
}

func copyFile(src, dst string) (int64, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	return int64(len(b)), os.WriteFile(dst, b, 0o666)
}

// runOffline proves the kit is enough: an empty module cache is filled
// from the kit alone, then, with the module proxy off, the workbook
// command is built and runs lesson 01's tests, as make lesson-01 test does.
func runOffline(ctx context.Context, args []string) int {
	fs := cli.Flags("offline")
	kitFlag := fs.String("kit", os.Getenv("KIT"), "the offline kit to prove (default "+defaultKit+")")
	if cli.Parse(fs, args) != nil {
		return 2
	}
	r, err := lessons.FindRoot(".")
	if err != nil {
		return fail("offline", err)
	}
	kit := *kitFlag
	if kit == "" {
		kit = filepath.Join(r, defaultKit)
	}
	kit, _ = filepath.Abs(kit)
	if !lessons.IsDir(filepath.Join(kit, "modules")) {
		return fail("offline", fmt.Errorf("no offline kit in %s: make offline-kit first", kit))
	}
	tmp, err := os.MkdirTemp("", "workbook-offline-")
	if err != nil {
		return fail("offline", err)
	}
	defer os.RemoveAll(tmp)
	// -modcacherw: the scratch cache can be removed afterwards. Not
	// -mod=mod: in a workspace, as make runs the lessons, go refuses it.
	base := []string{"GOMODCACHE=" + filepath.Join(tmp, "mod"), "GOFLAGS=-modcacherw", "GOTOOLCHAIN=local", "GOSUMDB=off", "GOWORK=" + filepath.Join(r, "go.work")}
	fill := append(base, "GOPROXY=file://"+filepath.ToSlash(filepath.Join(kit, "modules")))
	if out, err := gotest.Go(ctx, r, fill, "mod", "download"); err != nil {
		return fail("offline", fmt.Errorf("filling an empty module cache from the kit: %w\n%s", err, gotest.Tail(out, 10)))
	}
	off := append(base, "GOPROXY=off")
	bin := filepath.Join(tmp, "workbook")
	if out, err := gotest.Go(ctx, filepath.Join(r, "tools"), append(off[:len(off):len(off)], "GOWORK=off"), "build", "-o", bin, "./cmd/workbook"); err != nil {
		return fail("offline", fmt.Errorf("with GOPROXY=off, the workbook command does not build: %w\n%s", err, gotest.Tail(out, 10)))
	}
	all, err := lessons.List(r)
	if err != nil || len(all) == 0 {
		return fail("offline", fmt.Errorf("no lessons: %v", err))
	}
	cmd := exec.CommandContext(ctx, bin, "test", "-count", "1", all[0].Num)
	cmd.Dir, cmd.Env = r, gotest.Env(off...)
	b, _ := cmd.CombinedOutput()
	out := string(b)
	if strings.Contains(out, "GOPROXY=off") || !(strings.Contains(out, "--- FAIL:") || strings.Contains(out, "\nok ")) {
		return fail("offline", fmt.Errorf("with GOPROXY=off, make lesson-%s test did not run the tests:\n%s", all[0].Num, gotest.Tail(out, 15)))
	}
	fmt.Printf("offline: ok: an empty module cache filled from %s alone; then, with GOPROXY=off, the workbook command built and make lesson-%s test ran the lesson's tests\n", kit, all[0].Num)
	return 0
}
