"""PDF loader: the PDF's text layer converted to the Markdown shape the parsers read, words kept.

Each page's characters (from pdfplumber, with font size, font name and position) are grouped into
lines; running headers, footers and page numbers are dropped; the footnotes at the foot of a page are
told from the body by their smaller font and leading number. The body becomes Markdown:

- `### Article N` (and `#### Title`) for "Article N" lines, `## CHAPTER I` for upper-case division
  lines (with an upper-case caption line after them as `#### CAPTION`);
- `#`/`##`/`###` headings for short lines in a larger font or all in bold, by size rank;
- paragraphs: lines joined by single newlines, paragraphs separated by a blank line (told apart by
  vertical gaps, indentation and lines that end short);
- footnote markers (smaller digits raised above the baseline) as `<sup>n</sup>`;
- a page's footnotes after `\\n\\n---\\n\\n` as `<sup>n</sup> text` blocks, then three blank lines
  before the next page's body (the shape of corpus/derechos-digitales-apc-ahc5-submission.md).

Words are kept as the PDF has them. A line that ends in a hyphen after a letter is glued to the next
line with the hyphen kept ("co-" + "operate" gives "co-operate"; a word a typesetter split with a hard
hyphen stays "legisla-tion": no join is invented); a soft hyphen (U+00AD) at a line's end is a
line-break hyphen, so it is dropped and the word joined. Latin ligature characters (U+FB00-FB06) are
spelled out. A wrapped line that would read as Markdown structure at a line's start (`1. `, `(a)`,
`#`, `---`, `<sup>`) is joined to its paragraph with a space instead of a newline.

`Loaded.pages` holds the offset where each page starts in the text; a paragraph that runs over a page
break without footnotes in between is one paragraph whose second part starts page n+1.

Not handled: multi-column layouts (lines are read across the page), tables, rotated text (dropped)."""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
import math
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CorpusError
from ..records import ARTICLE_NUMBER, Loaded
from ..registry import LOADERS
from ..settings import Limits
from .limits import check_pages
from .symbols import SYMBOL
from .text import read_bytes

MARGIN_BAND = 0.12  # top and bottom share of a page where running headers, footers and page numbers sit
REPEAT_SHARE = 0.4  # a margin line repeated on this share of pages (at least 2) is a running header/footer
SUP_SIZE = 0.85  # a footnote marker is drawn at most this share of the line's size...
SUP_RAISE = 0.15  # ...with its foot at least this share of the size above the baseline
NOTE_SIZE = 0.92  # footnote lines are drawn smaller than this share of the body size
HEADING_SIZE = 1.12  # a heading is at least this share of the body size, or all bold
PARA_GAP = 1.35  # a baseline step this many times the usual line pitch opens a new paragraph

_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_ITALIC = re.compile(r"italic|oblique", re.IGNORECASE)
_ROMAN = r"(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
_PAGE_NUMBER = re.compile(
    rf"^(?:page|p\.|pg\.?)?\s*[-–—]?\s*(?:\d{{1,4}}|{_ROMAN})\s*[-–—]?\s*(?:(?:/|of)\s*\d{{1,4}})?$", re.IGNORECASE)
_ARTICLE_LINE = re.compile(rf"^Article\s+({ARTICLE_NUMBER})\b\s*(.*?)\s*$", re.IGNORECASE)
_DIVISION_LINE = re.compile(r"^(CHAPTER|PART|SECTION|TITLE|ANNEX)(?:\s+(?-i:[IVXLC]+|\d+|[A-Z])\b.*|\s*)$", re.IGNORECASE)
_TITLE_SEPARATOR = re.compile(r"^[-–—:.]\s*")
_NOTE_NUMBER = re.compile(r"^(\d{1,3})[.)]?\s+(?=\S)")
# What a line must not start with when it merely continues a paragraph: the parsers read it as structure.
_MD_START = re.compile(r"^(?:#|\d+\.(?:\s|$)|\(?(?:[a-z]|[ivx]+)\)|[-*_]{3,}\s*$|<sup>)")
_LIST_START = re.compile(r"^(?:\d+\.(?:\s|$)|\(?(?:[a-z]|[ivx]+)\)|[•·▪–-]\s)")
_CLOSED = re.compile(r"[.!?:;”\"')\]]$")


@dataclass
class _Line:
    page: int
    text: str  # with footnote markers as <sup>n</sup>
    plain: str  # without them
    lead_note: int | None  # a raised number that opens the line
    x0: float
    x1: float
    top: float
    base: float
    size: float
    bold: bool
    italic: bool
    first_word: float  # width of the first word, to tell a wrapped line from a short one

    @property
    def styled(self) -> bool:
        return self.bold or self.italic


@dataclass
class _Block:
    kind: str  # "body" or "heading"
    lines: list[_Line]
    md: str = ""


@dataclass
class _Page:
    height: float
    lines: list[_Line] = field(default_factory=list)
    body: list[_Line] = field(default_factory=list)
    notes: list[tuple[int, list[_Line]]] = field(default_factory=list)
    blocks: list[_Block] = field(default_factory=list)
    right: float = 0.0


@LOADERS.register(".pdf")
def load_pdf(path: Path, limits: Limits) -> Loaded:
    data = read_bytes(path, limits.max_file_mb)
    sha = hashlib.sha256(data).hexdigest()
    if b"%PDF-" not in data[:1024]:
        raise CorpusError(f"{path}: not a PDF (no %PDF header): download it again, or give the file its real extension")
    if b"%%EOF" not in data[-4096:]:
        raise CorpusError(f"{path}: PDF is truncated (no %%EOF end marker): download or export the file again")
    pages = _read_pages(path, data, limits.max_pages)
    symbol = _symbol(pages[0])  # before the margins go: a UN symbol is often the running header
    _strip_margins(pages)
    body = _body_size(pages)
    text, starts = _markdown(pages, body)
    if not text.strip():
        raise CorpusError(f"{path}: PDF has no text besides headers and page numbers: run OCR first (e.g. ocrmypdf) and add the result")
    meta = {k: v for k, v in (("symbol", symbol), ("title", _title(pages[0], body))) if v}
    return Loaded(text, sha, pages=starts, meta=meta)


# --- reading -------------------------------------------------------------------------------------

def _read_pages(path: Path, data: bytes, max_pages: int) -> list[_Page]:
    import pdfplumber  # only loading a PDF needs it
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # its warnings on odd files are not the user's business
    pages: list[_Page] = []
    images = 0
    cids = chars_seen = 0
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if not pdf.pages:
                raise CorpusError(f"{path}: PDF has no pages: download or export the file again")
            check_pages(path, _count_pages(pdf.doc, max_pages), max_pages)
            for number, page in enumerate(pdf.pages, 1):
                images += len(page.images)
                chars, drawn = [], set()
                for c in page.chars:
                    if not c.get("upright", True) or c["bottom"] < 0 or c["top"] > page.height:
                        continue
                    key = (c["text"], round(c["x0"]), round(c["top"]), round(c["size"]))
                    if key in drawn:  # text drawn twice over itself (a poor man's bold)
                        continue
                    drawn.add(key)
                    chars_seen += 1
                    if c["text"].startswith("(cid:"):
                        cids += 1
                        continue
                    chars.append(c)
                pages.append(_Page(height=float(page.height), lines=_group_lines(number, chars)))
                page.close()  # its layout objects: kept, they would hold every page's in memory at once
    except (CorpusError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001  (a parser on a file from anywhere: any failure is the file's)
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
        if isinstance(cause, PDFPasswordIncorrect):
            raise CorpusError(f"{path}: PDF is encrypted with a password: save an unprotected copy (e.g. `qpdf --decrypt --password=... in.pdf out.pdf`) and add that") from None
        if isinstance(cause, PDFEncryptionError):
            raise CorpusError(f"{path}: PDF uses an encryption this reader does not support: save an unprotected copy and add that") from None
        detail = " ".join(str(cause).split())[:120] or type(cause).__name__
        raise CorpusError(f"{path}: cannot read the PDF ({detail}): the file is corrupt or not a PDF; download or export it again") from None
    if chars_seen and cids > chars_seen / 2:
        raise CorpusError(f"{path}: the PDF's text cannot be decoded (fonts without a Unicode map): run OCR first (e.g. ocrmypdf --force-ocr) and add the result")
    if not any(p.lines for p in pages):
        what = "scanned PDF with no text layer" if images else "PDF has no text layer"
        raise CorpusError(f"{path}: {what}: run OCR first (e.g. ocrmypdf) and add the result")
    return pages


def _count_pages(doc, max_pages: int) -> int:
    """The pages, counted without building them and only up to one past the limit (a page tree may
    hold millions of empty pages); past it, the count the file declares when that is larger."""
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdftypes import resolve1

    seen = sum(1 for _ in itertools.islice(PDFPage.create_pages(doc), max_pages + 1))
    if seen <= max_pages:
        return seen
    try:
        declared = resolve1(resolve1(doc.catalog["Pages"])["Count"])
    except (KeyError, TypeError, AttributeError):
        declared = None
    return declared if isinstance(declared, int) and declared > seen else seen


def _size(c: dict) -> float:
    return round(float(c["size"]), 1)


def _group_lines(page: int, chars: list[dict]) -> list[_Line]:
    """Characters into lines: a character joins the line its box overlaps most (half its height at least)."""
    rows: list[list] = []  # [top, bottom, size, chars]
    for c in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        h = max(0.1, c["bottom"] - c["top"])
        best, best_overlap = None, 0.0
        for row in rows[-6:]:
            overlap = (min(row[1], c["bottom"]) - max(row[0], c["top"])) / max(0.1, min(h, row[1] - row[0]))
            if overlap > best_overlap:
                best, best_overlap = row, overlap
        if best is not None and best_overlap >= 0.5:
            best[3].append(c)
            size = _size(c)
            if size > best[2] * 1.1:  # a bigger character defines the line
                best[0], best[1], best[2] = c["top"], c["bottom"], size
            elif size >= best[2] * 0.9:
                best[0], best[1] = min(best[0], c["top"]), max(best[1], c["bottom"])
        else:
            rows.append([c["top"], c["bottom"], _size(c), [c]])
    lines = [_make_line(page, sorted(row[3], key=lambda c: c["x0"])) for row in rows]
    return sorted((ln for ln in lines if ln is not None), key=lambda ln: (ln.base, ln.x0))


def _make_line(page: int, chars: list[dict]) -> _Line | None:
    ink = [c for c in chars if not c["text"].isspace()]
    if not ink:
        return None
    size = Counter(_size(c) for c in ink).most_common(1)[0][0]
    base = statistics.median(c["bottom"] for c in ink if abs(_size(c) - size) <= 0.5)

    def raised(c: dict) -> bool:
        return c["text"].isdigit() and _size(c) <= size * SUP_SIZE and c["bottom"] < base - size * SUP_RAISE

    text, plain = [], []
    lead_note: int | None = None
    space = False
    prev: dict | None = None
    i = 0
    while i < len(chars):
        c = chars[i]
        if c["text"].isspace():
            space = bool(text)
            prev = c
            i += 1
            continue
        if prev is not None and not space and c["x0"] - prev["x1"] > 0.15 * min(_size(c), _size(prev)):
            space = True
        gap = " " if space and text else ""
        if raised(c):
            j = i
            while j < len(chars) and raised(chars[j]):
                j += 1
            number = "".join(ch["text"] for ch in chars[i:j])
            if not text:
                lead_note = int(number)
            text.append(f"{gap}<sup>{number}</sup>")
            plain.append(gap)
            prev, space, i = chars[j - 1], False, j
            continue
        glyphs = c["text"].translate(_LIGATURES)
        text.append(gap + glyphs)
        plain.append(gap + glyphs)
        prev, space = c, False
        i += 1
    first = ink[0]
    first_word_end = first["x1"]
    for c in chars[chars.index(first):]:
        if c["text"].isspace():
            break
        first_word_end = c["x1"]
    body_ink = [c for c in ink if not raised(c)] or ink
    return _Line(
        page=page, text="".join(text).strip(), plain="".join(plain).strip(), lead_note=lead_note,
        x0=first["x0"], x1=max(c["x1"] for c in ink), top=min(c["top"] for c in ink), base=base, size=size,
        bold=all(_BOLD.search(c.get("fontname", "")) for c in body_ink),
        italic=all(_ITALIC.search(c.get("fontname", "")) for c in body_ink),
        first_word=first_word_end - first["x0"],
    )


# --- layout ---------------------------------------------------------------------------------------

def _strip_margins(pages: list[_Page]) -> None:
    """Drop running headers and footers (a margin line repeated, digits aside, at the same place on
    several pages) and page numbers (a number alone at the page's top or foot)."""
    seen: dict[str, list[tuple[int, float]]] = defaultdict(list)
    candidates: list[tuple[int, _Line, str, float, bool]] = []  # page, line, key, distance from the edge, extreme
    for n, page in enumerate(pages):
        band = page.height * MARGIN_BAND
        lines = page.lines
        taken: set[int] = set()
        for k, line in enumerate(lines[:3]):
            if line.top < band:
                candidates.append((n, line, "top:" + _digitless(line.plain), line.top, k < 2))
                taken.add(id(line))
        for k, line in enumerate(reversed(lines[-3:])):
            if line.base > page.height - band and id(line) not in taken:
                candidates.append((n, line, "foot:" + _digitless(line.plain), page.height - line.base, k < 2))
    for n, _, key, dist, _ in candidates:
        seen[key].append((n, dist))
    need = max(2, math.ceil(len(pages) * REPEAT_SHARE))
    drop: set[int] = set()
    for _, line, key, dist, extreme in candidates:
        repeated = len({n for n, d in seen[key] if abs(d - dist) <= 4}) >= need
        if (len(pages) > 1 and repeated) or (extreme and _PAGE_NUMBER.match(line.plain)):
            drop.add(id(line))
    for page in pages:
        page.lines = [ln for ln in page.lines if id(ln) not in drop]


def _digitless(text: str) -> str:
    return " ".join(re.sub(r"\d+", "#", text.lower()).split())


def _body_size(pages: list[_Page]) -> float:
    sizes: Counter = Counter()
    for page in pages:
        for line in page.lines:
            sizes[line.size] += len(line.plain)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _split_notes(pages: list[_Page], body: float) -> None:
    """Footnotes: the run of smaller lines at a page's foot, from the first that starts with a number;
    lines that start with no new number continue the footnote before them."""
    previous_notes: list[tuple[int, list[_Line]]] = []
    for page in pages:
        lines = page.lines
        i = len(lines)
        while i > 0 and lines[i - 1].size < body * NOTE_SIZE:
            i -= 1
        run = lines[i:]
        notes: list[tuple[int, list[_Line]]] = []
        start = next((k for k, ln in enumerate(run) if _note_number(ln, None) is not None), None)
        if start is None:
            if run and previous_notes and run[0].top > page.height / 2:
                previous_notes[-1][1].extend(run)  # a footnote running over from the page before
                page.body = lines[:i]
            else:
                page.body = lines
        else:
            page.body = lines[:i] + run[:start]
            for line in run[start:]:
                n = _note_number(line, notes[-1][0] if notes else None)
                if n is not None:
                    notes.append((n, [line]))
                else:
                    notes[-1][1].append(line)
        page.notes = notes
        previous_notes = notes


def _note_number(line: _Line, last: int | None) -> int | None:
    if line.lead_note is not None:
        return line.lead_note
    m = _NOTE_NUMBER.match(line.plain)
    if m and (last is None or int(m.group(1)) == last + 1):
        return int(m.group(1))
    return None


def _note_text(line: _Line, n: int) -> str:
    if line.lead_note is not None:
        return re.sub(r"^<sup>\d+</sup>\s*", "", line.text)
    return _NOTE_NUMBER.sub("", line.text, count=1) if line.plain.startswith(str(n)) else line.text


def _pitch(pages: list[_Page], body: float) -> float:
    """The usual baseline step between the lines of a paragraph: the commonest step of body lines."""
    steps: list[float] = []
    for page in pages:
        for prev, line in zip(page.body, page.body[1:]):
            step = line.base - prev.base
            if abs(line.size - body) < 0.5 and abs(prev.size - body) < 0.5 and 0 < step < 3 * body:
                steps.append(round(step * 2) / 2)
    if not steps:
        return body * 1.2
    counts = Counter(steps).most_common()
    return min(step for step, n in counts if n == counts[0][1])


def _full(prev: _Line, line: _Line, right: float) -> bool:
    """Whether `prev` ended because `line`'s first word did not fit on it (a wrapped line)."""
    return prev.x1 + 0.3 * prev.size + line.first_word >= right - 0.5 * prev.size


def _new_block(prev: _Line, line: _Line, right: float, pitch: float, body: float) -> bool:
    size = max(prev.size, line.size)
    if line.base - prev.base > PARA_GAP * pitch * size / body:
        return True
    if abs(line.size - prev.size) > 0.1 * body or line.bold != prev.bold or line.italic != prev.italic:
        return True
    if _full(prev, line, right):
        return False
    if abs(line.x0 - prev.x0) > 0.8 * line.size or _LIST_START.match(line.plain):
        return True
    return bool(_CLOSED.search(prev.plain)) and line.plain[:1].isupper() or line.plain[:1].isdigit()


def _blocks(pages: list[_Page], body: float) -> None:
    pitch = _pitch(pages, body)
    for page in pages:
        sized = [ln.x1 for ln in page.body if abs(ln.size - body) < 0.5] or [ln.x1 for ln in page.body] or [0.0]
        page.right = max(sized)
        current: list[_Line] = []
        for line in page.body:
            if current and _new_block(current[-1], line, page.right, pitch, body):
                page.blocks.append(_Block("body", current))
                current = []
            current.append(line)
        if current:
            page.blocks.append(_Block("body", current))


def _heading_style(block: _Block, body: float) -> float | None:
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


def _is_title(line: _Line, after: _Line | None, opens_block: bool, body: float) -> bool:
    """Whether the line after "Article N" is the article's title rather than its first words."""
    p = line.plain
    if not p or len(p) > 120 or _MD_START.match(p) or _LIST_START.match(p) or p[-1] in ".;:," or not p[0].isupper():
        return False
    if line.styled or abs(line.size - body) > 0.1 * body:
        return True
    return after is None or opens_block or bool(re.match(r"^\d+\.(?:\s|$)", after.plain))


def _is_caption(line: _Line) -> bool:
    p = line.plain
    return p.isupper() and len(p) <= 150 and not _DIVISION_LINE.match(p) and not _ARTICLE_LINE.match(p)


def _render(pages: list[_Page], body: float) -> None:
    """Blocks into Markdown: articles, divisions, headings by size rank, paragraphs. Walks the lines
    in order, since an article's title may sit in the block after its "Article N" line."""
    styles = sorted({s for p in pages for b in p.blocks if (s := _heading_style(b, body)) is not None}, reverse=True)
    block_of: dict[int, _Block] = {id(b.lines[0]): b for p in pages for b in p.blocks}
    seq = [(ln, k == 0) for p in pages for b in p.blocks for k, ln in enumerate(b.lines)]
    out: dict[int, list[_Block]] = defaultdict(list)

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
            out[line.page].append(_Block("heading", [line], "\n\n".join(md)))
        elif d and len(line.plain) <= 150 and (line.plain.isupper() or line.styled):
            md = [f"## {line.text}"]
            caption = []
            while j < len(seq) and len(caption) < 2 and _is_caption(seq[j][0]):
                caption.append(seq[j][0].text)
                j += 1
            if caption:
                md.append("#### " + " ".join(caption))
            out[line.page].append(_Block("heading", [line], "\n\n".join(md)))
        elif (style := _heading_style(block_of[id(line)], body)) is not None:
            lines = block_of[id(line)].lines
            level = min(styles.index(style) + 1, 3)
            out[line.page].append(_Block("heading", lines, "#" * level + " " + " ".join(ln.text for ln in lines)))
            j = i + len(lines)
        else:
            j = i  # a paragraph: nothing consumed yet
        k = j + 1 if j == i else j
        while not opener(k):
            k += 1
        rest = [ln for ln, _ in seq[j:k]]
        if rest:  # the paragraph, or what is left of a block after its heading lines
            out[rest[0].page].append(_Block("body", rest, _join([ln.text for ln in rest])))
        i = k
    for n, page in enumerate(pages, 1):
        page.blocks = out.get(n, [])


def _is_article_line(line: _Line, rest: str, alone: bool) -> bool:
    """"Article N" opening a block is a heading when nothing follows it on the line, or a title does
    (set off by a dash or colon, or in a heading's style); "Article 21 of the Convention ..." is not."""
    if not rest:
        return True
    if _TITLE_SEPARATOR.match(rest) or line.styled:
        return True
    return alone and rest[:1].isupper() and len(rest) <= 120 and rest[-1] not in ".;:,"


def _continues(prev: _Page, page: _Page) -> bool:
    """Whether the last paragraph of `prev` runs on to the first of `page` (no footnotes between)."""
    if prev.notes or not prev.blocks or not page.blocks or prev.blocks[-1].kind != "body" or page.blocks[0].kind != "body":
        return False
    last, first = prev.blocks[-1].lines[-1], page.blocks[0].lines[0]
    if _LIST_START.match(first.plain) or _MD_START.match(first.plain):
        return False
    left = min(ln.x0 for b in page.blocks if b.kind == "body" for ln in b.lines)
    if first.x0 > left + 0.5 * first.size and abs(first.x0 - last.x0) > 0.5 * first.size:
        return False  # indented, unlike the line it would continue: a new paragraph
    if _CLOSED.search(last.plain) and not first.plain[:1].islower():
        return False
    return _full(last, first, prev.right) or first.plain[:1].islower()


def _markdown(pages: list[_Page], body: float) -> tuple[str, list[int]]:
    _split_notes(pages, body)
    _blocks(pages, body)
    _render(pages, body)
    text, starts = _Joined(), []
    previous: _Page | None = None
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


def _join_notes(n: int, lines: list[_Line]) -> str:
    return _join([_note_text(lines[0], n), *(ln.text for ln in lines[1:])])


# --- what the file says of itself ------------------------------------------------------------------

def _symbol(page: _Page) -> str:
    """The UN document symbol at the top of the first page ("A/AC.291/19", "CCPR/C/GC/16"), on a line
    of its own or beside a few words ("United Nations"); a symbol cited in the body is not the file's."""
    for line in page.lines:
        if line.top > page.height * 0.3:
            break
        for m in SYMBOL.finditer(line.plain):
            if len(line.plain.replace(m.group(1), " ").split()) <= 4:
                return m.group(1)
    return ""


def _title(page: _Page, body: float) -> str:
    """The largest-font line(s) on the first page, when larger than the body text."""
    lines = sorted(page.body, key=lambda ln: ln.base)
    if not lines:
        return ""
    biggest = max(ln.size for ln in lines)
    if biggest <= body * 1.1:
        return ""
    title: list[str] = []
    for ln in lines:
        if ln.size >= biggest - 0.5:
            title.append(ln.plain)
        elif title:
            break
    return " ".join(" ".join(title).split())
