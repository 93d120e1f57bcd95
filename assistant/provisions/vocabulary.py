"""The declared vocabulary of safeguards (`safeguards.toml`, shipped with the package): each tag with
what it covers and the patterns that find it in a provision's words. One file, so that the reader,
the matrix and the retrieval stage speak of the same safeguards."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from ..records import SafeguardTag

SAFEGUARDS_FILE = Path(str(files(__package__) / "safeguards.toml"))


@dataclass(frozen=True, slots=True)
class Safeguard:
    tag: str
    label: str
    covers: str
    patterns: tuple[re.Pattern, ...]

    def find(self, text: str) -> str | None:
        """The words that trigger this safeguard in `text`, or None."""
        return next((m.group(0) for p in self.patterns if (m := p.search(text))), None)


@cache
def _data(path: Path = SAFEGUARDS_FILE) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


@cache
def vocabulary() -> tuple[Safeguard, ...]:
    return tuple(Safeguard(e["tag"], e["label"], e["covers"], tuple(re.compile(p, re.IGNORECASE) for p in e["patterns"]))
                 for e in _data()["safeguard"])


@cache
def _conditions() -> re.Pattern:
    cues = sorted(_data()["questions"]["conditions"], key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(c) for c in cues) + r")\w*", re.IGNORECASE)


def asks_conditions(question: str) -> str | None:
    """The words by which a question asks about conditions, safeguards, oversight, exceptions, limits
    or derogation (the `[questions]` list of safeguards.toml), or None."""
    m = _conditions().search(question)
    return m.group(0) if m else None


def tags_in(text: str) -> list[SafeguardTag]:
    """Every safeguard of the vocabulary that `text` speaks of, in the vocabulary's order."""
    return [SafeguardTag(s.tag, words) for s in vocabulary() if (words := s.find(text))]


def label_of(tag: str) -> str:
    return next((s.label for s in vocabulary() if s.tag == tag), tag)
