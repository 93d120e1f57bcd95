"""Checks that keep reading one corpus file bounded (the settings are `settings.Limits`). Each runs
before the work it bounds, in time linear in what it looks at, and refuses with one line naming what
was found, the limit, and the setting that raises it."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path

from ..errors import CorpusError

MB = 1024 * 1024
_CHUNK = 1 << 20  # bytes decompressed per read: what a lying zip member can cost at once
# A paragraph ends at a blank line (spaces and tabs only), as the parsers read it.
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def refuse(path: Path | str, found: str, limit: str, setting: str) -> CorpusError:
    return CorpusError(f"{path}: {found}, over the {limit} limit: raise TREATY_INDEX__{setting.upper()} if it is genuine")


def check_paragraphs(path: Path | str, text: str, max_chars: int) -> None:
    """No paragraph longer than `max_chars`: every parser's work on one paragraph grows with its length."""
    start = 0
    for m in [*_BLANK_LINE.finditer(text), None]:
        end = len(text) if m is None else m.start()
        if end - start > max_chars:
            line = text.count("\n", 0, start) + 1
            raise refuse(path, f"the paragraph at line {line} has {end - start} characters", f"{max_chars}-character",
                         "max_paragraph_chars")
        start = end if m is None else m.end()


def check_passages(path: Path | str, count: int, max_passages: int) -> None:
    if count > max_passages:
        raise refuse(path, f"the document parses into {count} passages", f"{max_passages}-passage", "max_passages")


def check_pages(path: Path | str, count: int, max_pages: int) -> None:
    if count > max_pages:
        raise refuse(path, f"the document has {count} pages", f"{max_pages}-page", "max_pages")


def unzip_bounded(path: Path | str, package: zipfile.ZipFile, max_mb: float, kind: str) -> bytes:
    """The package's members, unpacked within `max_mb` in all, as an uncompressed zip to read from.

    The central directory's sizes are checked first, and cost nothing to check; but they can lie, and
    `zipfile` asked for a whole member decompresses all its data in one call before cutting it to the
    declared size. So every member is read here in small pieces, which stop at its declared size, and
    readers get the copy: what a member's data holds beyond its size is never unpacked."""
    declared = sum(info.file_size for info in package.infolist())
    if declared > max_mb * MB:
        raise refuse(path, f"the {kind} unpacks to {declared / MB:.1f} MB", f"{max_mb:g} MB", "max_unzipped_mb")
    # Reading in pieces bounds DEFLATE only: CPython's LZMA and BZIP2 readers unpack a whole compressed
    # chunk (about a megabyte, hundreds of MB unpacked) per call. Office files use only these two.
    odd = next((i for i in package.infolist() if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)), None)
    if odd is not None:
        raise CorpusError(f"{path}: {kind} member {odd.filename} uses a compression Office files never use "
                          f"(method {odd.compress_type}): save the document again from its editor")
    out = io.BytesIO()
    try:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
            for info in package.infolist():
                with package.open(info) as member:
                    pieces = []
                    while piece := member.read(_CHUNK):
                        pieces.append(piece)
                copy.writestr(info.filename, b"".join(pieces))
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise CorpusError(f"{path}: corrupt {kind} (damaged zip: {exc}): save the document again") from None
    return out.getvalue()
