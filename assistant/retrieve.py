"""Hybrid retrieval: dense (all-MiniLM-L6-v2) and lexical (BM25) lists fused by reciprocal rank, then
re-scored with the structure parsed at ingestion: articles named in the question, the articles a
submission paragraph mentions, cross-references between articles, documents named in the question.

An article number named without a document ("What does Article 17 say?") brings that article from
every indexed document that has one, each labelled, rather than silently one treaty."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np

from .errors import UnknownArticle
from .index import Snapshot
from .lexical import gloss, tokenize
from .records import ArticleRef, Hit, Passage, Query, Reason, Source
from .refs import (
    AliasMatcher,
    describe_mention,
    find_refs,
    named_documents,
    strip_references,
)
from .settings import Settings
from .sources import by_id

# Bonuses are in RRF units: 1/(k+1) is what a first place in one list is worth.
ARTICLE_BONUS = 4.5  # above a mention (2) plus first places in both lists (2): a named article leads
PARAGRAPH_BONUS = 1.0
MENTION_BONUS = 2.0
CROSSREF_BONUS = 2.0
NEIGHBOUR_BONUS = 1.0
QUANTITY_BONUS = 0.5  # a question asking "how many / how long" prefers passages that state a quantity
DEFINITION_BONUS = 2.0  # a question asking what a term means prefers the passage that defines it
# BM25's first passage scoring this many times its second is the passage the question quotes or
# closely echoes; rank fusion alone would weigh it like any first place, and the dense model may
# not rank it at all ("judicial review before intrusive measures" came 10th).
DOMINANT_RATIO = 1.5
DOMINANT_BONUS = 1.0
# A passage holding more of the question's concepts (its words or the terms of art they stand for)
# is scaled up by up to this share: BM25 favours short passages that repeat one rare word, the dense
# model passages near the question's general subject; neither asks whether all of it is addressed.
COVERAGE_WEIGHT = 0.2
# all-MiniLM-L6-v2's best cosine says how sure the dense list is. Over the evaluation set, when the
# best match stays below about 0.6 the gold passage is ranked far lower by the dense model than by
# BM25 (bench/RESULTS.md), so that list then counts for less, down to half below 0.5.
DENSE_SURE, DENSE_UNSURE, DENSE_UNSURE_WEIGHT = 0.6, 0.5, 0.5
_QUESTION_WORDS = frozenset(tokenize("what which who does do say says provide provides mean establish deal with about "
                                     "need tell me article articles content contain contains cover covers text"))


# Where a question joins two asks ("How does Budapest's power ... compare with what the NGOs ask
# for ..."; "...; how do the Budapest Convention and UNTOC treat those grounds?").
_CLAUSE_BREAK = re.compile(
    r"[;?]|\b(?:compare[sd]?\s+(?:with|to)|lines?\s+up\s+with|relates?\s+to|in\s+light\s+of|versus|vs\.?"
    r"|and\s+(?=(?:how|why|what|which|whether|does|do|is|are)\b)|(?<=,)\s*(?=(?:how|why|what|which|whether)\b))",
    re.IGNORECASE)


# Questions whose answer is a quantity, and the quantities a legal text states ("ninety days",
# "three or more persons", "at least every four years", "twenty-three experts").
_ASKS_QUANTITY = re.compile(
    r"\bhow\s+(?:many|long|often|old|much|soon|frequently)\b|\b(?:minimum|maximum|longest|shortest|lowest|highest)\b"
    r"|\bwhat\s+(?:age|period|number|percentage|deadline|time\s+limit)\b|\b(?:within|up\s+to)\s+what\b", re.IGNORECASE)
# A quantity asked at the head of a clause is what the question wants: "How many members ...", "Under
# UNCAC, how long ...", "For how long ...", "what is the minimum period". Inside a clause it is part of
# a larger ask: "should there be limits on how long they run", "who oversees them and how long they
# may last", "a say over how many children". Read as quantity questions, those filled the first places
# with passages stating any number of days.
_CLAUSE_HEAD = re.compile(r"(?:^|[.?!;:,]\s*)(?:(?:and|or|but)\s+)?(?:(?:for|within|below|above|after|before|up\s+to|roughly"
                          r"|about|approximately)\s+|(?:what|which)\s+(?:is|are|was|were)\s+the\s+|what\s+|the\s+)?$",
                          re.IGNORECASE)


def asks_at_head(pattern: re.Pattern, text: str) -> bool:
    """Whether `pattern` matches `text` at the head of one of its clauses."""
    return any(_CLAUSE_HEAD.search(text[:m.start()]) for m in pattern.finditer(text))


NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
                "|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion")
_NUMBER = rf"(?:\d+|{NUMBER_WORDS})"
_QUANTITY = re.compile(
    rf"\b{_NUMBER}(?:[-, ]{_NUMBER})*\s+(?:or\s+more\s+|[a-z]+\s+)?(?:days?|weeks?|months?|years?|hours?|persons?|members?|experts?"
    rf"|States?|instruments?|per\s*cent|percent)\b|\bevery\s+{_NUMBER}\b|\bage\s+of\s+{_NUMBER}", re.IGNORECASE)


# "How does CEDAW define discrimination against women?", "what the paper means by gender", "the
# definition of gender mainstreaming": the term asked about, up to a preposition or a clause's end.
_ASKS_DEFINITION = re.compile(
    r"\b(?:defines?|definitions?\s+of|means?\s+by|meant\s+by|meaning\s+of|understands?\s+by|what\s+counts\s+as)\s+"
    r"(?:the\s+(?:term|word|notion|concept)\s+(?:of\s+)?|(?:an?|the)\s+)?[\"'“‘]?(?P<term>[A-Za-z][\w\-]*(?:\s+(?!(?:in|under|for|and|or|as|to|by|when|"
    r"according|within|from|with|is|are|was|were|does|do)\b)[A-Za-z][\w\-]*){0,3})", re.IGNORECASE)


def defining(question: str) -> re.Pattern | None:
    """For a question asking what a term means, a pattern for the passages that define it, as the
    texts do: "the term 'discrimination against women' shall mean", "'computer system' means", "We
    understand gender as"; else None."""
    m = _ASKS_DEFINITION.search(question)
    if m is None:
        return None
    term = r"[\s\-]+".join(re.escape(w) for w in re.split(r"[\s\-]+", m.group("term").strip()))
    quoted = rf"[\"'“‘]?{term}[\"'”’]?"
    return re.compile(rf"\b(?:understands?|understood|defines?|defined)\s+{quoted}\s+as\b"
                      rf"|{quoted}\s+(?:shall\s+mean|means|refers\s+to|is\s+defined\s+as|is\s+understood\s+as)\b",
                      re.IGNORECASE)


def _dense_confidence(dense: np.ndarray, allowed: np.ndarray) -> float:
    top = float(dense[allowed].max()) if allowed.any() else 1.0
    sure = min(max((top - DENSE_UNSURE) / (DENSE_SURE - DENSE_UNSURE), 0.0), 1.0)
    return DENSE_UNSURE_WEIGHT + (1.0 - DENSE_UNSURE_WEIGHT) * sure


def clauses(topic: str) -> list[str]:
    """The asks of a question that joins several, each of at least three terms; none for a single
    ask. One embedding of a two-part question sits between its parts and near neither, so each
    part is embedded too and a passage scores by the part it answers best."""
    parts = [p.strip(" ,") for p in _CLAUSE_BREAK.split(topic) if p and p.strip(" ,")]
    parts = [p for p in parts if len(tokenize(p)) >= 3]
    return parts if len(parts) > 1 else []


def parse_query(text: str, matcher: AliasMatcher, docs: list[str] | None = None, roles: list[str] | None = None,
                unindexed: frozenset[str] = frozenset()) -> Query:
    named = named_documents(text, matcher)
    refs = find_refs(text, matcher)
    if len(named) == 1:
        refs = [ArticleRef(r.article, r.paragraph, r.doc_id or named[0]) for r in refs]
    focus = strip_references(text, matcher, unindexed) if refs or named else text
    topic = focus if len(tokenize(focus)) >= 2 else text
    return Query(text=text, topic=topic, focus=focus, refs=refs, named_docs=named, doc_filter=list(docs or []), role_filter=list(roles or []))


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
        self.matcher = AliasMatcher.build(sources, roles=True)
        self.passages = snapshot.passages
        self._by_article: dict[tuple[str, str], list[int]] = {}
        for i, p in enumerate(self.passages):
            if p.article:
                self._by_article.setdefault((p.doc_id, p.article), []).append(i)
        self._doc = np.asarray([p.doc_id for p in self.passages])
        self._unindexed = frozenset(self.sources) - frozenset(snapshot.doc_ids())
        self._row = {p.id: i for i, p in enumerate(self.passages)}
        self._role = np.asarray([p.role for p in self.passages])
        self._quantity: dict[int, bool] = {}  # filled for candidates only: the regex is slow over a whole corpus

    def search(self, text: str, docs: list[str] | None = None, roles: list[str] | None = None, top_k: int | None = None) -> Retrieval:
        t0 = time.perf_counter()
        query = parse_query(text, self.matcher, docs, roles, self._unindexed)
        self._check_articles(query)
        self._describe_named_articles(query)
        qvecs = self.embedder.embed([gloss(t) for t in [query.topic, *clauses(query.topic)]])
        t1 = time.perf_counter()
        allowed = self._allowed(query)
        dense = np.max([self._dense(v, allowed) for v in qvecs], axis=0)
        lex = self.snapshot.lexical.scores(query.topic)
        lex[~allowed] = 0.0
        t2 = time.perf_counter()
        scores, reasons = self._fuse(dense, lex, allowed)
        scores *= 1.0 + COVERAGE_WEIGHT * self.snapshot.lexical.coverage(query.topic)
        if not query.refs:  # a named article is found by its number, not by echoed words
            self._far_ahead(scores, reasons, lex, allowed)
        self._structure(query, scores, reasons, dense, allowed)
        hits = self._rank(query, scores, reasons, dense, lex, top_k or self.settings.retrieval.top_k)
        t3 = time.perf_counter()
        timings = {"embed": (t1 - t0) * 1e3, "search": (t2 - t1) * 1e3, "rerank": (t3 - t2) * 1e3}
        return Retrieval(query, hits, timings, self._missing(query))

    def _family(self, doc_id: str | None) -> frozenset[str]:
        """The successive drafts of the negotiating text renumber articles and people say "the
        draft" of any of them: a mention in one of them matches a reference to another."""
        src = self.sources.get(doc_id) if doc_id else None
        if src is None or src.role != "negotiating-text":
            return frozenset()
        return frozenset(s.id for s in self.sources.values() if s.role == "negotiating-text")

    def _check_articles(self, q: Query) -> None:
        """An article number that no indexed text has, and that no indexed text mentions, is a typo
        until shown otherwise: say so rather than answer about something else."""
        indexed = set(self.snapshot.doc_ids())
        for ref in q.refs:
            if any(art == ref.article and ref.doc_id in (None, doc) for doc, art in self._by_article):
                continue
            if any(p.mentions and _mentions(p, ref, self._family(ref.doc_id)) for p in self.passages):
                continue
            if ref.doc_id is None:
                raise UnknownArticle(f"no indexed document has an article {ref.article}: check the number, "
                                     "or name the document (`treaty corpus list` shows what is indexed)")
            if ref.doc_id in indexed:
                numbers = sorted({int(a) for d, a in self._by_article if d == ref.doc_id and a.isdigit()})
                name = self.sources[ref.doc_id].short
                span = f" (its articles run {numbers[0]}-{numbers[-1]})" if numbers else ""
                raise UnknownArticle(f"{name} has no article {ref.article}{span}: check the number")

    def _describe_named_articles(self, q: Query) -> None:
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
                if p.mentions and _mentions(p, ref, self._family(ref.doc_id)) and (d := describe_mention(p.text, ref.article)):
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
            n = min(self.settings.retrieval.candidates * 4, len(self.passages))
            for pid, sim in store.query(self.snapshot.folder / "chroma", self.settings.index.chroma_url,
                                        self.snapshot.generation, qvec, n, None):
                out[self._row[pid]] = sim
        else:
            out = np.asarray(self.snapshot.vectors @ qvec, dtype=np.float32)
        return np.where(allowed, out, -1.0)

    def _fuse(self, dense: np.ndarray, lex: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, dict[int, list[Reason]]]:
        """Reciprocal-rank fusion over the union of each list's first `candidates`. A candidate of one
        list is scored by its rank in the other too, however deep: cutting that list at 50 would
        score ECHR art. 8, BM25's 9th and the dense model's 56th, below a passage both rank 30th."""
        r = self.settings.retrieval
        k, n = r.rrf_k, r.candidates
        lists = []
        for name, values, weight in (("dense", dense, r.dense_weight * _dense_confidence(dense, allowed)),
                                     ("bm25", lex, r.lexical_weight)):
            order = np.argsort(-values, kind="stable")
            rank = np.empty(len(values), dtype=np.int64)
            rank[order] = np.arange(1, len(values) + 1)
            # (BM25 ranks only passages holding a query term; Chroma returns only its first n * 4)
            holds = allowed & ((values > 0) if name == "bm25" else (values > -1.0))
            lists.append((name, rank, holds, weight))
        candidate = np.zeros(len(self.passages), dtype=bool)
        for _, rank, holds, _ in lists:
            candidate |= holds & (rank <= n)
        scores = np.zeros(len(self.passages), dtype=np.float64)
        reasons: dict[int, list[Reason]] = {}
        for name, rank, holds, weight in lists:
            use = candidate & holds
            scores[use] += weight / (k + rank[use])
            for i in sorted(np.nonzero(use)[0], key=lambda i: rank[i]):
                reasons.setdefault(int(i), []).append(Reason("fusion", name, str(rank[i]), float(weight / (k + rank[i]))))
        return scores, reasons

    def _far_ahead(self, scores: np.ndarray, reasons, lex: np.ndarray, allowed: np.ndarray) -> None:
        if len(lex) < 2:
            return
        first, second = np.argsort(-lex)[:2]
        # (a passage that alone holds the query's words is as far ahead as can be)
        if allowed[first] and lex[first] > 0 and lex[first] >= DOMINANT_RATIO * lex[second]:
            bonus = DOMINANT_BONUS * self.settings.retrieval.lexical_weight / (self.settings.retrieval.rrf_k + 1)
            scores[first] += bonus
            reasons.setdefault(int(first), []).append(Reason("far-ahead", "far-ahead", delta=bonus))

    def _structure(self, q: Query, scores: np.ndarray, reasons: dict[int, list[Reason]], dense: np.ndarray, allowed: np.ndarray) -> None:
        unit = 1.0 / (self.settings.retrieval.rrf_k + 1)
        matched_articles: set[tuple[str, str]] = set()
        # "What does Article 55 provide?" asks about the article as a whole: read it in order.
        generic = len([t for t in tokenize(q.focus) if t not in _QUESTION_WORDS]) == 0
        for ref in q.refs:
            for (doc, art), rows in self._by_article.items():
                if art != ref.article or (ref.doc_id and doc != ref.doc_id):
                    continue
                matched_articles.add((doc, art))
                for pos, i in enumerate(rows):
                    if not allowed[i]:
                        continue
                    p = self.passages[i]
                    bonus = ARTICLE_BONUS + (PARAGRAPH_BONUS if ref.paragraph and p.paragraph == ref.paragraph else 0.0)
                    if generic:
                        bonus += 1.0 / (pos + 1)
                    scores[i] += bonus * unit
                    reasons.setdefault(i, []).append(Reason("articles", "article", art, bonus * unit))
            family = self._family(ref.doc_id)
            for i, p in enumerate(self.passages):
                if allowed[i] and p.mentions and _mentions(p, ref, family):
                    scores[i] += MENTION_BONUS * unit
                    reasons.setdefault(i, []).append(Reason("mentions", "mention", ref.article, MENTION_BONUS * unit))
                    self._neighbours(i, ref.article, scores, reasons, allowed, unit)
        self._crossrefs(matched_articles, scores, reasons, allowed, unit)
        if asks_at_head(_ASKS_QUANTITY, q.text):
            for i in np.nonzero(scores > 0)[0]:
                if self._states_quantity(int(i)):
                    scores[i] += QUANTITY_BONUS * unit
                    reasons.setdefault(int(i), []).append(Reason("quantity", "quantity", delta=QUANTITY_BONUS * unit))
        if (defines := defining(q.text)) is not None:
            for i, p in enumerate(self.passages):
                if allowed[i] and defines.search(p.text):
                    scores[i] += DEFINITION_BONUS * unit
                    reasons.setdefault(i, []).append(Reason("definition", "definition", delta=DEFINITION_BONUS * unit))
        if q.named_docs and not q.refs:
            bonus = self.settings.retrieval.named_doc_bonus * unit
            for i, p in enumerate(self.passages):
                if allowed[i] and p.doc_id in q.named_docs and scores[i] > 0:
                    scores[i] += bonus

    def _states_quantity(self, i: int) -> bool:
        if i not in self._quantity:
            self._quantity[i] = bool(_QUANTITY.search(self.passages[i].text))
        return self._quantity[i]

    def _neighbours(self, i: int, article: str, scores, reasons, allowed, unit) -> None:
        """A paragraph that mentions an article often continues the argument of the one before or
        after it (same section): those get a share, if the question's terms or meaning reach them."""
        p = self.passages[i]
        for j in (i - 1, i + 1):
            if 0 <= j < len(self.passages) and allowed[j] and scores[j] > 0:
                q = self.passages[j]
                if q.doc_id == p.doc_id and q.kind == p.kind and q.heading_path == p.heading_path:
                    scores[j] += NEIGHBOUR_BONUS * unit
                    reasons.setdefault(j, []).append(Reason("mentions", "neighbour", article, NEIGHBOUR_BONUS * unit))

    def _crossrefs(self, matched: set[tuple[str, str]], scores, reasons, allowed, unit) -> None:
        """An article that is "subject to Articles 14 and 15" brings the best-matching paragraph of each."""
        targets = {(doc, r): art for doc, art in matched for i in self._by_article[(doc, art)] for r in self.passages[i].refs}
        for key, source in targets.items():
            rows = [i for i in self._by_article.get(key, []) if allowed[i]]
            if rows and key not in matched:
                best = max(rows, key=lambda i: scores[i])
                scores[best] += CROSSREF_BONUS * unit
                reasons.setdefault(best, []).append(Reason("crossrefs", "crossref", source, CROSSREF_BONUS * unit))

    def _rank(self, q: Query, scores: np.ndarray, reasons, dense, lex, top_k: int) -> list[Hit]:
        ranked = self._each_document_first(q, [int(i) for i in np.argsort(-scores) if scores[i] > 0])
        of_named_article = {i for i in ranked if any(r.rule == "article" for r in reasons.get(i, []))}
        if not q.role_filter:
            plain = [i for i in ranked if all(r.rule in _SEARCH_RULES for r in reasons.get(i, []))]
            # the paragraphs of a named article do not count against the places the groups share
            named = len(of_named_article.intersection(ranked[:5]))
            ranked = _lift_each_group(ranked, scores, self.passages, self.settings.retrieval.group_floor,
                                      depth=5 + named, top=scores[plain[0]] if plain else None)
        if len(set(q.named_docs) - self._unindexed) >= 2:
            ranked = _spread(ranked, self.passages, of_named_article)
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

    def _each_document_first(self, q: Query, ranked: list[int]) -> list[int]:
        """The best passage of each document the question names comes first, and so does, for an
        article number named without a document, each document's article: one long article cannot
        crowd the others out."""
        ambiguous = {r.article for r in q.refs if r.doc_id is None}
        named = set(q.named_docs)
        if not ambiguous and not named:
            return ranked
        firsts, seen = [], set()
        for i in ranked:
            p = self.passages[i]
            key = (p.doc_id, p.article) if p.article in ambiguous else (p.doc_id, None) if p.doc_id in named else None
            if key is not None and key not in seen:
                seen.add(key)
                firsts.append(i)
        taken = set(firsts)
        return firsts + [i for i in ranked if i not in taken]

    def _missing(self, q: Query) -> list[str]:
        indexed = set(self.snapshot.doc_ids())
        wanted = list(q.named_docs)
        for ref in q.refs:
            if ref.doc_id:
                wanted.append(ref.doc_id)
            # the text that numbers the article so: "Article 5 of the draft" is A/AC.291/16's article 5,
            # and the submission's "Article 87" is the one of the draft it comments on
            family = self._family(ref.doc_id)
            wanted += [doc for p in self.passages for m in p.mentions for doc, _, art in [m.partition(":")]
                       if art == ref.article and (ref.doc_id in (None, p.doc_id) or doc in family)]
        return [d for d in dict.fromkeys(wanted) if d not in indexed and d in self.sources]


# Rules that say how search alone found a passage, structure aside.
_SEARCH_RULES = frozenset({"dense", "bm25", "far-ahead", "quantity"})


# A review sets the treaty text beside the critique of it and the human-rights law it must meet;
# each of these groups found among the candidates keeps at least its best passage in the results.
ROLE_GROUPS = (("negotiating-text", "comparator"), ("submission",), ("instrument",))


def _lift_each_group(ranked: list[int], scores: np.ndarray, passages: list[Passage], floor: float, depth: int = 5,
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


# A question that names several texts asks about each: the first five places hold at most three
# passages of one text and two paragraphs of one article (unless the question names that article),
# so that four paragraphs of UNCAC art. 60 cannot keep the submission's second passage, or another
# provision of the same text, out of sight. Measured in bench/RESULTS.md (sixth session).
SPREAD_DEPTH, PER_DOCUMENT, PER_ARTICLE = 5, 3, 2


def _spread(ranked: list[int], passages: list[Passage], exempt: set[int]) -> list[int]:
    first, rest = [], []
    docs: dict[str, int] = {}
    articles: dict[tuple[str, str], int] = {}
    for i in ranked:
        p = passages[i]
        article = (p.doc_id, p.article) if p.article and i not in exempt else None
        if len(first) < SPREAD_DEPTH and docs.get(p.doc_id, 0) < PER_DOCUMENT and (article is None or articles.get(article, 0) < PER_ARTICLE):
            first.append(i)
            docs[p.doc_id] = docs.get(p.doc_id, 0) + 1
            if article is not None:
                articles[article] = articles.get(article, 0) + 1
        else:
            rest.append(i)
    return first + rest


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


def names_it(hit: Hit) -> bool:
    """Whether the question named this passage: its article, or an article the passage mentions."""
    return any(r.rule in ("article", "mention") for r in hit.reasons)


def _mentions(p: Passage, ref: ArticleRef, family: frozenset[str] = frozenset()) -> bool:
    for m in p.mentions:
        doc, _, art = m.partition(":")
        if art == ref.article and (ref.doc_id is None or ref.doc_id in (doc, p.doc_id) or doc in family):
            return True
    return False
