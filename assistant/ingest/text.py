"""Markdown and plain-text loader: strict UTF-8, with a clear refusal for binary, empty or huge files."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import CorpusError
from ..records import Loaded
from ..registry import LOADERS


def read_bytes(path: Path, max_mb: float) -> bytes:
    if not path.exists():
        raise CorpusError(f"{path}: file not found: check the path or the corpus folder (--corpus-dir)")
    if not path.is_file():
        raise CorpusError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise CorpusError(f"{path}: file is empty: replace it with the document's text")
    if size > max_mb * 1024 * 1024:
        raise CorpusError(f"{path}: file is {size / 1048576:.1f} MB, over the {max_mb:g} MB limit: raise TREATY_INDEX__MAX_FILE_MB if it is genuine")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read file ({exc.strerror}): check its permissions") from None


@LOADERS.register(".md")
@LOADERS.register(".markdown")
@LOADERS.register(".txt")
def load_text(path: Path, max_mb: float) -> Loaded:
    data = read_bytes(path, max_mb)
    if b"\x00" in data[:65536]:
        raise CorpusError(f"{path}: binary data in a text file: give the Markdown or plain-text version")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 text (byte {exc.start}): convert it, e.g. `iconv -f latin1 -t utf-8`") from None
    if not text.strip():
        raise CorpusError(f"{path}: file has no text: replace it with the document's text")
    # Offsets index this exact string, so line endings are normalised once, here.
    return Loaded(text.replace("\r\n", "\n"), hashlib.sha256(data).hexdigest())
