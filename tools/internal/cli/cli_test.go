package cli

import (
	"strings"
	"testing"
	"time"
)

func TestParseTakesMakeVariables(t *testing.T) {
	t.Setenv("COUNT", "3")
	t.Setenv("RACE", "0")
	t.Setenv("REQUIRE_ALL", "1")
	t.Setenv("TIMEOUT", "")
	fs := Flags("test")
	count := fs.Int("count", 0, "")
	race := fs.Bool("race", true, "")
	all := fs.Bool("require-all", false, "")
	timeout := fs.Duration("timeout", time.Minute, "")
	if err := Parse(fs, []string{"-count", "5", "01"}); err != nil {
		t.Fatal(err)
	}
	if *count != 5 || *race || !*all || *timeout != time.Minute || fs.Arg(0) != "01" {
		t.Errorf("count %d (a flag beats COUNT), race %v (RACE=0), require-all %v, timeout %v (TIMEOUT empty), args %q", *count, *race, *all, *timeout, fs.Args())
	}
	t.Setenv("COUNT", "many")
	fs = Flags("test")
	fs.Int("count", 0, "")
	if err := Parse(fs, nil); err == nil || !strings.Contains(err.Error(), "COUNT=many") {
		t.Errorf("a bad COUNT: %v", err)
	}
}
