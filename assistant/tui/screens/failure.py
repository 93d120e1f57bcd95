"""One line for a failure, as every screen shows it."""

from __future__ import annotations

from ...errors import AssistantError
from ...safe_text import printable


def failure_line(exc: BaseException) -> str:
    """One line for any failure: the AssistantError's own message, else the exception named (either
    may quote a title or a path: made printable)."""
    if isinstance(exc, AssistantError):
        return printable(exc.message)
    return printable(f"unexpected {type(exc).__name__}: {exc} (run `treaty --debug ask ...` for a traceback)")
