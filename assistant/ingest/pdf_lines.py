"""The PDF loader's first step: a page's characters (from pdfplumber, with font size, font name and
position) grouped into lines, footnote markers (smaller digits raised above the baseline) kept as
`<sup>n</sup>`, ligatures spelled out; and the shapes the later steps work on (`Line`, `Block`, `Page`)."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field


SUP_SIZE = 0.85  # a footnote marker is drawn at most this share of the line's size...
SUP_RAISE = 0.15  # ...with its foot at least this share of the size above the baseline
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_ITALIC = re.compile(r"italic|oblique", re.IGNORECASE)


@dataclass
class Line:
    page: int
    text: str  # with footnote markers as <sup>n</sup>
    plain: str  # without them
    lead_note: int | None  # a raised number that opens the line
    x0: float
    x1: float
    top: float
    base: float
    size: float
    bold: bool
    italic: bool
    first_word: float  # width of the first word, to tell a wrapped line from a short one

    @property
    def styled(self) -> bool:
        return self.bold or self.italic


@dataclass
class Block:
    kind: str  # "body" or "heading"
    lines: list[Line]
    md: str = ""


@dataclass
class Page:
    height: float
    lines: list[Line] = field(default_factory=list)
    body: list[Line] = field(default_factory=list)
    notes: list[tuple[int, list[Line]]] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    right: float = 0.0


def _size(c: dict) -> float:
    return round(float(c["size"]), 1)


def group_lines(page: int, chars: list[dict]) -> list[Line]:
    """Characters into lines: a character joins the line its box overlaps most (half its height at least)."""
    rows: list[list] = []  # [top, bottom, size, chars]
    for c in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        h = max(0.1, c["bottom"] - c["top"])
        best, best_overlap = None, 0.0
        for row in rows[-6:]:
            overlap = (min(row[1], c["bottom"]) - max(row[0], c["top"])) / max(0.1, min(h, row[1] - row[0]))
            if overlap > best_overlap:
                best, best_overlap = row, overlap
        if best is not None and best_overlap >= 0.5:
            best[3].append(c)
            size = _size(c)
            if size > best[2] * 1.1:  # a bigger character defines the line
                best[0], best[1], best[2] = c["top"], c["bottom"], size
            elif size >= best[2] * 0.9:
                best[0], best[1] = min(best[0], c["top"]), max(best[1], c["bottom"])
        else:
            rows.append([c["top"], c["bottom"], _size(c), [c]])
    lines = [_make_line(page, sorted(row[3], key=lambda c: c["x0"])) for row in rows]
    return sorted((ln for ln in lines if ln is not None), key=lambda ln: (ln.base, ln.x0))


def _make_line(page: int, chars: list[dict]) -> Line | None:
    ink = [c for c in chars if not c["text"].isspace()]
    if not ink:
        return None
    size = Counter(_size(c) for c in ink).most_common(1)[0][0]
    base = statistics.median(c["bottom"] for c in ink if abs(_size(c) - size) <= 0.5)

    def raised(c: dict) -> bool:
        return c["text"].isdigit() and _size(c) <= size * SUP_SIZE and c["bottom"] < base - size * SUP_RAISE

    text, plain = [], []
    lead_note: int | None = None
    space = False
    prev: dict | None = None
    i = 0
    while i < len(chars):
        c = chars[i]
        if c["text"].isspace():
            space = bool(text)
            prev = c
            i += 1
            continue
        if prev is not None and not space and c["x0"] - prev["x1"] > 0.15 * min(_size(c), _size(prev)):
            space = True
        gap = " " if space and text else ""
        if raised(c):
            j = i
            while j < len(chars) and raised(chars[j]):
                j += 1
            number = "".join(ch["text"] for ch in chars[i:j])
            if not text:
                lead_note = int(number)
            text.append(f"{gap}<sup>{number}</sup>")
            plain.append(gap)
            prev, space, i = chars[j - 1], False, j
            continue
        glyphs = c["text"].translate(_LIGATURES)
        text.append(gap + glyphs)
        plain.append(gap + glyphs)
        prev, space = c, False
        i += 1
    first = ink[0]
    first_word_end = first["x1"]
    for c in chars[chars.index(first):]:
        if c["text"].isspace():
            break
        first_word_end = c["x1"]
    body_ink = [c for c in ink if not raised(c)] or ink
    return Line(
        page=page, text="".join(text).strip(), plain="".join(plain).strip(), lead_note=lead_note,
        x0=first["x0"], x1=max(c["x1"] for c in ink), top=min(c["top"] for c in ink), base=base, size=size,
        bold=all(_BOLD.search(c.get("fontname", "")) for c in body_ink),
        italic=all(_ITALIC.search(c.get("fontname", "")) for c in body_ink),
        first_word=first_word_end - first["x0"],
    )
