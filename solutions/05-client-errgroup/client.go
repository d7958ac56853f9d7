// Package echo is an RFC 862 echo client that runs many clients at once:
// the first one to fail stops the others, and its error is the one
// returned.
package echo

import (
	"context"
	"fmt"
	"net"

	"golang.org/x/sync/errgroup"
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
	// The group's ctx ends when the first client fails, or when the
	// caller's ctx does: every client watches it.
	g, ctx := errgroup.WithContext(ctx)
	if limit > 0 {
		// g.Go waits for one of the limit slots to free up before it
		// starts a client: never more than limit connections open.
		g.SetLimit(limit)
	}
	results := make([][]string, len(sessions))
	for i, lines := range sessions {
		g.Go(func() error {
			replies, err := dialExchange(ctx, addr, lines)
			if err != nil {
				return fmt.Errorf("client %d: %w", i, err)
			}
			results[i] = replies // only goroutine i writes results[i]: no lock needed
			return nil
		})
	}
	// Wait returns the first error a client returned: the cause. The
	// others failed because of it, and their errors are dropped.
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}

// dialExchange runs one session on a connection of its own, and gives up
// as soon as ctx ends.
func dialExchange(ctx context.Context, addr string, lines []string) ([]string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			// The dial gave up because ctx ended ("operation was
			// canceled"): say why it ended, as below.
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
	// A context cannot interrupt a Read or a Write that is waiting;
	// closing the connection can. So close it the moment ctx ends.
	// (Exchange closes it anyway when it returns.)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	replies, err := Exchange(conn, lines)
	if err != nil && ctx.Err() != nil {
		// The connection failed because we closed it: the reason is why
		// ctx ended, not "use of closed network connection".
		return nil, context.Cause(ctx)
	}
	return replies, err
}
