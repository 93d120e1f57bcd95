"""Writes that survive a crash, a power cut and a full disk: the data goes to a temporary file beside
the target, is flushed to the disk (fsync), and replaces the target with one rename, whose directory
entry is flushed too. A full disk is one line naming the path being written, never a traceback.

`os.replace` alone is atomic only while the machine stays up: after a power cut the rename can reach
the disk before the data, leaving an empty file under the new name."""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import DiskFull

# Below this much free space a failure of a library that hides the cause (Chroma reports a full disk
# as "Error in compaction") is taken for a full disk: a write of a few MB cannot succeed there.
LOW_SPACE = 16 * 1024 * 1024
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def write_bytes(path: Path, data: bytes, *, shared: bool = False) -> None:
    """`path` holds `data` whole or is as it was. `shared`: the usual permissions (the umask applies),
    for files a person passes on, such as an exported memo; otherwise only the owner reads it."""
    _replace(path, lambda fh: fh.write(data), 0o666 if shared else 0o600)


def copy_file(src: Path, dest: Path) -> None:
    with open(src, "rb") as fin:
        _replace(dest, lambda fout: shutil.copyfileobj(fin, fout), 0o600)


def _replace(path: Path, fill: Callable[[BinaryIO], object], mode: int) -> None:
    with space_for(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        try:
            with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as fh:
                fill(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        sync_dir(path.parent)


def sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_dir(folder: Path) -> None:
    """Flush a directory's entries (a rename, a new file) to the disk."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def free_bytes(path: Path) -> int | None:
    for p in (path, *path.parents):
        if p.exists():
            try:
                return shutil.disk_usage(p).free
            except OSError:
                return None
    return None


def is_disk_full(exc: BaseException, path: Path, needed: int = LOW_SPACE) -> bool:
    """Whether `exc`, raised while writing under `path`, comes from a full disk: its errno says so
    (anywhere in its chain), or it is a library's error while less than `needed` bytes are free."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 32:
        if isinstance(seen, OSError) and seen.errno in _NO_SPACE:
            return True
        if "disk is full" in str(seen) or "no space left" in str(seen).lower():
            return True
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    # Only a storage error can be a full disk in other words: a cancel, or a bug, while space is low
    # is what it is.
    if not any(_storage_error(e) for e in chain):
        return False
    free = free_bytes(path)
    return free is not None and free < needed


def _storage_error(exc: BaseException) -> bool:
    """An error of the file system or of a store that writes to it (SQLite, Chroma)."""
    return isinstance(exc, OSError) or (type(exc).__module__ or "").split(".")[0] in ("sqlite3", "chromadb")


def disk_full(path: Path, what: str = "writing", free: int | None = None) -> DiskFull:
    """The one-line error; `free` as measured when the write failed, before its partial output was
    deleted (afterwards the disk looks roomier than it was)."""
    free = free_bytes(path) if free is None else free
    shown = "" if free is None else f", {_size(free)} free"
    return DiskFull(f"no space left on device {what} {path}{shown}: free some space, then run the command again "
                    "(nothing was changed)")


@contextmanager
def space_for(path: Path) -> Iterator[None]:
    """A full disk while writing `path` is one line that names it."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _NO_SPACE:
            raise disk_full(Path(exc.filename) if exc.filename else path) from None
        raise


def _size(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{n / 1024:.0f} KB"
