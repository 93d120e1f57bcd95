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

Not handled: multi-column layouts (lines are read across the page), tables, rotated text (dropped).

This module reads the file; the steps after are `pdf_lines.py` (characters into lines),
`pdf_layout.py` (margins, footnotes, paragraph blocks) and `pdf_markdown.py` (the Markdown)."""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
from pathlib import Path

from ..errors import CorpusError
from ..plugins import LOADERS
from ..records import Loaded
from ..settings import Limits
from .limits import check_pages
from .pdf_layout import body_size, strip_margins
from .pdf_lines import Page, group_lines
from .pdf_markdown import to_markdown
from .symbols import SYMBOL
from .text import read_bytes


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
    strip_margins(pages)
    body = body_size(pages)
    text, starts = to_markdown(pages, body)
    if not text.strip():
        raise CorpusError(f"{path}: PDF has no text besides headers and page numbers: run OCR first (e.g. ocrmypdf) and add the result")
    meta = {k: v for k, v in (("symbol", symbol), ("title", _title(pages[0], body))) if v}
    return Loaded(text, sha, pages=starts, meta=meta)


# --- reading -------------------------------------------------------------------------------------

def _read_pages(path: Path, data: bytes, max_pages: int) -> list[Page]:
    import pdfplumber  # only loading a PDF needs it
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # its warnings on odd files are not the user's business
    pages: list[Page] = []
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
                pages.append(Page(height=float(page.height), lines=group_lines(number, chars)))
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


# --- what the file says of itself ------------------------------------------------------------------

def _symbol(page: Page) -> str:
    """The UN document symbol at the top of the first page ("A/AC.291/19", "CCPR/C/GC/16"), on a line
    of its own or beside a few words ("United Nations"); a symbol cited in the body is not the file's."""
    for line in page.lines:
        if line.top > page.height * 0.3:
            break
        for m in SYMBOL.finditer(line.plain):
            if len(line.plain.replace(m.group(1), " ").split()) <= 4:
                return m.group(1)
    return ""


def _title(page: Page, body: float) -> str:
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
