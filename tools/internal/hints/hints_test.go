package hints

import (
	"bytes"
	"strings"
	"testing"

	"example.com/echo-workbook/tools/internal/lessons"
	"example.com/echo-workbook/tools/internal/term"
	"example.com/echo-workbook/tools/internal/testfix"
)

func TestParse(t *testing.T) {
	h := Parse(testfix.Hints)
	var titles []string
	for _, x := range h.Numbered {
		titles = append(titles, x.Title)
	}
	if got := strings.Join(titles, "|"); got != "Look at Add|Use +|Nearly there" {
		t.Errorf("titles %q (a ## inside a code fence is not a heading)", got)
	}
	if !strings.Contains(h.Numbered[1].Body, "## not a heading") {
		t.Errorf("hint 2 lost its code block: %q", h.Numbered[1].Body)
	}
	if !strings.HasPrefix(h.After, "## When the test says…") || !strings.Contains(h.After, "You return a alone.") {
		t.Errorf("the part after the hints is %q", h.After)
	}
}

// TestOneAtATime: each call shows the next hint and remembers it; after
// the last, the failures section; Show 1 starts over; All shows all.
func TestOneAtATime(t *testing.T) {
	root := testfix.Workbook(t, map[string][2]string{"01-add": {testfix.Fail, testfix.Pass}})
	all, _ := lessons.List(root)
	l := all[0]
	next := func() string {
		var b bytes.Buffer
		if err := Next(term.Plain(&b), root, l, "again"); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for i, want := range []string{"hint 1 of 3: Look at Add", "hint 2 of 3: Use +", "hint 3 of 3: Nearly there", "you have seen all 3 hints"} {
		if got := next(); !strings.Contains(got, want) {
			t.Fatalf("call %d shows:\n%s\nwant %q", i+1, got, want)
		}
	}
	if got := next(); !strings.Contains(got, "You return a alone.") {
		t.Errorf("past the last hint, the failures section is missing:\n%s", got)
	}
	if n := Shown(root, l); n != 3 {
		t.Errorf("%d hints shown, want 3", n)
	}
	h, _ := Load(root, l)
	var b bytes.Buffer
	if err := Show(term.Plain(&b), root, l, h, 1, "again"); err != nil {
		t.Fatal(err)
	}
	if got := next(); !strings.Contains(got, "hint 2 of 3") {
		t.Errorf("after starting over at hint 1, the next is:\n%s", got)
	}
	if err := Show(term.Plain(&b), root, l, h, 4, "again"); err == nil {
		t.Error("hint 4 of 3: no error")
	}
	b.Reset()
	if err := All(term.Plain(&b), root, l); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Hint 1 of 3", "Hint 3 of 3", "When the test says"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("all hints lack %q", want)
		}
	}
}

func TestNoHints(t *testing.T) {
	root := testfix.Workbook(t, map[string][2]string{"01-add": {testfix.Fail, testfix.Pass}})
	testfix.Write(t, root, "lessons/01-add/HINTS.md", "# Hints\n\nNone yet.\n")
	all, _ := lessons.List(root)
	if err := Next(term.Plain(&bytes.Buffer{}), root, all[0], "again"); err == nil || !strings.Contains(err.Error(), "no numbered hints") {
		t.Errorf("HINTS.md with no numbered hint: %v", err)
	}
}
