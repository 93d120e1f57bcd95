"""The HTML loader's reading of a page: site chrome (scripts, menus, headers, footers, sidebars, cookie
banners, breadcrumbs) dropped, the main content found (`<main>`, `[role=main]`, `<article>`, else the
element holding most of the text), footnotes told apart, and the content written as Markdown."""

from __future__ import annotations

import re
from typing import Any

from .markdown_writer import SPACE, MarkdownWriter


_BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "html", "li", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul",
}
_BLOCK_LIST = sorted(_BLOCKS)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_EMPHASIS = ("strong", "b", "em", "i")
_JUNK = ["script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "button", "input",
         "select", "textarea", "option", "datalist", "link", "meta", "map", "audio", "video", "img", "picture", "head"]
_CHROME_TAGS = {"nav", "aside", "footer", "menu", "dialog"}
_CHROME_ROLES = {"navigation", "menu", "menubar", "banner", "contentinfo", "complementary", "search", "dialog",
                 "alertdialog", "toolbar", "tablist"}
_CHROME_WORDS = {
    "nav", "navbar", "navigation", "menu", "menubar", "megamenu", "breadcrumb", "breadcrumbs", "sidebar", "sidenav",
    "cookie", "cookies", "consent", "gdpr", "skip", "skiplink", "share", "sharing", "social", "toolbar", "masthead",
    "topbar", "banner", "footer", "subscribe", "newsletter", "related", "popup", "modal", "overlay", "search",
    "pagination", "pager", "toc", "language", "languages", "ads", "advert", "advertisement",
}
_CONTENT_ROOTS = ("main", "article")
_NOTE_WORDS = {"footnote", "footnotes", "endnote", "endnotes", "notes", "footnotelist"}
# Ids of footnotes as converters write them: fn1, fn:1, _ftn1, ftn1, ftnt1, _edn1, footnote-1, cite_note-x-1.
_NOTE_ID = re.compile(r"^(?:_?ftnt?|_?edn|fn|footnote|endnote|note|cite_note)[-_:.]?(?:[a-z]+[-_])?(\d+)$", re.IGNORECASE)
_LABEL = re.compile(r"^\s*[\[(]?\s*(\d{1,4})\s*[\])]?\.?\s*$")
_LEADING_LABEL = re.compile(r"^\s*(?:\[(\d{1,4})\]\s*|(\d{1,4})[.)]\s+)")
_NOTES_HEADING = re.compile(r"^(?:foot|end)?notes?$|^references$", re.IGNORECASE)
_BACK_TEXT = {"↩", "↩︎", "^", "↑", "⤴"}


def _words(value: Any) -> set[str]:
    """Class/id/label tokens, split at punctuation and camelCase, lower-cased."""
    if isinstance(value, (list, tuple)):
        value = " ".join(value)
    value = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(value or ""))
    return {w for w in re.split(r"[^A-Za-z0-9]+", value.lower()) if w}


def _attr_words(tag) -> set[str]:
    return _words(tag.get("class")) | _words(tag.get("id")) | _words(tag.get("aria-label"))


def _text_len(tag) -> int:
    return len("".join(tag.get_text(" ").split()))


def _within(tag, ancestor) -> bool:
    return any(p is ancestor for p in tag.parents)


def _in_content(tag) -> bool:
    return any(p.name in _CONTENT_ROOTS or p.get("role") == "main" for p in tag.parents if p.name)


def _hidden(tag) -> bool:
    style = (tag.get("style") or "").replace(" ", "").lower()
    return (tag.has_attr("hidden") or tag.get("aria-hidden") == "true"
            or "display:none" in style or "visibility:hidden" in style)


def _holds_title(tag) -> bool:
    """A header that carries the document's own heading (not a logo link) is content."""
    return any(h.get_text(strip=True) and not h.find("a") for h in tag.find_all(["h1", "h2", "h3"]))


def _note_id(value: Any) -> int | None:
    value = str(value or "")
    m = _NOTE_ID.match(value)
    return int(m.group(1)) if m and "ref" not in value.lower() else None


class Page:
    def __init__(self, soup) -> None:
        self.soup = soup
        self.refs: dict[str, int] = {}  # fragment id inside a footnote -> the footnote's number
        self.notes: list[tuple[int, Any]] = []

    # footnotes -----------------------------------------------------------------------------------------

    def extract_notes(self) -> None:
        """Find the footnotes (a footnotes section, a list of fn1.. items, Word's footnote list, items that
        body links point to), number them as displayed, and take them out of the page."""
        soup = self.soup
        total = _text_len(soup) or 1
        items: list[tuple[int | None, Any]] = []
        seen: set[int] = set()  # ids of the elements inside a footnote (Tag equality is by content, not identity)
        for tag in soup.find_all(True):
            if id(tag) in seen:
                continue
            style = (tag.get("style") or "").replace(" ", "").lower()
            container = (tag.get("role") in ("doc-endnotes", "doc-footnotes") or "footnote-list" in style
                         or "endnote-list" in style
                         or (bool(_attr_words(tag) & _NOTE_WORDS) and tag.name not in ("a", "sup", "span", "p")))
            if container and _text_len(tag) < total / 2:
                found = self._container_items(tag)
                items += found
                seen |= {id(t) for t in (tag, *tag.find_all(True))}
        targets: dict[str, Any] = {}
        for tag in soup.find_all(True):
            for key in ("id", "name"):
                if isinstance(tag.get(key), str):
                    targets.setdefault(tag[key], tag)
        for a in soup.find_all("a", href=True):
            target = targets.get(a["href"][1:]) if a["href"].startswith("#") else None
            if target is None or id(target) in seen or id(a) in seen or _note_id(a["href"][1:]) is None:
                continue
            item = target if target.name in ("p", "li", "div", "dd") else target.find_parent(["p", "li", "div", "dd"])
            if item is None or item.name in ("body", "main", "article") or _within(a, item):
                continue
            parent = item.parent  # a note of several paragraphs in its own <div>
            if (parent is not None and parent.name == "div" and _text_len(parent) < 3000 and not _within(a, parent)
                    and sum(1 for t in parent.find_all(True) if _note_id(t.get("id") or t.get("name"))) == 1):
                item = parent
            items.append((None, item))
            seen |= {id(t) for t in (item, *item.find_all(True))}

        used: set[int] = set()
        for position, item in items:
            ids = [t[key] for t in (item, *item.find_all(True)) for key in ("id", "name")
                   if isinstance(t.get(key), str) and "ref" not in t[key].lower()]
            n = self._label(item) or position or self._id_number(item)
            if n is None or n in used:
                n = max(used, default=0) + 1
            used.add(n)
            self.notes.append((n, item))
            self.refs.update(dict.fromkeys(ids, n))
        parents = {id(item.parent): item.parent for _, item in items if item.parent is not None}
        for _, item in items:
            item.extract()
        for container in parents.values():
            # Drop the emptied footnotes section with its "Notes" heading and rule.
            before = None
            while container is not None and container.name not in ("body", "html", "[document]", "main", "article") \
                    and not (_text_len(container) - sum(_text_len(h) for h in container.find_all(list(_HEADINGS)))):
                parent, before = container.parent, container.find_previous_sibling()
                container.extract()
                container = parent
            if before is not None and before.name in _HEADINGS and _NOTES_HEADING.match(before.get_text(" ", strip=True)):
                before.extract()

    def _container_items(self, container) -> list[tuple[int | None, Any]]:
        lst = container if container.name in ("ol", "ul") else container.find(["ol", "ul"])
        if lst is not None:
            try:
                start = int(lst.get("start", 1))
            except ValueError:
                start = 1
            numbered = lst.name == "ol"  # an <ol> shows its items' numbers; a <ul> shows none
            return [(start + i if numbered else None, li) for i, li in enumerate(lst.find_all("li", recursive=False))]
        blocks = [c for c in container.find_all(True, recursive=False) if c.name not in _HEADINGS and c.name not in ("hr", "br")]
        while len(blocks) == 1 and blocks[0].find(["p", "div"]) is not None and not self._starts_note(blocks[0]):
            blocks = [c for c in blocks[0].find_all(True, recursive=False) if c.name not in _HEADINGS]
        out: list[tuple[int | None, Any]] = []
        for b in blocks:
            if not b.get_text(strip=True):
                continue
            if self._starts_note(b):
                out.append((None, b))
            elif out:
                out[-1][1].append(b.extract())  # a continuation paragraph belongs to the note before it
        return out

    def _starts_note(self, block) -> bool:
        return _note_id(block.get("id")) is not None or self._label(block, peek=True) is not None

    @staticmethod
    def _first_string(item):
        from bs4 import NavigableString

        return next((s for s in item.descendants if type(s) is NavigableString and s.strip()), None)

    def _label(self, item, peek: bool = False) -> int | None:
        """The number a note shows at its start (in a superscript or a link, or as '[n]' or 'n.'),
        taken out of its text unless peeking."""
        s = self._first_string(item)
        if s is None:
            return None
        marker = next((p for p in s.parents if p is item or p.name in ("sup", "a")), None)
        internal = marker is not None and (marker.name == "sup" or marker.get("href", "#").startswith("#"))
        if marker is not None and marker is not item and internal and (m := _LABEL.match(s)):
            outer = marker
            while outer.parent is not item and outer.parent.name in ("sup", "a", "span"):
                outer = outer.parent
            if not peek:
                outer.decompose()
            return int(m.group(1))
        if m := _LEADING_LABEL.match(s):
            if not peek:
                s.replace_with(s[m.end():])
            return int(m.group(1) or m.group(2))
        return None

    @staticmethod
    def _id_number(item) -> int | None:
        for t in (item, *item.find_all(True)):
            for key in ("id", "name"):
                if (n := _note_id(t.get(key))) is not None:
                    return n
        return None

    @staticmethod
    def _drop_backlinks(item) -> None:
        for a in item.find_all("a", href=True):
            href = a["href"]
            if (a.get("role") == "doc-backlink" or "back" in _attr_words(a) or a.get_text(strip=True) in _BACK_TEXT
                    or (href.startswith("#") and "ref" in href.lower())):
                a.decompose()

    # chrome and content ----------------------------------------------------------------------------------

    def drop_chrome(self) -> None:
        from bs4 import CData, NavigableString

        soup = self.soup
        for tag in soup.find_all(_JUNK):
            tag.decompose()
        for s in soup.find_all(string=True):
            if type(s) not in (NavigableString, CData):  # comments, doctype, processing instructions
                s.extract()
        total = _text_len(soup) or 1
        # Dropped tags are remembered here: bs4's `decomposed` searches a tag's subtree each time it is asked.
        gone: set[int] = set()

        def drop(tag) -> None:
            gone.update(id(t) for t in (tag, *tag.find_all(True)))
            tag.decompose()

        for tag in soup.find_all(True):
            if id(tag) in gone:
                continue
            if _hidden(tag):
                drop(tag)
                continue
            words = _attr_words(tag)
            marked = tag.name in _CHROME_TAGS or tag.get("role") in _CHROME_ROLES  # chrome by its markup
            named = bool(words & _CHROME_WORDS) or tag.name == "form"  # chrome by its class or id
            if not (marked or named) and (tag.name == "header" or "header" in words):
                marked = not _in_content(tag) and not _holds_title(tag)
            # Never drop what holds the content: a page-wide <form>, a "page-with-sidebar" wrapper.
            if not (marked or named) or tag.find(_CONTENT_ROOTS) is not None or tag.find(attrs={"role": "main"}) is not None:
                continue
            if marked or _text_len(tag) <= total / 2:
                drop(tag)

    def root(self):
        soup = self.soup
        node = soup.body or soup
        total = _text_len(node)
        mains = soup.find_all("main") + soup.find_all(attrs={"role": "main"})
        articles = soup.find_all("article")
        best = max(mains, key=_text_len) if mains else articles[0] if len(articles) == 1 else None
        if best is not None and _text_len(best) >= total / 4:  # not an empty shell the page's scripts fill
            return best
        while True:  # down to the element that holds (nearly) all the text
            total = _text_len(node)
            best = max(node.find_all(True, recursive=False), key=_text_len, default=None)
            if best is None or not total or _text_len(best) < 0.9 * total or best.name in _HEADINGS or best.name == "p":
                return node
            node = best

    # rendering -------------------------------------------------------------------------------------------

    def render(self, node, out: MarkdownWriter) -> None:
        """Blocks into `out`, runs of inline content between them as paragraphs. The walk keeps its
        own stack: Python's would limit how deep a page may nest, and the limit is a setting."""
        from bs4 import NavigableString, Tag

        run: list[Any] = []
        stack = [iter(node.children)]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                self._flush(run, out)
                run = []
            elif isinstance(child, Tag) and (child.name in _BLOCKS or child.find(_BLOCK_LIST) is not None):
                self._flush(run, out)
                run = []
                if not self._block(child, out):
                    stack.append(iter(child.children))
            elif isinstance(child, (Tag, NavigableString)):
                run.append(child)

    def _flush(self, run: list[Any], out: MarkdownWriter) -> None:
        text = "".join(self.inline(n) for n in run)
        if text.strip():
            out.paragraph(text, emphasised=self._emphasised(run))

    @staticmethod
    def _emphasised(run: list[Any]) -> bool:
        """All the run's words are bold or italic."""
        from bs4 import NavigableString

        strings = [s for n in run for s in ([n] if isinstance(n, NavigableString) else n.find_all(string=True)) if s.strip()]
        return bool(strings) and all(s.find_parent(_EMPHASIS) is not None for s in strings)

    def _block(self, tag, out: MarkdownWriter) -> bool:
        """Write a heading, a table of rows or preformatted text; False for a block whose children
        are rendered in turn."""
        if tag.name in _HEADINGS:
            out.heading(_HEADINGS[tag.name], self.inline(tag, flatten=True))
        elif tag.name == "table" and not self._layout_table(tag):
            out.rows([[self.inline(cell, flatten=True) for cell in row.find_all(["td", "th"], recursive=False)]
                      for row in tag.find_all("tr") if row.find_parent("table") is tag])
        elif tag.name == "pre":
            out.paragraph(tag.get_text())
        else:
            return tag.name == "hr"
        return True

    @staticmethod
    def _layout_table(table) -> bool:
        """A table used for layout (one column, whole sections in cells) is read as blocks, not rows."""
        rows = [r for r in table.find_all("tr") if r.find_parent("table") is table]
        if not rows or table.find(["table", *_HEADINGS]) is not None:
            return True
        cells = [r.find_all(["td", "th"], recursive=False) for r in rows]
        return all(len(c) <= 1 for c in cells) or any(_text_len(c) > 600 for row in cells for c in row)

    def inline(self, node, flatten: bool = False) -> str:
        """The node's text on one line (`flatten`) or with its line breaks; a block inside is set off
        by spaces. Walked with a stack of its own, as `render` is."""
        out: list[str] = []
        stack: list[Any] = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, tuple):  # the end of a block inside
                out.append(item[0])
                continue
            text = self._leaf(item, flatten)
            if text is not None:
                out.append(text)
                continue
            if item.name in _BLOCKS:
                out.append(" ")
                stack.append((" ",))
            stack.extend(reversed(item.contents))
        return "".join(out)

    def _leaf(self, node, flatten: bool) -> str | None:
        """What a string, a line break or a footnote marker reads as; None for an element whose
        children are read in turn."""
        from bs4 import CData, NavigableString

        if isinstance(node, NavigableString):
            return SPACE.sub(" ", str(node)) if type(node) in (NavigableString, CData) else ""
        name = node.name
        if name == "br":
            return " " if flatten else "\n"
        href = node.get("href", "") if name == "a" else ""
        if name == "sup":
            link = node.find("a", href=True)
            if link is not None and link["href"][1:] in self.refs and link["href"].startswith("#"):
                return f"<sup>{self.refs[link['href'][1:]]}</sup>"
            if m := _LABEL.match(node.get_text()):
                return f"<sup>{int(m.group(1))}</sup>"
        if href.startswith("#") and href[1:] in self.refs:
            return f"<sup>{self.refs[href[1:]]}</sup>"
        return None

    def render_notes(self, out: MarkdownWriter) -> None:
        for n, item in self.notes:
            self._drop_backlinks(item)
            sub = MarkdownWriter()
            self.render(item, sub)
            out.note(n, [re.sub(r"^#+\s*", "", b) for b in sub.blocks])
