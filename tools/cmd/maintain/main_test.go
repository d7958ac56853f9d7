package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// The command's tests are scripts (testdata/*.txtar) and the Go tests
// below. This test binary also stands in for maintain as a CPU burner.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "burn" {
		os.Exit(runBurn(context.Background(), os.Args[2:]))
	}
	testscript.Main(m, map[string]func(){"maintain": main})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(env *testscript.Env) error {
			for _, name := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
				out, err := exec.Command("go", "env", name).Output()
				if err != nil {
					return err
				}
				env.Setenv(name, strings.TrimSpace(string(out)))
			}
			env.Setenv("GOTOOLCHAIN", "local")
			return nil
		},
	})
}

// TestBurnersStop: the load check's burners run until stopped, and stop
// when told; each also stops by itself once its time is up.
func TestBurnersStop(t *testing.T) {
	stop, pids, err := burn(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err != nil {
			t.Errorf("burner %d is not running: %v", pid, err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		stop()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("stop did not return within 30s")
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("burner %d still there after stop: %v", pid, err)
		}
	}
	start := time.Now()
	if code := runBurn(context.Background(), []string{"50ms"}); code != 0 || time.Since(start) > 10*time.Second {
		t.Errorf("a 50ms burn: exit %d after %v", code, time.Since(start))
	}
	if code := runBurn(context.Background(), []string{"2h"}); code == 0 {
		t.Error("a burn longer than the bound was accepted")
	}
}

// TestGather: the offline kit holds, from the module cache, every module
// version the go.sum files name, laid out as a module proxy.
func TestGather(t *testing.T) {
	root, cache, kit := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "kit")
	write := func(dir, rel, content string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(root, "a/go.sum", "github.com/BurntSushi/toml v1.4.1 h1:x=\ngithub.com/BurntSushi/toml v1.4.1/go.mod h1:y=\ngolang.org/x/sys v0.1.0/go.mod h1:z=\n")
	for _, f := range []string{"github.com/!burnt!sushi/toml/@v/v1.4.1.info", "github.com/!burnt!sushi/toml/@v/v1.4.1.mod", "github.com/!burnt!sushi/toml/@v/v1.4.1.zip", "golang.org/x/sys/@v/v0.1.0.mod"} {
		write(cache, f, f)
	}
	n, size, err := gather(wanted(root, []string{"a", "missing"}), cache, kit)
	if err != nil || n != 2 || size == 0 {
		t.Fatalf("gather: %d modules, %d bytes, %v", n, size, err)
	}
	for _, f := range []string{"github.com/!burnt!sushi/toml/@v/v1.4.1.zip", "golang.org/x/sys/@v/v0.1.0.mod"} {
		if _, err := os.Stat(filepath.Join(kit, f)); err != nil {
			t.Errorf("the kit lacks %s", f)
		}
	}
	if _, err := os.Stat(filepath.Join(kit, "golang.org/x/sys/@v/v0.1.0.zip")); err == nil {
		t.Error("a go.mod-only module's zip is in the kit")
	}
	os.Remove(filepath.Join(cache, "golang.org/x/sys/@v/v0.1.0.mod"))
	if _, _, err := gather(wanted(root, []string{"a"}), cache, kit); err == nil || !strings.Contains(err.Error(), "golang.org/x/sys@v0.1.0 is not in the module cache") {
		t.Errorf("a module missing from the cache: %v", err)
	}
}
