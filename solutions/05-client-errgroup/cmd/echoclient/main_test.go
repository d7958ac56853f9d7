package main

import (
	"io"
	"slices"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	cfg, err := parseArgs(nil, io.Discard)
	if err != nil || cfg.addr != "127.0.0.1:7007" || len(cfg.sessions) != 10 || cfg.limit != 3 ||
		len(cfg.sessions[9]) != 3 || cfg.timeout != 10*time.Second {
		t.Errorf("parseArgs(nil) = %+v, %v; want 10 clients of 3 lines to 127.0.0.1:7007 (this machine only, unless asked), "+
			"at most 3 at once, 10s timeout", cfg, err)
	}
	cfg, err = parseArgs([]string{"-clients", "2", "-limit", "0", "-n", "1", "-addr", "[::1]:9000", "-timeout", "1s"}, io.Discard)
	want := [][]string{{"client 0, line 1 of 1"}, {"client 1, line 1 of 1"}}
	if err != nil || cfg.addr != "[::1]:9000" || cfg.limit != 0 || !slices.EqualFunc(cfg.sessions, want, slices.Equal) || cfg.timeout != time.Second {
		t.Errorf("parseArgs(-clients 2 -limit 0 -n 1 -addr [::1]:9000 -timeout 1s) = %+v, %v; "+
			"want sessions %q to [::1]:9000, no limit, within 1s", cfg, err, want)
	}
	for _, args := range [][]string{{"-n", "-1"}, {"-clients", "-1"}, {"-limit", "-1"}, {"hello"}, {"-clients", "many"}} {
		if cfg, err := parseArgs(args, io.Discard); err == nil {
			t.Errorf("parseArgs(%q) = %+v, nil; want an error", args, cfg)
		}
	}
}
