"""The user's corpus, kept in the data dir beside the index: copies of the files they added or fetched,
the documents they registered themselves, and the registered ones they removed from the index.

The shipped registry (corpus/sources.toml) says what a document is; this state says where its local
copy is. A copy here wins over one in the corpus folder, which wins over the copy shipped in corpus/.
Copies are taken into the data dir, so moving or editing the original later changes nothing until the
user adds it again.

Nothing is lost by a command that did not ask for it: the state file is written durably, its
previous version kept (`state`); a damaged one stops the commands that would write it while readers go
on from the index, and `treaty corpus repair` rebuilds it (`repair`); the corpus folder an index was
built with is remembered in its manifest; a command that changes one document refuses to take others
out of the index; and a copy is deleted only when neither the state nor the index names it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from .durable import copy_file
from .errors import AssistantError, CorpusError, RegistryError, StateDamaged, UsageError
from .lock import data_lock
from .records import ARTICLE_NUMBER, ROLES, Loaded, Source
from .settings import Settings
from .sources import load_registry, resolve
# the state file, which the callers of the corpus use too
from .state import Copy, State, folder, lock_path, read_state, state_for_reading, write_state  # noqa: F401

T = TypeVar("T")
_ID = re.compile(r"^[a-z0-9][a-z0-9.-]{0,63}$")


def registry(settings: Settings, state: State | None = None) -> list[Source]:
    """Every document the assistant knows, each with the local copy it will index (path None: none).
    Without `state`, for reading: a damaged state is recovered in memory (writers pass theirs)."""
    out = []
    state = state_for_reading(settings)[0] if state is None else state
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
    state = state_for_reading(settings)[0]
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


_ARTICLE_HEADING = re.compile(rf"^#{{2,4}}\s*Article\s+{ARTICLE_NUMBER}", re.IGNORECASE | re.MULTILINE)


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
    copy_file(path, dest)
    state.copies[source.id] = Copy(str(rel), origin, sha256, str(path.resolve()) if origin == "added" else "",
                                   time.strftime("%Y-%m-%dT%H:%M:%S"))  # resolved: a link's target is the original
    return True


def forget(state: State, doc_id: str) -> str:
    """Take a document out of the corpus; says what happens to it."""
    state.copies.pop(doc_id, None)
    if state.documents.pop(doc_id, None) is not None:
        return "unregistered and its copy deleted"
    if doc_id not in state.removed:
        state.removed.append(doc_id)
    return f"left out of the index until `treaty corpus restore {doc_id}`"


def save_and_index(settings: Settings, state: State, build: Callable[[list[Source]], T], removing: tuple[str, ...] = ()) -> T:
    """Index what the new state says, then write it: the state names a document only once an index
    holds it, so a run that fails or is killed, even by SIGKILL where no clean-up runs, leaves the
    state and the index as they were. (Killed in the instant between the two steps, the index is
    one document ahead of the state; the next `treaty index` brings it back to the state.)
    Only the documents in `removing`, or removed before, may leave the index: a command that adds or
    fetches one document never drops others because their files are not where it looks.
    The caller should hold `data_lock` from the moment it read `state`; it is taken here too."""
    with data_lock(settings.data_dir):
        try:
            sources = registry(settings, state)
            _refuse_drops(settings, sources, set(removing) | set(state.removed))
            result = build(sources)
        except BaseException:
            try:
                _sweep(settings, read_state(settings))  # the copies this run took, which nothing names
            except StateDamaged:
                pass
            raise
        write_state(settings, state)
        _sweep(settings, state)
    return result


def _refuse_drops(settings: Settings, sources: list[Source], allowed: set[str]) -> None:
    from .index import index_root, read_manifest

    indexed = (read_manifest(index_root(settings)) or {"documents": {}})["documents"]
    local = {s.id for s in sources if s.path}
    dropped = [d for d in indexed if d not in local and d not in allowed]
    if not dropped:
        return
    gone, copies = _gone_folder(settings), folder(settings) / "files"
    place = f"in {settings.corpus_dir}" if settings.corpus_dir else "in the data dir, and no corpus folder is given"
    if any((copies / d).is_dir() for d in dropped):
        why = f"the corpus state does not name their copies in {copies}: run `treaty corpus repair`"
    elif gone:
        why = (f"the corpus folder {gone} that the index was built with is gone: pass its new place with --corpus-dir, "
               "or run `treaty index --forget-corpus-dir` to index without it")
    else:
        why = (f"their files are not {place} (they were indexed from {_parents(indexed, dropped)}): pass --corpus-dir "
               f"with the folder that holds them, or `treaty corpus remove {dropped[0]}` to take one out")
    raise CorpusError(f"this would take {', '.join(dropped)} out of the index: {why}; nothing was changed")


def _parents(indexed: dict, ids: list[str]) -> str:
    return ", ".join(dict.fromkeys(str(Path(indexed[d]["path"]).parent) for d in ids if isinstance(indexed[d].get("path"), str)))


def reindex(settings: Settings, *, rebuild: bool = False, forget_corpus_dir: bool = False,
            progress: Callable[[str, int, int], None] = lambda *_: None):
    """`treaty index`: the registry is read once the writer lock is held, so an index that waited
    for a `corpus add` holds the document it added. The remembered corpus folder being gone stops
    it: indexing without it would take its documents out, which only `forget_corpus_dir` asks for."""
    from .index import build_index

    with data_lock(settings.data_dir):
        gone = None if forget_corpus_dir else _gone_folder(settings)
        if gone:
            raise CorpusError(f"the corpus folder {gone} that the index was built with is gone: pass its new place with "
                              "--corpus-dir, or `treaty index --forget-corpus-dir` to take its documents out of the index")
        return build_index(settings, registry(settings, read_state(settings)), rebuild=rebuild, progress=progress)


def built_from(settings: Settings) -> Path | None:
    """The corpus folder the current index was built with: recorded in its manifest, or, in an index
    written before that was recorded, the one folder its documents' files were read from."""
    from .index import index_root, read_manifest
    from .locations import SHIPPED_CORPUS

    try:
        manifest = read_manifest(index_root(settings))
    except AssistantError:  # a damaged index is reported by the command that reads it
        return None
    if not manifest:
        return None
    if "corpus_dir" in manifest:
        return Path(manifest["corpus_dir"]) if isinstance(manifest["corpus_dir"], str) else None
    ours = (folder(settings).absolute(), SHIPPED_CORPUS)
    parents = {Path(d["path"]).parent for d in manifest["documents"].values() if isinstance(d.get("path"), str)}
    parents = {p for p in parents if not any(p == o or o in p.parents for o in ours)}
    return parents.pop() if len(parents) == 1 else None


def usable_folder(path: Path) -> bool:
    return path.is_dir() and any((path / f).is_file() for src in load_registry() for f in src.files)


def remembered(settings: Settings) -> Settings:
    """The settings with the corpus folder the index was built with, when none is given: a command
    run without --corpus-dir must not see that folder's documents as gone."""
    if settings.corpus_dir is not None:
        return settings
    built = built_from(settings)
    return settings.model_copy(update={"corpus_dir": built}) if built and usable_folder(built) else settings


def _gone_folder(settings: Settings) -> Path | None:
    """The remembered corpus folder when no folder is in use and that one no longer holds documents."""
    if settings.corpus_dir is not None:
        return None
    built = built_from(settings)
    return built if built and not usable_folder(built) else None


def _sweep(settings: Settings, state: State) -> None:
    """Delete the copies that neither the state nor the current index names: older versions of a file
    added again, copies of documents taken out, copies a failed run took. The index is asked too, so a
    state that lost its entries never costs the copies behind indexed documents."""
    files = folder(settings) / "files"
    held = _held_by_index(settings)
    if held is None or not files.exists():  # what the index holds is unknown: nothing is safe to delete
        return
    keep = {(folder(settings) / c.file).resolve() for c in state.copies.values()}
    for f in files.glob("*/*"):
        if f.resolve() not in keep and (f.parent.name, f.name[:16]) not in held:
            f.unlink(missing_ok=True)
    for d in files.glob("*") if files.exists() else []:
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()


def _held_by_index(settings: Settings) -> set[tuple[str, str]] | None:
    """(document id, first 16 hex digits of its sha256) of each indexed document, as copies are named."""
    from .index import index_root, read_manifest

    try:
        indexed = (read_manifest(index_root(settings)) or {"documents": {}})["documents"]
    except AssistantError:
        return None
    return {(d, str(e.get("sha256", ""))[:16]) for d, e in indexed.items()}


def _same_symbol(a: str, b: str) -> bool:
    return bool(a) and a.replace(" ", "").upper() == b.replace(" ", "").upper()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64] or "document"
