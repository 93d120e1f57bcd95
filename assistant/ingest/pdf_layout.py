"""The PDF loader's layout step: running headers, footers and page numbers dropped, the body text size
found, each page's footnotes told from its body (smaller font, leading number), and the body's lines
grouped into paragraph blocks (vertical gaps, indentation, lines that end short)."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from .pdf_lines import Block, Line, Page


MARGIN_BAND = 0.12  # top and bottom share of a page where running headers, footers and page numbers sit
REPEAT_SHARE = 0.4  # a margin line repeated on this share of pages (at least 2) is a running header/footer
NOTE_SIZE = 0.92  # footnote lines are drawn smaller than this share of the body size
PARA_GAP = 1.35  # a baseline step this many times the usual line pitch opens a new paragraph
_ROMAN = r"(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
_PAGE_NUMBER = re.compile(
    rf"^(?:page|p\.|pg\.?)?\s*[-–—]?\s*(?:\d{{1,4}}|{_ROMAN})\s*[-–—]?\s*(?:(?:/|of)\s*\d{{1,4}})?$", re.IGNORECASE)
_NOTE_NUMBER = re.compile(r"^(\d{1,3})[.)]?\s+(?=\S)")
LIST_START = re.compile(r"^(?:\d+\.(?:\s|$)|\(?(?:[a-z]|[ivx]+)\)|[•·▪–-]\s)")
CLOSED = re.compile(r"[.!?:;”\"')\]]$")


def strip_margins(pages: list[Page]) -> None:
    """Drop running headers and footers (a margin line repeated, digits aside, at the same place on
    several pages) and page numbers (a number alone at the page's top or foot)."""
    seen: dict[str, list[tuple[int, float]]] = defaultdict(list)
    candidates: list[tuple[int, Line, str, float, bool]] = []  # page, line, key, distance from the edge, extreme
    for n, page in enumerate(pages):
        band = page.height * MARGIN_BAND
        lines = page.lines
        taken: set[int] = set()
        for k, line in enumerate(lines[:3]):
            if line.top < band:
                candidates.append((n, line, "top:" + _digitless(line.plain), line.top, k < 2))
                taken.add(id(line))
        for k, line in enumerate(reversed(lines[-3:])):
            if line.base > page.height - band and id(line) not in taken:
                candidates.append((n, line, "foot:" + _digitless(line.plain), page.height - line.base, k < 2))
    for n, _, key, dist, _ in candidates:
        seen[key].append((n, dist))
    need = max(2, math.ceil(len(pages) * REPEAT_SHARE))
    drop: set[int] = set()
    for _, line, key, dist, extreme in candidates:
        repeated = len({n for n, d in seen[key] if abs(d - dist) <= 4}) >= need
        if (len(pages) > 1 and repeated) or (extreme and _PAGE_NUMBER.match(line.plain)):
            drop.add(id(line))
    for page in pages:
        page.lines = [ln for ln in page.lines if id(ln) not in drop]


def _digitless(text: str) -> str:
    return " ".join(re.sub(r"\d+", "#", text.lower()).split())


def body_size(pages: list[Page]) -> float:
    sizes: Counter = Counter()
    for page in pages:
        for line in page.lines:
            sizes[line.size] += len(line.plain)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def split_notes(pages: list[Page], body: float) -> None:
    """Footnotes: the run of smaller lines at a page's foot, from the first that starts with a number;
    lines that start with no new number continue the footnote before them."""
    previous_notes: list[tuple[int, list[Line]]] = []
    for page in pages:
        lines = page.lines
        i = len(lines)
        while i > 0 and lines[i - 1].size < body * NOTE_SIZE:
            i -= 1
        run = lines[i:]
        notes: list[tuple[int, list[Line]]] = []
        start = next((k for k, ln in enumerate(run) if _note_number(ln, None) is not None), None)
        if start is None:
            if run and previous_notes and run[0].top > page.height / 2:
                previous_notes[-1][1].extend(run)  # a footnote running over from the page before
                page.body = lines[:i]
            else:
                page.body = lines
        else:
            page.body = lines[:i] + run[:start]
            for line in run[start:]:
                n = _note_number(line, notes[-1][0] if notes else None)
                if n is not None:
                    notes.append((n, [line]))
                else:
                    notes[-1][1].append(line)
        page.notes = notes
        previous_notes = notes


def _note_number(line: Line, last: int | None) -> int | None:
    if line.lead_note is not None:
        return line.lead_note
    m = _NOTE_NUMBER.match(line.plain)
    if m and (last is None or int(m.group(1)) == last + 1):
        return int(m.group(1))
    return None


def note_text(line: Line, n: int) -> str:
    if line.lead_note is not None:
        return re.sub(r"^<sup>\d+</sup>\s*", "", line.text)
    return _NOTE_NUMBER.sub("", line.text, count=1) if line.plain.startswith(str(n)) else line.text


def _pitch(pages: list[Page], body: float) -> float:
    """The usual baseline step between the lines of a paragraph: the commonest step of body lines."""
    steps: list[float] = []
    for page in pages:
        for prev, line in zip(page.body, page.body[1:]):
            step = line.base - prev.base
            if abs(line.size - body) < 0.5 and abs(prev.size - body) < 0.5 and 0 < step < 3 * body:
                steps.append(round(step * 2) / 2)
    if not steps:
        return body * 1.2
    counts = Counter(steps).most_common()
    return min(step for step, n in counts if n == counts[0][1])


def ends_full(prev: Line, line: Line, right: float) -> bool:
    """Whether `prev` ended because `line`'s first word did not fit on it (a wrapped line)."""
    return prev.x1 + 0.3 * prev.size + line.first_word >= right - 0.5 * prev.size


def _new_block(prev: Line, line: Line, right: float, pitch: float, body: float) -> bool:
    size = max(prev.size, line.size)
    if line.base - prev.base > PARA_GAP * pitch * size / body:
        return True
    if abs(line.size - prev.size) > 0.1 * body or line.bold != prev.bold or line.italic != prev.italic:
        return True
    if ends_full(prev, line, right):
        return False
    if abs(line.x0 - prev.x0) > 0.8 * line.size or LIST_START.match(line.plain):
        return True
    return bool(CLOSED.search(prev.plain)) and line.plain[:1].isupper() or line.plain[:1].isdigit()


def paragraph_blocks(pages: list[Page], body: float) -> None:
    pitch = _pitch(pages, body)
    for page in pages:
        sized = [ln.x1 for ln in page.body if abs(ln.size - body) < 0.5] or [ln.x1 for ln in page.body] or [0.0]
        page.right = max(sized)
        current: list[Line] = []
        for line in page.body:
            if current and _new_block(current[-1], line, page.right, pitch, body):
                page.blocks.append(Block("body", current))
                current = []
            current.append(line)
        if current:
            page.blocks.append(Block("body", current))
