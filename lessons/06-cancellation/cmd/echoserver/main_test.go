package main

import "testing"

func TestListenAddress(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "127.0.0.1:7007"}, // this machine only, unless asked
		{[]string{"-port", "9000"}, "127.0.0.1:9000"},
		{[]string{"-addr", "[::1]:7007", "-port", "9000"}, "[::1]:9000"},
		{[]string{"-addr", ":7007"}, ":7007"}, // every interface, because asked
	} {
		got, err := listenAddress(tc.args)
		if got != tc.want || err != nil {
			t.Errorf("listenAddress(%q) = %q, %v; want %q, nil", tc.args, got, err, tc.want)
		}
	}
	if _, err := listenAddress([]string{"-addr", "no-port", "-port", "9000"}); err == nil {
		t.Errorf("listenAddress with -addr no-port: no error; want one about the address")
	}
}
