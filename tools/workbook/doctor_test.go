package main

import (
	"net"
	"strings"
	"testing"
)

func TestGoAtLeast(t *testing.T) {
	for v, want := range map[string]bool{
		"go1.26.8": true, "go1.26": true, "go1.27rc1": true, "go2.0": true,
		"go1.25.9": false, "go1.9": false, "devel go1.27-abcdef": true, "": false,
	} {
		if got := goAtLeast(v, 1, 26); got != want {
			t.Errorf("goAtLeast(%q, 1.26) = %v, want %v", v, got, want)
		}
	}
}

func TestCheckPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_, fix, err := checkPortAt(addr)
	if err == nil || !strings.Contains(err.Error(), "already listening on "+addr) || !strings.Contains(fix, "ARGS=") {
		t.Errorf("a busy port: error %v, fix %q", err, fix)
	}
	l.Close()
	if _, _, err := checkPortAt(addr); err != nil {
		t.Errorf("a free port: %v", err)
	}
}
