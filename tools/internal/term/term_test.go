package term

import (
	"bytes"
	"os"
	"testing"
)

func TestFit(t *testing.T) {
	s := &Screen{Width: 10, Color: true}
	if got := s.Fit("short"); got != "short" {
		t.Errorf("Fit(short) = %q", got)
	}
	if got := s.Fit("a line longer than ten"); got != "a line l…\033[0m" {
		t.Errorf("Fit(long) = %q", got)
	}
	// Colour codes take no room.
	if got := s.Fit(s.Red("12345678") + "9"); got != "\033[31m12345678\033[0m9" {
		t.Errorf("Fit(coloured) = %q", got)
	}
}

func TestBarAndPlain(t *testing.T) {
	var b bytes.Buffer
	s := Plain(&b)
	if got := s.Bar(1, 4, 8); got != "[##------]" {
		t.Errorf("Bar = %q", got)
	}
	if s.Red("x") != "x" {
		t.Error("a plain screen paints")
	}
	s.Clear()
	if b.Len() == 0 {
		t.Error("a plain Clear writes no rule")
	}
}

func TestCRLF(t *testing.T) {
	var b bytes.Buffer
	crlf{&b}.Write([]byte("a\nb\n"))
	if b.String() != "a\r\nb\r\n" {
		t.Errorf("raw-mode output %q", b.String())
	}
}

func TestNewOutsideATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if s := New(f); s.Color || IsTerminal(f) {
		t.Error("a file is taken for a terminal")
	}
}
