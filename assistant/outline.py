"""What the parser understood of a document, and which documents it cites: the record behind
`treaty corpus show` and `treaty corpus refs`."""

from __future__ import annotations

from dataclasses import dataclass, field

from .records import Passage
from .query.refs import AliasMatcher, named_documents


@dataclass
class Part:
    """An article, a section or the preamble, with the passages it was cut into."""

    heading: list[str]
    kind: str  # "preamble" | "article" | "section"
    units: list[str] = field(default_factory=list)  # paragraph labels, or paragraph numbers of a section
    pages: tuple[int, int] | None = None


@dataclass
class Footnote:
    n: int
    page: int | None
    cited_by: str | None  # locator of the paragraph whose marker points here
    text: str


@dataclass
class Outline:
    doc_id: str
    passages: int
    pages: tuple[int, int] | None
    parts: list[Part]
    footnotes: list[Footnote]


def outline(doc_id: str, passages: list[Passage]) -> Outline:
    mine = [p for p in passages if p.doc_id == doc_id]
    by_id = {p.id: p for p in mine}
    parts: list[Part] = []
    for p in mine:
        if p.kind == "footnote":
            continue
        kind = "preamble" if p.kind == "preamble" else "article" if p.article else "section"
        key = p.heading_path if kind != "preamble" else ["Preamble"]
        if not parts or parts[-1].heading != key:
            parts.append(Part(key, kind))
        part = parts[-1]
        if p.parts:  # a whole article: its numbered paragraphs
            part.units += [x.label for x in p.parts]
        elif p.paragraph and kind != "preamble":
            part.units.append(p.paragraph)
        if p.page is not None:
            first, last = part.pages or (p.page, p.page_end or p.page)
            part.pages = (min(first, p.page), max(last, p.page_end or p.page))
    notes = [Footnote(p.footnote, p.page, by_id[p.cited_by].locator if p.cited_by in by_id else None, p.text)
             for p in mine if p.kind == "footnote" and p.footnote is not None]
    pages = [n for p in mine for n in (p.page, p.page_end) if n is not None]
    return Outline(doc_id, len(mine), (min(pages), max(pages)) if pages else None, parts, notes)


@dataclass
class Cited:
    doc_id: str
    times: int
    where: list[str]  # locators of the citing passages, in document order


def cited_documents(doc_id: str, passages: list[Passage], matcher: AliasMatcher) -> list[Cited]:
    """The registered documents a document names or whose articles it mentions, most cited first."""
    found: dict[str, Cited] = {}
    for p in passages:
        if p.doc_id != doc_id:
            continue
        names = named_documents(p.text, matcher) + [m.partition(":")[0] for m in p.mentions]
        for d in dict.fromkeys(names):
            if d == doc_id:
                continue
            c = found.setdefault(d, Cited(d, 0, []))
            c.times += 1
            c.where.append(p.locator)
    return sorted(found.values(), key=lambda c: -c.times)
