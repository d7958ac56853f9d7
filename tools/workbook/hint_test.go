package main

import (
	"strings"
	"testing"
)

func TestParseHints(t *testing.T) {
	h := parseHints(hintsMD)
	var titles []string
	for _, x := range h.numbered {
		titles = append(titles, x.title)
	}
	if got, want := strings.Join(titles, "|"), "Look at Add|Use +|Nearly there"; got != want {
		t.Errorf("titles %q, want %q (a ## inside a code fence is not a heading)", got, want)
	}
	if !strings.Contains(h.numbered[1].body, "## not a heading") {
		t.Errorf("hint 2 lost its code block: %q", h.numbered[1].body)
	}
	if !strings.HasPrefix(h.after, "## When the test says…") || !strings.Contains(h.after, "You return a alone.") {
		t.Errorf("the part after the hints is %q", h.after)
	}
}

// TestHintsOneAtATime: each call shows the next hint and remembers it;
// after the last, the failures section; -n 1 starts over; -all shows all.
func TestHintsOneAtATime(t *testing.T) {
	root := workbook(t, map[string][2]string{"01-add": {failCode, passCode}})
	l := mustLessons(t, root)[0]
	next := func() string {
		var out syncBuffer
		if err := nextHint(plainScreen(&out), root, l, "again"); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	for i, want := range []string{"hint 1 of 3: Look at Add", "hint 2 of 3: Use +", "hint 3 of 3: Nearly there", "you have seen all 3 hints", "you have seen all 3 hints"} {
		if got := next(); !strings.Contains(got, want) {
			t.Fatalf("call %d shows:\n%s\nwant %q", i+1, got, want)
		}
	}
	if got := next(); !strings.Contains(got, "You return a alone.") {
		t.Errorf("past the last hint, the failures section is missing:\n%s", got)
	}
	if n := newHintState(root).shown(l); n != 3 {
		t.Errorf("state says %d hints shown, want 3", n)
	}

	h, _ := loadHints(root, l)
	var out syncBuffer
	if err := showHint(plainScreen(&out), root, l, h, 1, "again"); err != nil {
		t.Fatal(err)
	}
	if got := next(); !strings.Contains(got, "hint 2 of 3") {
		t.Errorf("after starting over at hint 1, the next is:\n%s", got)
	}
	if err := showHint(plainScreen(&out), root, l, h, 4, "again"); err == nil {
		t.Error("hint 4 of 3: no error")
	}

	out = syncBuffer{}
	if err := allHints(plainScreen(&out), root, l); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Hint 1 of 3", "Hint 3 of 3", "When the test says"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("all hints lack %q:\n%s", want, out.String())
		}
	}
}

func TestHintsMissing(t *testing.T) {
	root := workbook(t, map[string][2]string{"01-add": {failCode, passCode}})
	write(t, root, "lessons/01-add/HINTS.md", "# Hints\n\nNone yet.\n")
	l := mustLessons(t, root)[0]
	var out syncBuffer
	if err := nextHint(plainScreen(&out), root, l, "again"); err == nil || !strings.Contains(err.Error(), "no numbered hints") {
		t.Errorf("HINTS.md with no numbered hint: error %v", err)
	}
}
