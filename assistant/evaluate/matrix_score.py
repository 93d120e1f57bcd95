"""The safeguards matrix against the one labelled by hand (evals/safeguards_gold.toml): the share of
cells whose status agrees, overall and over the cells the gold says are not absent (most cells are
absent, so a matrix of nothing but "absent" would score well on the first alone)."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

from ..errors import EvalError
from ..locations import EVALS_DIR

# The gold file's column names, in the words of the list; the vocabulary's tags for them.
GOLD_COLUMNS = {
    "prior_judicial_authorisation": "prior-judicial-authorisation",
    "judicial_or_independent_supervision": "independent-supervision",
    "prescribed_by_law": "prescribed-by-law",
    "necessity": "necessity",
    "proportionality": "proportionality",
    "limits_on_scope_or_duration": "limits-scope-duration",
    "notification_of_the_person": "notification",
    "effective_remedy": "effective-remedy",
    "data_protection": "data-protection",
    "dual_criminality": "dual-criminality",
    "grounds_for_refusal": "grounds-for-refusal",
    "non_derogable_rights": "non-derogable",
    "gender": "gender",
    "participation_of_civil_society": "civil-society",
}


def load_gold(path: Path | None = None) -> dict[str, dict[str, dict[str, str]]]:
    """doc id -> article -> vocabulary tag -> gold status."""
    path = path or EVALS_DIR / "safeguards_gold.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise EvalError(f"{path}: cannot read the gold matrix ({exc}): see evals/README.md") from None
    gold: dict[str, dict[str, dict[str, str]]] = {}
    for doc, articles in raw.items():
        for article, cells in articles.items():
            unknown = set(cells) - set(GOLD_COLUMNS)
            if unknown:
                raise EvalError(f"{path}: [{doc}.{article}] has unknown columns {sorted(unknown)}: see evals/README.md")
            gold.setdefault(doc, {})[article] = {GOLD_COLUMNS[k]: v["value"] for k, v in cells.items()}
    return gold


def score(sources: list, passages: list, provisions: list, gold: dict) -> dict:
    """Cell accuracy of the matrices built from an index's passages and provisions for the gold's
    documents and articles; documents not indexed are left out and named."""
    from ..answer.matrix import build_matrix

    known = {s.id: s for s in sources}
    indexed = {p.doc_id for p in passages}
    pairs, cells = [], []
    for doc, articles in gold.items():
        if doc not in indexed or doc not in known:
            continue
        matrix = build_matrix(known[doc], passages, provisions, list(articles))
        for row in matrix.rows:
            for cell in row.cells:
                if cell.tag in articles.get(row.article, {}):
                    want = articles[row.article][cell.tag]
                    pairs.append((want, cell.status))
                    if want != cell.status:
                        cells.append({"doc": doc, "article": row.article, "safeguard": cell.tag, "gold": want,
                                      "got": cell.status, "locator": cell.locator})
    if not pairs:
        return {}
    present = [(w, g) for w, g in pairs if w != "absent"]
    return {"cells": len(pairs), "cell_accuracy": round(sum(w == g for w, g in pairs) / len(pairs), 4),
            "present_cell_accuracy": round(sum(w == g for w, g in present) / len(present), 4) if present else None,
            "confusion": {f"{w} -> {g}": n for (w, g), n in sorted(Counter(pairs).items())},
            "not_indexed": sorted(set(gold) - indexed), "wrong": cells}
