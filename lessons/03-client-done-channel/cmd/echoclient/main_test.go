package main

import (
	"io"
	"slices"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	cfg, err := parseArgs(nil, io.Discard)
	if err != nil || cfg.addr != "127.0.0.1:7007" || len(cfg.lines) != 10 || cfg.timeout != 10*time.Second {
		t.Errorf("parseArgs(nil) = %+v, %v; want 10 lines to 127.0.0.1:7007 (this machine only, unless asked), 10s timeout", cfg, err)
	}
	cfg, err = parseArgs([]string{"-n", "2", "-addr", "[::1]:9000", "-timeout", "1s"}, io.Discard)
	if want := []string{"line 1 of 2", "line 2 of 2"}; err != nil || cfg.addr != "[::1]:9000" || !slices.Equal(cfg.lines, want) || cfg.timeout != time.Second {
		t.Errorf("parseArgs(-n 2 -addr [::1]:9000 -timeout 1s) = %+v, %v; want lines %q to [::1]:9000 within 1s", cfg, err, want)
	}
	for _, args := range [][]string{{"-n", "-1"}, {"hello"}, {"-n", "many"}} {
		if cfg, err := parseArgs(args, io.Discard); err == nil {
			t.Errorf("parseArgs(%q) = %+v, nil; want an error", args, cfg)
		}
	}
}
