"""The verdict's records before it is numbered into an answer: the clauses of passages it cites,
the steps of its chain, the `Reading` itself, and what a yes/no question asks of the law (`Ask`, from
`Query.legal`). verdict.py reads the law into them; argued.py reads the submission; cite.py numbers
them into the answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from ..index.lexical import tokenize
from ..records import LegalAsk, Part, Passage, Provision, Query

LABELS = {"yes": "Yes", "no": "No", "conditional": "Conditional", "not-stated": "Not stated in the indexed texts"}

# Words every such question shares with every passage: they do not say what is asked.
GENERIC = frozenset(tokenize("article articles art convention treaty covenant draft text provision provisions state states "
                              "party parties submission ngo ngos derechos digitales apc does do is are can may must shall "
                              "require requires required requirement mandatory oblige obliged guarantee guarantees any "
                              "under in of the an a for to be it its their"))
COVERS = 0.5  # share of the question's own terms a clause must carry to speak to it, when no tag does
ARTICLE = re.compile(r"\bart(?:icle)?s?\.?\s*(\d+[a-z]?)", re.IGNORECASE)


class Library(Protocol):
    """What the verdict reads besides the hits: the provisions of a passage and a passage by id
    (a cross-reference's target may lie outside the retrieved passages)."""

    def provisions(self, passage_id: str) -> list[Provision]: ...

    def passage(self, passage_id: str) -> Passage | None: ...


@dataclass(slots=True)
class Clause:
    """A citable clause of a passage: its paragraph (a `Part` of a whole-article passage) and the
    words quoted; `provision` is its reading, when it has one."""

    passage: Passage
    part: Part | None
    sentence: str
    provision: Provision | None = None
    sub: Part | None = None  # its lettered sub-paragraph, when it is one

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        return self.passage.id, self.part.label if self.part else None, self.sub.label if self.sub else None


@dataclass(slots=True)
class Step:
    """One step of the chain: a statement and the clauses it stands on."""

    text: str
    clauses: list[Clause] = field(default_factory=list)


@dataclass(slots=True)
class Reading:
    """A verdict before it is numbered into an answer."""

    label: str
    decisive: list[Clause] = field(default_factory=list)
    chain: list[Step] = field(default_factory=list)
    undecided_by: list[str] = field(default_factory=list)  # registered documents, not indexed, that would decide

    @property
    def grounded(self) -> bool:
        """A yes, no or conditional stands on a decisive clause; "not-stated" needs none."""
        return self.label == "not-stated" or bool(self.decisive)


@dataclass(slots=True)
class Ask:
    """What a yes/no question asks: `kind` (requires, permits, prohibits), the safeguard tags it
    names and its own terms."""

    kind: str
    tags: set[str]
    terms: set[str]
    derogation: bool = False
    organs: bool = False  # the question asks about a treaty body ("the Committee")


def read_ask(query: Query) -> Ask:
    """The question's reading of the law (`Query.legal`, from the query analysis) and its own terms."""
    legal = query.legal or LegalAsk()
    terms = {t for t in tokenize(query.focus or query.text) if t not in GENERIC and not t.isdigit()}
    return Ask(legal.kind, set(legal.safeguards), terms, legal.derogation, legal.organs)


def trim(text: str, limit: int = 240) -> str:
    text = re.sub(r"^\s*\d+\.\s+(?:\d+\s+)?", "", text).strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def article_of(target: str) -> str | None:
    m = ARTICLE.search(target)
    return m.group(1) if m else None
