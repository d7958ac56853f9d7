package bench

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"example.com/echo-workbook/tools/internal/lessons"
)

// The bench itself measures on the real clock and is not run here (make
// bench); these tests check its parts, and find the workbook's servers.

func TestCandidatesAreTheTCPServers(t *testing.T) {
	root, err := lessons.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	all, err := lessons.List(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range Candidates(root, all) {
		got = append(got, l.Num)
	}
	for _, want := range []string{"02", "06"} {
		if !slices.Contains(got, want) {
			t.Errorf("Candidates = %v, want lesson %s's server among them", got, want)
		}
	}
	if slices.Contains(got, "09") {
		t.Errorf("Candidates = %v: lesson 09's server is UDP", got)
	}
	for _, n := range got {
		if n == "03" || n == "04" || n == "05" {
			t.Errorf("Candidates = %v: lesson %s has no server", got, n)
		}
	}
}

func TestCandidatesInATree(t *testing.T) {
	root := t.TempDir()
	write := func(path, text string) {
		p := filepath.Join(root, path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(text), 0o644)
	}
	write("solutions/02-a/cmd/echoserver/main.go", `l, err := net.Listen("tcp", addr)`)
	write("solutions/08-b/cmd/echoserver/main.go", `l, err := lc.Listen(ctx, "tcp4", addr)`)
	write("solutions/09-c/cmd/echoserver/main.go", `pc, err := net.ListenPacket("udp", addr)`)
	write("solutions/04-d/cmd/echoclient/main.go", `net.Dial("tcp", addr)`)
	all := []lessons.Lesson{
		{Num: "02", Name: "02-a", Ref: "solutions/02-a"}, {Num: "04", Name: "04-d", Ref: "solutions/04-d"},
		{Num: "08", Name: "08-b", Ref: "solutions/08-b"}, {Num: "09", Name: "09-c", Ref: "solutions/09-c"},
	}
	var got []string
	for _, l := range Candidates(root, all) {
		got = append(got, l.Num)
	}
	if !slices.Equal(got, []string{"02", "08"}) {
		t.Errorf("Candidates = %v, want [02 08]: the TCP echo servers, a new lesson's included", got)
	}
}

func TestListenAddr(t *testing.T) {
	for line, want := range map[string]string{
		"2026/12/02 05:34:38 echoserver: listening on 127.0.0.1:38189; try: nc 127.0.0.1 38189":                                            "127.0.0.1:38189",
		"2026/12/02 05:34:38 echoserver: listening on [::1]:7007; try: nc ::1 7007":                                                        "[::1]:7007",
		"2026/12/02 05:34:38 echoserver: UDP on 127.0.0.1:7007, 10 datagrams/s":                                                            "",
		"2026/12/02 17:35:49 echoserver: listening on 127.0.0.1:7007 (idle 1m0s, write 10s, at most 1000 clients); try: nc 127.0.0.1 7007": "127.0.0.1:7007",
	} {
		if got, _ := listenAddr(line); got != want {
			t.Errorf("listenAddr(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestParseProc(t *testing.T) {
	if got, ok := parseRSS("Name:\techoserver\nVmPeak:\t  9000 kB\nVmRSS:\t    1234 kB\n"); !ok || got != 1234*1024 {
		t.Errorf("parseRSS = %d, %v; want %d", got, ok, 1234*1024)
	}
	// The command name may hold spaces and parentheses.
	stat := "4242 (echo (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 5 0 1 2 3"
	if got, ok := parseStat(stat); !ok || got != 3 {
		t.Errorf("parseStat = %v, %v; want 3 (250+50 ticks)", got, ok)
	}
	if runtime.GOOS == "linux" {
		if rss, ok := residentBytes(os.Getpid()); !ok || rss <= 0 {
			t.Errorf("residentBytes(self) = %d, %v", rss, ok)
		}
		if _, ok := cpuSeconds(os.Getpid()); !ok {
			t.Error("cpuSeconds(self) cannot read /proc")
		}
	}
}

func TestReportSaysRatios(t *testing.T) {
	var b strings.Builder
	report(&b, Options{Runs: 3, Conns: []int{1, 64}, Trips: 640, StreamConns: 4, StreamMB: 1}, 100, []*result{
		{name: "02-concurrent-echo", perSecond: [][]float64{{10, 30, 20}, {100, 300, 200}}, p50: []float64{1}, p99: []float64{2}, mbps: []float64{50}, idleBytes: 4096, idleFiles: 3},
		{name: "06-cancellation", perSecond: [][]float64{{5}, {150, 150, 150}}, p50: []float64{1}, p99: []float64{2}, mbps: []float64{100}, idleBytes: 2048, cpuNote: "not measured"},
	})
	for _, want := range []string{"640 in all on 1, then 64 connections", "trips/s on 1", "trips/s on 64", "p50 / p99 µs on 64",
		"20 (1.00×)", "5 (0.25×)", "200 (1.00×)", "150 (0.75×)", "100 (2.00×)", "2.0 KiB (0.50×)", "3.0", "not measured", "0.0% of a core"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the report has no %q:\n%s", want, b.String())
		}
	}
}
