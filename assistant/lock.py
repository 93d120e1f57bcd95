"""One writer at a time per data dir.

Commands that change the corpus state or the index read the state, change it and build an index
from it; two such runs at once would each build from what they read and the last to finish would
drop the other's work. They hold an exclusive `flock` on `<data-dir>/treaty.lock` for the whole
read-modify-write, and a second writer waits, then reads the state the first one left. Readers
(ask, search, chat) take no lock: the index they open is switched with one atomic rename.

The kernel releases the lock when its holder exits, even by SIGKILL, so a crash never leaves the
data dir locked (a lock file that merely exists means nothing)."""

from __future__ import annotations

import fcntl
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import DataDirError
from .locations import ensure_writable

LOCK_NAME = "treaty.lock"
# flock conflicts between two open files even in one process: the holder's own nested calls
# (a corpus command, then build_index inside it) must not wait for themselves.
_held = threading.local()


def tell_waiting(data_dir: Path) -> None:
    print(f"waiting for another treaty command to finish with {data_dir}", file=sys.stderr, flush=True)


def holding(data_dir: Path) -> bool:
    return _key(data_dir) in _depths()


@contextmanager
def data_lock(data_dir: Path, on_wait: Callable[[Path], None] = tell_waiting) -> Iterator[None]:
    """Hold the data dir's writer lock; re-entrant within a thread. Also the check that the data dir
    can be written, made before any slow work."""
    key, depths = _key(data_dir), _depths()
    if key in depths:
        depths[key] += 1
        try:
            yield
        finally:
            depths[key] -= 1
        return
    ensure_writable(data_dir)
    fd = _open(data_dir / LOCK_NAME)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait(data_dir)
            fcntl.flock(fd, fcntl.LOCK_EX)
        depths[key] = 1
        try:
            yield
        finally:
            del depths[key]
    finally:
        os.close(fd)  # releases the lock


def _open(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        raise DataDirError(f"cannot write the data dir {path.parent} ({reason}): "
                           "choose another with --data-dir or TREATY_DATA_DIR") from None


def _key(data_dir: Path) -> str:
    return os.path.realpath(data_dir)


def _depths() -> dict[str, int]:
    if not hasattr(_held, "depths"):
        _held.depths = {}
    return _held.depths
