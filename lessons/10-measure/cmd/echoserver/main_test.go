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
	if _, profile, _ := parseFlags([]string{"-cpuprofile", "cpu.out"}); profile != "cpu.out" {
		t.Errorf("parseFlags(-cpuprofile cpu.out) gave the profile %q", profile)
	}
}
