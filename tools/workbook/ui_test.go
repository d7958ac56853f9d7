package main

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFit(t *testing.T) {
	sc := &screen{color: true, width: 10}
	if got := sc.fit("short"); got != "short" {
		t.Errorf("fit(short) = %q", got)
	}
	long := sc.red("✗") + " 0123456789abcdef"
	got := sc.fit(long)
	plain := strings.NewReplacer("\033[31m", "", "\033[0m", "").Replace(got)
	if n := utf8.RuneCountInString(plain); n != 9 || !strings.HasSuffix(plain, "…") {
		t.Errorf("fit(%q) = %q: %d visible runes, want 9 ending in …", long, got, n)
	}
	if !strings.HasPrefix(got, "\033[31m✗\033[0m") {
		t.Errorf("fit dropped the colour: %q", got)
	}
}
