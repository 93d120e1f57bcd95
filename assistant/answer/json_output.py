"""The answer's JSON object (documented in the README; stable from schema 1 on)."""

from __future__ import annotations

from ..injection import instructions_in
from ..records import Answer, Hit


def _fields(hit: Hit) -> dict:
    p = hit.passage
    suspicious = instructions_in(p.text)
    return {"doc_id": p.doc_id, "title": p.title, "role": p.role, "locator": p.locator, "article": p.article,
            "paragraph": p.paragraph, "page": p.page, "footnote": p.footnote, "text": p.text, "score": round(hit.score, 6),
            "suspicious": bool(suspicious), "suspicious_reason": suspicious or None}


def hit_json(rank: int, hit: Hit) -> dict:
    """One entry of `passages`: shared by `ask --json` and `search --json`."""
    return {"rank": rank, **_fields(hit), "label": hit.label, "why": [str(r) for r in hit.reasons],
            "reasons": [r.to_json() for r in hit.reasons]}


def to_json(a: Answer) -> dict:
    return {
        "question": a.question,
        "answer": a.text,
        "abstained": a.abstained,
        "evidence": round(a.evidence, 4),
        "backend": a.backend,
        "citations": [{"n": c.n, **_fields(c.hit), "locator": c.locator, "paragraph": c.paragraph, "page": c.page,
                       "text": c.text, "sentence": c.sentence} for c in a.citations],
        "passages": [hit_json(i, h) for i, h in enumerate(a.hits, 1)],
        "notes": a.notes,
        "not_downloaded": [{"doc_id": s.id, "symbol": s.symbol, "title": s.title, "address": s.address} for s in a.missing],
        "timings_ms": {k: round(v, 2) for k, v in a.timings_ms.items()},
        "prompt": a.prompt or None,
        "verification": a.verification,
        "sections": [x.to_dict() for x in a.sections],
        # what each [n] and each entry of `passages` is in the index: readers open them by id
        "cited": [{"n": c.n, "passage_id": c.hit.passage.id, "part": c.part.label if c.part else None,
                   "sub": c.sub.label if c.sub else None} for c in a.citations],
        "passage_ids": [h.passage.id for h in a.hits],
        # yes/no questions: {"label", "decisive": [n, ...], "chain": [{"text", "citations"}]}; null otherwise
        "verdict": a.verdict.to_json() if a.verdict else None,
        # the question as read once: its intent, whether it asks yes or no, the documents named and how
        "query": a.query.to_json() if a.query else None,
    }
