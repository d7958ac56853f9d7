"""MkDocs hooks for the Echo Workbook's site (mkdocs.yml: hooks).

Pages show a lesson's README.md and HINTS.md by including the real files,
with the same line pymdownx.snippets uses for code:

    --8<-- "lessons/01-blocking-echo/README.md"

Snippets would paste such a file as it is, and its "# Lesson 01" title
would become a second page title: it breaks the page's table of contents
and its look. So this hook includes Markdown files itself, before
snippets runs, and fits them into the page:

- headings move down so that the file's top heading sits one level under
  the section that includes it (lines inside code fences are left alone);
- relative links, which point into the repository and not into the site
  (and would fail the strict build), become links to the lesson's page
  when they point to a lesson's README.md, and plain text otherwise;
- a missing file fails the build, as snippets' check_paths does.

Code (.go, .txt, ...) is still included by pymdownx.snippets. Only the
hooks API of MkDocs 1.4 is used, so this works on Debian's 1.4.2 and on
current releases alike.
"""

import os
import posixpath
import re

INCLUDE = re.compile(r'^(?P<indent>[ \t]*)-{2,}8<-{2,}[ \t]+"(?P<path>[^"]+\.md)"[ \t]*$')
HEADING = re.compile(r"^(#{1,6})([ \t]+.*)$")
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<href>[^)\s]+)\)")
LESSON_README = re.compile(r"^lessons/(?P<slug>\d\d-[a-z0-9-]+)/README\.md$")


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
