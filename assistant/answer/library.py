"""The provisions the verdict reads, from an open index: the readings stored with it
(`provisions.jsonl`, written at index time by the provision reader), read once per snapshot the first
time a question needs them."""

from __future__ import annotations

from collections.abc import Callable

from ..records import Passage, Provision


class SnapshotLibrary:
    """`verdict.Library` over a snapshot's passages and stored provisions."""

    def __init__(self, passages: list[Passage], read: Callable[[], list[Provision]]):
        self._passages = {p.id: p for p in passages}
        self._read = read
        self._by_passage: dict[str, list[Provision]] | None = None

    def passage(self, passage_id: str) -> Passage | None:
        return self._passages.get(passage_id)

    def provisions(self, passage_id: str) -> list[Provision]:
        if self._by_passage is None:
            self._by_passage = {}
            for prov in self._read():
                self._by_passage.setdefault(prov.passage_id, []).append(prov)
        return self._by_passage.get(passage_id, [])
