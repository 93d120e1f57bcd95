"""Answers: citations, sections of sentences, the verdict of a yes/no question."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..injection import instructions_in
from .documents import ROLES, Part, Source
from .hits import Hit
from .query import Query


@dataclass(slots=True)
class Citation:
    """[n] in an answer. `part` pinpoints the paragraph of an article passage the sentence quotes:
    the locator, paragraph, page and text cited are then that paragraph's. `sub` pinpoints the
    lettered sub-paragraph the sentence lies in ("art. 29(1)(g)"): the locator is then the
    sub-paragraph's, while the text cited stays the paragraph's, whose lead-in the item reads with
    ("(g) To repeal ..." says nothing without "States Parties ... undertake:")."""

    n: int
    hit: Hit
    sentence: str = ""
    part: Part | None = None
    sub: Part | None = None

    @property
    def locator(self) -> str:
        pin = self.sub or self.part
        return pin.locator if pin else self.hit.passage.locator

    @property
    def paragraph(self) -> str | None:
        return self.part.label if self.part else self.hit.passage.paragraph

    @property
    def page(self) -> int | None:
        return self.part.page if self.part else self.hit.passage.page

    @property
    def text(self) -> str:
        p = self.hit.passage
        return p.text[self.part.start:self.part.end] if self.part else p.text

    @property
    def suspicious(self) -> str:
        """Why the cited passage is suspect, or "": it addresses its reader with instructions (a whole
        article is read, as a language model is given it whole)."""
        return instructions_in(self.hit.passage.text)


# An answer's sections: one per group of documents its quoted sentences come from (the document
# roles), a language model's prose ("answer"), the reason no answer is given ("abstention"), or the
# verdict of a yes/no question and the chain that leads there ("verdict", first when present).
SECTION_ROLES = ROLES + ("answer", "abstention", "verdict")


@dataclass(slots=True)
class AnswerSentence:
    """A statement of an answer and the [n] of the citations it stands on (none in an abstention)."""

    text: str
    citations: list[int] = field(default_factory=list)

    @property
    def marker(self) -> str:
        """"[1]", "[1, 3]", or "" when nothing is cited."""
        return f"[{', '.join(map(str, self.citations))}]" if self.citations else ""

    @property
    def marked(self) -> str:
        return f"{self.text} {self.marker}" if self.citations else self.text


@dataclass(slots=True)
class AnswerSection:
    """A part of an answer: `role` is one of SECTION_ROLES; `heading` is shown above it ("" when the
    answer quotes one group of documents only, or the model wrote none)."""

    role: str
    heading: str
    sentences: list[AnswerSentence] = field(default_factory=list)

    def paragraphs(self, doc_of: dict[int, str]) -> list[list[AnswerSentence]]:
        """The section's sentences as paragraphs. Quoted sentences are cut where the document changes:
        ICCPR art. 17 and ECHR art. 8 set side by side read as two paragraphs, not one. Prose and an
        abstention are one paragraph. `doc_of` maps a citation number to its document."""
        if self.role == "verdict":  # the label, then each step of the chain, on lines of their own
            return [[s] for s in self.sentences]
        if self.role not in ROLES:
            return [self.sentences] if self.sentences else []
        out: list[list[AnswerSentence]] = []
        for s in self.sentences:
            if out and _doc(s, doc_of) == _doc(out[-1][-1], doc_of):
                out[-1].append(s)
            else:
                out.append([s])
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "heading": self.heading,
                "sentences": [{"text": s.text, "citations": list(s.citations)} for s in self.sentences]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "AnswerSection":
        return cls(d["role"], d.get("heading", ""),
                   [AnswerSentence(s["text"], [int(n) for n in s.get("citations", [])]) for s in d.get("sentences", [])])


def _doc(s: AnswerSentence, doc_of: dict[int, str]) -> str | None:
    return doc_of.get(s.citations[0]) if s.citations else None


def answer_text(sections: list[AnswerSection], doc_of: dict[int, str]) -> str:
    """The answer as flat text: each heading followed by a colon on its own line, then one line per
    paragraph, each sentence followed by its [n]."""
    return "\n".join((f"{x.heading}:\n" if x.heading else "")
                     + "\n".join(" ".join(s.marked for s in run) for run in x.paragraphs(doc_of))
                     for x in sections)


VERDICTS = ("yes", "no", "conditional", "not-stated")


@dataclass(slots=True)
class Verdict:
    """The answer to a yes/no question of law: its label (one of VERDICTS), the [n] of the decisive
    clause(s), decisive first, and the chain of reading that leads there, each step citing its [n]."""

    label: str
    decisive: list[int] = field(default_factory=list)
    chain: list[AnswerSentence] = field(default_factory=list)
    # "not-stated": the registered documents that would decide it, not indexed
    undecided_by: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"label": self.label, "decisive": list(self.decisive),
                "chain": [{"text": s.text, "citations": list(s.citations)} for s in self.chain]}


@dataclass(slots=True)
class Answer:
    question: str
    text: str
    abstained: bool
    backend: str
    citations: list[Citation]
    hits: list[Hit]
    sections: list[AnswerSection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing: list[Source] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    evidence: float = 0.0
    prompt: str = ""  # the prompt version a language model answered from
    verification: dict | None = None  # generated answers: {"sentences", "supported", "issues"}
    verdict: Verdict | None = None  # yes/no questions of law only
    query: Query | None = None  # the question as the query analysis read it

    @property
    def written(self) -> bool:
        """A language model's text is the answer (not an abstention, nor the extractive answer that
        replaced a text none of whose sentences held): it has no sections of quoted sentences."""
        return self.verification is not None and not self.abstained and not any(x.role in ROLES for x in self.sections)

    @property
    def doc_of(self) -> dict[int, str]:
        """The document each citation number cites."""
        return {c.n: c.hit.passage.doc_id for c in self.citations}
