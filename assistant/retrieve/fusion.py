"""Reciprocal-rank fusion of the dense and BM25 lists into one `Pool` of scores."""

from __future__ import annotations

import numpy as np

from ..records import Reason
from ..settings import RetrievalSettings
from .stages import Pool


def dense_confidence(dense: np.ndarray, allowed: np.ndarray, r: RetrievalSettings) -> float:
    """The dense list's weight share: full when its best cosine is sure, less when it is not."""
    top = float(dense[allowed].max()) if allowed.any() else 1.0
    sure = min(max((top - r.dense_unsure) / (r.dense_sure - r.dense_unsure), 0.0), 1.0)
    return r.dense_unsure_weight + (1.0 - r.dense_unsure_weight) * sure


def fuse(r: RetrievalSettings, dense: np.ndarray, lex: np.ndarray, allowed: np.ndarray, top_k: int) -> Pool:
    """Reciprocal-rank fusion over the union of each list's first `candidates`. A candidate of one
    list is scored by its rank in the other too, however deep: cutting that list at 50 would
    score ECHR art. 8, BM25's 9th and the dense model's 56th, below a passage both rank 30th."""
    k, n = r.rrf_k, r.candidates
    lists = [_ranked("dense", dense, allowed, r.dense_weight * dense_confidence(dense, allowed, r)),
             _ranked("bm25", lex, allowed, r.lexical_weight)]
    candidate = np.zeros(len(dense), dtype=bool)
    for _, rank, holds, _ in lists:
        candidate |= holds & (rank <= n)
    scores = np.zeros(len(dense), dtype=np.float64)
    reasons: dict[int, list[Reason]] = {}
    for name, rank, holds, weight in lists:
        use = np.nonzero(candidate & holds)[0]
        share = weight / (k + rank[use])
        scores[use] += share
        for i, place, delta in sorted(zip(use.tolist(), rank[use].tolist(), share.tolist()), key=lambda t: t[1]):
            reasons.setdefault(i, []).append(Reason("fusion", name, str(place), delta))
    return Pool(scores, reasons, dense, lex, allowed, top_k)


def _ranked(name: str, values: np.ndarray, allowed: np.ndarray, weight: float) -> tuple[str, np.ndarray, np.ndarray, float]:
    order = np.argsort(-values, kind="stable")
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(1, len(values) + 1)
    # (BM25 ranks only passages holding a query term; Chroma returns only its first n * 4)
    holds = allowed & ((values > 0) if name == "bm25" else (values > -1.0))
    return name, rank, holds, weight
