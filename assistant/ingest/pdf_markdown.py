"""The PDF loader's last step: blocks into the Markdown shape the parsers read (articles, divisions,
headings by size rank, paragraphs with their line breaks read, each page's footnotes after `---`), and
the offset where each page starts."""

from __future__ import annotations

import re
from collections import defaultdict

from ..records import ARTICLE_NUMBER
from .pdf_layout import CLOSED, LIST_START, ends_full, note_text, paragraph_blocks, split_notes
from .pdf_lines import Block, Line, Page


HEADING_SIZE = 1.12  # a heading is at least this share of the body size, or all bold
_ARTICLE_LINE = re.compile(rf"^Article\s+({ARTICLE_NUMBER})\b\s*(.*?)\s*$", re.IGNORECASE)
_DIVISION_LINE = re.compile(r"^(CHAPTER|PART|SECTION|TITLE|ANNEX)(?:\s+(?-i:[IVXLC]+|\d+|[A-Z])\b.*|\s*)$", re.IGNORECASE)
_TITLE_SEPARATOR = re.compile(r"^[-–—:.]\s*")
# What a line must not start with when it merely continues a paragraph: the parsers read it as structure.
_MD_START = re.compile(r"^(?:#|\d+\.(?:\s|$)|\(?(?:[a-z]|[ivx]+)\)|[-*_]{3,}\s*$|<sup>)")


def _heading_style(block: Block, body: float) -> float | None:
    """The style rank key of a heading block (its size; bold body text ranks below any bigger size)."""
    lines = block.lines
    if not re.search(r"[^\W\d_]", " ".join(ln.plain for ln in lines)):
        return None
    if all(ln.size >= body * HEADING_SIZE for ln in lines):
        return max(ln.size for ln in lines)
    length = sum(len(ln.plain) for ln in lines)
    if all(ln.bold for ln in lines) and all(ln.size >= body * 0.95 for ln in lines) and len(lines) <= 3 and length <= 200:
        return body
    return None


def _join(lines: list[str]) -> str:
    """A paragraph's lines, each joined to the one before as its line break reads."""
    out = _Joined(lines[0])
    for line in lines[1:]:
        out.glue(line)
    return out.text()


class _Joined:
    """Text built from lines and blocks in time linear in its length (a document is thousands of
    them): pieces are kept and joined once, and only the text's last characters are looked at."""

    def __init__(self, first: str = "") -> None:
        self.pieces = [first]
        self.length = len(first)
        self.tail = first[-4:]

    def add(self, piece: str) -> None:
        self.pieces.append(piece)
        self.length += len(piece)
        self.tail = (self.tail + piece)[-4:]

    def glue(self, nxt: str) -> None:
        """Add the line that follows a line break, joined as the break reads."""
        if self.tail.endswith("\u00ad"):  # a soft hyphen at a line's end only marks the break
            while not self.pieces[-1]:
                self.pieces.pop()
            self.pieces[-1] = self.pieces[-1][:-1]
            self.length -= 1
            self.tail = self.tail[:-1]
            self.add(nxt)
        elif re.search(r"[^\W_][-\u2010\u2013]$", self.tail) and nxt[:1].isalnum():
            self.add(nxt)  # the hyphen (or a range's dash) is the PDF's: keep it, and the word whole
        else:
            self.add((" " if _MD_START.match(nxt) else "\n") + nxt)

    def text(self) -> str:
        return "".join(self.pieces)


def _is_title(line: Line, after: Line | None, opens_block: bool, body: float) -> bool:
    """Whether the line after "Article N" is the article's title rather than its first words."""
    p = line.plain
    if not p or len(p) > 120 or _MD_START.match(p) or LIST_START.match(p) or p[-1] in ".;:," or not p[0].isupper():
        return False
    if line.styled or abs(line.size - body) > 0.1 * body:
        return True
    return after is None or opens_block or bool(re.match(r"^\d+\.(?:\s|$)", after.plain))


def _is_caption(line: Line) -> bool:
    p = line.plain
    return p.isupper() and len(p) <= 150 and not _DIVISION_LINE.match(p) and not _ARTICLE_LINE.match(p)


def _render(pages: list[Page], body: float) -> None:
    """Blocks into Markdown: articles, divisions, headings by size rank, paragraphs. Walks the lines
    in order, since an article's title may sit in the block after its "Article N" line."""
    styles = sorted({s for p in pages for b in p.blocks if (s := _heading_style(b, body)) is not None}, reverse=True)
    block_of: dict[int, Block] = {id(b.lines[0]): b for p in pages for b in p.blocks}
    seq = [(ln, k == 0) for p in pages for b in p.blocks for k, ln in enumerate(b.lines)]
    out: dict[int, list[Block]] = defaultdict(list)

    def opener(k: int) -> bool:
        return k >= len(seq) or seq[k][1]

    i = 0
    while i < len(seq):
        line = seq[i][0]
        j = i + 1  # the first line not consumed
        m = _ARTICLE_LINE.match(line.plain)
        d = _DIVISION_LINE.match(line.plain)
        if m and _is_article_line(line, m.group(2), opener(j)):
            md = [f"### Article {' '.join(m.group(1).split())}"]
            title = _TITLE_SEPARATOR.sub("", m.group(2)) if m.group(2) else ""
            if not title and j < len(seq):
                after = seq[j + 1][0] if j + 1 < len(seq) else None
                if _is_title(seq[j][0], after, opener(j + 1), body):
                    title = seq[j][0].text
                    j += 1
            if title:
                md.append(f"#### {title}")
            out[line.page].append(Block("heading", [line], "\n\n".join(md)))
        elif d and len(line.plain) <= 150 and (line.plain.isupper() or line.styled):
            md = [f"## {line.text}"]
            caption = []
            while j < len(seq) and len(caption) < 2 and _is_caption(seq[j][0]):
                caption.append(seq[j][0].text)
                j += 1
            if caption:
                md.append("#### " + " ".join(caption))
            out[line.page].append(Block("heading", [line], "\n\n".join(md)))
        elif (style := _heading_style(block_of[id(line)], body)) is not None:
            lines = block_of[id(line)].lines
            level = min(styles.index(style) + 1, 3)
            out[line.page].append(Block("heading", lines, "#" * level + " " + " ".join(ln.text for ln in lines)))
            j = i + len(lines)
        else:
            j = i  # a paragraph: nothing consumed yet
        k = j + 1 if j == i else j
        while not opener(k):
            k += 1
        rest = [ln for ln, _ in seq[j:k]]
        if rest:  # the paragraph, or what is left of a block after its heading lines
            out[rest[0].page].append(Block("body", rest, _join([ln.text for ln in rest])))
        i = k
    for n, page in enumerate(pages, 1):
        page.blocks = out.get(n, [])


def _is_article_line(line: Line, rest: str, alone: bool) -> bool:
    """"Article N" opening a block is a heading when nothing follows it on the line, or a title does
    (set off by a dash or colon, or in a heading's style); "Article 21 of the Convention ..." is not."""
    if not rest:
        return True
    if _TITLE_SEPARATOR.match(rest) or line.styled:
        return True
    return alone and rest[:1].isupper() and len(rest) <= 120 and rest[-1] not in ".;:,"


def _continues(prev: Page, page: Page) -> bool:
    """Whether the last paragraph of `prev` runs on to the first of `page` (no footnotes between)."""
    if prev.notes or not prev.blocks or not page.blocks or prev.blocks[-1].kind != "body" or page.blocks[0].kind != "body":
        return False
    last, first = prev.blocks[-1].lines[-1], page.blocks[0].lines[0]
    if LIST_START.match(first.plain) or _MD_START.match(first.plain):
        return False
    left = min(ln.x0 for b in page.blocks if b.kind == "body" for ln in b.lines)
    if first.x0 > left + 0.5 * first.size and abs(first.x0 - last.x0) > 0.5 * first.size:
        return False  # indented, unlike the line it would continue: a new paragraph
    if CLOSED.search(last.plain) and not first.plain[:1].islower():
        return False
    return ends_full(last, first, prev.right) or first.plain[:1].islower()


def to_markdown(pages: list[Page], body: float) -> tuple[str, list[int]]:
    split_notes(pages, body)
    paragraph_blocks(pages, body)
    _render(pages, body)
    text, starts = _Joined(), []
    previous: Page | None = None
    for page in pages:
        parts = [b.md for b in page.blocks]
        if previous is not None and parts and _continues(previous, page):
            text.glue(parts[0])
            starts.append(text.length - len(parts[0]))
            text.add("".join("\n\n" + p for p in parts[1:]))
        else:
            sep = "\n\n\n\n" if text.length and (parts or page.notes) else ""
            starts.append(text.length + len(sep))
            text.add(sep + "\n\n".join(parts))
        if page.notes:
            notes = "\n\n".join(f"<sup>{n}</sup> " + _join_notes(n, lines) for n, lines in page.notes)
            text.add(("\n\n---\n\n" if parts else "---\n\n") + notes)
        if parts or page.notes:
            previous = page
    return text.text(), starts


def _join_notes(n: int, lines: list[Line]) -> str:
    return _join([note_text(lines[0], n), *(ln.text for ln in lines[1:])])
