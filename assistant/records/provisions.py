"""The reading of a treaty's provisions: force, cross-references, safeguards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


# A provision's force, read from its operative words.
FORCES = ("obligation", "prohibition", "permission", "discretionary", "definition", "other")


@dataclass(slots=True)
class CrossRef:
    """A reference a provision makes to another ("subject to Articles 14 and 15", "referred to in
    paragraph 1", "the preceding paragraph"), resolved to the passages (and parts) it names."""

    words: str
    kind: str  # "subject-to", "in-accordance-with", "referred-to", "preceding", "other"
    targets: list[str] = field(default_factory=list)  # locators resolved to: "art. 15", "art. 4(2)"
    passage_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"words": self.words, "kind": self.kind, "targets": list(self.targets), "passage_ids": list(self.passage_ids)}


@dataclass(slots=True)
class SafeguardTag:
    """A safeguard from the declared vocabulary that a provision speaks of, with the words that said so."""

    tag: str
    words: str

    def to_json(self) -> dict:
        return {"tag": self.tag, "words": self.words}


@dataclass(slots=True)
class Provision:
    """The reading of one paragraph or lettered sub-paragraph of a text in treaty layout."""

    passage_id: str
    doc_id: str
    locator: str  # citable: "Budapest Convention, art. 29(1)(g)"
    article: str
    paragraph: str | None = None
    subparagraph: str | None = None
    force: str = "other"  # one of FORCES
    force_words: str = ""
    binds: str = ""  # who it binds: "each Party", "States Parties", "no one"
    crossrefs: list[CrossRef] = field(default_factory=list)
    safeguards: list[SafeguardTag] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"passage_id": self.passage_id, "doc_id": self.doc_id, "locator": self.locator, "article": self.article,
                "paragraph": self.paragraph, "subparagraph": self.subparagraph, "force": self.force,
                "force_words": self.force_words, "binds": self.binds,
                "crossrefs": [c.to_json() for c in self.crossrefs], "safeguards": [t.to_json() for t in self.safeguards]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Provision":
        d = dict(d)
        d["crossrefs"] = [CrossRef(**c) for c in d.get("crossrefs", [])]
        d["safeguards"] = [SafeguardTag(**t) for t in d.get("safeguards", [])]
        return cls(**d)
