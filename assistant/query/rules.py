"""The phrasing rules of `rules.toml`, compiled once, and the switch that turns any of them off.

A rule switched off reads nothing: its pattern matches no question, its word list is empty. The
query analysis is the only reader of these rules, so switching one off removes everything that
follows from it downstream (a retrieval stage's bonus, an answer's abstention) and nothing else."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from ..errors import UsageError

# Package data beside this module, found as the other shipped data are (installed wheel or checkout).
RULES_FILE = Path(str(files(__package__) / "rules.toml"))
_NEVER = re.compile(r"(?!)")  # matches nothing: what a rule switched off reads


@cache
def table() -> dict[str, dict]:
    with open(RULES_FILE, "rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True)
class Rules:
    """The rules with those named in `off` switched off."""

    off: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.off) - set(table()))
        if unknown:
            raise UsageError(f"query.rules_off names no rule {', '.join(unknown)}: the rules are "
                             f"{', '.join(table())} ({RULES_FILE.name})")

    def on(self, name: str) -> bool:
        return name not in self.off

    def pattern(self, name: str) -> re.Pattern:
        return _compiled(name) if self.on(name) else _NEVER

    def words(self, name: str) -> list[str]:
        if not self.on(name):
            return []
        words = table()[name]["words"]
        return words.split() if isinstance(words, str) else list(words)

    def entry(self, name: str) -> dict:
        return table()[name] if self.on(name) else {}


@cache
def _compiled(name: str) -> re.Pattern:
    rule = table()[name]
    return re.compile(rule["pattern"], re.IGNORECASE if rule.get("ignore_case") else 0)


def names() -> list[str]:
    """Every rule's name, as `rules_off` takes them."""
    return list(table())
