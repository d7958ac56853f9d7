package browser

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
)

// events gathers what a tab reports while its page loads. handle runs in
// chromedp's loop for the tab: it must be quick and send no command.
type events struct {
	origin string // http://127.0.0.1:PORT: requests there are the site's own
	poke   func() // every event is progress

	mu       sync.Mutex
	loader   cdp.LoaderID // the page's document's, once it is asked for
	taken    bool         // the page's part is over; later events are not its
	errs     []string     // each said once (see add)
	external []string
	failed   []string
	sent     map[network.RequestID]string // the site's requests: their paths
	awaited  map[network.RequestID]string // those the page waits for, in flight
	idle     chan struct{}                // a token when the last of those ends
}

func newEvents(origin string, poke func()) *events {
	return &events{origin: origin, poke: poke, idle: make(chan struct{}, 1),
		sent: map[network.RequestID]string{}, awaited: map[network.RequestID]string{}}
}

// awaitedTypes are the requests a page's content waits for: not the icon
// (the browser's own, whose end is not always reported), nor streams.
var awaitedTypes = []network.ResourceType{
	network.ResourceTypeDocument, network.ResourceTypeStylesheet, network.ResourceTypeScript,
	network.ResourceTypeImage, network.ResourceTypeFont, network.ResourceTypeMedia,
	network.ResourceTypeFetch, network.ResourceTypeXHR,
}

func (e *events) handle(ev any) {
	e.poke()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.taken {
		return
	}
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				var s string
				if json.Unmarshal(a.Value, &s) != nil { // not a string: as the console shows it
					s = cmp.Or(a.Description, string(a.Value))
				}
				args = append(args, s)
			}
			add(&e.errs, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text, _, _ = strings.Cut(d.Exception.Description, "\n") // the message, not the stack
		}
		add(&e.errs, fmt.Sprintf("uncaught exception: %s (%s:%d)", text, d.URL, d.LineNumber+1))
	case *log.EventEntryAdded:
		// Failed loads are logged too, without the URL: they are reported
		// from the network events.
		if ev.Entry.Level == log.EntryLevelError && ev.Entry.Source != log.EntrySourceNetwork {
			add(&e.errs, "console error: "+ev.Entry.Text)
		}
	case *network.EventRequestWillBeSent:
		// A tab goes from page to page (and diagram): what the document
		// before asked for can still be on its way.
		if e.loader == "" && ev.Type == network.ResourceTypeDocument {
			e.loader = ev.LoaderID
		}
		if e.loader == "" || ev.LoaderID != "" && ev.LoaderID != e.loader {
			return
		}
		u := ev.Request.URL
		if !e.local(u) {
			add(&e.external, u)
			return
		}
		u = strings.TrimPrefix(u, e.origin)
		e.sent[ev.RequestID] = u
		// A worker's requests (no loader) end in the worker's target, and
		// a redirect goes on under the same id.
		if ev.LoaderID != "" && ev.RedirectResponse == nil && slices.Contains(awaitedTypes, ev.Type) {
			e.awaited[ev.RequestID] = u
		}
	case *network.EventWebSocketCreated:
		if !e.local(ev.URL) {
			add(&e.external, ev.URL)
		}
	case *network.EventResponseReceived:
		if _, ok := e.sent[ev.RequestID]; ok && ev.Response.Status >= 400 {
			r := ev.Response
			add(&e.failed, fmt.Sprintf("%s: %d %s", strings.TrimPrefix(r.URL, e.origin), r.Status, r.StatusText))
			delete(e.sent, ev.RequestID) // said; the failure to load that follows says no more
		}
	case *network.EventLoadingFinished:
		e.done(ev.RequestID)
	case *network.EventLoadingFailed:
		// Even a "canceled" one: a stylesheet served as text/plain is
		// canceled, with no response event before.
		if u, ok := e.sent[ev.RequestID]; ok {
			add(&e.failed, u+": "+ev.ErrorText)
		}
		e.done(ev.RequestID)
	}
}

func (e *events) local(u string) bool {
	return strings.HasPrefix(u, e.origin+"/") || strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "blob:") || strings.HasPrefix(u, "about:")
}

// done notes the end of a request (e.mu held). A token for a request not
// awaited is harmless: waitIdle counts again when it wakes.
func (e *events) done(id network.RequestID) {
	delete(e.awaited, id)
	if len(e.awaited) == 0 {
		select {
		case e.idle <- struct{}{}:
		default:
		}
	}
}

// waitIdle waits for the requests the page waits for to end: after the
// load event, its scripts may still be fetching.
func (e *events) waitIdle(ctx context.Context) error {
	for {
		e.mu.Lock()
		n := len(e.awaited)
		e.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-e.idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// pending lists the requests still awaited, for a page that stalled.
func (e *events) pending() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Sorted(maps.Values(e.awaited))
}

// take ends the page's part and returns its problems.
func (e *events) take() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.taken = true
	out := e.errs
	if ext := e.external; len(ext) > 0 {
		out = append(out, fmt.Sprintf("%d request(s) to other hosts (blocked: the site must work offline): %s", len(ext), capList(ext)))
	}
	if len(e.failed) > 0 {
		out = append(out, "failed to load "+capList(e.failed))
	}
	return out
}

// add appends s to list unless it is there already: a file may be asked
// for twice, a message logged twice.
func add(list *[]string, s string) {
	if !slices.Contains(*list, s) {
		*list = append(*list, s)
	}
}

// capList joins the first few items, and says how many more.
func capList(items []string) string {
	const show = 5
	s := strings.Join(items[:min(show, len(items))], ", ")
	if len(items) > show {
		s += fmt.Sprintf(" … %d more", len(items)-show)
	}
	return s
}
