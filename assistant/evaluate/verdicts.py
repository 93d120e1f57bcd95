"""Scoring verdicts on evals/verdicts.jsonl: one yes/no question a line, with its gold verdict, the
decisive clause(s) and the document, `{"id", "question", "verdict": "yes|no|conditional|not-stated",
"decisive": [{"doc", "article", "paragraph", "subparagraph", "phrase"}], "doc", "via_crossref"}`.

Three figures: verdict accuracy (the label given is the gold one), decisive clause cited (the answer
cites a gold decisive clause, over the questions that have one), and grounded verdicts (every Yes,
No or Conditional given names a decisive clause the answer cites). The set is optional: without the
file there is nothing to score and no gate."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EvalError
from ..ingest.clean import fold
from ..locations import EVALS_DIR
from ..records import VERDICTS, Answer, Citation

VERDICTS_FILE = "verdicts.jsonl"
METRICS = ("verdict_accuracy", "decisive_cited", "grounded_verdicts")


@dataclass
class Decisive:
    doc: str
    article: str | None = None
    paragraph: str | None = None
    subparagraph: str | None = None
    phrase: str = ""


@dataclass
class VerdictQuestion:
    id: str
    question: str
    verdict: str
    decisive: list[Decisive] = field(default_factory=list)
    doc: str = ""
    via_crossref: bool = False


def check_named(path: Path | None) -> None:
    """A verdict set asked for by name (`treaty eval --verdicts FILE`) must exist: skipping it would
    report no verdict figures as if none had been asked for."""
    if path is not None and not path.is_file():
        raise EvalError(f"{path}: no such verdict set: check the path given to --verdicts")


def load_verdicts(path: Path | None = None) -> list[VerdictQuestion] | None:
    """The verdict set, or None when there is no such file."""
    path = path or EVALS_DIR / VERDICTS_FILE
    if not path.exists():
        return None
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            q = VerdictQuestion(d["id"], d["question"], d["verdict"], [Decisive(**x) for x in d.get("decisive", [])],
                                d.get("doc", ""), bool(d.get("via_crossref", False)))
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalError(f"{path}:{n}: not a valid verdict question ({exc}): see evals/README.md for the format") from None
        if q.verdict not in VERDICTS:
            raise EvalError(f"{path}:{n}: verdict '{q.verdict}' is not one of {', '.join(VERDICTS)}")
        out.append(q)
    return out


def cites(c: Citation, d: Decisive) -> bool:
    """Whether a citation is the decisive clause: its document, article, paragraph and sub-paragraph
    where the gold gives them, and its phrase in the cited text."""
    p = c.hit.passage
    if p.doc_id != d.doc or (d.article is not None and p.article != d.article):
        return False
    para = c.paragraph or p.paragraph
    if d.paragraph is not None and para is not None and para.split("(")[0] != d.paragraph:
        return False
    if d.subparagraph is not None and f"({d.subparagraph})" not in c.locator and not d.phrase:
        return False
    return not d.phrase or fold(d.phrase) in fold(c.text)


def score(q: VerdictQuestion, a: Answer) -> dict:
    v = a.verdict
    label = v.label if v else None
    cited = {c.n: c for c in a.citations}
    decisive = [cited[n] for n in (v.decisive if v else []) if n in cited]
    row = {"id": q.id, "gold": q.verdict, "label": label, "correct": label == q.verdict, "via_crossref": q.via_crossref}
    if q.decisive:
        row["decisive_cited"] = any(cites(c, d) for c in a.citations for d in q.decisive)
    if label in ("yes", "no", "conditional"):
        row["grounded"] = bool(decisive) and len(decisive) == len(v.decisive)
    return row


def summarise(rows: list[dict]) -> dict:
    def share(key: str, sub=None) -> float | None:
        vals = [r[key] for r in (sub if sub is not None else rows) if key in r]
        return round(statistics.fmean(vals), 4) if vals else None

    cross = [r for r in rows if r["via_crossref"]]
    return {"questions": len(rows), "verdict_accuracy": share("correct"), "decisive_cited": share("decisive_cited"),
            # no verdict given at all grounds nothing, and fails nothing
            "grounded_verdicts": share("grounded") if any("grounded" in r for r in rows) else 1.0,
            "verdict_accuracy_via_crossref": share("correct", cross)}


def run(assistant, path: Path | None = None) -> dict | None:
    """Ask each question of the verdict set; None when there is no set."""
    questions = load_verdicts(path)
    if questions is None:
        return None
    rows = [score(q, assistant.ask(q.question)) for q in questions]
    return {**summarise(rows), "per_question": rows}


def check(report: dict, minimum: dict) -> list[str]:
    """The verdict figures below their `[verdicts]` minimum in thresholds.toml (none without a set)."""
    got = report.get("verdicts")
    if not got:
        return []
    return [f"{m} = {got.get(m)} (minimum {floor})" for m, floor in minimum.items() if got.get(m) is None or got[m] < floor]


def format_lines(got: dict | None) -> list[str]:
    if not got:
        return []
    lines = ["", f"{got['questions']} yes/no questions (evals/{VERDICTS_FILE})"]
    for m in (*METRICS, "verdict_accuracy_via_crossref"):
        lines.append(f"{m:30} {got[m] if got[m] is not None else '—':>8}")
    return lines
