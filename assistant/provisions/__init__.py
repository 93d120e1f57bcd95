"""Provisions read at index time: each paragraph and lettered sub-paragraph of a document in treaty
layout as a typed `Provision` (its force, whom it binds, its cross-references resolved to passages, its
safeguard tags from `safeguards.toml`). `reader.read_document` reads; the index stores the readings
(`provisions.jsonl`); `matrix.py` builds the safeguards matrix from them."""

from .reader import read_document, units
from .vocabulary import tags_in, vocabulary

__all__ = ["read_document", "tags_in", "units", "vocabulary"]
