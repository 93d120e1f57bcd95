"""Treaty layout: preamble, chapters/parts/sections, articles with titles, numbered paragraphs and
lettered sub-paragraphs (the Markdown of the Dutch treaty database and texts shaped like it).

Passages are what a lawyer cites and reads: an article as a whole, or, when the article is long, its
numbered paragraphs, and a long paragraph's sub-paragraphs. A whole article keeps its numbered
paragraphs as parts, so that a sentence quoted from it is cited to its paragraph ("art. 16(2)").

Why whole articles: the paragraphs of a short article answer together (a period in paragraph 2, its
conditions in paragraph 3), and split apart they compete for the same places in the results. On the
evaluation set, keeping articles under LONG whole raised recall@5 and MRR@10 (see bench/RESULTS.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..records import ARTICLE_NUMBER, Document, Part, Passage
from ..query.refs import AliasMatcher, find_refs
from ..registry import PARSERS
from .clean import clean, span_text
from .submission import PAGE_RESUME_BLANKS

_ARTICLE = re.compile(rf"^#{{2,4}}\s*Article\s+({ARTICLE_NUMBER})\s*$", re.IGNORECASE)
_DIVISION = re.compile(r"^#{2,4}\s*(CHAPTER|PART|SECTION|TITLE|ANNEX)\b\s*(.*?)\s*$", re.IGNORECASE)
_CAPTION = re.compile(r"^#{4,}\s*(?:-\s*)?(.*?)\s*$")
_HEADING = re.compile(r"^#{1,6}")
_PARA = re.compile(r"^\s*(\d+)\.(?:\s|$)")
_SUB = re.compile(r"^\s*\(?([a-z]|[ivx]+)\)")
_RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})$")
_NOTE = re.compile(r"^<sup>\s*(\d+)\s*</sup>")
_MARKER = re.compile(r"<sup>\s*(\d+)\s*</sup>")
_RECITAL_START = re.compile(
    r"(?<=[;,])\s*(?=(?:[A-Z][a-z]+(?:ing|ed)|Having|Bearing|Desiring|Mindful|Aware|Convinced|Conscious|Determined|Whereas|Now,)\b)"
)

LONG = 1800  # characters; longer units are split one level further
PREAMBLE_CHUNK = 900


@dataclass
class _Line:
    start: int
    end: int
    text: str


@dataclass
class _Article:
    number: str
    title: str = ""
    divisions: list[str] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)


def _lines(raw: str) -> list[_Line]:
    out, pos = [], 0
    for line in raw.split("\n"):
        out.append(_Line(pos, pos + len(line), line))
        pos += len(line) + 1
    return out


def _scan(raw: str) -> tuple[str, list[_Line], list[_Article], dict[int, list[_Line]]]:
    """Split the file into a title, preamble lines, articles (with the divisions they sit in) and the
    footnotes a converted PDF or page carries after a `---` rule."""
    doc_title, preamble, articles = "", [], []
    notes: dict[int, list[_Line]] = {}
    divisions: dict[str, str] = {}
    current: _Article | None = None
    pending_division: str | None = None
    expect_title = False
    in_notes, blanks = False, 0
    for line in _lines(raw):
        stripped = line.text.strip()
        if not stripped:
            blanks += 1
            continue
        gap, blanks = blanks, 0
        if _RULE.match(stripped):
            in_notes, note = True, None
            continue
        if in_notes:
            if m := _NOTE.match(stripped):
                note = int(m.group(1))
                notes[note] = [line]
                continue
            if note is not None and gap <= PAGE_RESUME_BLANKS:
                notes[note].append(line)
                continue
            in_notes = False
        if m := _ARTICLE.match(stripped):
            current = _Article(number=re.sub(r"\s+", " ", m.group(1)), divisions=list(divisions.values()))
            articles.append(current)
            expect_title, pending_division = True, None
            continue
        if m := _DIVISION.match(stripped):
            kind = m.group(1).upper()
            order = ["PART", "CHAPTER", "SECTION", "TITLE", "ANNEX"]
            for k in order[order.index(kind):]:
                divisions.pop(k, None)
            divisions[kind] = f"{kind.title()} {m.group(2)}".strip()
            pending_division = kind
            continue
        if _HEADING.match(stripped):
            caption = _CAPTION.match(stripped).group(1) if _CAPTION.match(stripped) else stripped.lstrip("#").strip()
            if not doc_title and not articles and not preamble:
                doc_title = caption
            elif pending_division:
                divisions[pending_division] += f": {caption}"
                pending_division = None
            elif current is not None and expect_title:
                current.title = caption
            expect_title = False
            continue
        expect_title, pending_division = False, None
        (current.lines if current else preamble).append(line)
    return doc_title, preamble, articles, notes


def _units(lines: list[_Line]) -> tuple[list[_Line], list[tuple[str, list[_Line]]]]:
    """Lead-in lines, then numbered paragraphs with their lines."""
    lead, paras = [], []
    for line in lines:
        if m := _PARA.match(line.text):
            paras.append((m.group(1), [line]))
        elif paras:
            paras[-1][1].append(line)
        else:
            lead.append(line)
    return lead, paras


def _starts_sub(label: str, previous: str | None) -> bool:
    """Letters start sub-paragraphs; roman numerals (i), (ii) inside one continue it. 'i', 'v' and 'x'
    are letters only where the alphabet says so."""
    if len(label) > 1:
        return False
    if label in "ivx" and previous is not None:
        return ord(previous) + 1 == ord(label)
    return True


def _subunits(lines: list[_Line]) -> tuple[list[_Line], list[tuple[str, list[_Line]]]]:
    lead, subs = [], []
    for line in lines:
        m = _SUB.match(line.text)
        if m and not _PARA.match(line.text) and _starts_sub(m.group(1), subs[-1][0] if subs else None):
            if not subs and lead and _span(lead)[1] - _span(lead)[0] < 200:
                # A short lead-in ("For the purposes of this Convention:") reads with its first item.
                subs.append((m.group(1), [*lead, line]))
                lead = []
                continue
            subs.append((m.group(1), [line]))
        elif subs:
            subs[-1][1].append(line)
        else:
            lead.append(line)
    return lead, subs


def _letters(lines: list[_Line], paragraph: str | None = None) -> list[tuple[str, list[_Line]]]:
    """The lettered sub-paragraphs of a unit as sub-parts, labelled "g" or, inside numbered
    paragraph 1, "1(g)": a sentence quoted from one is cited to it ("art. 29(1)(g)"). A lead-in that
    `_subunits` reads with the first item is no part of that item's own span."""
    out = []
    for letter, sub_lines in _subunits(lines)[1]:
        own = next((i for i, x in enumerate(sub_lines) if _SUB.match(x.text)), 0)
        out.append((f"{paragraph}({letter})" if paragraph else letter, sub_lines[own:]))
    return out


def _bracketed(label: str) -> str:
    """"1(g)" -> "(1)(g)", "g" -> "(g)": the locator's form of a part label."""
    head, _, rest = label.partition("(")
    return f"({head})" + (f"({rest}" if rest else "")


def _span(lines: list[_Line]) -> tuple[int, int]:
    return lines[0].start, lines[-1].end


def _spans(raw: str, lines: list[_Line]) -> list[tuple[int, int]]:
    """The lines' offsets, one span per run of adjacent lines: a page's footnotes or running header
    between two lines of an article stay out of its text."""
    out = [[lines[0].start, lines[0].end]]
    for line in lines[1:]:
        if raw[out[-1][1]:line.start].strip():
            out.append([line.start, line.end])
        else:
            out[-1][1] = line.end
    return [(a, b) for a, b in out]


def _preamble_chunks(raw: str, lines: list[_Line]) -> list[tuple[int, int]]:
    """Recitals grouped into readable chunks; boundaries fall between recitals, never inside words."""
    spans = []
    for line in lines:
        cuts = [line.start] + [line.start + m.end() for m in _RECITAL_START.finditer(line.text)] + [line.end]
        chunk_start = cuts[0]
        for a, b in zip(cuts, cuts[1:]):
            if b - chunk_start > PREAMBLE_CHUNK and a > chunk_start:
                spans.append((chunk_start, a))
                chunk_start = a
        spans.append((chunk_start, cuts[-1]))
    return [s for s in spans if clean(raw[s[0]:s[1]])]


@PARSERS.register("treaty")
def parse_treaty(doc: Document, matcher: AliasMatcher) -> list[Passage]:
    src, raw = doc.source, doc.raw
    _, preamble, articles, notes = _scan(raw)
    out: list[Passage] = []

    def paged(locator: str, spans: list[tuple[int, int]]) -> tuple[str, int | None, int | None]:
        page, page_end = doc.page_at(spans[0][0]), doc.page_at(spans[-1][1] - 1)
        if page is not None:
            locator += f", p. {page}" if page == page_end else f", pp. {page}–{page_end}"
        return locator, page, page_end

    def located(text: str, article: str | None, units: list[tuple[str, list[_Line]]]) -> list[Part]:
        """Each unit's place in the passage's text, in order, with its citable locator."""
        found, at = [], 0
        for label, unit_lines in units:
            unit_spans = _spans(raw, unit_lines)
            piece = span_text(raw, unit_spans)
            start = text.find(piece, at) if piece else -1
            if start >= 0:
                at = start + len(piece)
                where, part_page, _ = paged(f"{src.short}, art. {article}{_bracketed(label)}", unit_spans)
                found.append(Part(label, start, at, where, part_page))
        return found

    def add(pid: str, kind: str, lines: list[_Line] | tuple[int, int], locator: str, heading: list[str], context: str,
            article: str | None = None, paragraph: str | None = None,
            paras: list[tuple[str, list[_Line]]] = (), subs: list[tuple[str, list[_Line]]] = ()) -> None:
        spans = [lines] if isinstance(lines, tuple) else _spans(raw, lines)
        text = span_text(raw, spans)
        if not text:
            return
        refs = [r.article for r in find_refs(text, matcher) if r.doc_id in (None, src.id) and r.article != article]
        locator, page, page_end = paged(locator, spans)
        parts, subparts = located(text, article, list(paras)), located(text, article, list(subs))
        out.append(Passage(
            id=f"{src.id}:{pid}", doc_id=src.id, role=src.role, title=src.title, kind=kind, text=text,
            locator=locator, spans=spans, article=article, paragraph=paragraph, heading_path=heading,
            page=page, page_end=page_end,
            refs=sorted(set(refs), key=int if all(r.isdigit() for r in refs) else str), context=context, parts=parts,
            subparts=subparts,
        ))

    for i, span in enumerate(_preamble_chunks(raw, preamble), 1):
        add(f"preamble.{i}", "preamble", span, f"{src.short}, preamble", ["Preamble"], "Preamble.")

    for art in articles:
        if not art.lines:
            continue
        n = art.number
        heading = [*art.divisions, f"Article {n}" + (f" – {art.title}" if art.title else "")]
        context = f"{art.title}." if art.title else ""
        loc = f"{src.short}, art. {n}"
        pid = f"art{n.replace(' ', '')}"
        lead, paras = _units(art.lines)
        whole = _span(art.lines)
        if whole[1] - whole[0] <= LONG:
            subs = [x for k, lines in paras for x in _letters(lines, k)] if paras else _letters(art.lines)
            add(pid, "article", art.lines, loc, heading, context, article=n, paras=paras, subs=subs)
            continue
        if not paras:
            paras_lead, subs = _subunits(art.lines)
            if paras_lead:
                add(pid, "article", paras_lead, loc, heading, context, article=n)
            for letter, lines in subs:
                add(f"{pid}.{letter}", "subparagraph", lines, f"{loc}({letter})", heading, context, article=n, paragraph=letter)
            continue
        if lead:
            add(pid, "article", lead, loc, heading, context, article=n)
        for k, lines in paras:
            span = _span(lines)
            if span[1] - span[0] <= LONG:
                add(f"{pid}.{k}", "paragraph", lines, f"{loc}({k})", heading, context, article=n, paragraph=k,
                    subs=_letters(lines, k))
                continue
            sub_lead, subs = _subunits(lines)
            if sub_lead:
                add(f"{pid}.{k}", "paragraph", sub_lead, f"{loc}({k})", heading, context, article=n, paragraph=k)
            for letter, sub_lines in subs:
                add(f"{pid}.{k}.{letter}", "subparagraph", sub_lines, f"{loc}({k})({letter})", heading, context,
                    article=n, paragraph=k)
    _dedupe_ids(out)
    out += _footnotes(doc, notes, out)
    return out


def _footnotes(doc: Document, notes: dict[int, list[_Line]], passages: list[Passage]) -> list[Passage]:
    """Each footnote its own passage, linked to the passage whose marker points to it."""
    src, raw = doc.source, doc.raw
    marked = {int(n): p for p in passages for a, b in p.spans for n in _MARKER.findall(raw[a:b])}
    out = []
    for n, lines in sorted(notes.items()):
        span = _span(lines)
        text = clean(raw[span[0]:span[1]])
        parent = marked.get(n)
        page = doc.page_at(span[0])
        where = f" (p. {page})" if page else ""
        out.append(Passage(
            id=f"{src.id}:fn{n}", doc_id=src.id, role=src.role, title=src.title, kind="footnote", text=text,
            locator=f"{src.short}, footnote {n}{where}", spans=[span], article=parent.article if parent else None,
            heading_path=parent.heading_path if parent else [], page=page, page_end=page, footnote=n,
            cited_by=parent.id if parent else None, context=parent.context if parent else "",
        ))
        if parent is not None:
            parent.cites_footnotes.append(n)
    return out


def _dedupe_ids(passages: list[Passage]) -> None:
    """Some texts repeat a sub-paragraph letter or article number; ids must stay unique and stable."""
    seen: dict[str, int] = {}
    for p in passages:
        if p.id in seen:
            seen[p.id] += 1
            p.id = f"{p.id}~{seen[p.id]}"
        else:
            seen[p.id] = 1
