"""Documents and their citable passages: what loading and parsing give the index."""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from typing import Any

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
