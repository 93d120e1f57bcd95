#!/usr/bin/env python3
"""Validate evals/verdicts.jsonl and evals/safeguards_gold.toml against the corpus.

Usage: python3 evals/check_verdicts.py [CORPUS_DIR]

Checks:
  * the schema of every verdict question (evals/README.md, "Verdict set");
  * every decisive or via phrase occurs (after normalization) in the passage it names:
    the article, numbered paragraph and lettered sub-paragraph of a treaty, or a body
    paragraph or footnote of the submission;
  * "not-stated" has no decisive clause and every other label has one;
  * a cross-reference question says which passage it reaches the decisive clause through
    (via) or names an article other than the decisive one;
  * the minimum count for each label and for cross-references;
  * no question copies 8 or more consecutive words from the corpus;
  * every non-absent cell of the safeguards matrix has a phrase found in its paragraph.

Prints a summary; exits 1 on any failure. Standard library only (tomllib, Python 3.11).
"""
from __future__ import annotations

import json
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # also when imported as evals.check_verdicts
from check_questions import (  # noqa: E402
    DEFAULT_CORPUS, DOCS, PHRASE_WORDS, SUBMISSION, TREATIES, Submission, Treaty,
    copied_run, corpus_ngrams, normalize,
)

HERE = Path(__file__).resolve().parent
VERDICTS = HERE / "verdicts.jsonl"
MATRIX = HERE / "safeguards_gold.toml"

LABELS = ["yes", "no", "conditional", "not-stated"]
MIN_LABELS = {"yes": 15, "no": 15, "conditional": 15, "not-stated": 3}
MIN_TOTAL = 64
MIN_CROSSREF = 10
KEYS = {"id", "question", "verdict", "decisive", "doc", "via_crossref", "note"}
OPTIONAL_KEYS = {"via", "needs"}
PASSAGE_KEYS = {"doc", "article", "paragraph", "subparagraph", "phrase", "footnote"}

SAFEGUARDS = [
    "prior_judicial_authorisation", "judicial_or_independent_supervision", "prescribed_by_law",
    "necessity", "proportionality", "limits_on_scope_or_duration", "notification_of_the_person",
    "effective_remedy", "data_protection", "dual_criminality", "grounds_for_refusal",
    "non_derogable_rights", "gender", "participation_of_civil_society",
]
CELL_VALUES = {"mandatory", "discretionary", "by-reference", "absent"}
CELL_KEYS = {"value", "through", "force", "article", "paragraph", "subparagraph", "phrase", "note"}
MATRIX_ROWS = {"budapest": [str(a) for a in list(range(14, 22)) + list(range(29, 35))], "untoc": ["18"]}
ARTICLE_IN_QUESTION_RE = re.compile(r"\b(?:art\.?|articles?)\s*(\d+)", re.I)


class Corpus:
    def __init__(self, corpus: Path):
        self.sub = Submission(corpus / DOCS[SUBMISSION])
        self.treaties = {d: Treaty(corpus / DOCS[d]) for d in TREATIES}

    def passage_error(self, p: dict) -> str | None:
        """Why the passage p does not hold its phrase, or None if it does."""
        if not isinstance(p, dict) or set(p) - PASSAGE_KEYS:
            return f"passage must be an object with keys from {sorted(PASSAGE_KEYS)}"
        doc, phrase = p.get("doc"), p.get("phrase")
        if doc not in DOCS:
            return f"unknown doc {doc!r}"
        if not isinstance(phrase, str) or not PHRASE_WORDS[0] <= len(phrase.split()) <= PHRASE_WORDS[1]:
            return f"phrase must be {PHRASE_WORDS[0]}-{PHRASE_WORDS[1]} words: {phrase!r}"
        if re.search(r"<sup>|https?:|[\"“”]", phrase):
            return f"phrase contains a footnote marker, URL or quote character: {phrase!r}"
        nphrase = normalize(phrase)
        if doc == SUBMISSION:
            if any(p.get(k) is not None for k in ("article", "paragraph", "subparagraph")):
                return "article/paragraph/subparagraph are null for the submission"
            fn = p.get("footnote")
            if fn is not None:
                ok = nphrase in self.sub.footnotes.get(fn, "")
            else:
                ok = any(nphrase in para for para in self.sub.body)
            return None if ok else f"phrase {phrase!r} not in the submission" + (f" footnote {fn}" if fn else "")
        return self.treaty_error(doc, p.get("article"), p.get("paragraph"), p.get("subparagraph"), nphrase, phrase)

    def treaty_error(self, doc, art, para, sub, nphrase, phrase) -> str | None:
        t = self.treaties[doc]
        where = f"{doc} art. {art}" + (f"({para})" if para else "") + (f"({sub})" if sub else "")
        if not isinstance(art, str) or art not in t.articles:
            return f"{doc} has no Article {art!r}"
        if para is not None and para not in t.paragraphs[art]:
            return f"{doc} Article {art} has no paragraph {para!r}"
        if sub is not None:
            text = t.subparagraphs.get((art, para), {}).get(sub)
            if text is None:
                return f"{where}: no such sub-paragraph"
        elif para is not None:
            text = t.paragraphs[art][para]
        else:
            text = t.articles[art]
        return None if nphrase in text else f"phrase {phrase!r} not in {where}"


def check_verdicts(corpus: Corpus, grams, errors: list[str]) -> Counter:
    counts: Counter = Counter()
    ids: Counter = Counter()
    for lineno, raw in enumerate(VERDICTS.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        q = json.loads(raw)
        qid = q.get("id", f"line {lineno}")
        ids[qid] += 1

        def err(msg: str) -> None:
            errors.append(f"{qid}: {msg}")

        if not KEYS <= set(q) or set(q) - KEYS - OPTIONAL_KEYS:
            err(f"keys must be {sorted(KEYS)} (+ optional {sorted(OPTIONAL_KEYS)}), got {sorted(q)}")
            continue
        if not re.fullmatch(r"v\d{3}", qid):
            err("id must look like v001")
        verdict, decisive = q["verdict"], q["decisive"]
        if verdict not in LABELS:
            err(f"unknown verdict {verdict!r}")
            continue
        counts[verdict] += 1
        if not isinstance(q["via_crossref"], bool) or not isinstance(q["note"], str) or not q["note"]:
            err("via_crossref must be a boolean and note a non-empty string")
        if (verdict == "not-stated") != (decisive == []):
            err("not-stated has decisive [] and every other verdict a decisive clause")
        if verdict != "not-stated" and q["doc"] not in DOCS:
            err(f"doc {q['doc']!r} is not a document id")
        for j, p in enumerate(decisive + ([q["via"]] if "via" in q else [])):
            problem = corpus.passage_error(p)
            if problem:
                err(f"{'decisive' if j < len(decisive) else 'via'}[{j}]: {problem}")
        if q["via_crossref"]:
            counts["crossref"] += 1
            named = set(ARTICLE_IN_QUESTION_RE.findall(q["question"]))
            targets = {(p.get("article"), p.get("paragraph")) for p in decisive}
            if "via" not in q and not named:
                err("a cross-reference question names an article or gives the via passage")
            if "via" in q and (q["via"].get("article"), q["via"].get("paragraph")) in targets:
                err("via must be another passage than the decisive one")
        run = copied_run(q["question"], grams)
        if run:
            err(f"question copies 8+ consecutive words from the corpus: {run!r}")
    errors.extend(f"{i}: duplicate id" for i, c in ids.items() if c > 1)
    total = sum(counts[label] for label in LABELS)
    if total < MIN_TOTAL:
        errors.append(f"only {total} verdict questions (want >= {MIN_TOTAL})")
    for label, minimum in MIN_LABELS.items():
        if counts[label] < minimum:
            errors.append(f"label {label}: {counts[label]} (want >= {minimum})")
    if counts["crossref"] < MIN_CROSSREF:
        errors.append(f"only {counts['crossref']} cross-reference questions (want >= {MIN_CROSSREF})")
    return counts


def check_matrix(corpus: Corpus, errors: list[str]) -> Counter:
    counts: Counter = Counter()
    if not MATRIX.is_file():
        errors.append(f"{MATRIX.name} not found")
        return counts
    data = tomllib.loads(MATRIX.read_text(encoding="utf-8"))
    for doc, articles in MATRIX_ROWS.items():
        rows = data.get(doc, {})
        for art in articles:
            row = rows.get(art)
            if row is None:
                errors.append(f"matrix: no row {doc} art. {art}")
                continue
            for sg in SAFEGUARDS:
                cell = row.get(sg)
                where = f"matrix {doc} art. {art} {sg}"
                if not isinstance(cell, dict) or cell.get("value") not in CELL_VALUES:
                    errors.append(f"{where}: needs a table with value in {sorted(CELL_VALUES)}")
                    continue
                counts[cell["value"]] += 1
                extra = set(cell) - CELL_KEYS
                if extra:
                    errors.append(f"{where}: unknown keys {sorted(extra)}")
                if cell["value"] == "absent":
                    continue
                if cell["value"] == "by-reference" and (
                        not re.fullmatch(r"art\. \d+(\(\d+\))?", cell.get("through", ""))
                        or cell.get("force") not in ("mandatory", "discretionary")):
                    errors.append(f"{where}: by-reference needs through = \"art. N\" and force = mandatory|discretionary")
                problem = corpus.treaty_error(
                    doc, cell.get("article", art), cell.get("paragraph"), cell.get("subparagraph"),
                    normalize(cell.get("phrase", "")), cell.get("phrase"))
                if problem or not cell.get("phrase"):
                    errors.append(f"{where}: {problem or 'phrase missing'}")
            extra = set(row) - set(SAFEGUARDS)
            if extra:
                errors.append(f"matrix {doc} art. {art}: unknown columns {sorted(extra)}")
    return counts


def main(corpus_dir: Path) -> int:
    corpus = Corpus(corpus_dir)
    errors: list[str] = []
    counts = check_verdicts(corpus, corpus_ngrams(corpus_dir), errors)
    cells = check_matrix(corpus, errors)
    print(f"corpus: {corpus_dir}")
    print(f"verdicts: {sum(counts[label] for label in LABELS)}")
    for label in LABELS:
        print(f"  {label:12s} {counts[label]:3d}  (min {MIN_LABELS[label]})")
    print(f"  via_crossref {counts['crossref']:3d}  (min {MIN_CROSSREF})")
    print(f"matrix cells: {sum(cells.values())}  " + "  ".join(f"{k} {cells[k]}" for k in sorted(CELL_VALUES)))
    for e in errors:
        print(f"FAIL {e}")
    if errors:
        print(f"{len(errors)} failure(s)")
        return 1
    print("OK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS))
