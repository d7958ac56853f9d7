package browser

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"
)

var starts atomic.Int64

// marker is an environment variable that every process of one browser
// start inherits, crash handlers included: chromium starts those outside
// its own process tree, so stopping the browser does not stop them, and
// on a loaded machine they outlive it for seconds.
func marker() string {
	return fmt.Sprintf("WORKBOOK_BROWSER_CHECK=%d-%d", os.Getpid(), starts.Add(1))
}

// reap kills every process that carries marker m, and waits (a while, at
// most) until none is left: a killed process takes a moment to go on a
// loaded machine, and chromium's zygote may start one more while the last
// are being killed. Where there is no /proc to find them by, it does
// nothing: they end on their own soon after.
func reap(m string) {
	for end := time.Now().Add(10 * time.Second); kill(m) > 0 && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond)
	}
}

// kill kills every process that carries marker m, and says how many it found.
func kill(m string) int {
	n := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, env := range procs {
		b, err := os.ReadFile(env) // a process that has ended (a zombie) shows none
		if err != nil || !bytes.Contains(append([]byte{0}, b...), []byte("\x00"+m+"\x00")) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(env))); err == nil && pid != os.Getpid() {
			if p, err := os.FindProcess(pid); err == nil && p.Kill() == nil {
				n++
			}
		}
	}
	return n
}
