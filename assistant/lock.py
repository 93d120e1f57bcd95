"""One writer at a time per data dir.

Commands that change the corpus state or the index read the state, change it and build an index
from it; two such runs at once would each build from what they read and the last to finish would
drop the other's work. They hold an exclusive lock (`filelock`, an `flock` on Unix) on
`<data-dir>/treaty.lock` for the whole read-modify-write, and a second writer waits, then reads the
state the first one left. Readers (ask, search, chat) take no lock: the index they open is switched
with one atomic rename.

The kernel releases the lock when its holder exits, even by SIGKILL, so a crash never leaves the
data dir locked (a lock file that merely exists means nothing)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DataDirError
from .locations import ensure_writable

if TYPE_CHECKING:
    from filelock import FileLock

LOCK_NAME = "treaty.lock"


def tell_waiting(data_dir: Path) -> None:
    print(f"waiting for another treaty command to finish with {data_dir}", file=sys.stderr, flush=True)


@contextmanager
def data_lock(data_dir: Path, on_wait: Callable[[Path], None] = tell_waiting) -> Iterator[None]:
    """Hold the data dir's writer lock; re-entrant within a thread. Also the check that the data dir
    can be written, made before any slow work."""
    lock = _lock(data_dir)
    if not lock.is_locked:
        ensure_writable(data_dir)
    _acquire(lock, data_dir, on_wait)
    try:
        yield
    finally:
        lock.release()


def _lock(data_dir: Path) -> FileLock:
    # Imported here: readers never lock, so `ask` and `search` do not pay for the import.
    from filelock import FileLock

    # flock conflicts between two open files even in one process: one instance per real path (a
    # singleton), whose holds are counted per thread, lets the holder's own nested calls (a corpus
    # command, then build_index inside it) go through instead of waiting for themselves.
    return FileLock(Path(os.path.realpath(data_dir)) / LOCK_NAME, is_singleton=True)


def _acquire(lock: FileLock, data_dir: Path, on_wait: Callable[[Path], None]) -> None:
    from filelock import Timeout

    try:
        try:
            lock.acquire(blocking=False)
        except Timeout:
            on_wait(data_dir)
            lock.acquire()
    except OSError as exc:
        reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        raise DataDirError(f"cannot write the data dir {data_dir} ({reason}): "
                           "choose another with --data-dir or TREATY_DATA_DIR") from None
