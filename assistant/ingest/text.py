"""Markdown and plain-text loader: UTF-8, or UTF-16/UTF-32 with a byte-order mark, with a clear refusal for
binary, empty or huge files and for other encodings."""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
from pathlib import Path

from ..errors import CorpusError
from ..records import Loaded
from ..plugins import LOADERS
from ..settings import Limits
from .limits import MB, refuse


def read_bytes(path: Path, max_mb: float) -> bytes:
    if not path.exists():
        raise CorpusError(f"{path}: file not found: check the path or the corpus folder (--corpus-dir)")
    if not path.is_file():
        raise CorpusError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise CorpusError(f"{path}: file is empty: replace it with the document's text")
    if size > max_mb * MB:
        raise refuse(path, f"file is {size / MB:.1f} MB", f"{max_mb:g} MB", "max_file_mb")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read file ({exc.strerror}): check its permissions") from None


@LOADERS.register(".md")
@LOADERS.register(".markdown")
@LOADERS.register(".txt")
def load_text(path: Path, limits: Limits) -> Loaded:
    data = read_bytes(path, limits.max_file_mb)
    text = decode_text(path, data)
    if not text.strip():
        raise CorpusError(f"{path}: file has no text: replace it with the document's text")
    # Offsets index this exact string, so line endings are normalised once, here.
    return Loaded(text.replace("\r\n", "\n"), hashlib.sha256(data).hexdigest())


# UTF-32 first: its little-endian BOM begins with UTF-16's.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8, or UTF-16/UTF-32 announced by a byte-order mark (Windows editors save "Unicode" so);
    anything else is refused with the conversion that would fix it."""
    codec = next((c for bom, c in _BOMS if data.startswith(bom)), None)
    if codec is None and b"\x00" in data[:65536]:
        raise CorpusError(_not_text(path, data, None))
    try:
        text = data.decode(codec or "utf-8")
    except UnicodeDecodeError as exc:
        if codec is None:
            raise CorpusError(_not_text(path, data, exc.start)) from None
        name = codec.upper().removesuffix("-SIG")
        raise CorpusError(f"{path}: not {name} text (byte {exc.start}) though it begins with a {name} byte-order mark: "
                          "save it again as UTF-8") from None
    if "\x00" in text[:65536]:
        raise CorpusError(f"{path}: binary data in a text file: give the Markdown or plain-text version")
    return text


def _not_text(path: Path, data: bytes, byte: int | None) -> str:
    """Bytes without a byte-order mark that are not UTF-8 (`byte`: the first bad one) or hold NULs."""
    utf16 = utf16_without_bom(data)
    if utf16:
        return f"{path}: looks like UTF-16 text without a byte-order mark: convert it, e.g. `iconv -f {utf16} -t utf-8`"
    if byte is None:
        return f"{path}: binary data in a text file: give the Markdown or plain-text version"
    return f"{path}: not UTF-8 text (byte {byte}): convert it, e.g. `iconv -f latin1 -t utf-8`"


def utf16_without_bom(data: bytes) -> str | None:
    """"utf-16le" or "utf-16be" when the bytes read as text in that encoding, else None. Decoding
    alone proves little (most byte pairs are some character), so two more signs are asked for: the
    NUL bytes (a line break or a space gives one) fall at the alternate positions where ASCII characters put their zero byte, and
    the text holds only letters, marks, numbers, punctuation, symbols, spaces and line breaks (Latin-1
    or binary bytes read as UTF-16 give control, format, private-use or unassigned characters)."""
    sample = data[:4096]
    nuls = {"utf-16le": sample[1::2].count(0), "utf-16be": sample[0::2].count(0)}
    for codec, where in nuls.items():
        # (no NUL at all: Latin-1 "Article 1 café" reads as CJK in UTF-16, and is far more likely)
        if where == 0 or where < 0.9 * sum(nuls.values()):
            continue
        try:
            text = codecs.getincrementaldecoder(codec)().decode(sample, final=False)  # a cut pair waits
        except UnicodeDecodeError:
            continue
        if text.strip() and all(ch in "\t\n\r" or unicodedata.category(ch)[0] in "LMNPSZ" for ch in text):
            return codec
    return None
