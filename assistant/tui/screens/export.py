"""The memo export: where the session's review memo goes, the analyst's own note for it, and whether it
includes the safeguards matrix shown last."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Static, TextArea

from ...safe_text import printable


@dataclass
class ExportRequest:
    path: Path
    note: str = ""
    matrix: bool = False  # include the safeguards matrix shown last


class ExportScreen(ModalScreen[ExportRequest | None]):
    """Ask where the memo goes (the default path is filled in), the analyst's note, and the matrix."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", show=True),
        Binding("ctrl+s", "accept", "Export", show=True),
    ]

    def __init__(self, default: Path, matrix_title: str = ""):
        super().__init__()
        self.default, self.matrix_title = default, matrix_title

    def compose(self):
        with Vertical(id="dialog", classes="dialog"):
            yield Static(Content.assemble(("Export the session as a review memo", "bold"), " (Markdown: your note, each "
                                          "question and answer, then a numbered list of sources with the passages quoted)."))
            yield Input(str(self.default), id="export-path")
            yield TextArea(id="export-note", soft_wrap=True, placeholder="Analyst's note (optional: left empty, the memo "
                           "keeps an empty heading to fill in)")
            if self.matrix_title:
                yield Checkbox(printable(f"Include the safeguards matrix of {self.matrix_title}"), True, id="export-matrix")
            with Horizontal(classes="buttons"):
                yield Button("Export", id="export-yes", variant="primary")
                yield Button("Cancel", id="export-no")
        # the dialog's own keys, over the footer of the screen behind it (whose keys do not reach here)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#export-yes")
    def action_accept(self) -> None:
        value = self.query_one(Input).value.strip()
        matrix = bool(self.query("#export-matrix")) and self.query_one("#export-matrix", Checkbox).value
        self.dismiss(ExportRequest(Path(value) if value else self.default, self.query_one(TextArea).text.strip(), matrix))

    @on(Button.Pressed, "#export-no")
    def refuse(self) -> None:
        self.dismiss(None)
