"""The protocol every rerank stage follows, the record they pass along, and the registry that names
them. Candidate generators (candidates.py) give a dense and a BM25 score per passage, fusion
(fusion.py) turns them into one `Pool`, and the stages named in `settings.retrieval.stages` run in
that order: scoring stages (rerank.py) move scores, ordering stages (order.py) move places.

A new stage (a cross-encoder, say) is a class taking `(settings, corpus)` with a `__call__(query,
pool) -> pool`, registered with `@register("name")` (into `registry.STAGES`) and named in the
settings' list; the others are untouched."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ..errors import RegistryError
from ..records import ArticleRef, Passage, Provision, Query, Reason, Source
from ..registry import STAGES
from ..settings import Settings


@dataclass
class Corpus:
    """What the stages read of the index: its passages and how they are numbered."""

    passages: list[Passage]
    sources: dict[str, Source]
    lexical: Any = None  # the BM25 index (lexical.Lexical): its concepts and their coverage
    unindexed: frozenset[str] = frozenset()  # registered documents without a local copy
    # the stored readings of the provisions (assistant/provisions), read when a stage first asks
    read_provisions: Callable[[], list[Provision]] | None = None
    by_article: dict[tuple[str, str], list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_article = {}
        for i, p in enumerate(self.passages):
            if p.article:
                self.by_article.setdefault((p.doc_id, p.article), []).append(i)

    def provisions(self) -> list[Provision]:
        return self.read_provisions() if self.read_provisions else []

    def family(self, doc_id: str | None) -> frozenset[str]:
        """The successive drafts of the negotiating text renumber articles and people say "the
        draft" of any of them: a mention in one of them matches a reference to another."""
        src = self.sources.get(doc_id) if doc_id else None
        if src is None or src.role != "negotiating-text":
            return frozenset()
        return frozenset(s.id for s in self.sources.values() if s.role == "negotiating-text")


@dataclass
class Pool:
    """Every passage's score so far, indexed like `Corpus.passages` (a structure rule can reach a
    passage neither list found), the reasons for it, and, once an ordering stage has run, the order.
    A stage that changes scores after the order is set resets `order` to None to rank by score again."""

    scores: np.ndarray
    reasons: dict[int, list[Reason]]
    dense: np.ndarray
    lexical: np.ndarray
    allowed: np.ndarray
    top_k: int
    order: list[int] | None = None

    def add(self, i: int, reason: Reason) -> None:
        """Raise passage `i` by `reason.delta` and record why."""
        self.scores[i] += reason.delta
        self.reasons.setdefault(int(i), []).append(reason)

    def ranking(self) -> list[int]:
        if self.order is None:
            order = np.argsort(-self.scores)
            return order[self.scores[order] > 0].tolist()
        return self.order

    def has(self, i: int, rule: str) -> bool:
        return any(r.rule == rule for r in self.reasons.get(i, ()))


class Stage(Protocol):
    name: str

    def __call__(self, query: Query, pool: Pool) -> Pool: ...


StageFactory = Callable[[Settings, Corpus], Stage]


def register(name: str) -> Callable[[StageFactory], StageFactory]:
    """Register a stage class (or factory) under `name`, the name `settings.retrieval.stages` uses."""
    def add(factory: StageFactory) -> StageFactory:
        factory.name = name
        return STAGES.register(name)(factory)
    return add


def build_stages(settings: Settings, corpus: Corpus) -> list[Stage]:
    try:
        factories = [STAGES.get(n) for n in settings.retrieval.stages]
    except RegistryError as exc:
        raise RegistryError(f"{exc.message} (setting retrieval.stages)") from None
    return [factory(settings, corpus) for factory in factories]


def mentions(p: Passage, ref: ArticleRef, family: frozenset[str] = frozenset()) -> bool:
    """Whether passage `p` mentions the article `ref` names (in its document, or in a draft of it)."""
    for m in p.mentions:
        doc, _, art = m.partition(":")
        if art == ref.article and (ref.doc_id is None or ref.doc_id in (doc, p.doc_id) or doc in family):
            return True
    return False


def unit(settings: Settings) -> float:
    """What a first place in one fused list is worth: the unit the bonuses are given in."""
    return 1.0 / (settings.retrieval.rrf_k + 1)
