"""The user's corpus, kept in the data dir beside the index: copies of the files they added or fetched,
the documents they registered themselves, and the registered ones they removed from the index.

The shipped registry (corpus/sources.toml) says what a document is; this state says where its local
copy is. A copy here wins over one in the corpus folder, which wins over the copy shipped in corpus/.
Copies are taken into the data dir, so moving or editing the original later changes nothing until the
user adds it again."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from .errors import CorpusError, RegistryError, UsageError
from .lock import data_lock
from .records import ROLES, Loaded, Source
from .settings import Settings
from .sources import load_registry, resolve

T = TypeVar("T")
_ID = re.compile(r"^[a-z0-9][a-z0-9.-]{0,63}$")


@dataclass
class Copy:
    file: str  # relative to the corpus folder of the data dir
    origin: str  # "added" | "fetched"
    sha256: str
    original: str = ""  # where the user's file was
    at: str = ""


@dataclass
class State:
    documents: dict[str, dict] = field(default_factory=dict)  # user-registered Source fields by id
    copies: dict[str, Copy] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)


def folder(settings: Settings) -> Path:
    return settings.data_dir / "corpus"


def lock_path(settings: Settings) -> Path:
    return folder(settings) / "fetch-lock.json"


def read_state(settings: Settings) -> State:
    path = folder(settings) / "state.json"
    if not path.exists():
        return State()
    try:
        data = json.loads(path.read_text())
    except (ValueError, OSError) as exc:
        raise CorpusError(f"{path}: unreadable corpus state ({exc}): fix or delete it, then add your files again") from None
    problem = _state_problem(data)
    if problem:
        raise CorpusError(f"{path}: corpus state has the wrong shape ({problem}): fix or delete it, then add your files again")
    return State(data.get("documents", {}), {k: Copy(**v) for k, v in data.get("copies", {}).items()},
                 data.get("removed", []))


# JSON types of the annotations used by Source and Copy (annotations are strings here)
_JSON_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "list[str]": (list,), "dict[str, str]": (dict,),
                                            "str | None": (str, type(None))}


def _state_problem(data: Any) -> str | None:
    """What is wrong with the shape of a parsed state.json; None when it can be used. A file edited
    by hand, or written by another program, must fail here with its name, not later in a traceback."""
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__}, not an object"
    for key, kind in (("documents", dict), ("copies", dict), ("removed", list)):
        if not isinstance(data.get(key, kind()), kind):
            return f"'{key}' is not a JSON {'object' if kind is dict else 'list'}"
    if not all(isinstance(x, str) for x in data.get("removed", [])):
        return "'removed' holds something other than document ids"
    for key, cls in (("documents", Source), ("copies", Copy)):
        for doc_id, entry in data.get(key, {}).items():
            problem = _record_problem(cls, entry)
            if problem:
                return f"{key}.{doc_id}: {problem}"
    return None


def _record_problem(cls: type, entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return "not a JSON object"
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(entry) - set(known))
    missing = [n for n, f in known.items() if f.default is MISSING and f.default_factory is MISSING and n not in entry]
    if unknown or missing:
        return f"unknown field '{unknown[0]}'" if unknown else f"no '{missing[0]}'"
    wrong = next((n for n, v in entry.items() if not isinstance(v, _JSON_TYPES.get(known[n].type, (object,)))), None)
    return f"'{wrong}' has the wrong type" if wrong else None


def write_state(settings: Settings, state: State) -> None:
    path = folder(settings) / "state.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"documents": state.documents, "copies": {k: asdict(v) for k, v in state.copies.items()}, "removed": state.removed}
    _atomic_write(path, json.dumps(data, indent=1, ensure_ascii=False).encode())


def registry(settings: Settings, state: State | None = None) -> list[Source]:
    """Every document the assistant knows, each with the local copy it will index (path None: none)."""
    out = []
    state = read_state(settings) if state is None else state
    sources = load_registry() + [Source(**d) for d in state.documents.values()]
    for s in resolve(sources, settings.corpus_dir):
        if s.id in state.removed:
            s = replace(s, path=None)
        elif s.id in state.copies:
            s = replace(s, path=str(folder(settings) / state.copies[s.id].file))
        out.append(s)
    return out


def status(source: Source, indexed: set[str], state: State) -> str:
    if source.id in indexed:
        return "indexed"
    if source.id in state.removed:
        return "removed"
    return "available" if source.path else "not downloaded"


@dataclass
class Row:
    """One registered document as `treaty corpus list` and the TUI's corpus screen show it."""

    source: Source
    status: str  # indexed, available, not downloaded, removed
    passages: int
    origin: str  # "added" | "fetched" | "user" (registered by the user) | "" (shipped registry)


def rows(settings: Settings) -> list[Row]:
    from .index import index_root, read_manifest

    indexed = (read_manifest(index_root(settings)) or {"documents": {}})["documents"]
    state = read_state(settings)
    return [Row(s, status(s, set(indexed), state), indexed.get(s.id, {}).get("passages", 0),
                state.copies[s.id].origin if s.id in state.copies else ("user" if s.id in state.documents else ""))
            for s in registry(settings, state)]


@dataclass
class Target:
    """Where an added file goes: a registered document (linked) or a new one the user registers."""

    source: Source
    linked: bool


def target_for(path: Path, loaded: Loaded, sources: list[Source], *, doc_id: str | None, title: str | None,
               role: str | None, symbol: str | None, aliases: list[str], fmt: str | None, subjects: list[str] = ()) -> Target:
    symbol = symbol or loaded.meta.get("symbol", "")
    known = {s.id: s for s in sources}
    match = known.get(doc_id) if doc_id else next((s for s in sources if symbol and _same_symbol(s.symbol, symbol)), None)
    if match is not None:
        if role and role != match.role:
            raise UsageError(f"'{match.id}' is registered as {match.role}, not {role}: drop --role or choose another --id")
        changes = {"aliases": list(dict.fromkeys(match.aliases + aliases))} if aliases else {}
        if subjects:
            changes["subjects"] = list(dict.fromkeys([*match.subjects, *subjects]))
        if fmt:
            changes["format"] = fmt
        return Target(replace(match, **changes), linked=True)
    new_id = doc_id or _slug(path.stem)
    if not _ID.match(new_id):
        raise UsageError(f"'{new_id}' is not a usable id: use lower-case letters, digits, '.' and '-', e.g. --id my-report")
    if role and role not in ROLES:
        raise RegistryError(f"unknown role '{role}': roles are {', '.join(ROLES)}")
    fmt = fmt or detect_format(loaded.text)
    title = title or loaded.meta.get("title") or path.stem.replace("_", " ").replace("-", " ")
    # A text in articles is law to review against; anything else reads as commentary on it.
    role = role or ("instrument" if fmt == "treaty" else "submission")
    short = symbol or (title if len(title) <= 40 else title[:37].rstrip() + "…")
    return Target(Source(id=new_id, title=title, short=short, role=role, format=fmt, aliases=aliases, symbol=symbol,
                         language="en", subjects=list(subjects)), linked=False)


_ARTICLE_HEADING = re.compile(r"^#{2,4}\s*Article\s+\d+", re.IGNORECASE | re.MULTILINE)


def detect_format(text: str) -> str:
    return "treaty" if len(_ARTICLE_HEADING.findall(text)) >= 2 else "submission"


def take_copy(settings: Settings, state: State, source: Source, path: Path, sha256: str, origin: str) -> bool:
    """Copy `path` in as `source`'s local copy; False when the same bytes are already there. The old
    copy stays on disk until the index that replaces it is built (see `save_and_index`)."""
    current = state.copies.get(source.id)
    if current and current.sha256 == sha256 and (folder(settings) / current.file).exists():
        return False
    rel = Path("files") / source.id / f"{sha256[:16]}{path.suffix.lower()}"
    dest = folder(settings) / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    _atomic_copy(path, dest)
    state.copies[source.id] = Copy(str(rel), origin, sha256, str(path.resolve()) if origin == "added" else "",
                                   time.strftime("%Y-%m-%dT%H:%M:%S"))
    return True


def forget(state: State, doc_id: str) -> str:
    """Take a document out of the corpus; says what happens to it."""
    state.copies.pop(doc_id, None)
    if state.documents.pop(doc_id, None) is not None:
        return "unregistered and its copy deleted"
    if doc_id not in state.removed:
        state.removed.append(doc_id)
    return f"left out of the index until `treaty corpus restore {doc_id}`"


def save_and_index(settings: Settings, state: State, build: Callable[[list[Source]], T]) -> T:
    """Index what the new state says, then write it: the state names a document only once an index
    holds it, so a run that fails or is killed, even by SIGKILL where no clean-up runs, leaves the
    state and the index as they were. (Killed in the instant between the two steps, the index is
    one document ahead of the state; the next `treaty index` brings it back to the state.)
    The caller should hold `data_lock` from the moment it read `state`; it is taken here too."""
    with data_lock(settings.data_dir):
        try:
            result = build(registry(settings, state))
        except BaseException:
            _sweep(settings, read_state(settings))  # the copies this run took, which nothing names
            raise
        write_state(settings, state)
        _sweep(settings, state)
    return result


def reindex(settings: Settings, *, rebuild: bool = False, progress: Callable[[str, int, int], None] = lambda *_: None):
    """`treaty index`: the registry is read once the writer lock is held, so an index that waited
    for a `corpus add` holds the document it added."""
    from .index import build_index

    with data_lock(settings.data_dir):
        return build_index(settings, registry(settings), rebuild=rebuild, progress=progress)


def _sweep(settings: Settings, state: State) -> None:
    """Delete copies the state no longer points to."""
    files = folder(settings) / "files"
    keep = {(folder(settings) / c.file).resolve() for c in state.copies.values()}
    for f in files.glob("*/*") if files.exists() else []:
        if f.resolve() not in keep:
            f.unlink(missing_ok=True)
    for d in files.glob("*") if files.exists() else []:
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()


def _same_symbol(a: str, b: str) -> bool:
    return bool(a) and a.replace(" ", "").upper() == b.replace(" ", "").upper()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64] or "document"


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _atomic_copy(src: Path, dest: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
