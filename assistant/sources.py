"""The document registry (corpus/sources.toml) and where each document's local copy is."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

from .errors import RegistryError
from .locations import SHIPPED_CORPUS, SOURCES_FILE
from .records import ROLES, Source


def load_registry(path: Path = SOURCES_FILE) -> list[Source]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    sources = [Source(**entry) for entry in data["document"]]
    for s in sources:
        if s.role not in ROLES:
            raise RegistryError(f"{path}: document '{s.id}' has unknown role '{s.role}' (roles: {', '.join(ROLES)})")
    return sources


def resolve(sources: list[Source], corpus_dir: Path | None) -> list[Source]:
    """Attach local paths: a user's corpus folder wins over the copy shipped in the repository."""
    out = []
    for s in sources:
        path = None
        if corpus_dir is not None:
            path = next((corpus_dir / f for f in s.files if (corpus_dir / f).is_file()), None)
        if path is None and s.vendored:
            path = SHIPPED_CORPUS / s.vendored
        out.append(replace(s, path=str(path) if path else None))
    return out


def by_id(sources: list[Source]) -> dict[str, Source]:
    return {s.id: s for s in sources}


def check_ids(sources: list[Source], ids: list[str]) -> None:
    known = by_id(sources)
    for i in ids:
        if i not in known:
            raise RegistryError(f"unknown document id '{i}': run `treaty corpus list` to see the registered ids")


def check_roles(roles: list[str]) -> None:
    for r in roles:
        if r not in ROLES:
            raise RegistryError(f"unknown role '{r}': roles are {', '.join(ROLES)}")
