package main

import (
	"testing"
	"time"

	echo "example.com/echo-workbook/solutions/08-deadlines-limits"
)

func TestParseFlags(t *testing.T) {
	defaults := echo.Limits{Idle: time.Minute, Write: 10 * time.Second, MaxConns: 1000}
	for _, tc := range []struct {
		args []string
		want string
		lim  echo.Limits
	}{
		{nil, "127.0.0.1:7007", defaults}, // this machine only, unless asked
		{[]string{"-port", "9000"}, "127.0.0.1:9000", defaults},
		{[]string{"-addr", "[::1]:7007", "-port", "9000"}, "[::1]:9000", defaults},
		{[]string{"-addr", ":7007", "-idle", "5s", "-write", "1s", "-max-conns", "3"}, ":7007", // every interface, because asked
			echo.Limits{Idle: 5 * time.Second, Write: time.Second, MaxConns: 3}},
	} {
		got, lim, err := parseFlags(tc.args)
		if got != tc.want || lim != tc.lim || err != nil {
			t.Errorf("parseFlags(%q) = %q, %+v, %v; want %q, %+v, nil", tc.args, got, lim, err, tc.want, tc.lim)
		}
	}
	for _, args := range [][]string{{"-addr", "no-port", "-port", "9000"}, {"-idle", "0s"}, {"-max-conns", "0"}} {
		if _, _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q): no error; want one", args)
		}
	}
}
