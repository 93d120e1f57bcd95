"""Lexical side of hybrid retrieval: BM25 built with bm25s, scored at query time from its saved arrays.

bm25s precomputes one BM25 weight per (token, passage) into a sparse matrix; a query's scores are the
sums of its tokens' columns. Reading those arrays with numpy keeps bm25s (and scipy, ~0.4 s to import)
off the one-shot query path while the weighting stays the library's."""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from collections import Counter
from importlib.resources import files
from pathlib import Path

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    "a about above after again against all am an and any are as at be because been before being below between both "
    "but by can could did do does doing down during each few for from further had has have having he her here hers "
    "him his how i if in into is it its itself just me more most my no nor not now of off on once only or other our "
    "out over own same she should so some such than that the their them then there these they this those through to "
    "too under until up very was we were what when where which while who whom why will with would you your "
    "say says said tell us".split()
)


def _stem(token: str) -> str:
    # Deliberately light: plural and a few inflections, so "rights"/"right" and "require", "requires",
    # "required", "requiring" meet (a final "e" goes, or "derogate" would miss "derogating").
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if token.endswith(suffix) and len(token) - len(suffix) >= 4 and not token.endswith("ss"):
            token = token[: len(token) - len(suffix)] + repl
            break
    return token[:-1] if token.endswith("e") and len(token) >= 5 else token


def tokenize(text: str) -> list[str]:
    return [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]


# Package data beside this module, found as the other shipped data are (installed wheel or checkout).
THESAURUS_FILE = Path(str(files(__package__) / "thesaurus.toml"))
# Entries under this table expand questions but are not read backwards into passages' vectors.
QUESTIONS_ONLY = "questions"


def _load_thesaurus() -> tuple[dict[str, list[str]], dict[str, list[str]], list[tuple[str, list[str]]]]:
    """(stem -> tokenised terms for BM25, stem -> the terms as written, for the dense gloss, and each
    plain word with its tokenised terms, for reading the thesaurus backwards). Keys that share a
    stem ("hack", "hacking") pool their terms."""
    with open(THESAURUS_FILE, "rb") as fh:
        entries = tomllib.load(fh)
    questions_only = entries.pop(QUESTIONS_ONLY, {})
    tokens: dict[str, list[str]] = {}
    words: dict[str, list[str]] = {}
    for word, terms in [*entries.items(), *questions_only.items()]:
        key = _stem(word)
        tokens[key] = list(dict.fromkeys(tokens.get(key, []) + tokenize(terms)))
        words[key] = list(dict.fromkeys(words.get(key, []) + terms.split()))
    plain = [(word, tokenize(terms)) for word, terms in entries.items() if tokenize(terms)]
    return tokens, words, plain



_SYNONYMS, _GLOSSES, _PLAIN = _load_thesaurus()
# A term of art many plain words stand for ("data", "State") says little about which plain word a
# passage answers to; one that few do ("interception") says much. Counted in the thesaurus, not in
# the corpus, so that a passage's plain words depend on its own text only (incremental indexing).
_SPECIFICITY = {t: math.log(len(_PLAIN) / n)
                for t, n in Counter(t for _, terms in _PLAIN for t in set(terms)).items()}
_PLAIN_BY_TERM: dict[str, list[int]] = {}
for _n, (_, _terms) in enumerate(_PLAIN):
    for _t in set(_terms):
        _PLAIN_BY_TERM.setdefault(_t, []).append(_n)
PLAIN_WORDS = 10
# What a passage's plain words depend on besides its text: part of the index's key for a vector.
# Only the entries read backwards count: a new entry for questions only re-embeds nothing.
THESAURUS_DIGEST = hashlib.sha256(json.dumps(sorted((w, sorted(t)) for w, t in _PLAIN)).encode()).hexdigest()[:16]


def build(texts: list[str], folder: Path) -> None:
    import bm25s

    retriever = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    corpus = [tokenize(t) or ["∅"] for t in texts]
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(tok, len(vocab)) for tok in doc] for doc in corpus]
    retriever.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
    folder.mkdir(parents=True, exist_ok=True)
    scores = retriever.scores
    np.save(folder / "data.npy", scores["data"])
    np.save(folder / "indices.npy", scores["indices"])
    np.save(folder / "indptr.npy", scores["indptr"])
    (folder / "vocab.json").write_text(json.dumps(retriever.vocab_dict))
    (folder / "meta.json").write_text(json.dumps({"num_docs": scores["num_docs"], "k1": 1.2, "b": 0.75, "method": "lucene"}))


class Damaged(ValueError):
    """Saved BM25 files that cannot be used; the message says which, as a damaged index reports it."""


class Lexical:
    def __init__(self, folder: Path):
        self.data = np.load(folder / "data.npy", mmap_mode="r")
        self.indices = np.load(folder / "indices.npy", mmap_mode="r")
        self.indptr = np.load(folder / "indptr.npy", mmap_mode="r")
        self.vocab: dict[str, int] = json.loads((folder / "vocab.json").read_text())
        meta = json.loads((folder / "meta.json").read_text())
        # the index opener reports a ValueError as a damaged index, one line; a wrong shape must be one too
        if not isinstance(self.vocab, dict) or not isinstance(meta, dict):
            raise Damaged("bm25/vocab.json or bm25/meta.json is not a JSON object")
        self.num_docs = meta.get("num_docs")
        if not isinstance(self.num_docs, int) or isinstance(self.num_docs, bool) or self.num_docs < 0:
            raise Damaged("bm25/meta.json: num_docs is not a count")
        problem = self._problem()
        if problem:
            raise Damaged(problem)

    def _problem(self) -> str | None:
        """What makes the sparse arrays unusable (a token's rows lie between two offsets of `indptr`,
        each row is a passage), checked in one pass so that a query never indexes out of them. (bm25s
        gives the empty token an id with no column; no query token is empty.)"""
        indptr, n = self.indptr, len(self.data)
        if self.data.ndim != 1 or self.indices.shape != self.data.shape or indptr.ndim != 1 or len(indptr) == 0:
            return "the BM25 arrays have the wrong shape"
        columns = len(indptr) - 1
        if indptr[0] != 0 or indptr[-1] != n or np.any(np.diff(indptr) < 0):
            return "the BM25 offsets do not match its weights"
        if not all(type(c) is int and 0 <= c < columns for t, c in self.vocab.items() if t):
            return "the BM25 vocabulary points outside its arrays"
        if n and (self.indices.min() < 0 or self.indices.max() >= self.num_docs or not np.isfinite(self.data).all()):
            return "the BM25 arrays point outside the passages or hold weights that are not numbers"
        return None

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(self.num_docs, dtype=np.float32)
        for tok, weight in expand(query).items():
            col = self.vocab.get(tok)
            if col is None:
                continue
            a, b = self.indptr[col], self.indptr[col + 1]
            np.add.at(out, self.indices[a:b], weight * self.data[a:b])
        return out

    def idf(self, term: str) -> float:
        """BM25's idf of a term; a term no passage holds gets the highest."""
        col = self.vocab.get(term)
        df = 0 if col is None else int(self.indptr[col + 1] - self.indptr[col])
        return math.log(1 + (self.num_docs - df + 0.5) / (df + 0.5))

    def coverage(self, query: str) -> np.ndarray:
        """Share of the query's idf weight that each passage holds, a concept counting once whether
        met in the question's own word (full weight) or in a term of art it stands for (half):
        unlike BM25 it neither rewards repeating a term nor penalises a long article for its length."""
        out = np.zeros(self.num_docs, dtype=np.float32)
        total = 0.0
        for tok, synonyms in concepts(query).items():
            best = np.zeros(self.num_docs, dtype=np.float32)
            top = 0.0
            for form, weight in ((tok, 1.0), *((s, 0.5) for s in synonyms)):
                col = self.vocab.get(form)
                if col is None:
                    continue
                w = weight * self.idf(form)
                rows = self.indices[self.indptr[col]:self.indptr[col + 1]]
                best[rows] = np.maximum(best[rows], w)
                top = max(top, w)
            out += best
            total += top
        return out / total if total else out


def concepts(query: str) -> dict[str, list[str]]:
    """Each query term with the (tokenised) near-synonyms that may stand for it."""
    return {tok: _SYNONYMS.get(tok, []) for tok in tokenize(query)}


def gloss(text: str) -> str:
    """The text with the terms of art its plain words stand for, for the dense model to embed:
    "can police eavesdrop" -> "can police eavesdrop (interception intercept content surveillance)"."""
    extra = list(dict.fromkeys(t for tok in tokenize(text) for t in _GLOSSES.get(tok, []) if t not in text.lower()))
    return f"{text} ({' '.join(extra)})" if extra else text


def plain_words(text: str) -> str:
    """The plain words people use for the terms of art a passage uses, the most specific first: the
    thesaurus read backwards ("… protection against any unjustified treatment for any person who
    reports …" -> "whistleblower …"). Embedded beside the passage (`index.PLAIN_WEIGHT`), so that a
    question in plain words comes nearer; the passage's text is never changed."""
    have, low = set(tokenize(text)), text.lower()
    entries = {n for t in have for n in _PLAIN_BY_TERM.get(t, ())}
    ranked = sorted((-sum(_SPECIFICITY[t] for t in terms if t in have), word)
                    for word, terms in (_PLAIN[n] for n in entries) if word.lower() not in low)
    return " ".join(word for _, word in ranked[:PLAIN_WORDS])


def expand(query: str) -> dict[str, float]:
    terms: dict[str, float] = {}
    for tok, synonyms in concepts(query).items():
        terms[tok] = 1.0
        for extra in synonyms:
            terms.setdefault(extra, 0.5)
    return terms
