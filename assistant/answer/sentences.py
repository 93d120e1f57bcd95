"""Sentence splitting that respects legal abbreviations (art., para., No., e.g.), so a quoted sentence
is always a verbatim slice of its passage."""

from __future__ import annotations

import re

from ..query.stated import ADDRESS

# A sentence ends at . ! ? before a capital or digit; a list item "; (b)" also starts a new unit,
# so that one sub-paragraph can be quoted without the whole enumeration.
_BOUNDARY = re.compile(r"(?:(?<=[.!?…])(?P<close>[”\"')\]]*)\s+(?=[“\"(\[]?[A-Z0-9])|(?<=;)\s+(?=(?:and\s+|or\s+)?\(?[a-z]{1,4}\)\s))")
_ABBREV = frozenset(
    "art arts para paras no nos e.g i.e cf etc vol rev ed eds p pp mr mrs ms dr st inc ltd co op doc gen res al ibid id "
    "u.n un s.a".split()
)


def split(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`."""
    spans, start = [], 0
    for m in _BOUNDARY.finditer(text):
        before = text[start:m.start()].rstrip(".!?”\"')]…")
        last = before.rsplit(None, 1)[-1].lower() if before.split() else ""
        if last in _ABBREV or len(last) == 1 or (last.isdigit() and len(before.strip()) <= 4):
            continue
        # closing quotes and brackets stay with the sentence they close
        spans.append((start, m.start() + len(m.group("close") or "")))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [piece for a, b in spans if text[a:b].strip() for piece in _after_addresses(text, a, b)]


# "See more at: https://…/2021_Nicaragua-ES.pdf Civil society organizations also raised ...": a web
# address ends its sentence without a full stop.
_ADDRESS_THEN_CAPITAL = re.compile(rf"{ADDRESS}(?P<gap>\s+)(?=[A-Z])")


def _after_addresses(text: str, a: int, b: int) -> list[tuple[int, int]]:
    out = []
    for m in _ADDRESS_THEN_CAPITAL.finditer(text, a, b):
        out.append((a, m.start("gap")))
        a = m.end()
    return out + [(a, b)]


# A unit opening with its list marker: "(b) For the protection of ...", "c) the stored ...", "and f) that ...".
_ITEM = re.compile(r"\s*(?:and\s+|or\s+)?\(?[a-z]{1,4}\)\s")


def leads(text: str, spans: list[tuple[int, int]]) -> list[int | None]:
    """For each unit of `split`, the unit that opens its enumeration when it is a list item: "(b) For
    the protection of national security" says nothing without "It may therefore be subject to
    certain restrictions, but these shall only be such as are ... necessary:". None for other units."""
    out: list[int | None] = []
    for i, (a, _) in enumerate(spans):
        lead = None
        if _ITEM.match(text, a):
            j = i - 1
            while j >= 0 and _ITEM.match(text, spans[j][0]):
                j -= 1
            if j >= 0 and ":" in text[spans[j][0]:spans[j][1]]:
                lead = j
        out.append(lead)
    return out
