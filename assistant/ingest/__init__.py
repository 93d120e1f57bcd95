"""Load a registered document from its local copy and parse it into citable passages.

Loaders turn a file into raw text (one per format, chosen by suffix); parsers turn raw text into
passages (one per document layout, chosen by the registry's `format`). PDF, HTML and DOCX loaders slot
in next to `text.py` by registering their suffixes."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from ..errors import CorpusError, RegistryError
from ..records import Document, Loaded, Passage, Source
from ..query.refs import AliasMatcher
from ..registry import LOADERS, PARSERS
from ..safe_text import blank_controls
from ..settings import Limits
from . import budget, docx, html, pdf, submission, text, treaty  # noqa: F401  (they register themselves)
from .limits import check_pages, check_paragraphs, check_passages
from .text import read_bytes

DEFAULT_LIMITS = Limits()


def load_path(path: Path, limits: Limits = DEFAULT_LIMITS, cache: Path | None = None) -> Loaded:
    """Load a file with the loader its suffix names, its control characters blanked (a document must
    not write to the terminal that shows it; see `safe_text`). PDF, HTML and DOCX conversions are
    kept in `cache`, keyed by the file's bytes and the loader's code: every indexing run reads every
    document, and converting a long PDF again each time would cost seconds."""
    loaded = _load(path, limits, cache)
    # one character for one: the page offsets, and every span parsed from the text, stay true
    loaded.text = blank_controls(loaded.text)
    loaded.meta = {k: " ".join(blank_controls(v).split()) for k, v in loaded.meta.items()}
    return loaded


def _load(path: Path, limits: Limits, cache: Path | None) -> Loaded:
    suffix = path.suffix.lower() or ".txt"
    try:
        loader = LOADERS.get(suffix)
    except RegistryError:
        raise CorpusError(f"{path}: unsupported file type '{suffix}': supported are {', '.join(LOADERS.names())}") from None
    if cache is None or suffix in (".md", ".markdown", ".txt"):
        return _checked(path, _convert(loader, path, limits), limits)
    data = read_bytes(path, limits.max_file_mb)
    code = Path(sys.modules[loader.__module__].__file__).read_bytes()
    key = hashlib.sha256(data + code).hexdigest()
    entry = cache / f"{key}.json"
    if entry.exists():
        try:
            return _checked(path, Loaded(**json.loads(entry.read_text(encoding="utf-8"))), limits)
        except (ValueError, TypeError):
            pass  # a damaged entry is converted again
    loaded = _checked(path, _convert(loader, path, limits), limits)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = entry.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(loaded), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, entry)
    return loaded


def _convert(loader, path: Path, limits: Limits) -> Loaded:
    return budget.run(lambda: loader(path, limits), path, limits.max_memory_mb)


def _checked(path: Path, loaded: Loaded, limits: Limits) -> Loaded:
    """The limits every format shares, checked on cached conversions too: limits may have been lowered."""
    check_pages(path, len(loaded.pages), limits.max_pages)
    check_paragraphs(path, loaded.text, limits.max_paragraph_chars)
    return loaded


def load(source: Source, limits: Limits = DEFAULT_LIMITS, cache: Path | None = None) -> Document:
    if not source.path:
        raise CorpusError(f"document '{source.id}' has no local copy: add its file to the corpus folder (--corpus-dir)")
    loaded = load_path(Path(source.path), limits, cache)
    return Document(source=source, path=source.path, raw=loaded.text, sha256=loaded.sha256, pages=loaded.pages, meta=loaded.meta,
                    paged=loaded.paged)


def parse(doc: Document, matcher: AliasMatcher, limits: Limits = DEFAULT_LIMITS) -> list[Passage]:
    parser = PARSERS.get(doc.source.format)
    passages = budget.run(lambda: parser(doc, matcher), doc.path, limits.max_memory_mb)
    if not passages:
        raise CorpusError(f"{doc.path}: no text passages found: is this the right file for '{doc.source.id}'?")
    check_passages(doc.path, len(passages), limits.max_passages)
    return passages
