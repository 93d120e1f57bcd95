"""Hybrid retrieval: dense (all-MiniLM-L6-v2) and lexical (BM25) lists fused by reciprocal rank, then
re-scored with the structure parsed at ingestion: articles named in the question, the articles a
submission paragraph mentions, cross-references between articles, documents named in the question.

An article number named without a document ("What does Article 17 say?") brings that article from
every indexed document that has one, each labelled, rather than silently one treaty."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .index import Snapshot
from .records import ArticleRef, Hit, Passage, Query, Source
from .lexical import tokenize
from .refs import AliasMatcher, describe_mention, find_refs, named_documents, strip_references
from .settings import Settings
from .sources import by_id

# Bonuses are in RRF units: 1/(k+1) is what a first place in one list is worth.
ARTICLE_BONUS = 3.0
PARAGRAPH_BONUS = 1.0
MENTION_BONUS = 2.0
CROSSREF_BONUS = 2.0
NAMED_DOC_BONUS = 0.8
NEIGHBOUR_BONUS = 1.0


def parse_query(text: str, matcher: AliasMatcher, docs: list[str] | None = None, roles: list[str] | None = None) -> Query:
    named = named_documents(text, matcher)
    refs = find_refs(text, matcher)
    if len(named) == 1:
        refs = [ArticleRef(r.article, r.paragraph, r.doc_id or named[0]) for r in refs]
    topic = strip_references(text, matcher) if refs or named else text
    if len(tokenize(topic)) < 2:
        topic = text
    return Query(text=text, topic=topic, focus=topic, refs=refs, named_docs=named, doc_filter=list(docs or []), role_filter=list(roles or []))


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
        self.matcher = AliasMatcher.build(sources)
        self.passages = snapshot.passages
        self._by_article: dict[tuple[str, str], list[int]] = {}
        for i, p in enumerate(self.passages):
            if p.article:
                self._by_article.setdefault((p.doc_id, p.article), []).append(i)
        self._doc = np.asarray([p.doc_id for p in self.passages])
        self._role = np.asarray([p.role for p in self.passages])

    def search(self, text: str, docs: list[str] | None = None, roles: list[str] | None = None, top_k: int | None = None) -> Retrieval:
        t0 = time.perf_counter()
        query = parse_query(text, self.matcher, docs, roles)
        self._describe_unindexed(query)
        qvec = self.embedder.embed([query.topic])[0]
        t1 = time.perf_counter()
        allowed = self._allowed(query)
        dense = self._dense(qvec, allowed)
        lex = self.snapshot.lexical.scores(query.topic)
        lex[~allowed] = 0.0
        t2 = time.perf_counter()
        scores, reasons = self._fuse(dense, lex, allowed)
        self._structure(query, scores, reasons, dense, allowed)
        hits = self._rank(query, scores, reasons, dense, lex, top_k or self.settings.retrieval.top_k)
        t3 = time.perf_counter()
        timings = {"embed": (t1 - t0) * 1e3, "search": (t2 - t1) * 1e3, "rerank": (t3 - t2) * 1e3}
        return Retrieval(query, hits, timings, self._missing(query))

    def _describe_unindexed(self, q: Query) -> None:
        """A named article is searched for by what it is about, not by its number: its title when its
        document is indexed ("Interception of content data"), else what other documents say of it
        (the submission's "real-time collection of traffic data (article 73)")."""
        for ref in q.refs:
            titles = {self.passages[rows[0]].heading_path[-1].partition(" – ")[2]
                      for (doc, art), rows in self._by_article.items()
                      if art == ref.article and ref.doc_id in (None, doc)}
            if titles:
                if ref.doc_id:  # one document: its title says what the question is about
                    q.topic = f"{q.topic} {' '.join(t for t in titles if t)}".strip()
                continue
            for p in self.passages:
                if p.mentions and _mentions(p, ref) and (d := describe_mention(p.text, ref.article)):
                    q.topic = f"{q.topic} {d}"
                    break

    def _allowed(self, q: Query) -> np.ndarray:
        mask = np.ones(len(self.passages), dtype=bool)
        if q.doc_filter:
            mask &= np.isin(self._doc, q.doc_filter)
        if q.role_filter:
            mask &= np.isin(self._role, q.role_filter)
        return mask

    def _dense(self, qvec: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        if self.settings.retrieval.dense == "chroma":
            from . import store

            out = np.full(len(self.passages), -1.0, dtype=np.float32)
            row = {p.id: i for i, p in enumerate(self.passages)}
            n = min(self.settings.retrieval.candidates * 4, len(self.passages))
            for pid, sim in store.query(self.snapshot.folder / "chroma", self.settings.index.chroma_url,
                                        self.snapshot.generation, qvec, n, None):
                out[row[pid]] = sim
        else:
            out = np.asarray(self.snapshot.vectors @ qvec, dtype=np.float32)
        return np.where(allowed, out, -1.0)

    def _fuse(self, dense: np.ndarray, lex: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, dict[int, list[str]]]:
        k, n = self.settings.retrieval.rrf_k, self.settings.retrieval.candidates
        scores = np.zeros(len(self.passages), dtype=np.float64)
        reasons: dict[int, list[str]] = {}
        for name, values in (("dense", dense), ("bm25", lex)):
            order = np.argsort(-values)[:n]
            for rank, i in enumerate(order):
                if allowed[i] and (name == "dense" or values[i] > 0):
                    scores[i] += 1.0 / (k + rank + 1)
                    reasons.setdefault(int(i), []).append(f"{name}#{rank + 1}")
        return scores, reasons

    def _structure(self, q: Query, scores: np.ndarray, reasons: dict[int, list[str]], dense: np.ndarray, allowed: np.ndarray) -> None:
        unit = 1.0 / (self.settings.retrieval.rrf_k + 1)
        matched_articles: set[tuple[str, str]] = set()
        for ref in q.refs:
            for (doc, art), rows in self._by_article.items():
                if art != ref.article or (ref.doc_id and doc != ref.doc_id):
                    continue
                matched_articles.add((doc, art))
                for i in rows:
                    if not allowed[i]:
                        continue
                    p = self.passages[i]
                    bonus = ARTICLE_BONUS + (PARAGRAPH_BONUS if ref.paragraph and p.paragraph == ref.paragraph else 0.0)
                    scores[i] += bonus * unit
                    reasons.setdefault(i, []).append(f"article {art} named")
            for i, p in enumerate(self.passages):
                if allowed[i] and p.mentions and _mentions(p, ref):
                    scores[i] += MENTION_BONUS * unit
                    reasons.setdefault(i, []).append(f"mentions article {ref.article}")
                    self._neighbours(i, scores, reasons, allowed, unit)
        self._crossrefs(matched_articles, scores, reasons, allowed, unit)
        if q.named_docs and not q.refs:
            for i, p in enumerate(self.passages):
                if allowed[i] and p.doc_id in q.named_docs:
                    scores[i] += NAMED_DOC_BONUS * unit * max(float(dense[i]), 0.0)

    def _neighbours(self, i: int, scores, reasons, allowed, unit) -> None:
        """A paragraph that mentions an article often continues the argument of the one before or
        after it (same section): those get a share, if the question's terms or meaning reach them."""
        p = self.passages[i]
        for j in (i - 1, i + 1):
            if 0 <= j < len(self.passages) and allowed[j] and scores[j] > 0:
                q = self.passages[j]
                if q.doc_id == p.doc_id and q.kind == p.kind and q.heading_path == p.heading_path:
                    scores[j] += NEIGHBOUR_BONUS * unit
                    reasons.setdefault(j, []).append("next to a paragraph that mentions it")

    def _crossrefs(self, matched: set[tuple[str, str]], scores, reasons, allowed, unit) -> None:
        """An article that is "subject to Articles 14 and 15" brings the best-matching paragraph of each."""
        targets = {(doc, r): art for doc, art in matched for i in self._by_article[(doc, art)] for r in self.passages[i].refs}
        for key, source in targets.items():
            rows = [i for i in self._by_article.get(key, []) if allowed[i]]
            if rows and key not in matched:
                best = max(rows, key=lambda i: scores[i])
                scores[best] += CROSSREF_BONUS * unit
                reasons.setdefault(best, []).append(f"article {source} refers to it")

    def _rank(self, q: Query, scores: np.ndarray, reasons, dense, lex, top_k: int) -> list[Hit]:
        ranked = [int(i) for i in np.argsort(-scores) if scores[i] > 0]
        order = _keep_each_group(ranked, top_k, self.passages) if not q.role_filter else ranked[:top_k]
        ambiguous = {r.article for r in q.refs if r.doc_id is None}
        hits = []
        for i in order:
            p = self.passages[i]
            label = ""
            if p.article in ambiguous and len({d for d, a in self._by_article if a == p.article}) > 1:
                label = f"Article {p.article} of {self.sources[p.doc_id].short}" if p.doc_id in self.sources else p.doc_id
            hits.append(Hit(passage=p, score=float(scores[i]), dense=float(dense[i]), lexical=float(lex[i]),
                            reasons=reasons.get(i, []), label=label))
        return hits

    def _missing(self, q: Query) -> list[str]:
        indexed = set(self.snapshot.doc_ids())
        wanted = list(q.named_docs)
        for ref in q.refs:
            if ref.doc_id:
                wanted.append(ref.doc_id)
            else:
                wanted += [m.split(":")[0] for p in self.passages for m in p.mentions if m.endswith(f":{ref.article}")]
        return [d for d in dict.fromkeys(wanted) if d not in indexed and d in self.sources]


# A review sets the treaty text beside the critique of it and the human-rights law it must meet;
# each of these groups found among the candidates keeps at least its best passage in the results.
ROLE_GROUPS = (("negotiating-text", "comparator"), ("submission",), ("instrument",))


def _keep_each_group(ranked: list[int], top_k: int, passages: list[Passage]) -> list[int]:
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


def _mentions(p: Passage, ref: ArticleRef) -> bool:
    for m in p.mentions:
        doc, _, art = m.partition(":")
        if art == ref.article and (ref.doc_id is None or ref.doc_id in (doc, p.doc_id)):
            return True
    return False
