// Run in an SVG file opened as its own document (see svgText in page.go):
// the smallest text it draws, in the units of its viewBox. An element's
// font size is in its own user units; the ratio of its transform to the
// root's turns that into viewBox units, whatever the groups and the
// viewport in between do. Labels in <foreignObject> (mermaid's flowcharts)
// are HTML: their font size is in the units of the foreignObject.
(() => {
  const svg = document.documentElement;
  const scale = m => Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
  const root = scale(svg.getScreenCTM());
  let min = 0, sample = "";
  for (const el of svg.querySelectorAll("*")) {
    const own = [...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.data.trim());
    const host = el instanceof SVGGraphicsElement ? el : el.closest("foreignObject");
    const style = getComputedStyle(el);
    if (!own || !host || style.display === "none" || style.visibility !== "visible") continue;
    const size = parseFloat(style.fontSize) * scale(host.getScreenCTM()) / root;
    if (!min || size < min) [min, sample] = [size, el.textContent.trim().slice(0, 40)];
  }
  const box = svg.viewBox.baseVal;
  return box && box.width
    ? {min, sample, width: box.width, height: box.height}
    : {min, sample, width: svg.width.baseVal.value, height: svg.height.baseVal.value};
})()
