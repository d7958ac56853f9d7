package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// screen is where a command writes for a person: colour, live updates and
// a known width on a terminal; plain text in a pipe, a file or CI, where
// escape codes are noise.
type screen struct {
	w     io.Writer
	color bool // ANSI colours and cursor movement are allowed
	width int  // columns; lines longer than this wrap and spoil live updates
}

// newScreen describes f. NO_COLOR (https://no-color.org), TERM=dumb and CI
// turn colour off even on a terminal.
func newScreen(f *os.File) *screen {
	s := &screen{w: f, width: 80}
	if isTerminal(f) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" && os.Getenv("CI") == "" {
		s.color = true
		if _, cols := termSize(); cols > 20 {
			s.width = cols
		}
	}
	return s
}

// isTerminal reports whether f is a character device: a terminal, in
// practice (/dev/null is one too, and nobody reads colours there).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (s *screen) printf(format string, args ...any) { fmt.Fprintf(s.w, format, args...) }

// paint wraps text in an SGR colour code when colour is on.
func (s *screen) paint(code, text string) string {
	if !s.color || text == "" {
		return text
	}
	return "\033[" + code + "m" + text + "\033[0m"
}

func (s *screen) bold(t string) string   { return s.paint("1", t) }
func (s *screen) dim(t string) string    { return s.paint("2", t) }
func (s *screen) red(t string) string    { return s.paint("31", t) }
func (s *screen) green(t string) string  { return s.paint("32", t) }
func (s *screen) yellow(t string) string { return s.paint("33", t) }
func (s *screen) cyan(t string) string   { return s.paint("36", t) }

// clear empties a terminal; in plain output a rule separates the runs.
func (s *screen) clear() {
	if s.color {
		s.printf("\033[H\033[2J")
		return
	}
	s.printf("\n%s\n", strings.Repeat("-", 60))
}

// fit cuts a line to the screen's width, so that one line stays one row.
// Colour codes take no room on the screen, so they are not counted.
func (s *screen) fit(line string) string {
	var b strings.Builder
	visible := 0
	for i := 0; i < len(line); {
		if strings.HasPrefix(line[i:], "\033[") {
			end := strings.IndexByte(line[i:], 'm')
			if end < 0 {
				break
			}
			b.WriteString(line[i : i+end+1])
			i += end + 1
			continue
		}
		r, size := utf8.DecodeRuneInString(line[i:])
		if visible == s.width-2 && i+size < len(line) {
			b.WriteString("…")
			if s.color {
				b.WriteString("\033[0m")
			}
			return b.String()
		}
		b.WriteRune(r)
		visible++
		i += size
	}
	return b.String()
}

// bar draws a progress bar: done of total, in width cells.
func (s *screen) bar(done, total, width int) string {
	if total == 0 {
		return ""
	}
	full := done * width / total
	if s.color {
		return s.green(strings.Repeat("█", full)) + s.dim(strings.Repeat("░", width-full))
	}
	return "[" + strings.Repeat("#", full) + strings.Repeat("-", width-full) + "]"
}
