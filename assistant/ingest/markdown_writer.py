"""The Markdown shape the parsers read, written block by block: the HTML and DOCX loaders share it.

`#` headings, paragraphs separated by blank lines, table rows with cells joined by " | ", footnote
markers `<sup>n</sup>` and the footnotes after a `---` rule at the end; "Article N" headings become
`### Article N` (+ `#### Title`), the treaty parser's shape."""

from __future__ import annotations

import re

from ..records import ARTICLE_NUMBER

_ARTICLE = re.compile(rf"^Article\s+({ARTICLE_NUMBER})\s*(?:[-–—:.]\s*(.*?))?\s*$", re.IGNORECASE)
_DIVISION = re.compile(r"^(?:CHAPTER|PART|SECTION|TITLE|ANNEX)\s+(?:[IVXLC]+|\d+|[A-Z])\b", re.IGNORECASE)
_RULE_ONLY = re.compile(r"^\s*(?:[-*_=]\s*){3,}$")
_NUMBERED = re.compile(r"^\s*(?:\d+\.|\(?[a-z]\))\s")
SPACE = re.compile(r"\s+")
SHORT = 150  # characters: a paragraph this short may be a caption


def _tidy(text: str) -> list[str]:
    """Lines of a block: whitespace folded, empty lines and rule-only lines dropped, a leading '#'
    escaped (`clean` removes the backslash, so the words stay the document's)."""
    out = []
    for line in text.split("\n"):
        line = SPACE.sub(" ", line).strip()
        if not line or _RULE_ONLY.match(line):
            continue
        out.append("\\" + line if line.startswith("#") else line)
    return out


class MarkdownWriter:
    """Collects headings, paragraphs, table rows and notes, and writes them in the parsers' shape."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.notes: dict[int, list[str]] = {}
        self.headings: list[tuple[int, str]] = []  # (level, text) as given, for titles
        self._expect: tuple[str, int] | None = None  # ("article" | "division", level) awaiting a caption

    def heading(self, level: int, text: str) -> None:
        text = " ".join(text.split())
        if not text:
            return
        self.headings.append((level, text))
        if m := _ARTICLE.match(text):
            self._article(m)
        elif _DIVISION.match(text):
            level = min(max(level, 2), 4)  # the treaty parser reads divisions at ## to ####
            self.blocks.append(f"{'#' * level} {text}")
            self._expect = ("division", level)
        elif self._expect is not None:
            self._caption(text)
        else:
            self.blocks.append(f"{'#' * min(max(level, 1), 6)} {text}")

    def _caption(self, text: str) -> None:
        kind, level = self._expect or ("article", 3)
        self._expect = None
        self.blocks.append(f"{'#' * (4 if kind == 'article' else min(level + 1, 6))} {text}")

    def _article(self, m: re.Match) -> None:
        number = " ".join(m.group(1).split())
        self.blocks.append(f"### Article {number}")
        if m.group(2):
            self.blocks.append(f"#### {m.group(2)}")
            self._expect = None
        else:
            self._expect = ("article", 3)

    def paragraph(self, text: str, emphasised: bool = False) -> None:
        lines = _tidy(text)
        if not lines:
            return
        one = " ".join(lines)
        short = len(lines) == 1 and len(one) <= SHORT
        if short and (m := _ARTICLE.match(one)) and (emphasised or not m.group(2)):
            self._article(m)
            return
        # A short emphasised (or upper-case) line with no sentence end reads as a caption.
        caption = short and (emphasised or one.isupper()) and not _NUMBERED.match(one) and not one.endswith((".", ";", ","))
        if caption and _DIVISION.match(one):
            self.blocks.append(f"## {one}")
            self._expect = ("division", 2)
        elif caption and self._expect is not None:
            self._caption(one)
        else:
            self._expect = None
            self.blocks.append("\n".join(lines))

    def rows(self, rows: list[list[str]]) -> None:
        lines = []
        for cells in rows:
            cells = [" ".join(c.split()) for c in cells]
            while cells and not cells[-1]:
                cells.pop()
            if any(cells):
                lines.append(" | ".join(cells))
        if lines:
            self.paragraph("\n".join(lines))

    def note(self, n: int, paragraphs: list[str]) -> None:
        blocks = ["\n".join(_tidy(p)) for p in paragraphs]
        blocks = [b for b in blocks if b]
        if n in self.notes:
            self.notes[n] += blocks
        else:
            self.notes[n] = blocks

    def text(self) -> str:
        out = list(self.blocks)
        if self.notes:
            out.append("---")
            for n in sorted(self.notes):
                body = self.notes[n] or [""]
                out.append(f"<sup>{n}</sup> {body[0]}".rstrip())
                out.extend(body[1:])
        return "\n\n".join(out) + "\n"

    def has_text(self) -> bool:
        return bool(self.blocks or self.notes)
