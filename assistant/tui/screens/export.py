"""The memo export: where the session's review memo goes."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class ExportScreen(ModalScreen[Path | None]):
    """Ask where the memo goes (the default path is filled in)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", show=True)]

    def __init__(self, default: Path):
        super().__init__()
        self.default = default

    def compose(self):
        with Vertical(id="dialog", classes="dialog"):
            yield Static(Content.assemble(("Export the session as a review memo", "bold"), " (Markdown: each question and "
                                          "answer, then a numbered list of sources with the passages quoted)."))
            yield Input(str(self.default), id="export-path")
            with Horizontal(classes="buttons"):
                yield Button("Export", id="export-yes", variant="primary")
                yield Button("Cancel", id="export-no")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#export-yes")
    def accept(self) -> None:
        value = self.query_one(Input).value.strip()
        self.dismiss(Path(value) if value else self.default)

    @on(Button.Pressed, "#export-no")
    def refuse(self) -> None:
        self.dismiss(None)
