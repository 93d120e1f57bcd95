"""Markup normalisation: a passage's text is its source span with markup stripped and whitespace folded.

The same function checks citations later (`is_verbatim`), so what a passage says can always be traced
back to the characters of the source."""

from __future__ import annotations

import re

_SUP = re.compile(r"<sup>\s*\d+\s*</sup>")
# Link text and addresses are bounded: from each "[" or "<" an unbounded pattern reads on to the end
# of a text that never closes it, which on a long paragraph costs its length squared.
_LINK = re.compile(r"\[([^\]]{0,1000})\]\([^)\s]{0,2000}\)")
_EMPTY_LINK = re.compile(r"\[\]\([^)]{0,2000}\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]{1,2000})>")
_EMPH = re.compile(r"\*+")
_ESCAPE = re.compile(r"\\+(?=[\\_\-\[\]()*#.!`~>])")
_SPACE = re.compile(r"\s+")


def clean(raw: str) -> str:
    s = _SUP.sub("", raw)
    s = _EMPTY_LINK.sub("", s)
    s = _LINK.sub(r"\1", s)
    s = _AUTOLINK.sub(r"\1", s)
    s = _EMPH.sub("", s)
    s = _ESCAPE.sub("", s)
    return _SPACE.sub(" ", s).strip()


def fold(text: str) -> str:
    """Comparison form: case and whitespace folded (used for gold phrases and quote checks)."""
    return _SPACE.sub(" ", text).strip().casefold()


def span_text(raw: str, spans: list[tuple[int, int]]) -> str:
    return " ".join(clean(raw[a:b]) for a, b in spans)


def is_verbatim(raw: str, spans: list[tuple[int, int]], text: str) -> bool:
    """True when `text` is exactly what the source says at `spans` (after markup normalisation)."""
    return span_text(raw, spans) == text
