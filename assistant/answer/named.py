"""Every document a question names is cited: an answer setting CEDAW beside the ICCPR that quotes
only CEDAW answers half the question. A named, indexed document the composed answer does not cite
gets the sentence of its best-ranked passage that carries most of the question's terms, numbered
after the answer's own citations, in the section of its role."""

from __future__ import annotations

from ..index.lexical import tokenize
from ..records import Answer, AnswerSection, AnswerSentence, Citation, Hit, answer_text
from . import sentences

# The answer's headings by role (as the extractive answer names them), for a section the added sentence opens.
HEADINGS = {"negotiating-text": "What the treaty text says", "comparator": "What comparable treaties provide",
            "submission": "What the submission argues", "instrument": "What the human-rights instruments require"}


def cite_each_named(answer: Answer, hits: list[Hit], named: list[str], focus: str) -> Answer:
    """`answer` citing each document of `named` that has a retrieved passage (when it names two or more)."""
    if answer.abstained or len(named) < 2:
        return answer
    cited = {c.hit.passage.doc_id for c in answer.citations}
    terms = set(tokenize(focus))
    for doc in named:
        hit = next((h for h in hits if h.passage.doc_id == doc and h.passage.footnote is None), None)
        if doc in cited or hit is None:
            continue
        best = max(_sentences(hit), key=lambda s: len(terms & set(tokenize(s))), default=None)
        if best:
            _add(answer, hit, best)
    answer.text = answer_text(answer.sections, answer.doc_of)
    return answer


def _sentences(hit: Hit) -> list[str]:
    text = hit.passage.text
    return [text[a:b] for a, b in sentences.split(text) if len(tokenize(text[a:b])) >= 3]


def _add(answer: Answer, hit: Hit, sentence: str) -> None:
    n = len(answer.citations) + 1
    answer.citations.append(Citation(n, hit, sentence, hit.passage.part_of(sentence), hit.passage.subpart_of(sentence)))
    role = hit.passage.role
    section = next((x for x in answer.sections if x.role == role), None)
    if section is None:
        section = AnswerSection(role, HEADINGS.get(role, ""))
        answer.sections.append(section)
        if len([x for x in answer.sections if x.role in HEADINGS]) > 1:
            for x in answer.sections:  # several groups now: each is headed
                x.heading = x.heading or HEADINGS.get(x.role, "")
    section.sentences.append(AnswerSentence(sentence, [n]))
