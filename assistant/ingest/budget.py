"""Reading a corpus file under a memory budget: the work runs in a forked child whose address space is
capped, so a file that would take the machine's memory fails alone, with one line, and the command
(holding the writer lock, with the index open) never grows. The limits in `settings.Limits` stop
the known ways a small file becomes a large job; the budget stops the ones nobody thought of.

Linux only (the cap needs the process's current size from /proc, and `fork`); elsewhere, or with a
budget of 0, the work runs in the process itself. The child runs loaders and parsers only: no model,
no thread pool, nothing that could wait on a lock another thread of the parent held at the fork."""

from __future__ import annotations

import gc
import os
import pickle
import resource
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..errors import AssistantError
from .limits import MB, refuse

T = TypeVar("T")
_STATM = Path("/proc/self/statm")


def run(work: Callable[[], T], path: Path | str, budget_mb: int) -> T:
    """`work()`, in a child process that may grow by `budget_mb` at most; its result or its exception
    comes back here. Running out of memory, or being killed, is a CorpusError naming the budget."""
    if budget_mb <= 0 or not hasattr(os, "fork") or not _STATM.exists():
        return work()
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child(work, read_end, write_end, budget_mb)
    os.close(write_end)
    reaped = False
    try:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        if not reaped:  # interrupted while the child works: it must not outlive us
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return _outcome(data, status, path, budget_mb)


def _child(work: Callable[[], object], read_end: int, write_end: int, budget_mb: int) -> None:
    """Never returns: the child must not run the parent's code after the fork (nor its exit handlers)."""
    # The parent's objects are not the child's to collect: garbage the parent left (an embedding model's
    # ONNX session, say) would be freed here, and freeing one waits on the parent's threads, which the
    # child does not have. Frozen, the collector looks only at what the work itself creates.
    gc.freeze()
    try:
        os.close(read_end)
        try:
            _cap(budget_mb)
            outcome = ("ok", work())
        except MemoryError:
            outcome = ("memory", None)
        except AssistantError as exc:
            outcome = ("raise", exc)
        except BaseException as exc:  # noqa: BLE001  (the parent raises it, a bug with where it happened)
            exc.add_note("".join(traceback.format_exception(exc)).rstrip())
            outcome = ("raise", exc)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(_dumps(outcome))
    finally:
        os._exit(0)


def _cap(budget_mb: int) -> None:
    """Cap this process's address space at its present size plus the budget, or lower where a limit
    the user set already is."""
    size = int(_STATM.read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = min([size + budget_mb * MB] + [x for x in (soft, hard) if x != resource.RLIM_INFINITY])
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _dumps(outcome: tuple) -> bytes:
    try:
        return pickle.dumps(outcome)
    except MemoryError:
        return pickle.dumps(("memory", None))
    except Exception:  # noqa: BLE001  (an exception that does not pickle comes back as its text)
        if outcome[0] != "raise":
            raise
        exc = outcome[1]
        return pickle.dumps(("raise", RuntimeError("".join(traceback.format_exception(exc)).rstrip())))


def _outcome(data: bytes, status: int, path: Path | str, budget_mb: int):
    if data:
        kind, value = pickle.loads(data)
        if kind == "ok":
            return value
        if kind == "raise":
            raise value
    found = "reading it ran out of memory"
    if os.WIFSIGNALED(status):
        found = f"reading it was stopped by {signal.Signals(os.WTERMSIG(status)).name}, perhaps out of memory"
    raise refuse(path, found, f"{budget_mb} MB", "max_memory_mb")
