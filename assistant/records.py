"""Typed records that flow between the pipeline stages (load, chunk, index, retrieve, answer, evaluate)."""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from typing import Any

from .injection import instructions_in

ROLES = ("submission", "negotiating-text", "instrument", "comparator")


@dataclass(slots=True)
class Source:
    """A registered document (facts from corpus/sources.toml); `path` is set when a local copy exists."""

    id: str
    title: str
    short: str
    role: str
    format: str
    aliases: list[str] = field(default_factory=list)
    # what it is about, as people name a treaty by its subject: "the <subject> convention"
    subjects: list[str] = field(default_factory=list)
    symbol: str = ""
    date: str = ""
    address: str = ""  # the official address, as cited
    address_status: str = ""
    # where the file itself is downloaded from, when `address` is a viewer or a landing page
    download: str = ""
    language: str = "en"
    authors: str = ""
    files: list[str] = field(default_factory=list)
    vendored: str = ""
    numbering: dict[str, str] = field(default_factory=dict)
    path: str | None = None

    @property
    def label(self) -> str:
        """The name people know it by, with its symbol: "CND (A/AC.291/19)"."""
        return self.short if not self.symbol or self.symbol in self.short else f"{self.short} ({self.symbol})"


@dataclass(slots=True)
class Loaded:
    """What a loader makes of a file. Text formats give their text as read; PDF, HTML and DOCX are
    converted to the Markdown shape the parsers read (headings `#`, footnote markers `<sup>n</sup>`,
    a page's footnotes after a `---` rule), keeping the document's words."""

    text: str
    sha256: str  # of the file's bytes
    pages: list[int] = field(default_factory=list)  # offset in `text` where each page starts; empty: no pages
    meta: dict[str, str] = field(default_factory=dict)  # what the file says of itself: "symbol", "title"
    # HTML and DOCX have no pages; a Markdown conversion of a PDF counts them from its footnote rules.
    paged: bool = True


@dataclass(slots=True)
class Document:
    """A loaded source: its raw text (as read, or as converted), plus where it came from."""

    source: Source
    path: str
    raw: str
    sha256: str
    pages: list[int] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    paged: bool = True

    def page_at(self, offset: int) -> int | None:
        """1-based page holding `offset`, when the format has pages."""
        if not self.pages:
            return None
        return max(1, bisect.bisect_right(self.pages, offset))


@dataclass(slots=True)
class Part:
    """A numbered paragraph inside a passage that holds a whole article: `start`/`end` are offsets
    into the passage's text, `locator` pinpoints it ("Budapest Convention, art. 16(2), p. 3")."""

    label: str
    start: int
    end: int
    locator: str
    page: int | None = None


@dataclass(slots=True)
class Passage:
    """A citable unit: an article or paragraph, a submission paragraph, a footnote.

    `text` holds the source's words (markup stripped, whitespace collapsed); `spans` are character
    offsets into the raw source. A paragraph cut by a page of footnotes has two spans. A short
    article is one passage (it is read and retrieved as a whole) whose `parts` are its numbered
    paragraphs, so that a quoted sentence is still cited to its paragraph."""

    id: str
    doc_id: str
    role: str
    title: str
    kind: str
    text: str
    locator: str
    spans: list[tuple[int, int]]
    article: str | None = None
    paragraph: str | None = None
    heading_path: list[str] = field(default_factory=list)
    page: int | None = None
    page_end: int | None = None
    footnote: int | None = None
    cites_footnotes: list[int] = field(default_factory=list)
    cited_by: str | None = None
    mentions: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    # What the passage is about, embedded and indexed with it: the article's title, the section's
    # heading, or for a footnote the sentence it annotates. Document names and article numbers are
    # left out: to the embedder they are noise shared by every passage of a document.
    context: str = ""
    parts: list[Part] = field(default_factory=list)
    # The lettered sub-paragraphs inside the passage ("1(g)", or "g" directly under the article), so
    # that a sentence quoted from one is cited to it: "art. 29(1)(g)", "art. 2(g)".
    subparts: list[Part] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["spans"] = [list(s) for s in self.spans]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Passage":
        d = dict(d)
        d["spans"] = [tuple(s) for s in d["spans"]]
        d["parts"] = [Part(**x) for x in d.get("parts", [])]
        d["subparts"] = [Part(**x) for x in d.get("subparts", [])]
        return cls(**d)

    def part_of(self, sentence: str) -> Part | None:
        """The numbered paragraph a quoted sentence comes from, when it lies within one."""
        return _within(self.parts, self.text, sentence)

    def subpart_of(self, sentence: str) -> Part | None:
        """The lettered sub-paragraph a quoted sentence comes from, when it lies within one."""
        return _within(self.subparts, self.text, sentence)


def _within(parts: list[Part], text: str, sentence: str) -> Part | None:
    at = text.find(sentence) if sentence else -1
    if at < 0:
        return None
    return next((x for x in parts if x.start <= at and at + len(sentence) <= x.end), None)


# An article's number as every text writes it: "Article 6 bis" is an article of its own, inserted after
# article 6, never article 6. The one definition: references (query/refs.py), the loaders' and the
# treaty parser's article headings and the corpus check build on it.
ARTICLE_NUMBER = r"\d+(?:\s*(?:bis|ter|quater)\b)?"


@dataclass(slots=True)
class ArticleRef:
    """An article named in a question: `doc_id` is None when no document was named."""

    article: str
    paragraph: str | None = None
    doc_id: str | None = None


@dataclass(slots=True)
class NamedDoc:
    """A document a question names, and how: by its "name", an "alias", its "symbol", its "subject"
    ("the <subject> convention"), or its "role" ("the submission", "the draft")."""

    doc_id: str
    how: str
    words: str = ""


# What a question asks for, as the answer must shape it: a "verdict" on a yes/no question of law, a
# "comparison" of the documents it names, a "quantity", a "date", a "definition", or a "lookup".
INTENTS = ("lookup", "verdict", "comparison", "quantity", "date", "definition")


@dataclass(slots=True)
class LegalAsk:
    """What a yes/no question asks of the law (assistant/query/legal.py): whether it `requires`,
    `permits` or `prohibits` something (`kind`), the safeguard tags it names, whether it asks about
    derogation or about a treaty body, and whether it asks what the submission asks for or argues."""

    kind: str = "requires"
    safeguards: list[str] = field(default_factory=list)
    derogation: bool = False
    organs: bool = False
    of_submission: bool = False


@dataclass(slots=True)
class Query:
    """The one reading of a question: retrieval, the answer, the prompt and the TUI read this, never
    the raw text again."""

    text: str
    topic: str = ""  # what is searched for: the question without references, plus what they name
    focus: str = ""  # the question without references: what an answer sentence must speak to
    refs: list[ArticleRef] = field(default_factory=list)
    named_docs: list[str] = field(default_factory=list)
    doc_filter: list[str] = field(default_factory=list)
    role_filter: list[str] = field(default_factory=list)
    intent: str = "lookup"  # one of INTENTS
    yes_no: bool = False  # asks a yes/no question ("Does ...", "Can a State ...", "Is ... mandatory")
    compares: bool = False
    named: list[NamedDoc] = field(default_factory=list)  # named_docs, with how each was named
    roles: list[str] = field(default_factory=list)  # document roles the question names
    term: str = ""  # the term a definition question asks about
    # what an answer must state to answer it: an "amount", "cases" (a judgment), "status" (who has
    # ratified), or "" for nothing in particular; and what the question itself states of that kind (a
    # passage repeating it adds nothing)
    asks: str = ""
    stated: list[str] = field(default_factory=list)
    quantity: bool = False  # asks for a quantity at the head of a clause (retrieval's wider reading)
    generic: bool = False  # names an article and nothing else to search for: asks about it as a whole
    clauses: list[str] = field(default_factory=list)  # the separate asks of a question that joins several
    legal: LegalAsk | None = None  # a yes/no question: what it asks of the law (the verdict reads it)
    names: list[str] = field(default_factory=list)  # names in the question (not of registered documents)
    numbered: list[str] = field(default_factory=list)  # of those, the ones particular by a number or a session
    name_runs: list[str] = field(default_factory=list)  # the runs of capitalised words in the question
    topic_names: list[str] = field(default_factory=list)  # the tokens of names in `topic`

    def to_json(self) -> dict:
        """What the reading says of the question, for readers of an answer's JSON (the TUI among them)."""
        return {"intent": self.intent, "yes_no": self.yes_no, "compares": self.compares, "asks": self.asks or None,
                "term": self.term or None, "roles": self.roles,
                "named": [{"doc_id": n.doc_id, "how": n.how, "words": n.words} for n in self.named],
                "articles": [{"article": r.article, "paragraph": r.paragraph, "doc_id": r.doc_id} for r in self.refs]}


# How each rule reads in `why` lists and under `search --explain`.
_SAYS = {"dense": "dense#{matched}", "bm25": "bm25#{matched}", "far-ahead": "bm25 far ahead",
         "coverage": "covers {matched} of the question's concepts", "article": "article {matched} named",
         "mention": "mentions article {matched}", "neighbour": "next to a paragraph that mentions it",
         "crossref": "article {matched} refers to it", "crossref-follow": "{matched}", "quantity": "states a quantity", "definition": "defines it",
         "named-document": "of a document the question names", "document-first": "moved up: the best passage of {matched}",
         "group-lift": "moved up: no {matched} passage was in the first places",
         "same-wording": "moved up: {matched} is named and says the same as a document that is not",
         "crossref-followed": "reached through a cross-reference of the verdict's chain",
         "spread": "moved down: {matched} already holds its share of the first places",
         "group-kept": "kept: no other {matched} passage made the cut"}


@dataclass(slots=True)  # not frozen: a frozen dataclass is built several times slower, and a search makes hundreds
class Reason:
    """One rule's part in a hit's score: the stage that applied it, the rule, what matched (a list
    rank, an article number, the share of concepts covered) and how much the score moved."""

    stage: str
    rule: str
    matched: str = ""
    delta: float = 0.0

    def __str__(self) -> str:
        if self.rule in _SAYS:
            return _SAYS[self.rule].format(matched=self.matched)
        # a stage's own rule: its words as they are (what matched may hold braces)
        return self.rule + (f" {self.matched}" if self.matched else "")

    def to_json(self) -> dict:
        return {"stage": self.stage, "rule": self.rule, "matched": self.matched, "delta": round(self.delta, 6)}


@dataclass(slots=True)
class Hit:
    """A retrieved passage with its fused score and why it was ranked where it is."""

    passage: Passage
    score: float
    dense: float = 0.0
    lexical: float = 0.0
    reasons: list[Reason] = field(default_factory=list)
    label: str = ""


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


# A provision's force, read from its operative words.
FORCES = ("obligation", "prohibition", "permission", "discretionary", "definition", "other")


@dataclass(slots=True)
class CrossRef:
    """A reference a provision makes to another ("subject to Articles 14 and 15", "referred to in
    paragraph 1", "the preceding paragraph"), resolved to the passages (and parts) it names."""

    words: str
    kind: str  # "subject-to", "in-accordance-with", "referred-to", "preceding", "other"
    targets: list[str] = field(default_factory=list)  # locators resolved to: "art. 15", "art. 4(2)"
    passage_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"words": self.words, "kind": self.kind, "targets": list(self.targets), "passage_ids": list(self.passage_ids)}


@dataclass(slots=True)
class SafeguardTag:
    """A safeguard from the declared vocabulary that a provision speaks of, with the words that said so."""

    tag: str
    words: str

    def to_json(self) -> dict:
        return {"tag": self.tag, "words": self.words}


@dataclass(slots=True)
class Provision:
    """The reading of one paragraph or lettered sub-paragraph of a text in treaty layout."""

    passage_id: str
    doc_id: str
    locator: str  # citable: "Budapest Convention, art. 29(1)(g)"
    article: str
    paragraph: str | None = None
    subparagraph: str | None = None
    force: str = "other"  # one of FORCES
    force_words: str = ""
    binds: str = ""  # who it binds: "each Party", "States Parties", "no one"
    crossrefs: list[CrossRef] = field(default_factory=list)
    safeguards: list[SafeguardTag] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"passage_id": self.passage_id, "doc_id": self.doc_id, "locator": self.locator, "article": self.article,
                "paragraph": self.paragraph, "subparagraph": self.subparagraph, "force": self.force,
                "force_words": self.force_words, "binds": self.binds,
                "crossrefs": [c.to_json() for c in self.crossrefs], "safeguards": [t.to_json() for t in self.safeguards]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Provision":
        d = dict(d)
        d["crossrefs"] = [CrossRef(**c) for c in d.get("crossrefs", [])]
        d["safeguards"] = [SafeguardTag(**t) for t in d.get("safeguards", [])]
        return cls(**d)


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
