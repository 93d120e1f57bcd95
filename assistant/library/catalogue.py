"""The shipped catalogue (corpus/sources.toml): what each registered document is (symbol, title, official
address), and where a copy of it is found in a corpus folder. `documents.registry()` adds the user's own."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, unquote

from ..errors import RegistryError
from ..locations import SHIPPED_CORPUS, SOURCES_FILE
from ..records import ROLES, Source


@dataclass(frozen=True, slots=True)
class Viewer:
    """Addresses under `prefix` are a document viewer's pages, named by symbol; the file itself is at
    `download`, where {symbol} stands for that symbol, URL-encoded."""

    prefix: str
    download: str

    def file_of(self, address: str) -> str | None:
        if not address.startswith(self.prefix):
            return None
        symbol = unquote(address[len(self.prefix):].split("?", 1)[0].split("#", 1)[0])
        return self.download.replace("{symbol}", quote(symbol, safe="")) if symbol else None


def with_download(source: Source, viewers: list[Viewer]) -> Source:
    """The source with where its file is downloaded from, when its cited address is a viewer's page.
    The symbol is taken from the address, as the viewer spells it: that is the spelling it resolves."""
    if source.download:
        return source
    found = next((url for v in viewers if (url := v.file_of(source.address))), None)
    return replace(source, download=found) if found else source


def load_catalogue(path: Path = SOURCES_FILE) -> list[Source]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    viewers = [Viewer(**v) for v in data.get("viewer", [])]
    sources = [with_download(Source(**entry), viewers) for entry in data["document"]]
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
