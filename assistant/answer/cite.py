"""A verdict numbered into its answer: the decisive clause becomes [1], the chain's clauses follow,
then the answer's own citations in their order, every [n] of the answer renumbered to match. The
verdict is the answer's first section (role "verdict"): the CLI, the JSON, the TUI and the memo
read it from the sections like any other, so it leads wherever the answer is shown."""

from __future__ import annotations

from ..records import Answer, AnswerSection, AnswerSentence, Citation, Hit, Passage, Reason, Source, Verdict, answer_text
from .reading import LABELS, Clause, Library, Reading
from .verdict import decide


def read(retrieval, registry: dict[str, Source], library: Library, indexed: set[str]) -> Reading | None:
    """The verdict of the retrieval's question, before it is numbered (None: not a yes/no question)."""
    return decide(retrieval.query, retrieval.hits, library, registry, indexed)


def with_verdict(answer: Answer, retrieval, registry: dict[str, Source], library: Library, indexed: set[str]) -> Answer:
    """The extractive answer of a yes/no question led by its verdict."""
    return cite(answer, read(retrieval, registry, library, indexed))


def lead_with(reading: Reading | None, hits: list[Hit]) -> list[Hit]:
    """The passages given to a language model: those of the verdict's decisive clause first, then of
    its chain, then the others in their order, so that the decisive clause is [1] in its prose too."""
    if reading is None:
        return hits
    first = [c.passage for c in reading.decisive] + [c.passage for s in reading.chain for c in s.clauses]
    by_id = {h.passage.id: h for h in hits}
    lead = [by_id.get(p.id) or _followed(p) for p in first]
    return list({h.passage.id: h for h in lead + hits}.values())


def for_prompt(reading: Reading | None, hits: list[Hit]) -> str:
    """The verdict and its chain as the prompt gives them, each clause by its passage's number."""
    if reading is None:
        return ""
    n = {h.passage.id: i for i, h in enumerate(hits, 1)}
    mark = lambda clauses: "".join(f"[{k}]" for k in dict.fromkeys(n[c.passage.id] for c in clauses))  # noqa: E731
    lines = [f"{LABELS[reading.label]}. {mark(reading.decisive)}".strip()]
    lines += [f"{step.text} {mark(step.clauses)}".strip() for step in reading.chain]
    return "\n".join(lines)


def place(answer: Answer, reading: Reading | None, hits: list[Hit]) -> Answer:
    """A written answer's verdict, numbered as the passages were given (the model's [n] stay as
    written): its clauses are cited, and its section leads the answer's sections."""
    if reading is None:
        return answer
    reading = _no_stronger(answer, reading)
    n = {h.passage.id: i for i, h in enumerate(hits, 1)}
    have = {c.n for c in answer.citations}
    for cl in reading.decisive + [c for s in reading.chain for c in s.clauses]:
        if n[cl.passage.id] not in have:
            have.add(n[cl.passage.id])
            answer.citations.append(Citation(n[cl.passage.id], hits[n[cl.passage.id] - 1], cl.sentence, cl.part, cl.sub))
    answer.citations.sort(key=lambda c: c.n)
    _lead(answer, reading, lambda c: n[c.passage.id])
    return answer


def cite(answer: Answer, reading: Reading | None) -> Answer:
    """`answer` with its verdict set, led by it, and renumbered; unchanged when there is none. An
    answer that abstains gets "not-stated" whatever the reading: a verdict is no stronger than the
    evidence the answer stands on."""
    if reading is None:
        return answer
    reading = _no_stronger(answer, reading)
    clauses = reading.decisive + [c for step in reading.chain for c in step.clauses]
    number = _renumber(answer, clauses)
    _lead(answer, reading, lambda c: number[c.key])
    answer.text = answer_text(answer.sections, answer.doc_of)
    return answer


def _lead(answer: Answer, reading: Reading, number) -> None:
    """Set the answer's verdict and open its sections with it, each clause by `number(clause)`."""
    decisive = list(dict.fromkeys(number(c) for c in reading.decisive))
    chain = [AnswerSentence(s.text, list(dict.fromkeys(number(c) for c in s.clauses))) for s in reading.chain]
    answer.verdict = Verdict(reading.label, decisive, chain, list(reading.undecided_by))
    answer.sections.insert(0, AnswerSection("verdict", "", [AnswerSentence(f"{LABELS[reading.label]}.", decisive)] + chain))


def _no_stronger(answer: Answer, reading: Reading) -> Reading:
    """An answer that abstains gets "not-stated": a verdict is no stronger than its evidence."""
    if answer.abstained and reading.label != "not-stated":
        return Reading("not-stated", undecided_by=reading.undecided_by)
    return reading


def _renumber(answer: Answer, clauses: list[Clause]) -> dict[tuple, int]:
    """Number the clauses first (each new one a citation of its passage), then the answer's own
    citations; rewrite every [n] in the sections. Returns clause key -> new number."""
    old = {(c.hit.passage.id, c.part.label if c.part else None, c.sub.label if c.sub else None): c for c in answer.citations}
    order: list[tuple] = []
    made: dict[tuple, Citation] = {}
    for cl in clauses:
        if cl.key not in old and cl.key not in made:
            made[cl.key] = Citation(0, _hit(answer, cl), cl.sentence, cl.part, cl.sub)
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
    return found or _followed(cl.passage)


def _followed(p: Passage) -> Hit:
    return Hit(p, 0.0, reasons=[Reason("verdict", "crossref-followed", p.article or "")])
