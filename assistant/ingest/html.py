"""HTML loader: the page's main content, converted to the Markdown shape the parsers read.

Site chrome (scripts, menus, headers, footers, sidebars, cookie banners, breadcrumbs) is dropped; the
main content (`<main>`, `[role=main]`, `<article>`, else the element holding most of the text) becomes
`#` headings, paragraphs separated by blank lines, table rows with cells joined by " | ", footnote
markers `<sup>n</sup>`, and the footnotes after a `---` rule at the end. "Article N" headings become
`### Article N` (+ `#### Title`), the treaty parser's shape. Words are kept as the page has them.

This module decodes the file and reads its metadata; `html_page.py` finds the content and its
footnotes, and `markdown_writer.py` (shared with the DOCX loader) writes the Markdown."""

from __future__ import annotations

import codecs
import hashlib
import re
from pathlib import Path

from ..errors import CorpusError
from ..plugins import LOADERS
from ..records import Loaded
from ..settings import Limits
from .html_page import Page
from .limits import refuse
from .markdown_writer import MarkdownWriter
from .symbols import find_symbol
from .text import read_bytes


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

    page = Page(soup)
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
