"""MkDocs hooks for the Echo Workbook's site (mkdocs.yml: hooks).

Four jobs, each small, each using only the hooks API of MkDocs 1.4 (so the
site builds on Debian's 1.4.2 and on current releases alike):

1. Include a lesson's README.md or HINTS.md into a page, with the line
   pymdownx.snippets uses for code:

       --8<-- "lessons/01-blocking-echo/README.md"

   Snippets would paste such a file as it is, and its "# Lesson 01" title
   would become a second page title. So this hook includes Markdown files
   itself, before snippets runs, and fits them into the page: headings move
   down under the section that includes the file (lines inside code fences
   are left alone); relative links become links to a lesson's page when
   they point to a lesson's README.md, and plain text otherwise; a missing
   file fails the build, as snippets' check_paths does.

   A HINTS.md is shown the way `make lesson-NN hint` gives it: each
   numbered hint ("## 1. title") in a fold of its own, in order, so that
   the near-complete answer is never one click from the first nudge; then
   the "When the test says…" part, whose entries ("### "failure text"")
   are shown as the terminal shows that text, not as headings (which the
   theme renders small, grey and upper-case).

2. Teaching pages join the navigation by themselves: for every lesson page
   in the learners' nav (lessons/NN-slug.md) whose docs/instructor/NN-slug.md
   exists, the Teach tab's "Teaching the lessons" section lists it as
   "Teaching NN: title". A new lesson is one nav line.

3. Instructor pages stay out of the search index learners use: every page
   under instructor/, and any page whose front matter says
   `search: {exclude: true}` (Material 9's own setting, which Material 8.2
   ignores), is removed from search/search_index.json after the build.

4. Test output blocks (```text and ```console) wrap only between words: each
   run of non-space characters is made unbreakable (CSS: .tok), so a path
   such as ~/echo-workbook/lessons/01-blocking-echo/echo_test.go:28 is never
   cut in two, on a phone or a projector, while a long failure message still
   wraps at its spaces instead of scrolling off the screen.
"""

import html
import json
import os
import posixpath
import re

try:
    from mkdocs.plugins import event_priority
except ImportError:  # mkdocs < 1.4 has no priorities; nothing else differs
    def event_priority(priority):
        return lambda f: f

INCLUDE = re.compile(r'^(?P<indent>[ \t]*)-{2,}8<-{2,}[ \t]+"(?P<path>[^"]+\.md)"[ \t]*$')
HEADING = re.compile(r"^(#{1,6})([ \t]+.*)$")
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<href>[^)\s]+)\)")
LESSON_README = re.compile(r"^lessons/(?P<slug>\d\d-[a-z0-9-]+)/README\.md$")
LESSON_PAGE = re.compile(r"^lessons/(?P<slug>(?P<num>\d\d)-[a-z0-9-]+)\.md$")
HINT = re.compile(r"^## (?P<n>\d+)\.[ \t]+(?P<title>.*)$")
SAYS = re.compile(r"^### [ \t]*(?P<text>.+?)[ \t]*$")
TEACHING_SECTION = "Teaching the lessons"


# ---- 1. README.md and HINTS.md, included -----------------------------------

def on_page_markdown(markdown, page, config, files):
    root = os.path.dirname(config["config_file_path"])
    out = []
    level = 1  # the level of the last heading seen in the page itself
    fence = None
    for line in markdown.split("\n"):
        fence, in_code = _track_fence(line, fence)
        m = None if in_code else INCLUDE.match(line)
        if m is None:
            h = None if in_code else HEADING.match(line)
            if h:
                level = len(h.group(1))
            out.append(line)
            continue
        path = m.group("path")
        full = os.path.join(root, path)
        if not os.path.isfile(full):
            raise FileNotFoundError(
                "%s includes %s, which does not exist" % (page.file.src_path, path))
        with open(full, encoding="utf-8") as f:
            text = f.read()
        if posixpath.basename(path) == "HINTS.md":
            text = _hints(text, level, path, page.file.src_path)
        else:
            text = _fit(text, level, path, page.file.src_path)
        out.extend(m.group("indent") + l if l else l for l in text.split("\n"))
    return "\n".join(out)


def _track_fence(line, fence):
    """Return (fence, in_code): the open code fence, if any, after this line."""
    m = FENCE.match(line)
    if fence is None:
        if m:
            return m.group(1), True
        return None, False
    if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and line.strip() == m.group(1):
        return None, True
    return fence, True


def _fit(text, level, path, page_src):
    """Demote text's headings under level and make its links work on the site."""
    lines = text.rstrip("\n").split("\n")
    top = min((len(HEADING.match(l).group(1)) for l in _outside_code(lines) if HEADING.match(l)), default=1)
    shift = max(0, level + 1 - top)
    fence = None
    for i, line in enumerate(lines):
        fence, in_code = _track_fence(line, fence)
        if in_code:
            continue
        h = HEADING.match(line)
        if h:
            line = "#" * min(6, len(h.group(1)) + shift) + h.group(2)
        lines[i] = LINK.sub(lambda m: _link(m, path, page_src), line)
    return "\n".join(lines)


def _outside_code(lines):
    fence = None
    for line in lines:
        fence, in_code = _track_fence(line, fence)
        if not in_code:
            yield line


def _link(m, path, page_src):
    href = m.group("href")
    if re.match(r"^[a-z]+:|^#|^/", href):
        return m.group(0)
    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), href.split("#")[0]))
    lesson = LESSON_README.match(target)
    if lesson:
        page = "lessons/%s.md" % lesson.group("slug")
        rel = posixpath.relpath(page, posixpath.dirname(page_src) or ".")
        return "[%s](%s)" % (m.group("text"), rel)
    return m.group("text")


def _hints(text, level, path, page_src):
    """Render a HINTS.md: the text before the first hint, one fold per
    numbered hint, then the rest with each "### failure" as terminal text.

    The split is the one `make lesson-NN hint` makes (tools/internal/hints):
    "## N. title" sections are the hints; the first other "## " section,
    and everything after it, is shown once the hints are all out."""
    intro, hints, rest = [], [], []
    fence = None
    for line in text.rstrip("\n").split("\n"):
        fence, in_code = _track_fence(line, fence)
        m = None if in_code else HINT.match(line)
        if m and not rest:
            hints.append((m.group("title"), []))
        elif not in_code and line.startswith("## ") and hints:
            rest.append(line)
        elif rest:
            rest.append(line)
        elif hints:
            hints[-1][1].append(line)
        else:  # the file's title and its first words, before the hints
            intro.append(line)
    if not hints:
        raise ValueError("%s: no numbered hints (\"## 1. title\") to show in %s" % (path, page_src))
    # _fit moves every heading of the file by the same step, so that its
    # title and its "When the test says…" part keep their order of rank.
    fitted_intro = _fit("\n".join(intro).strip("\n"), level, path, page_src)
    out = [fitted_intro, ""]
    for n, (title, body) in enumerate(hints, 1):
        # The fold's title is in double quotes: a quote in it would end it.
        out.append('??? tip "Hint %d of %d: %s"' % (n, len(hints), title.replace('"', "'")))
        out.append("")
        for l in _fit("\n".join(body).strip("\n"), level, path, page_src).split("\n"):
            out.append("    " + l if l else l)
        out.append("")
    if rest:
        out.append(_says(_fit("\n".join(rest), level, path, page_src)))
    return "\n".join(out)


def _says(text):
    """Turn each "### failure text" heading into a line that looks like the
    terminal: the quoted pieces in a monospace block, exactly as written."""
    out = []
    fence = None
    section = None  # the level of the section's own heading ("When the test says…")
    for line in text.split("\n"):
        fence, in_code = _track_fence(line, fence)
        m = None if in_code else re.match(r"^(?P<level>#{1,6})[ \t]+(?P<text>.+?)[ \t]*$", line)
        if m is None or section is None or len(m.group("level")) <= section:
            if m is not None:
                section = len(m.group("level"))
            out.append(line)
            continue
        pieces = [_unquote(p) for p in re.split(r'(?<=["`])[ \t]+or[ \t]+(?=["`])', m.group("text"))]
        codes = " or ".join('<code>%s</code>' % html.escape(p, quote=False) for p in pieces)
        out.append('<p class="test-says"><span class="test-says-label">The test says</span> %s</p>' % codes)
    return "\n".join(out)


def _unquote(piece):
    """ "text" -> text, `text` -> text; \\" inside -> " """
    piece = piece.strip()
    if len(piece) >= 2 and piece[0] == piece[-1] and piece[0] in '"`':
        piece = piece[1:-1]
    return piece.replace('\\"', '"')


# ---- 2. teaching pages in the nav -------------------------------------------

def on_nav(nav, config, files):
    from mkdocs.structure.nav import Section
    from mkdocs.structure.pages import Page

    lessons = [p for p in nav.pages if LESSON_PAGE.match(p.file.src_path)]
    teach = next((s for s in _sections(nav.items) if s.title == TEACHING_SECTION), None)
    if teach is None:
        return nav
    for lesson in lessons:
        m = LESSON_PAGE.match(lesson.file.src_path)
        f = files.get_file_from_path("instructor/%s.md" % m.group("slug"))
        if f is None or f.page in teach.children:
            continue
        page = f.page or Page(None, f, config)
        # "01 A blocking echo server" -> "Teaching 01: A blocking echo server"
        num, _, rest = (lesson.title or m.group("num")).partition(" ")
        page.title = "Teaching %s: %s" % (num, rest) if rest else "Teaching lesson %s" % num
        page.parent = teach
        teach.children.append(page)
    # Previous/next links follow the nav, which has grown.
    pages = _pages(nav.items)
    for prev, page, nxt in zip([None] + pages[:-1], pages, pages[1:] + [None]):
        page.previous_page, page.next_page = prev, nxt
    nav.pages = pages
    return nav


def _sections(items):
    for item in items:
        if getattr(item, "is_section", False):
            yield item
            yield from _sections(item.children)


def _pages(items):
    out = []
    for item in items:
        if getattr(item, "is_section", False):
            out.extend(_pages(item.children))
        elif getattr(item, "is_page", False):
            out.append(item)
    return out


# ---- 3. instructor pages out of the learners' search ------------------------

_excluded = set()


def on_page_context(context, page, config, nav):
    search = page.meta.get("search") if isinstance(page.meta, dict) else None
    if page.file.src_path.startswith("instructor/") or (isinstance(search, dict) and search.get("exclude")):
        _excluded.add(page.url)
    return context


@event_priority(-100)  # after the search plugin has written its index
def on_post_build(config):
    index = os.path.join(config["site_dir"], "search", "search_index.json")
    if not _excluded or not os.path.isfile(index):
        return
    with open(index, encoding="utf-8") as f:
        data = json.load(f)
    data["docs"] = [d for d in data["docs"] if d["location"].split("#")[0] not in _excluded]
    with open(index, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
    _excluded.clear()


# ---- 4. output blocks wrap between words only -------------------------------

OUTPUT_BLOCK = re.compile(
    r'(<div class="language-(?:text|console) highlight">.*?<code[^>]*>)(.*?)(</code>)', re.S)


def on_page_content(html_text, page, config, files):
    return OUTPUT_BLOCK.sub(lambda m: m.group(1) + _tokens(m.group(2)) + m.group(3), html_text)


def _tokens(code):
    # Only text between tags: the tags themselves (line spans) stay as they are.
    return re.sub(r"(?<=>)([^<]+)|^([^<]+)", lambda m: re.sub(
        r"\S+", lambda t: '<span class="tok">%s</span>' % t.group(0), m.group(0)), code)
