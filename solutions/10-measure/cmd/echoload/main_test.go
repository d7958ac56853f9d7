package main

import "testing"

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "127.0.0.1:7007"},
		{[]string{"-port", "9000"}, "127.0.0.1:9000"},
		{[]string{"-addr", "[::1]:7007", "-port", "9000"}, "[::1]:9000"},
	} {
		cfg, err := parseFlags(tc.args)
		if cfg.addr != tc.want || err != nil {
			t.Errorf("parseFlags(%q) gave the address %q, %v; want %q, nil", tc.args, cfg.addr, err, tc.want)
		}
	}
	for _, bad := range [][]string{{"-addr", "no-port", "-port", "9000"}, {"-conns", "0"}, {"-msg", "0"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("parseFlags(%q): no error; want one", bad)
		}
	}
	cfg, _ := parseFlags([]string{"-rounds", "0", "-stream", "0", "-idle", "300", "-hold", "2s", "-json"})
	if cfg.rounds != 0 || cfg.stream != 0 || cfg.idle != 300 || cfg.hold.Seconds() != 2 || !cfg.json {
		t.Errorf("parseFlags(-rounds 0 -stream 0 -idle 300 -hold 2s -json) gave %+v", cfg)
	}
}
