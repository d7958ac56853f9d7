package main

// The browser test: serve a built site on 127.0.0.1 (a free port), open
// every page in headless chromium over the DevTools protocol, and check
// that it rendered: a title; the files the page includes are there
// (text from lessons/01-blocking-echo/echo.go on lesson 01's page);
// every diagram image loaded; no console error or uncaught exception; no
// request leaves the machine (the site must work offline). It saves a
// screenshot of every page.

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// chromiumFlags: headless, and nothing that reaches out to the network on
// its own (this machine's network refuses it, and CI must not depend on it).
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-extensions", "--disable-default-apps", "--hide-scrollbars", "--mute-audio",
	"--remote-debugging-port=0", "--window-size=1280,900",
}

func runBrowse(args []string) int {
	flags := flag.NewFlagSet("browse", flag.ExitOnError)
	siteDir := flags.String("site", "site", "the built site (mkdocs build --site-dir)")
	shots := flags.String("screenshots", "", "save a PNG of every page in this directory")
	flags.Parse(args)
	root, err := findRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "browse:", err)
		return 2
	}
	start := time.Now()
	problems, pages, err := browse(root, *siteDir, *shots)
	if err != nil {
		fmt.Println("browse:", err)
		return 1
	}
	for _, p := range problems {
		fmt.Println(p)
	}
	where := ""
	if *shots != "" {
		where = "; screenshots in " + *shots
	}
	if len(problems) > 0 {
		fmt.Printf("browse: %d problem(s) on %d pages (%.1fs)%s\n", len(problems), pages, time.Since(start).Seconds(), where)
		return 1
	}
	fmt.Printf("browse: %d pages rendered in chromium, every include, diagram and title there, no console error, nothing loaded from the network (%.1fs)%s\n",
		pages, time.Since(start).Seconds(), where)
	return 0
}

// pageEvents collects what the page under test reports while it loads.
type pageEvents struct {
	mu       sync.Mutex
	errors   []string
	external []string
	loaded   chan struct{}
}

func (e *pageEvents) reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.errors, e.external, e.loaded = nil, nil, make(chan struct{}, 1)
}

func (e *pageEvents) handle(method string, params json.RawMessage) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch method {
	case "Page.loadEventFired":
		select {
		case e.loaded <- struct{}{}:
		default:
		}
	case "Runtime.exceptionThrown":
		var p struct {
			ExceptionDetails struct {
				Text      string
				URL       string
				Exception struct{ Description string }
			}
		}
		json.Unmarshal(params, &p)
		d := p.ExceptionDetails
		e.errors = append(e.errors, strings.TrimSpace("uncaught exception: "+d.Text+" "+d.Exception.Description+" "+d.URL))
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string
			Args []struct {
				Value       any
				Description string
			}
		}
		json.Unmarshal(params, &p)
		if p.Type == "error" || p.Type == "assert" {
			var parts []string
			for _, a := range p.Args {
				parts = append(parts, fmt.Sprint(a.Value)+a.Description)
			}
			e.errors = append(e.errors, "console."+p.Type+": "+strings.Join(parts, " "))
		}
	case "Log.entryAdded":
		var p struct {
			Entry struct{ Level, Text, URL string }
		}
		json.Unmarshal(params, &p)
		if p.Entry.Level == "error" {
			e.errors = append(e.errors, "console error: "+p.Entry.Text+" "+p.Entry.URL)
		}
	case "Network.requestWillBeSent":
		var p struct{ Request struct{ URL string } }
		json.Unmarshal(params, &p)
		u := p.Request.URL
		if !strings.HasPrefix(u, "http://127.0.0.1:") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") && u != "about:blank" {
			e.external = append(e.external, u)
		}
	}
}

func (e *pageEvents) take() (errs, external []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.errors), slices.Clone(e.external)
}

func browse(root, siteDir, shots string) (problems []string, pages int, err error) {
	if !filepath.IsAbs(siteDir) {
		siteDir = filepath.Join(root, siteDir)
	}
	urls, err := sitePages(siteDir)
	if err != nil {
		return nil, 0, err
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		return nil, 0, errors.New("chromium is not installed (apt-get install -y chromium)")
	}
	if shots != "" {
		if !filepath.IsAbs(shots) {
			shots = filepath.Join(root, shots)
		}
		os.RemoveAll(shots)
		if err := os.MkdirAll(shots, 0o755); err != nil {
			return nil, 0, err
		}
	}

	// The site, on a free port of the loopback interface.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, 0, err
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(siteDir))}
	go srv.Serve(l)
	defer srv.Close()
	base := "http://" + l.Addr().String() + "/"

	// The browser, in a profile of its own that is thrown away after.
	profile, err := os.MkdirTemp("", "workbook-chromium-")
	if err != nil {
		return nil, 0, err
	}
	defer os.RemoveAll(profile)
	cmd := exec.Command(chromium, append(slices.Clone(chromiumFlags), "--user-data-dir="+profile, "about:blank")...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	port, err := devtoolsPort(profile, 15*time.Second)
	if err != nil {
		return nil, 0, fmt.Errorf("chromium did not start: %v\n%s", err, stderr.String())
	}
	ws, err := pageTarget(port)
	if err != nil {
		return nil, 0, err
	}
	events := &pageEvents{}
	events.reset()
	c, err := dialCDP(ws, events.handle)
	if err != nil {
		return nil, 0, err
	}
	defer c.close()
	for _, domain := range []string{"Page", "Runtime", "Log", "Network"} {
		if err := c.call(domain+".enable", nil, nil, 10*time.Second); err != nil {
			return nil, 0, err
		}
	}

	for _, page := range urls {
		for _, p := range checkPage(c, events, root, base, page, shots) {
			problems = append(problems, "/"+page.path+": "+p)
		}
	}
	return problems, len(urls), nil
}

// devtoolsPort waits for chromium to write the port it listens on.
func devtoolsPort(profile string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort"))
		if err == nil {
			if port, _, ok := strings.Cut(string(b), "\n"); ok && port != "" {
				return port, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no DevToolsActivePort after %v", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type sitePage struct {
	path   string // lessons/01-blocking-echo/
	source string // docs/lessons/01-blocking-echo.md
}

// sitePages lists the built pages, each with the Markdown it came from.
func sitePages(siteDir string) ([]sitePage, error) {
	var pages []sitePage
	err := filepath.WalkDir(siteDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "index.html" {
			return err
		}
		rel, _ := filepath.Rel(siteDir, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		p := sitePage{path: rel + "/", source: "docs/" + rel + ".md"}
		if rel == "." {
			p = sitePage{path: "", source: "docs/index.md"}
		} else if _, err := os.Stat(filepath.Join(filepath.Dir(siteDir), "docs", rel, "index.md")); err == nil {
			p.source = "docs/" + rel + "/index.md"
		}
		pages = append(pages, p)
		return nil
	})
	if len(pages) == 0 && err == nil {
		err = fmt.Errorf("no pages in %s: build the site first (make docs)", siteDir)
	}
	return pages, err
}

// pageReport is what the page says about itself, from inside the browser.
type pageReport struct {
	H1     string
	Title  string
	Text   string // the article's text, hidden tabs and folded blocks included
	Images []struct {
		Src, Alt string
		Width    int
	}
	Mermaid  int // mermaid blocks left unrendered (there should be none)
	Height   int
	Material bool // Material's JavaScript ran (it adds the search's state)
}

const reportJS = `(() => {
  const article = document.querySelector("article") || document.body;
  const h1 = article.querySelector("h1");
  return JSON.stringify({
    h1: h1 ? h1.textContent.replace(/¶$/, "").trim() : "",
    title: document.title,
    text: article.textContent,
    images: [...article.querySelectorAll("img")].map(i => ({src: i.getAttribute("src"), alt: i.alt, width: i.complete ? i.naturalWidth : 0})),
    mermaid: article.querySelectorAll(".mermaid:not([data-processed])").length,
    height: Math.ceil(document.documentElement.scrollHeight),
    material: typeof document$ !== "undefined" || !!document.querySelector("[data-md-component=search] .md-search__input"),
  });
})()`

func checkPage(c *cdp, events *pageEvents, root, base string, page sitePage, shots string) []string {
	var problems []string
	events.reset()
	url := base + page.path
	var nav struct{ ErrorText string }
	if err := c.call("Page.navigate", map[string]any{"url": url}, &nav, 15*time.Second); err != nil {
		return []string{err.Error()}
	}
	if nav.ErrorText != "" {
		return []string{"could not load " + url + ": " + nav.ErrorText}
	}
	select {
	case <-events.loaded:
	case <-time.After(15 * time.Second):
		return []string{"did not finish loading within 15s"}
	}
	var r pageReport
	var ok bool
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var res struct{ Result struct{ Value string } }
		if err := c.call("Runtime.evaluate", map[string]any{"expression": reportJS, "returnByValue": true}, &res, 10*time.Second); err != nil {
			return []string{err.Error()}
		}
		json.Unmarshal([]byte(res.Result.Value), &r)
		ok = r.H1 != "" && r.Material && !slices.ContainsFunc(r.Images, func(i struct {
			Src, Alt string
			Width    int
		}) bool {
			return i.Width == 0
		})
		if ok || time.Now().After(deadline) {
			break
		}
	}

	if r.H1 == "" {
		problems = append(problems, "no title (h1)")
	}
	if !strings.Contains(r.Title, "Echo Workbook") {
		problems = append(problems, fmt.Sprintf("document title %q does not name the site", r.Title))
	}
	if !r.Material {
		problems = append(problems, "the theme's JavaScript did not run (no search box)")
	}
	for _, img := range r.Images {
		switch {
		case img.Width == 0:
			problems = append(problems, fmt.Sprintf("image %s did not load", img.Src))
		case img.Alt == "":
			problems = append(problems, fmt.Sprintf("image %s has no alt text: say in words what the diagram shows", img.Src))
		}
	}
	if r.Mermaid > 0 {
		problems = append(problems, fmt.Sprintf("%d mermaid block(s) left as text: diagrams are pre-rendered SVGs (make diagrams), not mermaid fences", r.Mermaid))
	}
	text := normSpace(r.Text)
	for _, inc := range includes(root, page.source) {
		if !strings.Contains(text, normSpace(inc.probe)) {
			problems = append(problems, fmt.Sprintf("the text of %s (%q) is not on the page", inc.path, inc.probe))
		}
	}
	errs, external := events.take()
	problems = append(problems, errs...)
	for _, u := range external {
		problems = append(problems, "loads "+u+" from the network: the site must work offline")
	}

	if shots != "" {
		if err := screenshot(c, r.Height, filepath.Join(shots, shotName(page.path))); err != nil {
			problems = append(problems, "screenshot: "+err.Error())
		}
	}
	return problems
}

// screenshot saves the whole page, as tall as it is (up to a limit).
func screenshot(c *cdp, height int, path string) error {
	height = min(max(height, 900), 16000)
	if err := c.call("Emulation.setDeviceMetricsOverride", map[string]any{
		"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": false,
	}, nil, 10*time.Second); err != nil {
		return err
	}
	defer c.call("Emulation.clearDeviceMetricsOverride", nil, nil, 10*time.Second)
	var shot struct{ Data string }
	if err := c.call("Page.captureScreenshot", map[string]any{"format": "png"}, &shot, 30*time.Second); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

func shotName(path string) string {
	if path == "" {
		return "index.png"
	}
	return strings.ReplaceAll(strings.Trim(path, "/"), "/", "_") + ".png"
}

type include struct{ path, probe string }

var includeLine = regexp.MustCompile(`(?m)^[ \t]*-{2,}8<-{2,}[ \t]+"([^"]+)"[ \t]*$`)

// includes lists the files a page's Markdown includes, each with a line
// of it that the rendered page must contain.
func includes(root, source string) []include {
	md, err := os.ReadFile(filepath.Join(root, source))
	if err != nil {
		return nil
	}
	var out []include
	for _, m := range includeLine.FindAllStringSubmatch(string(md), -1) {
		b, err := os.ReadFile(filepath.Join(root, m[1]))
		if err != nil {
			continue // mkdocs --strict reports it
		}
		if p := probeLine(m[1], string(b)); p != "" {
			out = append(out, include{m[1], p})
		}
	}
	return out
}

var mdMarkup = regexp.MustCompile("[`*_]|^#+ +|\\[([^\\]]*)\\]\\([^)]*\\)")

// probeLine picks a line of an included file that must show on the page:
// for Markdown, its first heading without the markup; for anything else,
// its first line of some length.
func probeLine(path, content string) string {
	for _, line := range strings.Split(content, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasSuffix(path, ".md") {
			if strings.HasPrefix(line, "#") {
				return strings.TrimSpace(mdMarkup.ReplaceAllString(line, "$1"))
			}
			continue
		}
		if len(line) >= 24 {
			return line
		}
	}
	return ""
}

var spaces = regexp.MustCompile(`\s+`)

func normSpace(s string) string { return spaces.ReplaceAllString(s, " ") }
