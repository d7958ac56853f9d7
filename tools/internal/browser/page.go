package browser

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// checker holds what the pages of one Check share.
type checker struct {
	base     string          // http://127.0.0.1:PORT/
	browser  context.Context // ends when Check's ctx does, or chromium does
	opt      Options
	patience time.Duration
	svgs     sync.Map // URL -> svgText
}

// A tab checks pages one after another. Its listener lasts as long as the
// tab, and hands each event to the page being checked.
type tab struct {
	ctx   context.Context
	close func()
	now   atomic.Pointer[events]
}

func openTab(browserCtx context.Context) (*tab, error) {
	t := &tab{}
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithListener(func(ev any) {
		if now := t.now.Load(); now != nil {
			now.handle(ev)
		}
	}))
	t.ctx, t.close = ctx, sync.OnceFunc(cancel)
	if err := attach(t.ctx, t.close); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

//go:embed page.js
var pageJS string

// report is what page.js finds in a loaded page.
type report struct {
	Title    string   `json:"title"`
	Text     string   `json:"text"`
	Problems []string `json:"problems"`
	Images   []image  `json:"images"`
}

const refoldJS = `for (const d of document.querySelectorAll("details[data-opened-by-check]")) {
  d.open = false;
  delete d.dataset.openedByCheck;
}`

var errStalled = errors.New("no progress")

// checkPage loads one page at one width and reports what is wrong with
// it. It returns ok false when the tab may be unusable (a step failed or
// stalled), and no problems when the browser's context ends: Check
// reports that.
func (c *checker) checkPage(t *tab, p Page, width int) (_ []Problem, ok bool) {
	ctx, poke, stop := withPatience(t.ctx, c.patience)
	defer stop()
	ev := newEvents(strings.TrimSuffix(c.base, "/"), poke)
	t.now.Store(ev)
	defer t.now.Store(nil)

	var problems []string
	step := "set up the tab"
	err := func() error {
		var phone []chromedp.EmulateViewportOption
		if width < 600 { // its meta viewport applies, its scrollbars overlay
			phone = append(phone, chromedp.EmulateMobile)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), 900, phone...)); err != nil {
			return err
		}
		step = "load the page"
		if err := chromedp.Do(ctx, chromedp.Navigate(c.base+p.Path)); err != nil {
			return err
		}
		if err := ev.waitIdle(ctx); err != nil {
			return err
		}
		poke()
		step = "measure the page"
		r, err := chromedp.Run(ctx, chromedp.Evaluate[report](pageJS))
		if err != nil {
			return err
		}
		poke()
		problems = append(problems, r.check(p)...)
		lists, err := chromedp.Run(ctx, listNumbers)
		if err != nil {
			return err
		}
		poke()
		problems = append(problems, lists...)
		// Last, the page as loaded, folds closed: capturing hides the
		// scrollbars that the measures must see.
		if c.opt.ScreenshotDir != "" {
			step = "take a screenshot"
			file := filepath.Join(c.opt.ScreenshotDir, fmt.Sprint(width), shotName(p.Path))
			if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](refoldJS), screenshot(file)); err != nil {
				return err
			}
			poke()
		}
		// The diagrams are loaded in this tab next: not the page's doing.
		problems = append(problems, ev.take()...)
		step = "measure the diagrams"
		for _, img := range r.Images {
			s, err := c.svgText(ctx, img.Src)
			if err != nil {
				return fmt.Errorf("%s: %w", img.Src, err)
			}
			poke()
			problems = append(problems, c.diagramProblems(img, s, width)...)
		}
		return nil
	}()
	switch {
	case c.browser.Err() != nil:
		return nil, false
	case err == nil:
	case errors.Is(context.Cause(ctx), errStalled):
		still := ""
		if p := ev.pending(); len(p) > 0 {
			still = ", still loading " + capList(p)
		}
		problems = append(problems, fmt.Sprintf("no progress for %v while trying to %s%s: the page may never finish, or this machine is too busy to tell; re-run to find out",
			c.patience, step, still))
	default: // the tab crashed or closed, or chromium refused
		problems = append(problems, fmt.Sprintf("could not %s: %v", step, err))
	}
	out := make([]Problem, len(problems))
	for i, what := range problems {
		out[i] = Problem{Page: p.Path, Width: width, What: what}
	}
	return out, err == nil
}

// withPatience returns a context that ends, with the cause errStalled, when
// poke has not been called for d.
func withPatience(parent context.Context, d time.Duration) (ctx context.Context, poke, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	var mu sync.Mutex
	t := time.AfterFunc(d, func() { cancel(errStalled) })
	poke = func() {
		mu.Lock()
		defer mu.Unlock()
		t.Reset(d)
	}
	return ctx, poke, func() { t.Stop(); cancel(nil) }
}

var spaces = regexp.MustCompile(`\s+`)

// check adds to page.js's problems the ones only the caller can name.
func (r *report) check(p Page) []string {
	out := r.Problems
	if p.Title != "" && !strings.Contains(r.Title, p.Title) {
		out = append(out, fmt.Sprintf("the title is %q, which does not contain %q", r.Title, p.Title))
	}
	text := spaces.ReplaceAllString(r.Text, " ")
	for _, want := range p.Contains {
		if !strings.Contains(text, spaces.ReplaceAllString(want, " ")) {
			out = append(out, fmt.Sprintf("does not show %q", want))
		}
	}
	return out
}

// screenshot saves the whole page, down to a height that Chromium can
// still capture in one piece.
func screenshot(file string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		size, err := chromedp.Evaluate[[2]float64](`[document.documentElement.clientWidth, document.documentElement.scrollHeight]`)(ctx, t)
		if err != nil {
			return err
		}
		shot, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			Clip:                  &page.Viewport{Width: size[0], Height: min(size[1], 16000), Scale: 1},
			CaptureBeyondViewport: new(true),
			OptimizeForSpeed:      new(true), // half the time, for a file a third larger
		})
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		return os.WriteFile(file, shot.Data, 0o644)
	})
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// shotName is a page's screenshot file: "lessons/01-blocking-echo/" gives
// "lessons_01-blocking-echo.png".
func shotName(path string) string {
	name := unsafeName.ReplaceAllString(strings.Trim(path, "/"), "_")
	if name == "" {
		name = "index"
	}
	return name + ".png"
}
