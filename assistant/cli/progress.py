"""Progress bars for the long commands (index, fetch, eval): Rich bars on stderr when it is a
terminal, nothing in pipes and scripts. Rich's progress module is imported only when a bar is shown,
so queries and scripted runs never load it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress

Show = Callable[[str, int, "int | None"], None]


def _silent(label: str, done: int, total: int | None) -> None:
    pass


class _Bars:
    """One bar per label (an index stage, a document), created at its first report."""

    def __init__(self, progress: Progress):
        self._progress = progress
        self._tasks: dict[str, int] = {}

    def __call__(self, label: str, done: int, total: int | None) -> None:
        if label not in self._tasks:
            self._tasks[label] = self._progress.add_task(label, total=total)
        self._progress.update(self._tasks[label], completed=done, total=total)


@contextmanager
def bars(*, in_bytes: bool = False, keep: bool = False) -> Iterator[Show]:
    """A `(label, done, total)` callback drawing bars while the block runs; `in_bytes` shows sizes and
    speed (downloads), `keep` leaves the finished bars on screen instead of clearing them."""
    if not sys.stderr.isatty():
        yield _silent
        return
    from rich.console import Console
    from rich.progress import (BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn,
                               TransferSpeedColumn)

    counts = (DownloadColumn(), TransferSpeedColumn()) if in_bytes else (MofNCompleteColumn(),)
    # No redirection of stdout/stderr: the commands print their own lines after the block.
    with Progress(TextColumn("{task.description}"), BarColumn(), *counts, console=Console(stderr=True),
                  transient=not keep, redirect_stdout=False, redirect_stderr=False) as progress:
        yield _Bars(progress)
