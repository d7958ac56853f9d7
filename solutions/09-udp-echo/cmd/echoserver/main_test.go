package main

import "testing"

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "127.0.0.1:7007"}, // this machine only, unless asked
		{[]string{"-port", "9000"}, "127.0.0.1:9000"},
		{[]string{"-addr", "[::1]:7007", "-port", "9000"}, "[::1]:9000"},
		{[]string{"-addr", ":7007"}, ":7007"}, // every interface, because asked
	} {
		got, _, err := parseFlags(tc.args)
		if got != tc.want || err != nil {
			t.Errorf("parseFlags(%q) = %q, %v; want %q, nil", tc.args, got, err, tc.want)
		}
	}
	if _, _, err := parseFlags([]string{"-addr", "no-port", "-port", "9000"}); err == nil {
		t.Errorf("parseFlags with -addr no-port: no error; want one about the address")
	}
	_, srv, _ := parseFlags([]string{"-rate", "2.5", "-burst", "3", "-sources", "7"})
	if srv.Rate != 2.5 || srv.Burst != 3 || srv.MaxSources != 7 {
		t.Errorf("parseFlags(-rate 2.5 -burst 3 -sources 7) gave %+v", srv)
	}
}
