"""A verdict numbered into its answer: the decisive clause becomes [1], the chain's clauses follow,
then the answer's own citations in their order, every [n] of the answer renumbered to match. The
verdict is the answer's first section (role "verdict"): the CLI, the JSON, the TUI and the memo
read it from the sections like any other, so it leads wherever the answer is shown."""

from __future__ import annotations

import re

from ..records import Answer, AnswerSection, AnswerSentence, Citation, Hit, Reason, Source, Verdict, answer_text
from .verdict import LABELS, Clause, Library, Reading, decide


def with_verdict(answer: Answer, retrieval, registry: dict[str, Source], library: Library, indexed: set[str]) -> Answer:
    """The answer of a yes/no question led by its verdict (any backend's answer, once composed)."""
    query = retrieval.query
    query.yes_no = query.yes_no or _asks_yes_no(query.text)
    return cite(answer, decide(query, retrieval.hits, library, registry, indexed))


# TEMPORARY (h-verdict): h-query's `assistant/query/` fills Query.yes_no; delete this on its merge.
_YES_NO = re.compile(r"^\W*(?:does|do|is|are|can|could|may|must|shall|will|would|has|have)\b", re.IGNORECASE)


def _asks_yes_no(text: str) -> bool:
    return bool(_YES_NO.search(text))


def cite(answer: Answer, reading: Reading | None) -> Answer:
    """`answer` with its verdict set, led by it, and renumbered; unchanged when there is none. An
    answer that abstains gets "not-stated" whatever the reading: a verdict is no stronger than the
    evidence the answer stands on."""
    if reading is None:
        return answer
    if answer.abstained and reading.label != "not-stated":
        reading = Reading("not-stated", undecided_by=reading.undecided_by)
    clauses = reading.decisive + [c for step in reading.chain for c in step.clauses]
    number = _renumber(answer, clauses)
    decisive = list(dict.fromkeys(number[c.key] for c in reading.decisive))
    chain = [AnswerSentence(step.text, list(dict.fromkeys(number[c.key] for c in step.clauses))) for step in reading.chain]
    answer.verdict = Verdict(reading.label, decisive, chain, list(reading.undecided_by))
    lead = AnswerSection("verdict", "", [AnswerSentence(f"{LABELS[reading.label]}.", decisive)] + chain)
    answer.sections.insert(0, lead)
    answer.text = answer_text(answer.sections, answer.doc_of)
    return answer


def _renumber(answer: Answer, clauses: list[Clause]) -> dict[tuple[str, str | None], int]:
    """Number the clauses first (each new one a citation of its passage), then the answer's own
    citations; rewrite every [n] in the sections. Returns clause key -> new number."""
    old = {(c.hit.passage.id, c.part.label if c.part else None): c for c in answer.citations}
    order: list[tuple[str, str | None]] = []
    made: dict[tuple[str, str | None], Citation] = {}
    for cl in clauses:
        if cl.key not in old and cl.key not in made:
            made[cl.key] = Citation(0, _hit(answer, cl), cl.sentence, cl.part)
        order.append(cl.key)
    order += [k for k in old]
    order = list(dict.fromkeys(order))
    number = {k: n for n, k in enumerate(order, 1)}
    moved = {c.n: number[k] for k, c in old.items()}
    citations = []
    for k in order:
        c = old.get(k) or made[k]
        c.n = number[k]
        citations.append(c)
    answer.citations = citations
    for section in answer.sections:
        for s in section.sentences:
            s.citations = [moved.get(n, n) for n in s.citations]
    return number


def _hit(answer: Answer, cl: Clause) -> Hit:
    """The retrieved hit of the clause's passage; a passage reached only by following a reference is
    cited with a hit of its own, saying so."""
    found = next((h for h in answer.hits if h.passage.id == cl.passage.id), None)
    return found or Hit(cl.passage, 0.0, reasons=[Reason("verdict", "crossref-followed", cl.passage.article or "")])
