// Package term is where a command writes for a person: colour, live
// updates and a known width on a terminal; plain text in a pipe, a file
// or CI, where escape codes are noise. It also reads single key presses.
package term

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"
)

// Screen writes for a person.
type Screen struct {
	W     io.Writer
	Color bool // ANSI colours and cursor movement are allowed
	Width int  // columns: longer lines wrap and spoil live updates
}

// New describes f. NO_COLOR (https://no-color.org), TERM=dumb and CI turn
// colour off even on a terminal.
func New(f *os.File) *Screen {
	s := &Screen{W: f, Width: 80}
	if IsTerminal(f) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" && os.Getenv("CI") == "" {
		s.Color = true
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
			s.Width = cols
		}
	}
	return s
}

// Plain is a screen without colour, for pipes and tests.
func Plain(w io.Writer) *Screen { return &Screen{W: w, Width: 200} }

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

func (s *Screen) Printf(format string, args ...any) { fmt.Fprintf(s.W, format, args...) }

// paint wraps text in an SGR colour code when colour is on.
func (s *Screen) paint(code, text string) string {
	if !s.Color || text == "" {
		return text
	}
	return "\033[" + code + "m" + text + "\033[0m"
}

func (s *Screen) Bold(t string) string   { return s.paint("1", t) }
func (s *Screen) Dim(t string) string    { return s.paint("2", t) }
func (s *Screen) Red(t string) string    { return s.paint("31", t) }
func (s *Screen) Green(t string) string  { return s.paint("32", t) }
func (s *Screen) Yellow(t string) string { return s.paint("33", t) }
func (s *Screen) Cyan(t string) string   { return s.paint("36", t) }

// Clear empties a terminal; in plain output a rule separates what follows.
func (s *Screen) Clear() {
	if s.Color {
		s.Printf("\033[H\033[2J")
		return
	}
	s.Printf("\n%s\n", strings.Repeat("-", 60))
}

// Fit cuts a line to the screen's width, so that one line stays one row.
// Colour codes take no room on the screen, so they are not counted.
func (s *Screen) Fit(line string) string {
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
		if visible == s.Width-2 && i+size < len(line) {
			b.WriteString("…")
			if s.Color {
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

// Bar draws a progress bar: done of total, in width cells.
func (s *Screen) Bar(done, total, width int) string {
	if total == 0 {
		return ""
	}
	full := done * width / total
	if s.Color {
		return s.Green(strings.Repeat("█", full)) + s.Dim(strings.Repeat("░", width-full))
	}
	return "[" + strings.Repeat("#", full) + strings.Repeat("-", width-full) + "]"
}

// Keys puts the terminal f in raw mode, so that a key press is read at
// once without Enter, and returns the screen to write on while it is: raw
// mode does not turn "\n" into a new line, so this screen writes "\r\n".
// In raw mode Ctrl-C is a key (3), not a signal: the reader must treat it
// as quit. restore puts the terminal back.
func Keys(f *os.File, s *Screen) (raw *Screen, restore func(), err error) {
	state, err := term.MakeRaw(int(f.Fd()))
	if err != nil {
		return nil, nil, fmt.Errorf("reading single keys: %w", err)
	}
	r := *s
	r.W = crlf{s.W}
	return &r, func() { term.Restore(int(f.Fd()), state) }, nil
}

type crlf struct{ w io.Writer }

func (c crlf) Write(b []byte) (int, error) {
	if _, err := io.WriteString(c.w, strings.ReplaceAll(string(b), "\n", "\r\n")); err != nil {
		return 0, err
	}
	return len(b), nil
}
