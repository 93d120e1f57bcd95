"""Load a registered document from its local copy and parse it into citable passages.

Loaders turn a file into raw text (one per format, chosen by suffix); parsers turn raw text into
passages (one per document layout, chosen by the registry's `format`). PDF, HTML and DOCX loaders slot
in next to `text.py` by registering their suffixes."""

from __future__ import annotations

from pathlib import Path

from ..errors import CorpusError, RegistryError
from ..records import Document, Loaded, Passage, Source
from ..refs import AliasMatcher
from ..registry import LOADERS, PARSERS
from . import docx, html, pdf, submission, text, treaty  # noqa: F401  (they register themselves)


def load_path(path: Path, max_mb: float) -> Loaded:
    suffix = path.suffix.lower() or ".txt"
    try:
        loader = LOADERS.get(suffix)
    except RegistryError:
        raise CorpusError(f"{path}: unsupported file type '{suffix}': supported are {', '.join(LOADERS.names())}") from None
    return loader(path, max_mb)


def load(source: Source, max_mb: float) -> Document:
    if not source.path:
        raise CorpusError(f"document '{source.id}' has no local copy: add its file to the corpus folder (--corpus-dir)")
    loaded = load_path(Path(source.path), max_mb)
    return Document(source=source, path=source.path, raw=loaded.text, sha256=loaded.sha256, pages=loaded.pages, meta=loaded.meta,
                    paged=loaded.paged)


def parse(doc: Document, matcher: AliasMatcher) -> list[Passage]:
    passages = PARSERS.get(doc.source.format)(doc, matcher)
    if not passages:
        raise CorpusError(f"{doc.path}: no text passages found: is this the right file for '{doc.source.id}'?")
    return passages
