"""Candidate generators: a score per passage from the dense model and from BM25, and the paragraphs
of an article the question names, found by number."""

from __future__ import annotations

import numpy as np

from ..index import Snapshot
from ..lexical import gloss
from ..records import ArticleRef, Query, Reason
from ..settings import Settings
from .stages import Corpus, Pool, unit


class Dense:
    """Cosine of each passage to the question and to each of its asks, the best of them; -1 for
    passages outside the filters (and, with Chroma, beyond the first candidates it returns)."""

    def __init__(self, settings: Settings, snapshot: Snapshot, embedder):
        self.settings = settings
        self.snapshot = snapshot
        self.embedder = embedder
        self._row = {p.id: i for i, p in enumerate(snapshot.passages)}

    def embed(self, query: Query) -> list[np.ndarray]:
        return self.embedder.embed([gloss(t) for t in [query.topic, *query.clauses]])

    def __call__(self, qvecs: list[np.ndarray], allowed: np.ndarray) -> np.ndarray:
        return np.max([self._one(v, allowed) for v in qvecs], axis=0)

    def _one(self, qvec: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        n_passages = len(self.snapshot.passages)
        if self.settings.retrieval.dense == "chroma":
            from .. import store

            out = np.full(n_passages, -1.0, dtype=np.float32)
            n = min(self.settings.retrieval.candidates * 4, n_passages)
            for pid, sim in store.query(self.snapshot.folder / "chroma", self.settings.index.chroma_url,
                                        self.snapshot.generation, qvec, n, None):
                out[self._row[pid]] = sim
        else:
            out = np.asarray(self.snapshot.vectors @ qvec, dtype=np.float32)
        return np.where(allowed, out, -1.0)


class Lexical:
    """BM25 score of each passage for the question's topic; 0 outside the filters."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot

    def __call__(self, query: Query, allowed: np.ndarray) -> np.ndarray:
        lex = self.snapshot.lexical.scores(query.topic)
        lex[~allowed] = 0.0
        return lex


class ArticleLookup:
    """The paragraphs of an article the question names get a bonus large enough to lead, whatever
    their words; a question that asks about the article as a whole ("What does Article N
    provide?") reads it in order, its first paragraph first."""

    def __init__(self, settings: Settings, corpus: Corpus):
        self.settings = settings
        self.corpus = corpus

    def matched(self, ref: ArticleRef) -> list[tuple[str, str]]:
        return [(doc, art) for doc, art in self.corpus.by_article
                if art == ref.article and not (ref.doc_id and doc != ref.doc_id)]

    def __call__(self, ref: ArticleRef, pool: Pool, generic: bool) -> None:
        r = self.settings.retrieval
        for doc, art in self.matched(ref):
            for pos, i in enumerate(self.corpus.by_article[(doc, art)]):
                if not pool.allowed[i]:
                    continue
                p = self.corpus.passages[i]
                bonus = r.article_bonus + (r.paragraph_bonus if ref.paragraph and p.paragraph == ref.paragraph else 0.0)
                if generic:
                    bonus += 1.0 / (pos + 1)
                pool.add(i, Reason("references", "article", art, bonus * unit(self.settings)))
