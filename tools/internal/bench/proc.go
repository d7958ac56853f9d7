package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// The server's memory and CPU, read from /proc (Linux). Elsewhere each
// says it cannot (ok false), and the report says "not measured".

// residentBytes is the process's resident memory (VmRSS).
func residentBytes(pid int) (int64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	return parseRSS(string(b))
}

// parseRSS reads "VmRSS:   12345 kB" from a /proc/PID/status.
func parseRSS(status string) (int64, bool) {
	for _, line := range strings.Split(status, "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" && f[2] == "kB" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}

// cpuSeconds is the CPU time the process has used, user and system.
func cpuSeconds(pid int) (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	return parseStat(string(b))
}

// clockTicks is USER_HZ, the unit of /proc's times: 100 on every Linux
// architecture Go runs on.
const clockTicks = 100

// parseStat reads utime and stime (fields 14 and 15) from a
// /proc/PID/stat line; the command name, field 2, may hold spaces and
// parentheses, so fields count from the last ')'.
func parseStat(stat string) (float64, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:]) // from field 3 on
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return float64(utime+stime) / clockTicks, true
}

// openFiles counts the process's open files, or -1.
func openFiles(pid int) int {
	es, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(es)
}

// loadAverage is the machine's load over 1, 5 and 15 minutes, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// fileLimit is this process's open-file limit, as /proc says, or "unknown".
func fileLimit() string {
	b, err := os.ReadFile("/proc/self/limits")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); err == nil && strings.HasPrefix(line, "Max open files") && len(f) >= 5 {
			return f[3] + " (hard " + f[4] + ")"
		}
	}
	return "unknown"
}
