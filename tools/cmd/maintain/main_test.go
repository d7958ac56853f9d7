package main

import (
	"context"
	"errors"
	"fmt"
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
	stop, pids, err := burn(context.Background(), 2, burnFor)
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

// TestBurnersRestart: a load check that outlasts a burner's time starts
// the next one, so its last runs are under load too.
func TestBurnersRestart(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to find the burners")
	}
	stop, pids, err := burn(context.Background(), 1, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	deadline := time.Now().Add(30 * time.Second)
	for {
		kids := burners(t)
		if len(kids) == 1 && kids[0] != pids[0] {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("30s after a 100ms burner %d started: burners %v, want one other", pids[0], kids)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// burners lists this process's children that run burn.
func burners(t *testing.T) []int {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var pids []int
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid …; comm may hold spaces, so from the last ')'.
		s := string(b)
		var pid, ppid int
		var state string
		fmt.Sscanf(s, "%d", &pid)
		fmt.Sscanf(s[strings.LastIndexByte(s, ')')+1:], " %s %d", &state, &ppid)
		cmd, _ := os.ReadFile(filepath.Join(filepath.Dir(f), "cmdline"))
		if ppid == os.Getpid() && state != "Z" && strings.Contains(string(cmd), "burn") {
			pids = append(pids, pid)
		}
	}
	return pids
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
