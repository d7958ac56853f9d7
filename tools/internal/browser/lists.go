package browser

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/domsnapshot"
	"github.com/chromedp/chromedp"
)

var firstNumber = regexp.MustCompile(`-?\d+`)

// listNumbers compares the number each ordered list item shows with the
// one its HTML gives it, which page.js put in data-check-number. What an
// item shows is only in the layout (the text of its ::marker, or of the
// ::before a style draws numbers with): DOMSnapshot has it, no DOM API does.
var listNumbers chromedp.Action[[]string] = func(ctx context.Context, t *chromedp.Target) ([]string, error) {
	snap, err := cdp.Call(ctx, t, domsnapshot.CaptureSnapshot, domsnapshot.CaptureSnapshotParams{ComputedStyles: []string{}})
	if err != nil {
		return nil, fmt.Errorf("reading the layout: %w", err)
	}
	str := func(i int64) string {
		if i < 0 || i >= int64(len(snap.Strings)) {
			return ""
		}
		return snap.Strings[i]
	}
	d := snap.Documents[0]
	attr := func(node int64, key string) string {
		a := d.Nodes.Attributes[node]
		for i := 0; i+1 < len(a); i += 2 {
			if str(a[i]) == key {
				return str(a[i+1])
			}
		}
		return ""
	}
	pseudo := map[int64]string{}
	if p := d.Nodes.PseudoType; p != nil {
		for k, node := range p.Index {
			pseudo[node] = str(int64(p.Value[k]))
		}
	}
	shown := map[int64]string{} // an item's marker text, by node
	for k, node := range d.Layout.NodeIndex {
		if p := pseudo[node]; p == "marker" || p == "before" {
			shown[d.Nodes.ParentIndex[node]] += str(int64(d.Layout.Text[k]))
		}
	}
	var out []string
	said := map[int64]bool{} // one problem a list: its first wrong number
	for node, parent := range d.Nodes.ParentIndex {
		want, got := attr(int64(node), "data-check-number"), firstNumber.FindString(shown[int64(node)])
		if want == "" || got == "" || got == want || said[parent] {
			continue
		}
		said[parent] = true
		out = append(out, fmt.Sprintf("list item %q shows %q where its HTML numbers it %s: a style renumbers the list (start and value must be honoured)",
			attr(int64(node), "data-check-text"), strings.TrimSpace(shown[int64(node)]), want))
	}
	return out, nil
}
