"""Ordering stages: they move places in the ranking, not scores. Each document a question names
keeps its best passage first, each document group stays in view, a question naming several texts
sees more than one article of each, and the cut to `top_k` keeps every group found."""

from __future__ import annotations

import numpy as np

from ..index.lexical import tokenize
from ..records import Passage, Query, Reason
from ..settings import Settings
from .stages import Corpus, Pool, register

# A review sets the treaty text beside the critique of it and the human-rights law it must meet;
# each of these groups found among the candidates keeps at least its best passage in the results.
ROLE_GROUPS = (("negotiating-text", "comparator"), ("submission",), ("instrument",))
# Rules that say how search alone found a passage, structure aside (moving places is not structure).
SEARCH_RULES = frozenset({"dense", "bm25", "far-ahead", "coverage", "quantity", "named-document", "document-first", "same-wording",
                          "group-lift", "spread", "group-kept"})


class _Stage:
    def __init__(self, settings: Settings, corpus: Corpus):
        self.r = settings.retrieval
        self.corpus = corpus

    def _moved(self, pool: Pool, rule: str, rows: list[int], what) -> None:
        """Record that these passages changed places (their scores do not change)."""
        for i in rows:
            pool.reasons.setdefault(i, []).append(Reason(self.name, rule, what(self.corpus.passages[i])))


def _of_named_article(pool: Pool, ranked: list[int]) -> set[int]:
    return {i for i in ranked if pool.has(i, "article")}


@register("each-document-first")
class EachDocumentFirst(_Stage):
    """The best passage of each document the question names comes first, and so does, for an
    article number named without a document, each document's article: one long article cannot
    crowd the others out."""

    def __call__(self, query: Query, pool: Pool) -> Pool:
        ambiguous = {r.article for r in query.refs if r.doc_id is None}
        named = set(query.named_docs)
        ranked = pool.ranking()
        if not ambiguous and not named:
            pool.order = ranked
            return pool
        firsts, seen = [], set()
        for i in ranked:
            p = self.corpus.passages[i]
            key = (p.doc_id, p.article) if p.article in ambiguous else (p.doc_id, None) if p.doc_id in named else None
            if key is not None and key not in seen:
                seen.add(key)
                firsts.append(i)
        taken = set(firsts)
        pool.order = firsts + [i for i in ranked if i not in taken]
        self._moved(pool, "document-first", [i for n, i in enumerate(firsts) if ranked[n] != i], _document)
        return pool


@register("named-wording")
class NamedWording(_Stage):
    """Where a document the question does not name says what a named one says (ECHR art. 13 and
    ICCPR art. 2(3), both on an effective remedy), the named document's passage is ranked just above
    the other's: it is the one the question asks about, and the answer cites it first."""

    def __call__(self, query: Query, pool: Pool) -> Pool:
        named = set(query.named_docs)
        ranked = pool.ranking()
        if not named:
            return pool
        passages = self.corpus.passages
        window = ranked[:2 * pool.top_k]
        words = {i: set(tokenize(passages[i].text)) for i in window}
        ours = [i for i in window if passages[i].doc_id in named]
        out = list(ranked)
        for i in window:
            if passages[i].doc_id in named or not words[i]:
                continue
            twin = next((j for j in ours if len(words[i] & words[j]) >= self.r.same_wording * len(words[i])), None)
            if twin is not None and out.index(twin) > out.index(i):
                out.remove(twin)
                out.insert(out.index(i), twin)
                self._moved(pool, "same-wording", [twin], _document)
        pool.order = out
        return pool


@register("lift-groups")
class LiftGroups(_Stage):
    """Unless the question filters by role: a group missing from the first places whose best passage
    still scores within `group_floor` of the best passage search alone found is lifted in."""

    def __call__(self, query: Query, pool: Pool) -> Pool:
        if query.role_filter:
            return pool
        ranked = pool.ranking()
        plain = next((i for i in ranked if all(r.rule in SEARCH_RULES for r in pool.reasons.get(i, ()))), None)
        # the paragraphs of a named article do not count against the places the groups share
        named = len(_of_named_article(pool, ranked).intersection(ranked[:self.r.group_depth]))
        depth = self.r.group_depth + named
        pool.order = lift_each_group(ranked, pool.scores, self.corpus.passages, self.r.group_floor,
                                     depth=depth, top=None if plain is None else pool.scores[plain])
        self._moved(pool, "group-lift", sorted(set(pool.order[:depth]) - set(ranked[:depth])), _role)
        return pool


@register("spread")
class Spread(_Stage):
    """A question naming several indexed texts sees more than one article of each in the first places."""

    def __call__(self, query: Query, pool: Pool) -> Pool:
        if len(set(query.named_docs) - self.corpus.unindexed) >= 2:
            ranked = pool.ranking()
            pool.order = spread(ranked, self.corpus.passages, _of_named_article(pool, ranked),
                                self.r.spread_depth, self.r.per_document, self.r.per_article)
            depth = self.r.spread_depth
            self._moved(pool, "spread", sorted(set(ranked[:depth]) - set(pool.order[:depth])), _document)
        return pool


@register("keep-groups")
class KeepGroups(_Stage):
    """The cut to `top_k` keeps each group found, unless the question filters by role."""

    def __call__(self, query: Query, pool: Pool) -> Pool:
        ranked = pool.ranking()
        pool.order = keep_each_group(ranked, pool.top_k, self.corpus.passages) if not query.role_filter else ranked[:pool.top_k]
        self._moved(pool, "group-kept", sorted(set(pool.order) - set(ranked[:pool.top_k])), _role)
        return pool


def _document(p: Passage) -> str:
    return p.doc_id


def _role(p: Passage) -> str:
    return p.role


def lift_each_group(ranked: list[int], scores: np.ndarray, passages: list[Passage], floor: float, depth: int,
                    top: float | None = None) -> list[int]:
    """A group missing from the first `depth` results whose best passage still scores within
    `floor` of the best passage found by search alone (structure aside) is lifted to the last of
    those places: the critique of a provision, or the human-rights standard it must meet, belongs
    beside it."""
    if not ranked:
        return ranked
    top = scores[ranked[0]] if top is None else top
    out = list(ranked)
    for roles in ROLE_GROUPS:
        if any(passages[i].role in roles for i in out[:depth]):
            continue
        best = next((i for i in out[depth:] if passages[i].role in roles), None)
        if best is not None and scores[best] >= floor * top:
            out.remove(best)
            out.insert(min(depth - 1, len(out)), best)
    return out


def spread(ranked: list[int], passages: list[Passage], exempt: set[int], depth: int, per_document: int,
           per_article: int) -> list[int]:
    """The first `depth` places hold at most `per_document` passages of one text and `per_article`
    paragraphs of one article (not counting the `exempt`); the rest follow in their order."""
    first, rest = [], []
    docs: dict[str, int] = {}
    articles: dict[tuple[str, str], int] = {}
    for i in ranked:
        p = passages[i]
        article = (p.doc_id, p.article) if p.article and i not in exempt else None
        if len(first) < depth and docs.get(p.doc_id, 0) < per_document and (article is None or articles.get(article, 0) < per_article):
            first.append(i)
            docs[p.doc_id] = docs.get(p.doc_id, 0) + 1
            if article is not None:
                articles[article] = articles.get(article, 0) + 1
        else:
            rest.append(i)
    return first + rest


def keep_each_group(ranked: list[int], top_k: int, passages: list[Passage]) -> list[int]:
    order = ranked[:top_k]
    for roles in ROLE_GROUPS:
        if any(passages[i].role in roles for i in order):
            continue
        best = next((i for i in ranked[top_k:] if passages[i].role in roles), None)
        if best is not None and len(order) == top_k:
            # replace the lowest passage of a group that is represented more than once
            for pos in range(len(order) - 1, -1, -1):
                group = _group(passages[order[pos]].role)
                if sum(_group(passages[i].role) == group for i in order) > 1:
                    order[pos] = best
                    break
    return sorted(order, key=ranked.index)


def _group(role: str) -> int:
    return next(n for n, roles in enumerate(ROLE_GROUPS) if role in roles)
