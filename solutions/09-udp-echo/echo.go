// Package echo is the RFC 862 echo service over UDP: each datagram a client
// sends comes back to it, cut to MaxEcho bytes, unless the reply could feed
// a loop or a flood.
package echo

import (
	"errors"
	"fmt"
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
	own := addrPort(pc.LocalAddr()).Port()
	buf := make([]byte, MaxEcho)
	for {
		// ReadFrom returns one datagram, cut to len(buf): the kernel
		// drops the rest and says nothing.
		n, from, err := pc.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("echo: read: %w", err)
		}
		src := addrPort(from)
		if loops(src.Port(), own) || !s.allow(src.Addr()) {
			continue // silently: a log line per dropped datagram is a flood of its own
		}
		// buf[:n], not buf: the bytes this datagram brought, never more.
		// A failed WriteTo concerns this one reply (UDP promises nothing
		// to anyone), and a forged address must not stop the service.
		pc.WriteTo(buf[:n], from)
	}
}

// loops reports whether a reply to port could start a loop. Below 1024 are
// the well-known services, echo (7) and chargen (19) first: they answer
// whatever comes, and two services answering each other never stop. The
// server's own port is another echo server's too. Clients use higher ports.
func loops(port, own uint16) bool {
	return port < 1024 || port == own
}

// allow reports whether a reply may go to ip now, by the rate of ip's
// limiter. Keyed by address, not port: an attacker picks ports freely.
func (s *Server) allow(ip netip.Addr) bool {
	lim, ok := s.sources[ip]
	if !ok {
		if len(s.sources) >= s.MaxSources {
			s.forgetIdle()
		}
		if len(s.sources) >= s.MaxSources {
			// Every source is busy. Pushing one out would give it a fresh
			// burst, so the newcomer waits until one goes quiet.
			return false
		}
		if s.sources == nil {
			s.sources = make(map[netip.Addr]*rate.Limiter)
		}
		lim = rate.NewLimiter(s.Rate, s.Burst)
		s.sources[ip] = lim
	}
	return lim.Allow()
}

// forgetIdle removes the sources whose limiter is full again: such a
// limiter is the same as a new one, so forgetting it loses nothing.
func (s *Server) forgetIdle() {
	for ip, lim := range s.sources {
		if lim.Tokens() >= float64(s.Burst) {
			delete(s.sources, ip)
		}
	}
}

// addrPort returns a UDP address as a netip.AddrPort, an IPv4 address in
// its 4-byte form even when a dual-stack socket gives it as ::ffff:a.b.c.d:
// one source, one key. Any other kind of address is the zero AddrPort.
func addrPort(addr net.Addr) netip.AddrPort {
	u, _ := addr.(*net.UDPAddr) // nil for any other kind; nil's AddrPort is the zero one
	ap := u.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
