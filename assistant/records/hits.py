"""Retrieved passages and the typed reasons for their rank."""

from __future__ import annotations

from dataclasses import dataclass, field

from .documents import Passage


# How each rule reads in `why` lists and under `search --explain`.
_SAYS = {"dense": "dense#{matched}", "bm25": "bm25#{matched}", "far-ahead": "bm25 far ahead",
         "coverage": "covers {matched} of the question's concepts", "article": "article {matched} named",
         "mention": "mentions article {matched}", "neighbour": "next to a paragraph that mentions it",
         "crossref": "article {matched} refers to it", "crossref-follow": "{matched}", "quantity": "states a quantity", "definition": "defines it",
         "named-document": "of a document the question names", "document-first": "moved up: the best passage of {matched}",
         "group-lift": "moved up: no {matched} passage was in the first places",
         "same-wording": "moved up: {matched} is named and says the same as a document that is not",
         "crossref-followed": "reached through a cross-reference of the verdict's chain",
         "spread": "moved down: {matched} already holds its share of the first places",
         "group-kept": "kept: no other {matched} passage made the cut"}


@dataclass(slots=True)  # not frozen: a frozen dataclass is built several times slower, and a search makes hundreds
class Reason:
    """One rule's part in a hit's score: the stage that applied it, the rule, what matched (a list
    rank, an article number, the share of concepts covered) and how much the score moved."""

    stage: str
    rule: str
    matched: str = ""
    delta: float = 0.0

    def __str__(self) -> str:
        if self.rule in _SAYS:
            return _SAYS[self.rule].format(matched=self.matched)
        # a stage's own rule: its words as they are (what matched may hold braces)
        return self.rule + (f" {self.matched}" if self.matched else "")

    def to_json(self) -> dict:
        return {"stage": self.stage, "rule": self.rule, "matched": self.matched, "delta": round(self.delta, 6)}


@dataclass(slots=True)
class Hit:
    """A retrieved passage with its fused score and why it was ranked where it is."""

    passage: Passage
    score: float
    dense: float = 0.0
    lexical: float = 0.0
    reasons: list[Reason] = field(default_factory=list)
    label: str = ""
