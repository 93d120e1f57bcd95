"""`treaty corpus repair`: the corpus state rebuilt from what survives a damaged or missing state.json:
its backup (state.json.bak, the state before the last change), the copies in <data-dir>/corpus/files,
the index's manifest (each indexed document with its registration) and the fetch lock (which copies
were downloaded). Nothing is deleted: the damaged file is kept beside the new one.

The rebuilt state describes the corpus as the index and the copies show it, so the next command
neither drops an indexed document nor deletes a copy that the lost state named. The same recovery,
in memory and without reading the copies, lets `ask` and `search` go on while the state is damaged."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, fields
from pathlib import Path

from .documents import target_for
from ..durable import sha256_file
from ..errors import AssistantError
from ..lock import data_lock
from ..records import Source
from ..settings import Settings
from .catalogue import load_catalogue
from .state import Copy, State, backup_path, folder, lock_path, parse_state, record_problem, state_path, write_state


@dataclass
class Recovery:
    state: State
    basis: str  # the file the state was rebuilt from, or "nothing"
    notes: list[str]  # what was recovered or dropped, one line each


def recover(settings: Settings, *, thorough: bool) -> Recovery:
    """The state that the files show. `thorough` (repair) hashes the copies and reads the ones the
    index does not describe; without it (readers) only names and the manifest are read."""
    start, basis = _start(settings)
    indexed = _indexed(settings)
    state = State(dict(start.documents), dict(start.copies), list(start.removed))
    notes: list[str] = []
    _recover_copies(settings, state, indexed, notes, thorough, adopt_all=basis != state_path(settings).name)
    _recover_registrations(settings, state, indexed, notes, thorough)
    _recover_removed(settings, state, indexed, notes)
    return Recovery(state, basis, notes)


def repair(settings: Settings) -> list[str]:
    """Rebuild and write the state; the lines to print."""
    path = state_path(settings)
    with data_lock(settings.data_dir):
        problem = parse_state(path)[0] if path.exists() else "is missing" if backup_path(settings).exists() else None
        recovery = recover(settings, thorough=True)
        if not problem and not recovery.notes:
            return [f"corpus state {path} is whole and matches the index and the copies: nothing to repair"]
        aside = None
        if problem and path.exists():
            aside = path.with_name(f"state.json.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
            path.rename(aside)
        write_state(settings, recovery.state)
    s = recovery.state
    head = (f"corpus state {path} {problem}: rebuilt from {recovery.basis}, the copies in {folder(settings) / 'files'} "
            "and the index" if problem else f"corpus state {path} brought in line with the index and the copies")
    return [head, *(f"  {n}" for n in recovery.notes),
            f"now: {len(s.documents)} documents of yours, {len(s.copies)} copies, {len(s.removed)} removed"
            + (f"; the damaged file is kept as {aside}" if aside else "")]


def _start(settings: Settings) -> tuple[State, str]:
    for path in (state_path(settings), backup_path(settings)):
        if path.exists():
            problem, state = parse_state(path)
            if not problem:
                return state, path.name
    return State(), "nothing"


def _indexed(settings: Settings) -> dict[str, dict]:
    from ..index.snapshot import indexed_documents

    try:
        return indexed_documents(settings)
    except AssistantError:  # a damaged index describes nothing; the copies still do
        return {}


def _recover_copies(settings: Settings, state: State, indexed: dict, notes: list[str], thorough: bool, adopt_all: bool) -> None:
    """Entries whose file is gone are dropped; a copy on disk that no entry names is named again when
    the index holds its document, or, when the state itself was lost, always (an added file kept
    with --no-index is in no index)."""
    base = folder(settings)
    for doc_id, copy in list(state.copies.items()):
        if not (base / copy.file).is_file():
            del state.copies[doc_id]
            notes.append(f"{doc_id}: its copy {copy.file} is gone; the entry is dropped")
    fetched = _fetch_lock(settings)
    for doc_id, files in _copies_on_disk(base / "files").items():
        if doc_id in state.copies or not (adopt_all or doc_id in indexed):
            continue
        chosen = _indexed_copy(files, indexed.get(doc_id)) or max(files, key=lambda f: f.stat().st_mtime)
        sha = sha256_file(chosen) if thorough else indexed.get(doc_id, {}).get("sha256", "")
        origin = "fetched" if sha and fetched.get(doc_id, {}).get("sha256") == sha else "added"
        at = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(chosen.stat().st_mtime))
        state.copies[doc_id] = Copy(str(chosen.relative_to(base)), origin, sha, "", at)
        notes.append(f"{doc_id}: copy {chosen.relative_to(base)} ({origin})")


def _copies_on_disk(files: Path) -> dict[str, list[Path]]:
    if not files.is_dir():
        return {}
    found = {d.name: [f for f in d.iterdir() if f.is_file() and not f.name.startswith(".")] for d in files.iterdir() if d.is_dir()}
    return {doc_id: fs for doc_id, fs in found.items() if fs}


def _indexed_copy(files: list[Path], entry: dict | None) -> Path | None:
    """The copy the index was built from: the path it records, else the one named by its hash."""
    if not entry:
        return None
    path = entry.get("path")
    by_path = next((f for f in files if isinstance(path, str) and f.absolute() == Path(path).absolute()), None)
    sha = entry.get("sha256")
    return by_path or next((f for f in files if isinstance(sha, str) and f.name.startswith(sha[:16])), None)


def _recover_registrations(settings: Settings, state: State, indexed: dict, notes: list[str], thorough: bool) -> None:
    """The user's own documents: from the manifest, which records each indexed one's registration,
    else read from the copy as `corpus add` would register it. One with neither copy nor index entry
    is unregistered (its copy was deleted by the removal the backup predates)."""
    shipped = {s.id for s in load_catalogue()}
    for doc_id in sorted(set(state.copies) | set(indexed)):
        if doc_id in shipped or doc_id in state.documents:
            continue
        source = _recorded(indexed.get(doc_id)) or (_from_copy(settings, doc_id, state.copies[doc_id])
                                                  if thorough and doc_id in state.copies else None)
        source = source or _from_entry(doc_id, indexed.get(doc_id))
        if source is None:
            notes.append(f"{doc_id}: a copy with no registration, kept: add it again with `treaty corpus add FILE --id {doc_id}`")
            continue
        state.documents[doc_id] = source
        notes.append(f"{doc_id}: your document '{source['title']}' ({source['role']}) registered again")
    for doc_id in [d for d in state.documents if d not in state.copies and d not in indexed and d not in shipped]:
        del state.documents[doc_id]
        notes.append(f"{doc_id}: neither a copy nor in the index; left unregistered")


def _recorded(entry: dict | None) -> dict | None:
    source = (entry or {}).get("source")
    return source if isinstance(source, dict) and not record_problem(Source, source) and "path" not in source else None


def _from_copy(settings: Settings, doc_id: str, copy: Copy) -> dict | None:
    from ..ingest import load_path

    path = folder(settings) / copy.file
    try:
        loaded = load_path(path, settings.index, settings.data_dir / "cache" / "converted")
        title = loaded.meta.get("title") or doc_id  # the copy's file name is its hash, no title
        source = target_for(path, loaded, [], doc_id=doc_id, title=title, role=None, symbol=None, aliases=[], fmt=None).source
    except AssistantError:
        return None
    return {f.name: getattr(source, f.name) for f in fields(Source) if f.name != "path"}


def _from_entry(doc_id: str, entry: dict | None) -> dict | None:
    """What an index written before registrations were recorded says of a document."""
    if not entry or not isinstance(entry.get("title"), str) or not isinstance(entry.get("role"), str):
        return None
    title = entry["title"]
    return {"id": doc_id, "title": title, "short": title if len(title) <= 40 else title[:37].rstrip() + "…",
            "role": entry["role"], "format": "submission" if entry["role"] == "submission" else "treaty"}


def _recover_removed(settings: Settings, state: State, indexed: dict, notes: list[str]) -> None:
    """Every command that changes the corpus indexes every document with a local copy but those
    removed; so a registered document whose file is in the corpus folder but not in the index was
    removed (by the command the backup predates), and one in the index no longer is."""
    from .documents import registry

    back = [d for d in state.removed if d in indexed]
    if back:
        state.removed = [d for d in state.removed if d not in indexed]
        notes.append(f"{', '.join(back)}: in the index, so no longer marked removed")
    if not indexed:
        return
    out = [s.id for s in registry(settings, state) if s.path and s.id not in indexed and s.id not in state.copies
           and s.id not in state.removed and s.id not in state.documents]
    if out:
        state.removed += out
        notes.append(f"{', '.join(out)}: a local copy but not in the index, so marked removed "
                     f"(`treaty corpus restore {out[0]}` indexes it again)")


def _fetch_lock(settings: Settings) -> dict:
    try:
        data = json.loads(lock_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}
