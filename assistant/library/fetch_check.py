"""What a download turned out to be, whatever the server said it was: its kind, read from its bytes,
and whether it is the document at all. Refused: an empty body, an error page sent with status 200,
bytes that are not what the address promised, a PDF without its end, and a viewer or landing page
that came instead of the document (an app shell that draws itself with JavaScript, or a page that
does not mention the document's symbol)."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import urlsplit

from ..records import Source

Kind = Literal["pdf", "html", "docx", "text"]

CHUNK = 64 * 1024
PAGE_BYTES = 8 * 1024 * 1024  # of a page or a text, read for its words: a symbol stands near the top

_NAMES = {"pdf": "a PDF", "html": "an HTML page", "docx": "a Word document", "text": "plain text", None: "unrecognised bytes"}
_BY_SUFFIX = {".pdf": "pdf", ".html": "html", ".htm": "html", ".docx": "docx", ".txt": "text", ".md": "text"}
_BY_TYPE = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/plain": "text",
    "text/markdown": "text",
}
_HTML = re.compile(rb"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
# Titles of error, login and bot-check pages that servers send with status 200.
_ERROR_TITLE = re.compile(
    r"\b(error|not found|access denied|forbidden|unauthori[sz]ed|service unavailable|bad gateway|request rejected|"
    r"just a moment|attention required)\b",
    re.IGNORECASE,
)
# A page with scripts and fewer words than this is the frame a web app fills in, not a document.
SHELL_WORDS = 50
# A resolution is cited by its number as often as by its symbol: "General Assembly resolution 34/180".
_RESOLUTION = re.compile(r"/RES/(.+)$", re.IGNORECASE)


class Rejected(Exception):
    """The bytes are not the document; the message says what they are."""


@dataclass(slots=True)
class Body:
    size: int
    content_type: str
    url: str  # after redirects
    resumed: bool


def _title(path: Path) -> str:
    with path.open("rb") as f:
        m = _TITLE.search(f.read(65536))
    return " ".join(m.group(1).decode("utf-8", "replace").split()) if m else ""


def _is_utf8_text(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                if b"\x00" in chunk:
                    return False
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff(path: Path, head: bytes) -> Kind | None:
    """What the bytes are, whatever the server said they were."""
    import zipfile

    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if start.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                return "docx" if "word/document.xml" in z.namelist() else None
        except zipfile.BadZipFile:
            return None
    if start.startswith(b"<") and _HTML.search(head):
        return "html"
    return "text" if _is_utf8_text(path) else None


def _promised(body: Body, address: str) -> set[str]:
    kinds = {_BY_SUFFIX.get(PurePosixPath(urlsplit(u).path).suffix.lower()) for u in (address, body.url)}
    kinds.add(_BY_TYPE.get(body.content_type.split(";")[0].strip().lower()))
    kinds.discard(None)
    return kinds  # type: ignore[return-value]


def _page(path: Path) -> tuple[str, bool]:
    """The words a browser shows of an HTML page, and whether it runs scripts."""
    from bs4 import BeautifulSoup

    with path.open("rb") as f:
        soup = BeautifulSoup(f.read(PAGE_BYTES), "html.parser")
    scripted = soup.find("script") is not None
    for tag in soup(["script", "style", "noscript", "template", "title"]):
        tag.decompose()
    return " ".join(soup.get_text(" ").split()), scripted


# Spaces that symbols are written with or without: around "/", inside and before "(...)", after ".".
_TIGHT = re.compile(r"\s*(/)\s*|\s*(\()\s*|\s*(\))|(\.)\s*")


def _tight(text: str) -> str:
    """Spacing folded away as symbols vary in it: "Rev.9 (Vol. I)" reads as "rev.9(vol.i)"."""
    return _TIGHT.sub(lambda m: next(g for g in m.groups() if g), " ".join(text.split())).casefold()


def mentions(text: str, symbol: str) -> bool:
    """Whether `text` names the document `symbol` (not a longer one: A/AC.291/1 is not in A/AC.291/19)."""
    words, sym = _tight(text), _tight(symbol)
    forms = [re.escape(sym)]
    if m := _RESOLUTION.search(sym):
        forms.append("resolution " + re.escape(m.group(1)))
    return any(re.search(rf"(?<![\w/]){form}(?![\w/])", words) for form in forms)


def _not_the_document(path: Path, kind: Kind, source: Source, host: str, title: str) -> str | None:
    """Why a page or a text is a viewer or a landing page rather than the document; None if it may be it."""
    named = f", title {title!r}" if title else ""
    if kind == "html":
        words, scripted = _page(path)
        if scripted and len(words.split()) < SHELL_WORDS:
            return (f"{host} sent an app shell ({len(words.split())} words of text and scripts{named}): the page of a "
                    "viewer that loads the document with JavaScript, not the document")
    else:
        with path.open("rb") as f:
            words = f.read(PAGE_BYTES).decode("utf-8", "replace")
    if source.symbol and not mentions(words, source.symbol):
        return f"{host} sent a page that does not mention {source.symbol}{named}: a viewer or landing page, not the document"
    return None


def check(path: Path, body: Body, source: Source, address: str) -> Kind:
    """The kind of the downloaded file at `path`, or Rejected saying what it is instead."""
    if body.size == 0:
        raise Rejected("the server sent an empty body")
    with path.open("rb") as f:
        head = f.read(1024)
        f.seek(max(0, body.size - 1024))
        tail = f.read()
    kind = sniff(path, head)
    title = _title(path) if kind == "html" else ""
    if title and _ERROR_TITLE.search(title):
        raise Rejected(f"it is an error page (title {title!r})")
    for wanted in ("pdf", "docx"):
        if wanted in _promised(body, address) and kind != wanted:
            got = f"{_NAMES[kind]} (title {title!r})" if title else _NAMES[kind]
            raise Rejected(f"the address promised {_NAMES[wanted]} but sent {got}")
    if kind is None:
        raise Rejected("the content is not a PDF, an HTML page, a Word document or UTF-8 text")
    if kind == "pdf" and b"%%EOF" not in tail:
        raise Rejected("the PDF is truncated (no %%EOF at its end)")
    if kind in ("html", "text") and (why := _not_the_document(path, kind, source, urlsplit(body.url).hostname or "", title)):
        raise Rejected(why)
    return kind
