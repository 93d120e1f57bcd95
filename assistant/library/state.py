"""The corpus state file, <data-dir>/corpus/state.json: the documents the user registered, the copies
taken into the data dir, and the registered documents removed from the index (see `documents`).

Written durably (`durable`), with the state it replaces kept as state.json.bak. Read strictly by
the commands that change it, which stop at a damaged state with one line pointing to `treaty corpus
repair`; the commands that only read go on with a state recovered in memory (`repair.recover`)."""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..durable import write_bytes
from ..errors import StateDamaged
from ..records import Source
from ..settings import Settings


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


def state_path(settings: Settings) -> Path:
    return folder(settings) / "state.json"


def backup_path(settings: Settings) -> Path:
    return folder(settings) / "state.json.bak"


_REPAIR = "run `treaty corpus repair` (it rebuilds the state from its backup and your copies, deleting nothing)"


def read_state(settings: Settings) -> State:
    """The corpus state; StateDamaged when it cannot be read, or is missing where one was written."""
    path = state_path(settings)
    if not path.exists():
        if backup_path(settings).exists():  # a state was written here before: an empty one would forget it
            raise StateDamaged(f"{path}: corpus state is missing: {_REPAIR}")
        return State()
    problem, state = parse_state(path)
    if problem:
        raise StateDamaged(f"{path}: corpus state {problem}: {_REPAIR}")
    return state


def parse_state(path: Path) -> tuple[str | None, State]:
    """(what is wrong with the file, or None; the state it holds)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return f"is not valid JSON (line {exc.lineno}, column {exc.colno})", State()
    except UnicodeDecodeError:
        return "is not UTF-8 text", State()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc.__class__.__name__})", State()
    problem = _state_problem(data)
    if problem:
        return f"has the wrong shape ({problem})", State()
    return None, State(data.get("documents", {}), {k: Copy(**v) for k, v in data.get("copies", {}).items()},
                       data.get("removed", []))


def state_for_reading(settings: Settings) -> tuple[State, str | None]:
    """The state for commands that only read (ask, search, list): a damaged one is recovered in
    memory from its backup and the index, with the problem to report."""
    try:
        return read_state(settings), None
    except StateDamaged as exc:
        from .repair import recover

        return recover(settings, thorough=False).state, exc.message


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
            problem = record_problem(cls, entry)
            if problem:
                return f"{key}.{doc_id}: {problem}"
    return None


def record_problem(cls: type, entry: Any) -> str | None:
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
    """Durably, keeping the state it replaces as state.json.bak (a damaged state is not kept: the
    backup stays the last good one)."""
    path = state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        problem, previous = parse_state(path)
        if not problem:
            write_bytes(backup_path(settings), _encode(previous))
        write_bytes(path, _encode(state))
        return
    # The first state: written before the empty backup that marks a state was written here, so that a
    # crash between the two leaves a readable state, not a marker of one that is missing.
    write_bytes(path, _encode(state))
    if not backup_path(settings).exists():
        write_bytes(backup_path(settings), _encode(State()))


def _encode(state: State) -> bytes:
    data = {"documents": state.documents, "copies": {k: asdict(v) for k, v in state.copies.items()}, "removed": state.removed}
    return json.dumps(data, indent=1, ensure_ascii=False).encode()
