"""HTML loader: the page's main content, converted to the Markdown shape the parsers read.

Site chrome (scripts, menus, headers, footers, sidebars, cookie banners, breadcrumbs) is dropped; the
main content (`<main>`, `[role=main]`, `<article>`, else the element holding most of the text) becomes
`#` headings, paragraphs separated by blank lines, table rows with cells joined by " | ", footnote
markers `<sup>n</sup>`, and the footnotes after a `---` rule at the end. "Article N" headings become
`### Article N` (+ `#### Title`), the treaty parser's shape. Words are kept as the page has them.

`MarkdownWriter` is shared with the DOCX loader."""

from __future__ import annotations

import codecs
import hashlib
import re
from pathlib import Path
from typing import Any

from ..errors import CorpusError
from ..records import ARTICLE_NUMBER, Loaded
from ..registry import LOADERS
from ..settings import Limits
from .limits import refuse
from .symbols import find_symbol
from .text import read_bytes

# --- the Markdown shape, shared with the DOCX loader -------------------------------------------------

_ARTICLE = re.compile(rf"^Article\s+({ARTICLE_NUMBER})\s*(?:[-–—:.]\s*(.*?))?\s*$", re.IGNORECASE)
_DIVISION = re.compile(r"^(?:CHAPTER|PART|SECTION|TITLE|ANNEX)\s+(?:[IVXLC]+|\d+|[A-Z])\b", re.IGNORECASE)
_RULE_ONLY = re.compile(r"^\s*(?:[-*_=]\s*){3,}$")
_NUMBERED = re.compile(r"^\s*(?:\d+\.|\(?[a-z]\))\s")
_SPACE = re.compile(r"\s+")
SHORT = 150  # characters: a paragraph this short may be a caption


def _tidy(text: str) -> list[str]:
    """Lines of a block: whitespace folded, empty lines and rule-only lines dropped, a leading '#'
    escaped (`clean` removes the backslash, so the words stay the document's)."""
    out = []
    for line in text.split("\n"):
        line = _SPACE.sub(" ", line).strip()
        if not line or _RULE_ONLY.match(line):
            continue
        out.append("\\" + line if line.startswith("#") else line)
    return out


class MarkdownWriter:
    """Collects headings, paragraphs, table rows and notes, and writes them in the parsers' shape."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.notes: dict[int, list[str]] = {}
        self.headings: list[tuple[int, str]] = []  # (level, text) as given, for titles
        self._expect: tuple[str, int] | None = None  # ("article" | "division", level) awaiting a caption

    def heading(self, level: int, text: str) -> None:
        text = " ".join(text.split())
        if not text:
            return
        self.headings.append((level, text))
        if m := _ARTICLE.match(text):
            self._article(m)
        elif _DIVISION.match(text):
            level = min(max(level, 2), 4)  # the treaty parser reads divisions at ## to ####
            self.blocks.append(f"{'#' * level} {text}")
            self._expect = ("division", level)
        elif self._expect is not None:
            self._caption(text)
        else:
            self.blocks.append(f"{'#' * min(max(level, 1), 6)} {text}")

    def _caption(self, text: str) -> None:
        kind, level = self._expect or ("article", 3)
        self._expect = None
        self.blocks.append(f"{'#' * (4 if kind == 'article' else min(level + 1, 6))} {text}")

    def _article(self, m: re.Match) -> None:
        number = " ".join(m.group(1).split())
        self.blocks.append(f"### Article {number}")
        if m.group(2):
            self.blocks.append(f"#### {m.group(2)}")
            self._expect = None
        else:
            self._expect = ("article", 3)

    def paragraph(self, text: str, emphasised: bool = False) -> None:
        lines = _tidy(text)
        if not lines:
            return
        one = " ".join(lines)
        short = len(lines) == 1 and len(one) <= SHORT
        if short and (m := _ARTICLE.match(one)) and (emphasised or not m.group(2)):
            self._article(m)
            return
        # A short emphasised (or upper-case) line with no sentence end reads as a caption.
        caption = short and (emphasised or one.isupper()) and not _NUMBERED.match(one) and not one.endswith((".", ";", ","))
        if caption and _DIVISION.match(one):
            self.blocks.append(f"## {one}")
            self._expect = ("division", 2)
        elif caption and self._expect is not None:
            self._caption(one)
        else:
            self._expect = None
            self.blocks.append("\n".join(lines))

    def rows(self, rows: list[list[str]]) -> None:
        lines = []
        for cells in rows:
            cells = [" ".join(c.split()) for c in cells]
            while cells and not cells[-1]:
                cells.pop()
            if any(cells):
                lines.append(" | ".join(cells))
        if lines:
            self.paragraph("\n".join(lines))

    def note(self, n: int, paragraphs: list[str]) -> None:
        blocks = ["\n".join(_tidy(p)) for p in paragraphs]
        blocks = [b for b in blocks if b]
        if n in self.notes:
            self.notes[n] += blocks
        else:
            self.notes[n] = blocks

    def text(self) -> str:
        out = list(self.blocks)
        if self.notes:
            out.append("---")
            for n in sorted(self.notes):
                body = self.notes[n] or [""]
                out.append(f"<sup>{n}</sup> {body[0]}".rstrip())
                out.extend(body[1:])
        return "\n\n".join(out) + "\n"

    def has_text(self) -> bool:
        return bool(self.blocks or self.notes)


# --- decoding -----------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:\-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)", re.IGNORECASE)
_MAGIC = {
    b"%PDF": "a PDF file: rename it to .pdf",
    b"PK\x03\x04": "a zip package (a DOCX?): rename it to .docx if it is a Word document",
    b"\xd0\xcf\x11\xe0": "an old Office (OLE) file: save it as .docx or as a web page",
}


def _decode(path: Path, data: bytes) -> str:
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise CorpusError(f"{path}: HTML not decodable as {codec} (byte {exc.start}): re-save the page as UTF-8") from None
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise CorpusError(f"{path}: not an HTML page but {what}")
    if b"\x00" in data[:65536]:
        raise CorpusError(f"{path}: binary data in an HTML file: give the page's HTML source, or the document as PDF or DOCX")
    head = data[:4096]
    m = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    declared = m.group(1).decode("ascii").lower() if m else ""
    codec = "utf-8"
    if declared:
        try:
            codec = codecs.lookup(declared).name
        except LookupError:
            codec = "utf-8"
    if codec in ("iso8859-1", "ascii", "latin-1"):
        codec = "cp1252"  # as browsers do: these labels mean windows-1252
    elif codec.startswith(("utf-16", "utf-32")):
        codec = "utf-8"  # a page without a BOM is ASCII-compatible, whatever it declares
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        if codec == "cp1252":
            return data.decode("latin-1")  # the five bytes windows-1252 leaves undefined
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            said = f"neither as its declared {declared} nor as UTF-8" if declared else "as UTF-8, and it declares no charset"
            raise CorpusError(f"{path}: HTML not decodable {said} (byte {exc.start}): "
                              "declare its charset in a <meta charset> tag or convert it to UTF-8") from None


# --- page structure -----------------------------------------------------------------------------------

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


class _Page:
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
            return _SPACE.sub(" ", str(node)) if type(node) in (NavigableString, CData) else ""
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


def _depth(soup) -> int:
    """How deep the page's elements nest, in one pass: what follows walks up and down the tree, at a
    cost that grows with the depth."""
    from bs4 import Tag

    depth = {id(soup): 0}
    deepest = 0
    for tag in soup.descendants:
        if isinstance(tag, Tag):
            depth[id(tag)] = depth[id(tag.parent)] + 1
            deepest = max(deepest, depth[id(tag)])
    return deepest


def _meta_content(soup, *names: str) -> str:
    metas = {}
    for tag in soup.find_all("meta"):
        key = str(tag.get("name") or tag.get("property") or "").lower()
        if key and (tag.get("content") or "").strip():
            metas.setdefault(key, " ".join(tag["content"].split()))
    return next((metas[n.lower()] for n in names if n.lower() in metas), "")


@LOADERS.register(".html")
@LOADERS.register(".htm")
@LOADERS.register(".xhtml")
def load_html(path: Path, limits: Limits) -> Loaded:
    data = read_bytes(path, limits.max_file_mb)
    text = _decode(path, data)
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    depth = _depth(soup)
    if depth > limits.max_depth:
        raise refuse(path, f"its elements nest {depth} deep", f"{limits.max_depth}-level", "max_depth")
    meta_title = _meta_content(soup, "DC.title", "dcterms.title", "citation_title", "og:title")
    meta_symbol = find_symbol([_meta_content(soup, "DC.identifier", "dcterms.identifier", "symbol", "document-symbol",
                                             "citation_technical_report_number")])
    page_title = " ".join(soup.title.get_text().split()) if soup.title else ""

    page = _Page(soup)
    page.extract_notes()
    page.drop_chrome()
    out = MarkdownWriter()
    page.render(page.root(), out)
    page.render_notes(out)
    if not out.has_text():
        raise CorpusError(f"{path}: no text content in this HTML page (only scripts, menus or markup): "
                          "save the page with its text, or give the document as PDF or DOCX")
    h1 = next((t for level, t in out.headings if level == 1), "")
    title = meta_title or h1 or page_title or (out.headings[0][1] if out.headings else "")
    cover = [t for _, t in out.headings[:6]] + [b for b in out.blocks[:12] if len(b) <= 80]
    symbol = meta_symbol or find_symbol([page_title]) or find_symbol(cover)
    meta = {k: v for k, v in (("symbol", symbol), ("title", title)) if v}
    return Loaded(out.text(), hashlib.sha256(data).hexdigest(), [], meta, paged=False)
