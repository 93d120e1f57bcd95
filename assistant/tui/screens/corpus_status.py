"""The corpus status: each registered document, indexed or not, and indexing from there."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ...errors import AssistantError
from ...safe_text import printable
from .failure import failure_line
from .indexing import IndexScreen


class CorpusScreen(Screen[bool]):
    """Each registered document with its status: indexed, available, not downloaded, removed."""

    BINDINGS = [
        Binding("escape,q", "close", "Back", show=True),
        Binding("i", "index", "Index now", show=True),
    ]

    def compose(self):
        yield Static(Content.styled("Corpus: the registered documents", "bold"), id="corpus-title")
        yield DataTable(id="corpus-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="corpus-summary")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.fill()

    def fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for name, width in (("id", None), ("role", None), ("status", 14), ("passages", 8), ("title", None)):
            table.add_column(name, width=width, key=name)
        try:
            rows = self.app.engine.corpus()
        except AssistantError as exc:
            self.query_one("#corpus-summary", Static).update(Content.assemble(("error: ", "bold $text-error"), failure_line(exc)))
            return
        styles = {"indexed": "$text-success", "available": "$text-accent", "not downloaded": "$text-muted",
                  "removed": "$text-warning"}
        for r in rows:
            # plain strings in a table are read as markup, and a title may be the document's own: Text is text
            table.add_row(Text(printable(r.source.id)), r.source.role, Content.styled(r.status, styles.get(r.status, "")),
                          str(r.passages or ""), Text(printable(r.source.short)))
        counts = {k: sum(r.status == k for r in rows) for k in styles}
        self.query_one("#corpus-summary", Static).update(
            f"{counts['indexed']} indexed, {counts['available']} available (i indexes them), "
            f"{counts['not downloaded']} not downloaded (`treaty corpus fetch ID` or `treaty corpus add FILE`)"
            + (f", {counts['removed']} removed" if counts["removed"] else ""))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(False)

    def action_index(self) -> None:
        self.app.push_screen(IndexScreen(None), self._indexed)

    def _indexed(self, done: bool | None) -> None:
        self.fill()
        if done:
            self.dismiss(True)
