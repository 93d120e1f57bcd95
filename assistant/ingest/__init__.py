"""Load a registered document from its local copy and parse it into citable passages.

Loaders turn a file into raw text (one per format, chosen by suffix); parsers turn raw text into
passages (one per document layout, chosen by the registry's `format`). PDF, HTML and DOCX loaders slot
in next to `text.py` by registering their suffixes."""

from __future__ import annotations

from pathlib import Path

from ..errors import CorpusError
from ..records import Document, Passage, Source
from ..refs import AliasMatcher
from ..registry import LOADERS, PARSERS
from . import submission, text, treaty  # noqa: F401  (they register themselves)


def load(source: Source, max_mb: float) -> Document:
    if not source.path:
        raise CorpusError(f"document '{source.id}' has no local copy: add its file to the corpus folder (--corpus-dir)")
    path = Path(source.path)
    suffix = path.suffix.lower() or ".txt"
    try:
        loader = LOADERS.get(suffix)
    except Exception:
        raise CorpusError(f"{path}: unsupported file type '{suffix}': supported are {', '.join(LOADERS.names())}") from None
    raw, sha = loader(path, max_mb)
    return Document(source=source, path=str(path), raw=raw, sha256=sha)


def parse(doc: Document, matcher: AliasMatcher) -> list[Passage]:
    passages = PARSERS.get(doc.source.format)(doc, matcher)
    if not passages:
        raise CorpusError(f"{doc.path}: no text passages found: is this the right file for '{doc.source.id}'?")
    return passages
