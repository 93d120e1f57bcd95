"""Scoring stages: each re-scores the fused pool by one rule of the structure parsed at ingestion
(articles named in the question, the articles a submission paragraph mentions, cross-references
between articles, documents named) or of what the question asks (all its concepts, a quantity, a
definition). They run in the order `settings.retrieval.stages` gives."""

from __future__ import annotations

import re

import numpy as np

from ..records import ArticleRef, Query, Reason
from ..settings import Settings
from .candidates import ArticleLookup
from ..query.stated import QUANTITY
from .stages import Corpus, Pool, mentions, register, unit


class _Stage:
    def __init__(self, settings: Settings, corpus: Corpus):
        self.settings = settings
        self.corpus = corpus
        self.r = settings.retrieval
        self.unit = unit(settings)


@register("coverage")
class Coverage(_Stage):
    """A passage holding more of the question's concepts is scaled up by up to `coverage_weight`."""

    def __call__(self, query: Query, pool: Pool) -> Pool:
        cov = self.corpus.lexical.coverage(query.topic)
        before = pool.scores.copy()
        pool.scores *= 1.0 + self.r.coverage_weight * cov
        moved = np.nonzero(pool.scores != before)[0]
        for i, share, delta in zip(moved.tolist(), cov[moved].tolist(), (pool.scores - before)[moved].tolist()):
            pool.reasons.setdefault(i, []).append(Reason(self.name, "coverage", f"{share:.0%}", delta))
        return pool


@register("far-ahead")
class FarAhead(_Stage):
    """BM25's first passage, when far ahead of its second, gets another first place's worth; not
    when the question names an article, which is found by its number rather than echoed words."""

    def __call__(self, query: Query, pool: Pool) -> Pool:
        lex = pool.lexical
        if query.refs or len(lex) < 2:
            return pool
        first, second = np.argsort(-lex)[:2]
        # (a passage that alone holds the query's words is as far ahead as can be)
        if pool.allowed[first] and lex[first] > 0 and lex[first] >= self.r.dominant_ratio * lex[second]:
            pool.add(first, Reason(self.name, "far-ahead", delta=self.r.dominant_bonus * self.r.lexical_weight / (self.r.rrf_k + 1)))
        return pool


@register("references")
class References(_Stage):
    """For each article the question names, in the question's order: its paragraphs (found by
    number), the passages that mention it, and their neighbours. One reference at a time, because
    a neighbour shares only if it already scores."""

    def __init__(self, settings: Settings, corpus: Corpus):
        super().__init__(settings, corpus)
        self.lookup = ArticleLookup(settings, corpus)

    def __call__(self, query: Query, pool: Pool) -> Pool:
        # a question asking about the article as a whole reads it in order
        for ref in query.refs:
            self.lookup(ref, pool, query.generic)
            self._mentions(ref, pool)
        return pool

    def _mentions(self, ref: ArticleRef, pool: Pool) -> None:
        family = self.corpus.family(ref.doc_id)
        for i, p in enumerate(self.corpus.passages):
            if pool.allowed[i] and p.mentions and mentions(p, ref, family):
                pool.add(i, Reason(self.name, "mention", ref.article, self.r.mention_bonus * self.unit))
                self._neighbours(i, ref.article, pool)

    def _neighbours(self, i: int, article: str, pool: Pool) -> None:
        """A paragraph that mentions an article often continues the argument of the one before or
        after it (same section): those get a share, if the question's terms or meaning reach them."""
        passages = self.corpus.passages
        p = passages[i]
        for j in (i - 1, i + 1):
            if 0 <= j < len(passages) and pool.allowed[j] and pool.scores[j] > 0:
                q = passages[j]
                if q.doc_id == p.doc_id and q.kind == p.kind and q.heading_path == p.heading_path:
                    pool.add(j, Reason(self.name, "neighbour", article, self.r.neighbour_bonus * self.unit))


@register("crossrefs")
class CrossRefs(_Stage):
    """An article that is "subject to Articles 14 and 15" brings the best-matching paragraph of each."""

    def __call__(self, query: Query, pool: Pool) -> Pool:
        lookup = ArticleLookup(self.settings, self.corpus)
        matched = {key for ref in query.refs for key in lookup.matched(ref)}
        by_article, passages = self.corpus.by_article, self.corpus.passages
        targets = {(doc, r): art for doc, art in matched for i in by_article[(doc, art)] for r in passages[i].refs}
        for key, source in targets.items():
            rows = [i for i in by_article.get(key, []) if pool.allowed[i]]
            if rows and key not in matched:
                best = max(rows, key=lambda i: pool.scores[i])
                pool.add(best, Reason(self.name, "crossref", source, self.r.crossref_bonus * self.unit))
        return pool


@register("quantity")
class Quantity(_Stage):
    """A question asking "how many / how long" prefers the scored passages that state a quantity."""

    def __init__(self, settings: Settings, corpus: Corpus):
        super().__init__(settings, corpus)
        self._states: dict[int, bool] = {}  # filled for candidates only: the regex is slow over a whole corpus

    def __call__(self, query: Query, pool: Pool) -> Pool:
        if query.quantity:
            for i in np.nonzero(pool.scores > 0)[0]:
                if self._states_quantity(int(i)):
                    pool.add(int(i), Reason(self.name, "quantity", delta=self.r.quantity_bonus * self.unit))
        return pool

    def _states_quantity(self, i: int) -> bool:
        if i not in self._states:
            self._states[i] = bool(QUANTITY.search(self.corpus.passages[i].text))
        return self._states[i]


@register("definition")
class Definition(_Stage):
    """A question asking what a term means prefers the passage that defines it."""

    def __call__(self, query: Query, pool: Pool) -> Pool:
        defines = defining(query.term)
        if defines is not None:
            for i, p in enumerate(self.corpus.passages):
                if pool.allowed[i] and defines.search(p.text):
                    pool.add(i, Reason(self.name, "definition", delta=self.r.definition_bonus * self.unit))
        return pool


@register("named-documents")
class NamedDocuments(_Stage):
    """The scored passages of a document the question names (without naming an article) gain a little."""

    def __call__(self, query: Query, pool: Pool) -> Pool:
        if query.named_docs and not query.refs:
            bonus = self.r.named_doc_bonus * self.unit
            for i, p in enumerate(self.corpus.passages):
                if pool.allowed[i] and p.doc_id in query.named_docs and pool.scores[i] > 0:
                    pool.add(i, Reason(self.name, "named-document", p.doc_id, bonus))
        return pool


def defining(term: str) -> re.Pattern | None:
    """For a question asking what `term` means, a pattern for the passages that define it, as the
    texts do: "the term 'x' shall mean", "'x' means", "We understand x as"; else None."""
    if not term:
        return None
    words = r"[\s\-]+".join(re.escape(w) for w in re.split(r"[\s\-]+", term))
    quoted = rf"[\"'“‘]?{words}[\"'”’]?"
    return re.compile(rf"\b(?:understands?|understood|defines?|defined)\s+{quoted}\s+as\b"
                      rf"|{quoted}\s+(?:shall\s+mean|means|refers\s+to|is\s+defined\s+as|is\s+understood\s+as)\b",
                      re.IGNORECASE)
