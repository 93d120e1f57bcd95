"""The question box (enter asks; up and down recall earlier questions) and the status line above it."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input, Static


class QuestionInput(Input):
    BINDINGS = [
        Binding("enter", "submit", "Ask", show=True),
        Binding("tab", "screen.focus_answers", "Answers", show=True),
        Binding("up", "history(-1)", "Earlier question", show=False),
        Binding("down", "history(1)", "Later question", show=False),
    ]

    def __init__(self, **kw):
        super().__init__(placeholder="Ask a question, e.g. Does Article 73 require judicial oversight?", **kw)
        self.history: list[str] = []
        self._pos = 0

    def remember(self, question: str) -> None:
        if question and (not self.history or self.history[-1] != question):
            self.history.append(question)
        self._pos = len(self.history)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._pos = max(0, min(len(self.history), self._pos + step))
        self.value = self.history[self._pos] if self._pos < len(self.history) else ""
        self.cursor_position = len(self.value)


class StatusLine(Static):
    """One line: opening, ready, searching, writing, no index."""
