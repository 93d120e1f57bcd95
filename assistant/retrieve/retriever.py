"""The retriever: reads the question once (query.QueryReader), asks the candidate generators, fuses their lists and runs the
rerank stages the settings name, then labels the hits."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import UnknownArticle
from ..index.snapshot import Snapshot
from ..records import Hit, Query, Source
from ..query.reader import QueryReader
from ..settings import Settings
from ..library.catalogue import by_id
from . import follow, order, rerank  # noqa: F401  (registers the built-in stages)
from .candidates import Dense, Lexical
from .fusion import fuse
from ..query.refs import mentions
from .scope import scope_draft_numbers
from .stages import Corpus, Pool, build_stages


@dataclass
class Retrieval:
    query: Query
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)
    # Registered documents the question names (or whose articles it asks about) that are not indexed.
    missing: list[str] = field(default_factory=list)


class Retriever:
    """Holds an open index and the embedder; reuse one across questions (TUI, batch, eval)."""

    def __init__(self, settings: Settings, snapshot: Snapshot, embedder, sources: list[Source]):
        self.settings = settings
        self.snapshot = snapshot
        self.embedder = embedder
        self.sources = by_id(sources)
        self.passages = snapshot.passages
        self.corpus = Corpus(self.passages, self.sources, snapshot.lexical,
                             frozenset(self.sources) - frozenset(snapshot.doc_ids()), snapshot.provisions)
        self.reader = QueryReader(sources, self.corpus, settings.query.rules_off)
        self.matcher = self.reader.matcher
        self.dense = Dense(settings, snapshot, embedder)
        self.lexical = Lexical(snapshot)
        self.stages = build_stages(settings, self.corpus)
        self._doc = np.asarray([p.doc_id for p in self.passages])
        self._role = np.asarray([p.role for p in self.passages])

    def search(self, text: str, docs: list[str] | None = None, roles: list[str] | None = None, top_k: int | None = None) -> Retrieval:
        t0 = time.perf_counter()
        query = self.reader(text, docs, roles)
        scope_draft_numbers(query, self.corpus)
        self._check_articles(query)
        qvecs = self.dense.embed(query)
        t1 = time.perf_counter()
        allowed = self._allowed(query)
        dense = self.dense(qvecs, allowed)
        lex = self.lexical(query, allowed)
        t2 = time.perf_counter()
        pool = fuse(self.settings.retrieval, dense, lex, allowed, top_k or self.settings.retrieval.top_k)
        for stage in self.stages:
            pool = stage(query, pool)
        hits = self._hits(query, pool)
        t3 = time.perf_counter()
        timings = {"embed": (t1 - t0) * 1e3, "search": (t2 - t1) * 1e3, "rerank": (t3 - t2) * 1e3}
        return Retrieval(query, hits, timings, self._missing(query))

    def _check_articles(self, q: Query) -> None:
        """An article number that no indexed text has, and that no indexed text mentions, is a typo
        until shown otherwise: say so rather than answer about something else."""
        by_article = self.corpus.by_article
        for ref in q.refs:
            if any(art == ref.article and ref.doc_id in (None, doc) for doc, art in by_article):
                continue
            if any(p.mentions and mentions(p, ref, self.corpus.family(ref.doc_id)) for p in self.passages):
                continue
            if ref.doc_id is None:
                raise UnknownArticle(f"no indexed document has an article {ref.article}: check the number, "
                                     "or name the document (`treaty corpus list` shows what is indexed)")
            if ref.doc_id in set(self.snapshot.doc_ids()):
                numbers = sorted({int(a) for d, a in by_article if d == ref.doc_id and a.isdigit()})
                name = self.sources[ref.doc_id].short
                span = f" (its articles run {numbers[0]}-{numbers[-1]})" if numbers else ""
                raise UnknownArticle(f"{name} has no article {ref.article}{span}: check the number")

    def _allowed(self, q: Query) -> np.ndarray:
        mask = np.ones(len(self.passages), dtype=bool)
        if q.doc_filter:
            mask &= np.isin(self._doc, q.doc_filter)
        if q.role_filter:
            mask &= np.isin(self._role, q.role_filter)
        return mask

    def _hits(self, q: Query, pool: Pool) -> list[Hit]:
        """The first `top_k` of the final order, an article named without a document labelled with
        the document it is from when several have one by that number."""
        ambiguous = {r.article for r in q.refs if r.doc_id is None}
        hits = []
        for i in pool.ranking()[:pool.top_k]:
            p = self.passages[i]
            label = ""
            if p.article in ambiguous and len({d for d, a in self.corpus.by_article if a == p.article}) > 1:
                label = f"Article {p.article} of {self.sources[p.doc_id].short}" if p.doc_id in self.sources else p.doc_id
            hits.append(Hit(passage=p, score=float(pool.scores[i]), dense=float(pool.dense[i]), lexical=float(pool.lexical[i]),
                            reasons=pool.reasons.get(i, []), label=label))
        return hits

    def _missing(self, q: Query) -> list[str]:
        indexed = set(self.snapshot.doc_ids())
        wanted = list(q.named_docs)
        for ref in q.refs:
            if ref.doc_id:
                wanted.append(ref.doc_id)
            # the text that numbers the article so: "Article N of the draft" is the draft's article N,
            # and a submission's "Article N" is the one of the draft it comments on
            family = self.corpus.family(ref.doc_id)
            wanted += [doc for p in self.passages for m in p.mentions for doc, _, art in [m.partition(":")]
                       if art == ref.article and (ref.doc_id in (None, p.doc_id) or doc in family)]
        return [d for d in dict.fromkeys(wanted) if d not in indexed and d in self.sources]


def names_it(hit: Hit) -> bool:
    """Whether the question named this passage: its article, or an article the passage mentions."""
    return any(r.rule in ("article", "mention") for r in hit.reasons)
