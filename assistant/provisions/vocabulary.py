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
def vocabulary(path: Path = SAFEGUARDS_FILE) -> tuple[Safeguard, ...]:
    with open(path, "rb") as fh:
        entries = tomllib.load(fh)["safeguard"]
    return tuple(Safeguard(e["tag"], e["label"], e["covers"], tuple(re.compile(p, re.IGNORECASE) for p in e["patterns"]))
                 for e in entries)


def tags_in(text: str) -> list[SafeguardTag]:
    """Every safeguard of the vocabulary that `text` speaks of, in the vocabulary's order."""
    return [SafeguardTag(s.tag, words) for s in vocabulary() if (words := s.find(text))]


def label_of(tag: str) -> str:
    return next((s.label for s in vocabulary() if s.tag == tag), tag)
