"""The backend cannot answer: the offer of the extractive answer instead."""

from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class FallbackScreen(ModalScreen[bool]):
    """The backend cannot answer: say why, and offer the extractive answer."""

    BINDINGS = [Binding("escape", "dismiss(False)", "Keep backend", show=True)]

    def __init__(self, backend: str, message: str):
        super().__init__()
        self.backend, self.message = backend, message

    def compose(self):
        with Vertical(id="dialog", classes="dialog"):
            yield Static(Content.assemble((f"The {self.backend} backend cannot answer.", "bold $text-error"), "\n\n",
                                          self.message, "\n\n",
                                          "Answer this question (and the next ones) extractively? The extractive "
                                          "backend quotes the passages and needs no language model."), id="fallback-message")
            with Horizontal(classes="buttons"):
                yield Button("Answer extractively", id="fallback-yes", variant="primary")
                yield Button(f"Keep {self.backend}", id="fallback-no")

    def on_mount(self) -> None:
        self.query_one("#fallback-yes", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "fallback-yes")
