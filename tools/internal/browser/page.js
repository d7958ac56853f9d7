// Run in a page once it has loaded (see checkPage in page.go): what a
// reader would trip over, measured in CSS px of this viewport. It opens
// every folded block first, so what is inside them is measured too, and
// marks them, to be closed again before the screenshot (refoldJS).
(() => {
  const root = document.querySelector("article") || document.body;
  const view = document.documentElement.clientWidth;
  const style = el => getComputedStyle(el);
  const quote = el => JSON.stringify(el.textContent.replace(/\s+/g, " ").trim().slice(0, 50));
  const list = items => items.slice(0, 5).join(", ") + (items.length > 5 ? ` … ${items.length - 5} more` : "");
  const problems = [];
  for (const d of document.querySelectorAll("details:not([open])")) {
    d.open = true;
    d.dataset.openedByCheck = "";
  }

  // The text a reader can find on the page, unselected tabs included.
  let text = "";
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walk.nextNode());) {
    if (!n.parentElement.closest("script, style, noscript, template")) text += n.data;
  }

  // Tab labels outside the visible part of their bar, when the bar shows
  // no sign that there is more: no scrollbar, no scroll button.
  const hidden = [];
  for (const bar of document.querySelectorAll(".tabbed-labels")) {
    const r = bar.getBoundingClientRect(), s = style(bar);
    if (r.width === 0) continue; // inside a tab that is not selected
    const scrollbar = bar.offsetHeight - bar.clientHeight - parseFloat(s.borderTopWidth) - parseFloat(s.borderBottomWidth) > 0;
    const button = [...bar.parentElement.querySelectorAll(":scope > .tabbed-control, :scope > button, :scope > .tabbed-labels > button")]
      .some(b => b.getBoundingClientRect().width > 0 && style(b).visibility === "visible");
    const left = Math.max(r.left, 0), right = Math.min(r.right, view);
    for (const label of scrollbar || button ? [] : bar.querySelectorAll("label")) {
      const l = label.getBoundingClientRect();
      if (l.left < left - 1 || l.right > right + 1) hidden.push(quote(label));
    }
  }
  if (hidden.length) problems.push(`${hidden.length} tab label(s) out of sight, with no scrollbar or button to say there are more: ${list(hidden)}`);

  // Quoted output must keep its tokens whole. A code block wraps if it
  // gets shorter when wrapping is turned off (all blocks at once: two
  // layouts, not two per block); wrapping at spaces keeps every token, but
  // a style that also breaks inside words does not. A block too wide for
  // its box must scroll.
  const blocks = [...root.querySelectorAll("pre > code")].filter(c => c.getBoundingClientRect().height > 0);
  const heights = blocks.map(c => c.getBoundingClientRect().height);
  const saved = blocks.map(c => c.style.textWrapMode);
  for (const c of blocks) c.style.textWrapMode = "nowrap";
  const unwrapped = blocks.map(c => c.getBoundingClientRect().height);
  blocks.forEach((c, i) => { c.style.textWrapMode = saved[i]; });
  const split = {}; // by style: a page has many blocks, and one cause
  blocks.forEach((c, i) => {
    const s = style(c), box = s.display === "inline" ? c.parentElement : c;
    const midWord = /anywhere|break-word/.test(s.overflowWrap) || /break/.test(s.wordBreak) || s.hyphens === "auto";
    if (unwrapped[i] < heights[i] - 1 && midWord) {
      (split[`white-space: ${s.whiteSpace}; overflow-wrap: ${s.overflowWrap}; word-break: ${s.wordBreak}; hyphens: ${s.hyphens}`] ??= []).push(quote(c));
    } else if (box.scrollWidth > box.clientWidth + 1 && ![c, c.parentElement].some(e => /auto|scroll/.test(style(e).overflowX))) {
      problems.push(`code block ${quote(c)} is wider than its box, which cuts it off (overflow-x: ${style(box).overflowX}) instead of scrolling`);
    }
  });
  for (const [s, codes] of Object.entries(split)) {
    problems.push(`${codes.length} code block(s) break lines inside words (${s}); quoted output must wrap at spaces only, or scroll sideways: ${list(codes)}`);
  }
  for (const c of root.querySelectorAll("code, samp, kbd")) {
    const t = style(c).textTransform;
    if (t !== "none") problems.push(`code ${quote(c)} is shown changed by text-transform: ${t}; quoted text must look as typed`);
  }
  if (!root.querySelector("h1")) problems.push("no heading (h1)");
  for (const img of root.querySelectorAll("img:not([alt]), img[alt='']")) {
    problems.push(`image ${img.getAttribute("src")} has no alt text: say in words what it shows`);
  }
  const mermaid = root.querySelectorAll(".mermaid:not([data-processed]), code.language-mermaid").length;
  if (mermaid) problems.push(`${mermaid} mermaid block(s) left as text: diagrams are pre-rendered SVG files`);
  const width = document.documentElement.scrollWidth;
  if (width > view + 1) problems.push(`the page is ${width} px wide on a ${view} px screen: part of it is out of sight`);

  // Ordered lists: the number each item's HTML gives it, for listNumbers
  // (lists.go) to compare with the number it shows.
  for (const ol of root.querySelectorAll("ol")) {
    const items = [...ol.children].filter(li => li.tagName === "LI");
    let n = ol.hasAttribute("start") ? ol.start : ol.reversed ? items.length : 1;
    for (const li of items) {
      if (li.hasAttribute("value")) n = li.value;
      li.dataset.checkNumber = n;
      li.dataset.checkText = li.textContent.replace(/\s+/g, " ").trim().slice(0, 40);
      n += ol.reversed ? -1 : 1;
    }
  }

  // Diagrams (SVG images) as shown: their size, whether they sit in a
  // box scrolled sideways, whether a click opens their own file.
  const bare = u => u.split(/[?#]/)[0];
  const images = [...root.querySelectorAll("img")]
    .filter(i => i.complete && i.naturalWidth > 0 && i.clientWidth > 0 && /\.svg$/i.test(bare(i.currentSrc)))
    .map(i => {
      let scrollBox = false;
      for (let e = i.parentElement; e && e !== document.body && !scrollBox; e = e.parentElement) {
        scrollBox = /auto|scroll/.test(style(e).overflowX) && e.scrollWidth > e.clientWidth + 1;
      }
      const a = i.closest("a[href]");
      return {src: i.currentSrc, width: i.clientWidth, height: i.clientHeight, scrollBox, linked: !!a && bare(a.href) === bare(i.currentSrc)};
    });
  return {title: document.title, text, problems, images};
})()
