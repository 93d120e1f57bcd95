"""The index's generation folders: the `CURRENT` pointer and the switch to a new generation, the pins
that keep a generation in place while a reader uses it, the checksums that prove a generation's files
are the ones written, and the clean-up of generations nothing points to.

A reader pins the generation it opens with a shared `flock` on its folder; a writer deletes an old
generation only if it can take an exclusive lock on it, so a reader never sees its generation vanish,
and one that a writer deleted between reading `CURRENT` and pinning simply opens the new one. The
kernel drops a pin when its process exits, even by SIGKILL."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import weakref
from collections.abc import Callable
from pathlib import Path

from .durable import sha256_file, space_for, sync_dir, sync_file
from .errors import IndexCorrupt
from .locations import check_folder

# The files a reader loads, checksummed at write time (Chroma's store is not: Chroma writes to it
# even to read it). Paths are relative to the generation folder.
CHECKED = ("passages.jsonl", "provisions.jsonl", "vectors.npy", "bm25/data.npy", "bm25/indices.npy", "bm25/indptr.npy",
           "bm25/vocab.json", "bm25/meta.json")
POINTER = "CURRENT"


def current_generation(root: Path) -> str | None:
    pointer = root / POINTER
    if not pointer.exists():
        check_folder(root.parent)  # a data dir that is a file is a mistake, not "no index yet"
        return None
    try:
        gen = json.loads(pointer.read_text())["generation"]
    except (ValueError, KeyError, TypeError, OSError):
        gen = None
    # a folder name inside the index root, nothing that would lead out of it
    if not isinstance(gen, str) or not gen or gen.startswith(".") or Path(gen).name != gen:
        raise IndexCorrupt(f"index pointer {pointer} is unreadable: run `treaty index --rebuild`")
    return gen


def checksums(folder: Path) -> dict[str, str]:
    return {name: sha256_file(folder / name) for name in CHECKED if (folder / name).exists()}


def verify(folder: Path, recorded: dict | None) -> None:
    """The files the manifest has checksums for are the ones written (an index written before
    checksums were recorded has none). A missing vectors.npy is rebuilt from Chroma, not damage."""
    for name, digest in (recorded or {}).items():
        path = folder / name
        if name == "vectors.npy" and not path.exists():
            continue
        if sha256_file(path) != digest:
            raise IndexCorrupt(f"index in {folder} is damaged ({name} is not the file that was written): "
                               "run `treaty index --rebuild`")


class Pin:
    """A shared lock on a generation folder, held while a reader uses it."""

    def __init__(self, fd: int):
        self._finalizer = weakref.finalize(self, os.close, fd)

    def release(self) -> None:
        self._finalizer()


def pin(folder: Path) -> Pin | None:
    """Pin `folder`; None when it is gone or being deleted."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    if not folder.exists():  # deleted after it was opened: the lock holds nothing
        os.close(fd)
        return None
    return Pin(fd)


def sync_tree(folder: Path) -> None:
    """Flush every file and folder of a new generation before the pointer names it."""
    for dirpath, _, files in os.walk(folder):
        for name in files:
            sync_file(Path(dirpath) / name)
        sync_dir(Path(dirpath))


def switch(root: Path, generation: str) -> None:
    tmp = root / f"{POINTER}.tmp{os.getpid()}"
    with space_for(tmp):
        with open(tmp, "w") as fh:
            fh.write(json.dumps({"generation": generation}))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, root / POINTER)
    sync_dir(root)


def retire(root: Path, keep: str, drop: Callable[[Path], None] = lambda folder: None) -> list[str]:
    """Delete every generation but `keep` that no reader pins, with what interrupted runs left
    (temporary folders and pointers); a pinned one is deleted by a later write. `drop` also removes
    what a generation keeps elsewhere (its collection on a Chroma server)."""
    sweep_temporaries(root)
    for stray in root.glob(f"{POINTER}.tmp*"):
        stray.unlink(missing_ok=True)
    retired = []
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and folder.name.startswith("g") and folder.name != keep and _delete_unpinned(folder, drop):
            retired.append(folder.name)
    return retired


def _delete_unpinned(folder: Path, drop: Callable[[Path], None]) -> bool:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        drop(folder)
        shutil.rmtree(folder, ignore_errors=True)
        return True
    finally:
        os.close(fd)


def sweep_temporaries(root: Path) -> None:
    for folder in root.glob(".tmp-*"):
        shutil.rmtree(folder, ignore_errors=True)
