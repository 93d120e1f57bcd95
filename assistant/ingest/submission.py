"""Submission layout: Markdown converted from a PDF, with headings, body paragraphs, footnote markers
`<sup>n</sup>`, and each page's footnotes after a `---` rule.

Page n ends at the n-th rule, so pages are counted from the rules, unless the loader knew the pages
(a PDF): then its page breaks are used and rules only open footnote blocks. A paragraph that a page of
footnotes interrupts is stitched back together (two spans, pages n to n+1). Each footnote is its own
passage, linked to the paragraph that cites it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..records import Document, Passage
from ..query.refs import AliasMatcher, find_refs
from ..registry import PARSERS
from .clean import clean, span_text

_HEADING = re.compile(r"^(#{1,6})\s*(.*?)\s*$")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_FOOTNOTE = re.compile(r"^\s*<sup>\s*(\d+)\s*</sup>")
_MARKER = re.compile(r"<sup>\s*(\d+)\s*</sup>")
_OPEN_END = re.compile(r"[.!?:;”\"')\]]\s*$")
PAGE_RESUME_BLANKS = 2  # the converter leaves 3+ blank lines where body text resumes after footnotes


@dataclass
class _Block:
    start: int
    end: int
    text: str
    blanks_before: int


@dataclass
class _Para:
    spans: list[tuple[int, int]]
    page: int | None
    page_end: int | None
    section: str
    parts: list[str]  # its blocks' text: one, or more where footnotes cut it
    open: bool | None = None  # whether it ends without closing punctuation; None: not asked yet

    @property
    def raw(self) -> str:
        return "\n".join(self.parts)

    def ends_open(self) -> bool:
        """Asked at every rule, so computed once per change, from the last part (the text's end)."""
        if self.open is None:
            self.open = _is_open(self.parts[-1])
        return self.open


def _blocks(raw: str) -> list[_Block]:
    """Runs of non-blank lines; a rule or a heading is a block of its own. Each block's text is
    sliced once from `raw`: built line by line, a long paragraph would cost its length squared."""
    out, pos, blanks = [], 0, 0
    current: _Block | None = None
    for line in raw.split("\n"):
        end = pos + len(line)
        if not line.strip():
            blanks += 1
            current = None
        elif current is None or _RULE.match(line) or _HEADING.match(line):
            current = _Block(pos, end, "", blanks)
            out.append(current)
            blanks = 0
            if _RULE.match(line) or _HEADING.match(line):
                current = None
        else:
            current.end = end
        pos = end + 1
    for b in out:
        b.text = raw[b.start:b.end]
    return out


def _is_open(text: str) -> bool:
    return not _OPEN_END.search(clean(text))


def _section_name(heading: str) -> str:
    return clean(heading).split(":")[0].strip()


@PARSERS.register("submission")
def parse_submission(doc: Document, matcher: AliasMatcher) -> list[Passage]:
    raw, src = doc.raw, doc.source
    rules = 0
    in_notes = False
    section, seen_body = "", False
    front: list[tuple[int, str]] = []  # headings before the first paragraph: the title, maybe a section
    paras: list[_Para] = []
    notes: dict[int, tuple[tuple[int, int], int]] = {}
    current_note: int | None = None
    cut_before_notes: _Para | None = None

    for b in _blocks(raw):
        if _RULE.match(b.text):
            rules += 1
            in_notes, current_note = True, None
            cut_before_notes = paras[-1] if paras and paras[-1].ends_open() else None
            continue
        if in_notes:
            if m := _FOOTNOTE.match(b.text):
                current_note = int(m.group(1))
                notes[current_note] = ((b.start, b.end), (doc.page_at(b.start) or rules) if doc.paged else None)
                continue
            if b.blanks_before <= PAGE_RESUME_BLANKS and current_note is not None:
                (a, _), page = notes[current_note]
                notes[current_note] = ((a, b.end), page)
                continue
            in_notes = False
        page = (doc.page_at(b.start) or rules + 1) if doc.paged else None
        if m := _HEADING.match(b.text):
            if not seen_body and len(m.group(1)) <= 3:
                front.append((len(m.group(1)), m.group(2)))
            else:
                section = _section_name(m.group(2))
            cut_before_notes = None
            continue
        if not seen_body and not section and len(front) >= 2 and front[-1][0] > front[0][0]:
            # "# Title / ## Privacy / text": the last, lower heading opens the first section
            section = _section_name(front[-1][1])
        seen_body = True
        if cut_before_notes is not None and clean(b.text)[:1].islower():
            cut_before_notes.spans.append((b.start, b.end))
            cut_before_notes.parts.append(b.text)
            cut_before_notes.open = None
            cut_before_notes.page_end = doc.page_at(b.end - 1) or page if doc.paged else None
        else:
            end_page = doc.page_at(b.end - 1) or page if doc.paged else None
            paras.append(_Para([(b.start, b.end)], page, end_page, section or "Introduction", [b.text]))
        cut_before_notes = None

    out: list[Passage] = []
    ordinal: dict[str, int] = {}
    cited_by: dict[int, str] = {}
    annotates: dict[int, str] = {}
    for p in paras:
        ordinal[p.section] = ordinal.get(p.section, 0) + 1
        k = ordinal[p.section]
        text = span_text(raw, p.spans)
        p_raw = p.raw
        markers = [int(n) for n in _MARKER.findall(p_raw)]
        pid = f"{src.id}:{_slug(p.section)}.{k}"
        pages = f"para. {k}" if p.page is None else f"p. {p.page}" if p.page == p.page_end else f"pp. {p.page}–{p.page_end}"
        for n in markers:
            cited_by.setdefault(n, pid)
            if n not in annotates:
                annotates[n] = _marker_sentence(p_raw, n)
        out.append(Passage(
            id=pid, doc_id=src.id, role=src.role, title=src.title, kind="paragraph", text=text,
            locator=f"{src.short}, '{p.section}', {pages}", spans=p.spans, paragraph=str(k),
            heading_path=[p.section], page=p.page, page_end=p.page_end, cites_footnotes=markers,
            mentions=_mentions(text, matcher, src.numbering, src.id), context=f"{p.section}.",
        ))
    sections: dict[str, str] = {}
    for p in out:
        sections.setdefault(p.id, p.heading_path[0])
    for n, (span, page) in sorted(notes.items()):
        text = clean(raw[span[0]:span[1]])
        parent = cited_by.get(n)
        section = sections.get(parent, "")
        out.append(Passage(
            id=f"{src.id}:fn{n}", doc_id=src.id, role=src.role, title=src.title, kind="footnote", text=text,
            locator=f"{src.short}, footnote {n}" + (f" (p. {page})" if page else ""), spans=[span], heading_path=[section] if section else [],
            page=page, page_end=page, footnote=n, cited_by=parent,
            # A footnote is searched for by what it annotates as well: "the source of the definition
            # of gender mainstreaming" is the sentence its marker ends, not the reference itself.
            mentions=_mentions(text, matcher, {}, src.id),
            context=annotates.get(n, ""),
        ))
    return out


def _mentions(text: str, matcher: AliasMatcher, numbering: dict[str, str], own_id: str) -> list[str]:
    """'doc:article' for each article the text mentions; unnamed numbers follow the document's numbering
    (footnotes pass none: they cite other documents, so only a named one counts)."""
    out = []
    for ref in find_refs(text, matcher):
        doc = ref.doc_id if ref.doc_id and ref.doc_id != own_id else numbering.get(ref.article, numbering.get("default"))
        if doc is None:
            continue
        key = f"{doc}:{ref.article}"
        if key not in out:
            out.append(key)
    return out


def _marker_sentence(raw: str, n: int, reach: int = 320) -> str:
    """The text footnote marker n annotates: what precedes it in its paragraph (up to `reach`
    characters, from a word boundary), completed to the end of its sentence. Only a window of the
    paragraph around the marker is read: a paragraph may carry thousands of markers."""
    m = re.search(rf"<sup>\s*{n}\s*</sup>", raw)
    if not m:
        return ""
    before = clean(raw[max(0, m.start() - 8 * reach): m.start()])
    if len(before) > reach:
        before = before[-reach:].split(" ", 1)[-1]
    tail = "" if before.endswith((".", "”", '"')) else clean(raw[m.end(): m.end() + 16 * reach]).split(". ")[0]
    return f"{before} {tail}".strip()


def _slug(section: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", section.lower()).strip("-")[:40] or "body"
