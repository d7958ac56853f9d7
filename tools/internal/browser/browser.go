// Package browser opens a built static site in headless Chromium, at a
// desktop and a phone width, and reports what would trip a reader: console
// errors, requests that leave the machine, files that fail to load, tab
// labels pushed out of sight, diagram text too small to read, quoted output
// that styles re-wrap or renumber, missing text and wrong titles.
//
// Chromium is driven with chromedp. One browser serves every page; pages
// are checked in parallel, one per core. No wait has a fixed length: a page
// gets as long as it keeps making progress (see patience).
package browser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// ErrNoChromium means no browser to run the check with was found.
var ErrNoChromium = errors.New("no chromium, chromium-browser or google-chrome found (install with: apt-get install chromium)")

// A Page is one page of the site to check.
type Page struct {
	Path     string   // URL path under the site root, e.g. "lessons/01-blocking-echo/"
	Title    string   // substring the document title must contain ("" = not checked)
	Contains []string // texts the rendered page must show
}

// Options tune a Check; the zero value is ready to use.
type Options struct {
	Chromium      string // the browser's executable; "" = look it up on PATH
	Widths        []int  // viewport widths in CSS px; default 1366 and 390
	ScreenshotDir string // "" = none; else DIR/<width>/<page>.png
}

// A Problem is one thing wrong with one page at one width.
type Problem struct {
	Page  string // the Page's Path
	Width int
	What  string
}

func (p Problem) String() string { return fmt.Sprintf("/%s at %dpx: %s", p.Page, p.Width, p.What) }

// patience is how long a page may show no progress (no event from the
// browser, no step finished) before it is reported as stuck. Progress, not
// total time, is what is bounded, so a slow machine is not mistaken for a
// broken page.
const patience = 60 * time.Second

// startPatience bounds chromium's start and a new tab, which report no
// progress on the way: on a 2-core machine shared with other work, a cold
// chromium was measured taking more than 30s to answer, so it gets longer.
const startPatience = 3 * time.Minute

// Check serves siteDir on 127.0.0.1 and checks every page at every width.
// The error is for a check that could not run (no browser, no site, ctx
// ended); what is wrong with the pages is in the problems, in the order of
// pages, then widths.
func Check(ctx context.Context, siteDir string, pages []Page, opt Options) ([]Problem, error) {
	return check(ctx, siteDir, pages, opt, patience)
}

// check is Check with the pages' patience as a parameter, for the tests.
func check(ctx context.Context, siteDir string, pages []Page, opt Options, pagePatience time.Duration) ([]Problem, error) {
	if len(opt.Widths) == 0 {
		opt.Widths = []int{1366, 390}
	}
	exe, err := findChromium(opt.Chromium)
	if err != nil {
		return nil, err
	}
	base, stopServing, err := serve(siteDir)
	if err != nil {
		return nil, err
	}
	defer stopServing()
	browserCtx, stopBrowser, err := startBrowser(ctx, exe, strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/"))
	if err != nil {
		return nil, err
	}
	defer stopBrowser()

	c := &checker{base: base, browser: browserCtx, opt: opt, patience: pagePatience}
	// Job i is page i/len(Widths) at width i%len(Widths). One page per
	// core: each page keeps a renderer busy, and more at once only makes
	// them take turns.
	n := len(pages) * len(opt.Widths)
	results := make([][]Problem, n)
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.NumCPU(), n) {
		wg.Go(func() {
			var t *tab
			for i := range next {
				p, width := pages[i/len(opt.Widths)], opt.Widths[i%len(opt.Widths)]
				// A page that stalls or fails is tried once more in a new
				// tab: a loaded machine can hold one step past patience,
				// while a page that never finishes stalls twice.
				for try := 1; try <= 2 && browserCtx.Err() == nil; try++ {
					var err error
					if t == nil {
						if t, err = openTab(browserCtx); err != nil {
							results[i] = []Problem{{p.Path, width, "could not open a tab: " + err.Error()}}
							break
						}
					}
					var ok bool
					if results[i], ok = c.checkPage(t, p, width); ok {
						break
					}
					t.close() // it may be stuck: the next try gets a new tab
					t = nil
				}
			}
			if t != nil {
				t.close()
			}
		})
	}
	wg.Wait() // once ctx ends, each page left fails at once
	if ctx.Err() != nil {
		return nil, fmt.Errorf("browser check stopped: %w", context.Cause(ctx))
	}
	if err := browserCtx.Err(); err != nil {
		return nil, fmt.Errorf("chromium went away during the check: %w", context.Cause(browserCtx))
	}
	return slices.Concat(results...), nil
}

func findChromium(exe string) (string, error) {
	names := []string{"chromium", "chromium-browser", "google-chrome"}
	if exe != "" {
		names = []string{exe}
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// searchIndex is where mkdocs's search plugin writes its index, and
// emptySearchIndex one with its settings and no pages.
const (
	searchIndex      = "search/search_index.json"
	emptySearchIndex = `{"config":{"lang":["en"],"separator":"[\\s\\-]+","min_search_length":3,"prebuild_index":false,"indexing":"full"},"docs":[]}`
)

// serve serves dir on a free loopback port until stop is called; the
// site's search index is served empty (see searchIndex).
func serve(dir string) (base string, stop func(), err error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", nil, fmt.Errorf("no site to check at %s (build it first): %v", dir, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("serving the site: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(dir)))
	// The theme's search builds an index of the whole site in a worker on
	// every page load: 70 loads, the same work each time, almost half the
	// check's CPU (measured: 68 s of CPU, 38 s without it). The check reads
	// no search results, so the pages get an index with no pages in it.
	mux.HandleFunc("/"+searchIndex, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, emptySearchIndex)
	})
	srv := &http.Server{Handler: mux, ErrorLog: log.New(io.Discard, "", 0)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(l) // returns when srv.Close closes l
	}()
	return "http://" + l.Addr().String() + "/", func() { srv.Close(); <-done }, nil
}

// startBrowser starts headless Chromium with the flags this kind of machine
// needs: no sandbox (root in a container), no GPU, and nothing that reaches
// out to the network on its own (a closed network refuses it, and the
// offline check must see only the pages' own requests). Everything but
// site, the host:port that serves the site, goes to a proxy that is not
// there, so no request of a page's leaves, WebSockets included (the pages'
// own blocking, in page.go, does not reach those). chromedp gives it a
// fresh profile directory, and on stop kills it and any child still using
// that directory, then removes the directory; reap kills the crash
// handlers, which are not its children.
func startBrowser(ctx context.Context, exe, site string) (context.Context, func(), error) {
	mark := marker()
	allocCtx, stopAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.Env(mark),
		chromedp.ExecPath(exe),
		// Not chromedp.Headless: it hides scrollbars, and a scrollbar is how
		// a reader sees that a tab bar scrolls.
		chromedp.Flag("headless", true),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("proxy-server", "http://127.0.0.1:1"),
		chromedp.Flag("proxy-bypass-list", "<-loopback>;"+site),
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	// Once only: a second call waits forever when the browser never started.
	stopBrowser := sync.OnceFunc(cancelBrowser)
	stop := func() { stopBrowser(); stopAlloc(); reap(mark) }

	if err := attach(browserCtx, stopBrowser); err != nil {
		stop()
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("browser check stopped: %w", context.Cause(ctx))
		}
		return nil, nil, fmt.Errorf("starting %s: %w", exe, err)
	}
	return browserCtx, stop, nil
}

// attach runs the first action on a chromedp context, which starts its
// browser or opens its tab and ties that to ctx itself: the wait cannot be
// bounded by a shorter-lived context, so it is bounded here instead.
func attach(ctx context.Context, stop func()) error {
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(startPatience):
		stop()
		return fmt.Errorf("no answer from chromium in %v (%v)", startPatience, <-done)
	}
}
