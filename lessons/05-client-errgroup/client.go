// Package echo is an RFC 862 echo client that runs many clients at once:
// the first one to fail stops the others, and its error is the one
// returned.
package echo

import (
	"context"
	"errors"
	"net"
)

// ExchangeAll runs one client per session, each on a connection of its own
// to addr, at most limit of them at a time (limit < 1: no limit), and
// returns the replies to each: results[i] for sessions[i].
//
// The first client to fail stops the others, and its error is the one
// returned, naming the client by its index: "client 3: …". When ctx ends
// first, the error says why (context.Cause). Either way, the results are
// nil.
func ExchangeAll(ctx context.Context, addr string, sessions [][]string, limit int) ([][]string, error) {
	// TODO: run one client per session in an errgroup.Group made by
	// errgroup.WithContext (package golang.org/x/sync/errgroup), never more
	// than limit at once. A client calls dialExchange with the group's ctx,
	// stores the echo at its session's index, and fails with "client i: "
	// and the cause (%w). Return the first failure, the cause, not one of
	// the failures it caused.
	return nil, errors.New("not implemented yet: write ExchangeAll in client.go")
}

// dialExchange runs one session on a connection of its own, and gives up
// as soon as ctx ends.
func dialExchange(ctx context.Context, addr string, lines []string) ([]string, error) {
	// TODO: this is lesson 04's dialExchange, which ignores ctx. Make it
	// give up as soon as ctx ends, while dialing or even in the middle of
	// a Read (which a context alone cannot interrupt), and then return why
	// ctx ended (context.Cause), not the error that giving up caused.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return Exchange(conn, lines)
}
