package browser

import (
	"context"
	_ "embed"
	"fmt"
	"path"
	"slices"

	"github.com/chromedp/chromedp"
)

// image is a diagram (an SVG <img>) as page.js found it shown.
type image struct {
	Src       string  `json:"src"`
	Width     float64 `json:"width"` // displayed, in CSS px
	Height    float64 `json:"height"`
	ScrollBox bool    `json:"scrollBox"` // in a box scrolled sideways, wider than it
	Linked    bool    `json:"linked"`    // in a link to its own file
}

// svgText is what svg.js finds in a diagram's file.
type svgText struct {
	Min    float64 `json:"min"`    // the smallest font size, in viewBox units
	Sample string  `json:"sample"` // a text of that size
	Width  float64 `json:"width"`  // the viewBox
	Height float64 `json:"height"`
}

// minDiagramTextPx is the smallest diagram text a reader can read, in CSS px.
const minDiagramTextPx = 12.0

//go:embed svg.js
var svgJS string

// svgText measures a diagram, once for all pages, in the SVG file itself
// opened in the tab: its own styles apply, as they do in an <img>.
func (c *checker) svgText(ctx context.Context, url string) (svgText, error) {
	if s, ok := c.svgs.Load(url); ok {
		return s.(svgText), nil
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return svgText{}, err
	}
	s, err := chromedp.Run(ctx, chromedp.Evaluate[svgText](svgJS))
	if err == nil {
		c.svgs.Store(url, s)
	}
	return s, err
}

// diagramProblems: an <img> scales its SVG to fit, so text drawn at f
// units shows at f × (displayed size / viewBox size) px. At the widest
// width that must reach the minimum; at narrower ones a diagram may
// instead be shown wider than the screen in a box that scrolls sideways.
func (c *checker) diagramProblems(img image, s svgText, width int) []string {
	var out []string
	name := path.Base(img.Src)
	widest := width == slices.Max(c.opt.Widths)
	if s.Min > 0 && s.Width > 0 && s.Height > 0 {
		px := s.Min * min(img.Width/s.Width, img.Height/s.Height)
		if px < minDiagramTextPx && (widest || !img.ScrollBox) {
			fix := "draw it with fewer, larger parts or show it larger"
			if !widest {
				fix = "show it larger, in a box that scrolls sideways"
			}
			out = append(out, fmt.Sprintf("diagram %s: its smallest text (%q) shows at %.1f px, below %g px (%.0f%% of its drawn size): %s",
				name, s.Sample, px, minDiagramTextPx, 100*img.Width/s.Width, fix))
		}
	}
	if widest && !img.Linked { // said once, not at every width
		out = append(out, fmt.Sprintf("diagram %s does not open full size on click: wrap it in a link to its own file", name))
	}
	return out
}
