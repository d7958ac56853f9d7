package main

// doctor checks a learner's machine before the workshop: everything the
// lessons need, each with the fix when it is missing. It also downloads
// the modules, so that the workbook works offline afterwards.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A check looks at one thing. It returns what it found, and when the
// thing is missing or wrong, an error saying so and a fix.
type check struct {
	name     string
	optional bool // a ✗ here does not fail doctor
	run      func(root string) (found string, fix string, err error)
}

var checks = []check{
	{"Go 1.26 or newer", false, checkGo},
	{"race detector (cgo and a C compiler)", false, checkRace},
	{"make", false, checkMake},
	{"git", false, checkGit},
	{"nc, to talk to your server by hand", true, checkNc},
	{"port 7007 free on 127.0.0.1 (make lesson-NN run)", false, checkPort},
	{"Go modules downloaded (offline use)", false, checkModules},
	{"lesson 01's tests build", false, checkLessonBuilds},
}

func runDoctor(args []string) int {
	flags := flag.NewFlagSet("doctor", flag.ContinueOnError)
	if flags.Parse(args) != nil {
		return 2
	}
	root, err := findRoot()
	if err != nil {
		return fail("doctor", err)
	}
	sc := newScreen(os.Stdout)
	sc.printf("%s\n\n", sc.bold("Echo Workbook: checking this machine"))
	failed := 0
	for _, c := range checks {
		found, fix, err := c.run(root)
		switch {
		case err == nil:
			sc.printf("%s %s: %s\n", sc.green("✓"), c.name, found)
		case c.optional:
			sc.printf("%s %s (optional): %v\n    %s\n", sc.yellow("✗"), c.name, err, fix)
		default:
			failed++
			sc.printf("%s %s: %v\n    %s %s\n", sc.red("✗"), c.name, err, sc.bold("fix:"), fix)
		}
	}
	// Without git, this is when the starters are copied: before any edit.
	if all, err := findLessons(root); err == nil {
		openStarters(root, all, true)
	}
	sc.printf("\n")
	if failed > 0 {
		sc.printf("%s\n", sc.red(fmt.Sprintf("%d problem(s) to fix; then run make doctor again.", failed)))
		return 1
	}
	sc.printf("%s Start here: %s\n", sc.green("All set."), sc.cyan("make lesson-01 test"))
	return 0
}

// install says how to install a package here.
func install(debian, mac string) string {
	if runtime.GOOS == "darwin" {
		return mac
	}
	return debian + " (Debian, Ubuntu; or your system's package manager)"
}

// onMac picks the macOS or the Linux form of a command.
func onMac(linux, mac string) string {
	if runtime.GOOS == "darwin" {
		return mac
	}
	return linux
}

func checkGo(root string) (string, string, error) {
	fix := "install Go 1.26 or newer from https://go.dev/dl/ and put its bin folder on your PATH"
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "", fix, fmt.Errorf("cannot run go: %w", err)
	}
	v := strings.TrimSpace(string(out))
	if !goAtLeast(v, 1, 26) {
		return "", fix, fmt.Errorf("found %s", v)
	}
	return v, "", nil
}

var goVersion = regexp.MustCompile(`go(\d+)\.(\d+)`)

// goAtLeast reports whether the go version string v is major.minor or
// newer; development builds count as new.
func goAtLeast(v string, major, minor int) bool {
	if strings.HasPrefix(v, "devel") {
		return true
	}
	m := goVersion.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	return a > major || a == major && b >= minor
}

func checkRace(root string) (string, string, error) {
	out, err := exec.Command("go", "env", "CGO_ENABLED", "CC").Output()
	if err != nil {
		return "", "install Go first", err
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		return "", "check `go env CGO_ENABLED CC`", fmt.Errorf("go env said %q", out)
	}
	cc := install("sudo apt-get install gcc", "xcode-select --install")
	if f[0] != "1" {
		// The Makefile turns cgo off itself when there is no C compiler.
		if _, err := exec.LookPath(f[1]); err != nil {
			return "", cc + " (meanwhile, the tests run without the race detector)", fmt.Errorf("no C compiler (%s), so cgo is off", f[1])
		}
		return "", "unset CGO_ENABLED in your shell, or: go env -u CGO_ENABLED", errors.New("cgo is off (CGO_ENABLED=0)")
	}
	path, err := exec.LookPath(f[1])
	if err != nil {
		return "", cc + " (or RACE=0 to test without the race detector)", fmt.Errorf("no C compiler (%s)", f[1])
	}
	return "cgo on, C compiler " + path, "", nil
}

func checkMake(root string) (string, string, error) {
	fix := install("sudo apt-get install make", "xcode-select --install")
	out, err := exec.Command("make", "--version").Output()
	if err != nil {
		return "", fix, errors.New("make not found")
	}
	first := strings.SplitN(string(out), "\n", 2)[0]
	if !strings.Contains(first, "GNU Make") {
		return "", "install GNU make (" + fix + "); on BSD it is gmake", fmt.Errorf("%s is not GNU make", first)
	}
	return first, "", nil
}

func checkGit(root string) (string, string, error) {
	out, err := exec.Command("git", "--version").Output()
	if err != nil {
		return "", install("sudo apt-get install git", "xcode-select --install") + "; without git, reset restores the copy of the starters in .workbook/starter/", errors.New("git not found")
	}
	v := strings.TrimSpace(string(out))
	if starterCommit(root) == "" {
		return "", "clone the workbook with git clone, rather than downloading an archive; until then, reset restores the copy of the starters in .workbook/starter/", fmt.Errorf("%s, but the workbook is not a git checkout", v)
	}
	return v, "", nil
}

func checkNc(root string) (string, string, error) {
	for _, name := range []string{"nc", "ncat", "netcat"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, "", nil
		}
	}
	return "", "install it to type at your server: " + install("sudo apt-get install netcat-openbsd", "it comes with macOS") + "; the tests do not need it", errors.New("not found")
}

func checkPort(root string) (string, string, error) { return checkPortAt("127.0.0.1:7007") }

func checkPortAt(addr string) (string, string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fix := "stop what listens there (a make lesson-NN run left running? find it: " +
			onMac("ss -ltnp | grep 7007", "lsof -nP -iTCP:7007 -sTCP:LISTEN") + "), or run programs on another port: make lesson-NN run ARGS='-port 9000'"
		if errors.Is(err, syscall.EADDRINUSE) {
			return "", fix, fmt.Errorf("something is already listening on %s", addr)
		}
		return "", fix, err
	}
	l.Close()
	return "free", "", nil
}

func checkModules(root string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "mod", "download")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "connect to the internet once and run make doctor again (it runs go mod download); behind a proxy, set GOPROXY",
			fmt.Errorf("go mod download failed: %s", firstOr(nonEmpty(strings.Split(string(out), "\n")), err.Error()))
	}
	return "every module the lessons and tools need is in " + goEnv("GOMODCACHE"), "", nil
}

func checkLessonBuilds(root string) (string, string, error) {
	lessons, err := findLessons(root)
	if err != nil || len(lessons) == 0 {
		return "", "run make doctor from the workbook's folder", errors.New("no lessons found")
	}
	l := lessons[0]
	args := []string{"test", "-run", "^$"}
	how := "with -race"
	if _, _, err := checkRace(root); err == nil {
		args = append(args, "-race")
	} else {
		how = "without -race"
	}
	cmd := exec.Command("go", append(args, "./...")...)
	cmd.Dir = filepath.Join(root, l.Dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "read the error above; `make lesson-" + l.Num + " test` shows it whole",
			fmt.Errorf("%s", firstOr(nonEmpty(strings.Split(string(out), "\n")), err.Error()))
	}
	return fmt.Sprintf("%s builds %s", l.Dir, how), "", nil
}

func goEnv(name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return "the module cache"
	}
	return strings.TrimSpace(string(out))
}
