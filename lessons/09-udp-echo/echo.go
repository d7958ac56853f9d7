// Package echo is the RFC 862 echo service over UDP: each datagram a client
// sends comes back to it, cut to MaxEcho bytes, unless the reply could feed
// a loop or a flood.
package echo

import (
	"errors"
	"net"
	"net/netip"

	"golang.org/x/time/rate"
)

// MaxEcho is the most a reply carries: a longer datagram is cut to its
// first MaxEcho bytes, the rest is lost.
const MaxEcho = 1024

// A Server echoes datagrams, with the guards an open UDP service needs:
// its sender's address can be forged, so every reply may go to a victim.
// The zero Server echoes nothing: set all three limits. Serve one
// PacketConn at a time with it.
type Server struct {
	Rate       rate.Limit // datagrams per second echoed to one source address, on average
	Burst      int        // datagrams in a row one source address may get at once
	MaxSources int        // source addresses the server remembers at once, at most

	sources map[netip.Addr]*rate.Limiter // each source's limiter, by address
}

// Serve reads datagrams from pc and echoes each one to its sender, except
// to source ports that could loop and to sources over their rate. It
// returns nil once pc is closed, and any other read error.
func (s *Server) Serve(pc net.PacketConn) error {
	// TODO: read datagrams from pc into a buffer of MaxEcho bytes, in a
	// loop (pc.ReadFrom). Skip a datagram whose source port loops (own is
	// pc.LocalAddr()'s port; addrPort turns an address into a
	// netip.AddrPort), or whose source address allow refuses. Send the
	// others back to where they came from: the n bytes read, never more
	// (pc.WriteTo). A failed WriteTo concerns that reply only. When
	// ReadFrom fails with net.ErrClosed (errors.Is), return nil; return
	// any other error, wrapped with what failed.
	return errors.New("not implemented yet: write Serve in echo.go")
}

// loops reports whether a reply to port could start a loop. Below 1024 are
// the well-known services, echo (7) and chargen (19) first: they answer
// whatever comes, and two services answering each other never stop. The
// server's own port is another echo server's too. Clients use higher ports.
func loops(port, own uint16) bool {
	// TODO: true for every port below 1024, and for own.
	return false
}

// allow reports whether a reply may go to ip now, by the rate of ip's
// limiter. Keyed by address, not port: an attacker picks ports freely.
func (s *Server) allow(ip netip.Addr) bool {
	// TODO: keep one rate.Limiter (rate.NewLimiter(s.Rate, s.Burst)) per
	// address in s.sources, and ask it (Allow). For an address not in the
	// table while the table holds s.MaxSources: forgetIdle first; if the
	// table is still full, refuse, and remember nothing.
	return true
}

// forgetIdle removes the sources whose limiter is full again: such a
// limiter is the same as a new one, so forgetting it loses nothing.
func (s *Server) forgetIdle() {
	// TODO: delete from s.sources every limiter whose Tokens() are back
	// to s.Burst.
}

// addrPort returns a UDP address as a netip.AddrPort, an IPv4 address in
// its 4-byte form even when a dual-stack socket gives it as ::ffff:a.b.c.d:
// one source, one key. Any other kind of address is the zero AddrPort.
func addrPort(addr net.Addr) netip.AddrPort {
	u, _ := addr.(*net.UDPAddr) // nil for any other kind; nil's AddrPort is the zero one
	ap := u.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
