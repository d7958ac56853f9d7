package main

import (
	"net"
	"strings"
	"testing"
)

// A UDP lesson's server is told about a busy UDP port, and is not stopped
// by a TCP server on the same number (nor a TCP one by a UDP socket).
func TestPortFreeChecksTheServersKindOfPort(t *testing.T) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.LocalAddr().String()
	if err := portFree(true, addr); err == nil || !strings.Contains(err.Error(), "is busy") {
		t.Errorf("portFree(udp, %s) with a UDP socket there = %v, want a busy port", addr, err)
	}
	if err := portFree(false, addr); err != nil {
		t.Errorf("portFree(tcp, %s) with only a UDP socket there = %v, want nil", addr, err)
	}
}
