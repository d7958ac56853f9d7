package main

import (
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	type limits struct {
		idle, write time.Duration
		maxConns    int
	}
	defaults := limits{time.Minute, 10 * time.Second, 1000}
	for _, tc := range []struct {
		args []string
		want string
		lim  limits
	}{
		{nil, "127.0.0.1:7007", defaults}, // this machine only, unless asked
		{[]string{"-port", "9000"}, "127.0.0.1:9000", defaults},
		{[]string{"-addr", "[::1]:7007", "-port", "9000"}, "[::1]:9000", defaults},
		{[]string{"-addr", ":7007", "-idle", "5s", "-write", "1s", "-max-conns", "3"}, ":7007", // every interface, because asked
			limits{5 * time.Second, time.Second, 3}},
	} {
		got, lim, err := parseFlags(tc.args)
		if l := (limits{lim.Idle, lim.Write, lim.MaxConns}); got != tc.want || l != tc.lim || err != nil {
			t.Errorf("parseFlags(%q) = %q, %+v, %v; want %q, %+v, nil", tc.args, got, l, err, tc.want, tc.lim)
		}
	}
	for _, args := range [][]string{{"-addr", "no-port", "-port", "9000"}, {"-idle", "0s"}, {"-max-conns", "0"}} {
		if _, _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q): no error; want one", args)
		}
	}
}
