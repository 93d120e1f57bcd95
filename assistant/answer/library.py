"""The provisions the verdict reads, from an open index: each document's provisions are read once
(`provisions.read_document`, the one provision reader) the first time a question needs them, and
kept for the life of the snapshot."""

from __future__ import annotations

from ..provisions import read_document
from ..records import Passage, Provision


class SnapshotLibrary:
    """`verdict.Library` over a snapshot's passages."""

    def __init__(self, passages: list[Passage]):
        self._passages = {p.id: p for p in passages}
        self._by_doc: dict[str, list[Passage]] = {}
        for p in passages:
            self._by_doc.setdefault(p.doc_id, []).append(p)
        self._read: dict[str, list[Provision]] = {}
        self._docs_read: set[str] = set()

    def passage(self, passage_id: str) -> Passage | None:
        return self._passages.get(passage_id)

    def provisions(self, passage_id: str) -> list[Provision]:
        p = self._passages.get(passage_id)
        if p is None:
            return []
        if p.doc_id not in self._docs_read:
            self._docs_read.add(p.doc_id)
            for prov in read_document(self._by_doc[p.doc_id]):
                self._read.setdefault(prov.passage_id, []).append(prov)
        return self._read.get(passage_id, [])
