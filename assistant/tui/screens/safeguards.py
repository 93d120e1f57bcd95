"""The safeguards matrix of a document (`treaty safeguards` on a screen): ask for a document id and an
optional article range, show articles as rows and safeguards as columns, and open the passage a cell
cites in the reader. The matrix itself is built by the core (`Assistant.safeguards`)."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker, WorkerState

from ...answer.matrix import Ask, Cell, Matrix, parse_articles
from ...safe_text import printable
from .failure import failure_line
from .reader import ReaderScreen, open_library

_STYLE = {"mandatory": "bold green", "discretionary": "yellow", "by-reference": "cyan", "absent": "dim"}


def cell_label(c: Cell) -> str:
    """What a cell shows in the grid: "mandatory art. 15(1)", "by ref. art. 15(2)", "absent"; the
    reference it comes through is told in the line under the table."""
    if c.status == "absent":
        return "absent"
    status = "by ref." if c.status == "by-reference" else c.status
    return f"{status} {c.locator}"


def cell_detail(label: str, c: Cell) -> str:
    """The highlighted cell in words: its citation, the words that triggered it, the reference it comes through."""
    if c.status == "absent":
        return f"{label}: absent, no provision of this article (or one it is subject to) states it"
    via = f", through {c.via} (\"{c.via_words}\"), {c.stated_as} there" if c.status == "by-reference" else ""
    return f"{label}: {c.status} {c.locator}{via}; \"{c.words}\" · enter reads it"


def cell_citation(m: Matrix, c: Cell) -> tuple[dict, dict]:
    """A cell as a citation of a one-citation answer, which the reader opens in its article with the
    cited paragraph highlighted."""
    cite = {"n": 1, "doc_id": m.doc_id, "locator": f"{m.title}, {c.locator}", "text": c.words, "title": m.title}
    answer = {"citations": [cite], "cited": [{"n": 1, "passage_id": c.passage_id, "part": _paragraph(c.locator)}]}
    return cite, answer


def ask_citation(a: Ask) -> tuple[dict, dict]:
    """What the submission asks of an article, as a citation the reader opens in its section."""
    cite = {"n": 1, "doc_id": a.passage_id.partition(":")[0], "locator": a.locator, "text": a.text}
    return cite, {"citations": [cite], "cited": [{"n": 1, "passage_id": a.passage_id, "part": None}]}


def _paragraph(locator: str) -> str | None:
    """"art. 15(2)(a)" -> "2": the paragraph the reader highlights (the article whole has none)."""
    inner = locator.partition("(")[2]
    return inner.partition(")")[0] or None


class SafeguardsScreen(Screen):
    """A document's safeguards matrix; enter on a cell reads the provision it cites."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", show=True),
        Binding("ctrl+l", "focus_document", "Document", show=True),
    ]

    def __init__(self, doc_id: str = "", articles: str = ""):
        super().__init__()
        self.doc_id, self.articles = doc_id, articles
        self.matrix: Matrix | None = None

    def compose(self):
        yield Static(Content.styled("Safeguards matrix: articles as rows, safeguards as columns", "bold"), id="safeguards-title")
        with Horizontal(id="safeguards-ask"):
            yield Input(self.doc_id, placeholder="document id, e.g. budapest", id="safeguards-doc")
            yield Input(self.articles, placeholder="articles, e.g. 14-21 (empty: all)", id="safeguards-articles")
        # the article and its title stay in view while the safeguards scroll past
        yield DataTable(id="safeguards-table", cursor_type="cell", zebra_stripes=True, fixed_columns=2)
        yield Static(id="safeguards-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.say(self.hint())
        if self.doc_id:
            self.show_matrix()
        else:
            self.query_one("#safeguards-doc", Input).focus()

    def hint(self) -> Content:
        treaties = [i for i, _, role in self.app.engine.indexed() if role != "submission"]
        return Content.styled(printable(f"enter shows the matrix · documents in treaty layout: {', '.join(treaties) or 'none indexed'}"),
                              "$text-muted")

    def say(self, line: str | Content) -> None:
        self.query_one("#safeguards-line", Static).update(line)

    def action_focus_document(self) -> None:
        self.query_one("#safeguards-doc", Input).focus()

    @on(Input.Submitted)
    def show_matrix(self) -> None:
        doc_id = self.query_one("#safeguards-doc", Input).value.strip()
        spec = self.query_one("#safeguards-articles", Input).value.strip()
        if not doc_id:
            self.say(Content.assemble(("No document: ", "bold $text-warning"), "type a document id, e.g. budapest"))
            return
        self.say(Content.styled(printable(f"Reading the provisions of {doc_id}…"), "italic $text-muted"))
        self.app.safeguards_asked = (doc_id, spec)
        self.run_worker(partial(self._build, doc_id, spec), thread=True, group="safeguards", exit_on_error=False)

    def _build(self, doc_id: str, spec: str) -> Matrix:
        return self.app.engine.safeguards(doc_id, parse_articles(spec) if spec else None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "safeguards":
            return
        if event.state == WorkerState.SUCCESS:
            self.fill(event.worker.result)
        elif event.state == WorkerState.ERROR:  # as the chat screen does: one line, the screen goes on
            self.say(Content.assemble(("error: ", "bold $text-error"), failure_line(event.worker.error)))

    def fill(self, m: Matrix) -> None:
        """The grid; every word in it is the document's, drawn as text (never markup) and printable."""
        self.matrix = self.app.matrix = m
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_column("art.", key="article")
        table.add_column("title", key="title", width=18)
        for tag, label in m.columns:
            table.add_column(Text(printable(label)), key=tag)
        if m.asks_column:
            table.add_column("the submission asks", key="asks", width=40)
        for row in m.rows:
            asks = [Text(printable(f"{row.asks[0].text} ({row.asks[0].locator})") if row.asks else "none")] if m.asks_column else []
            table.add_row(Text(row.article, style="bold"), Text(printable(row.title)),
                          *(Text(printable(cell_label(c)), style=_STYLE[c.status]) for c in row.cells), *asks, key=row.article)
        table.focus()
        if m.rows:
            table.move_cursor(row=0, column=2)
        self.say(Content.styled(printable(f"{m.title}: {len(m.rows)} articles · enter on a cell reads its provision"), "$text-muted"))

    def cell_at(self, row: int, column: int) -> Cell | Ask | None:
        """The safeguard cell (or, in the last column of a negotiating text, the submission's first ask) there."""
        m = self.matrix
        if m is None or not (0 <= row < len(m.rows)) or column < 2:
            return None
        cells = m.rows[row].cells
        if column - 2 < len(cells):
            return cells[column - 2]
        return next(iter(m.rows[row].asks), None) if m.asks_column else None

    @on(DataTable.CellHighlighted)
    def highlighted(self, event: DataTable.CellHighlighted) -> None:
        c = self.cell_at(event.coordinate.row, event.coordinate.column)
        article = f"art. {self.matrix.rows[event.coordinate.row].article} · " if self.matrix and self.matrix.rows else ""
        if isinstance(c, Cell):
            label = dict(self.matrix.columns).get(c.tag, c.tag)
            self.say(Content.styled(printable(article + cell_detail(label, c)), "$text-muted"))
        elif isinstance(c, Ask):
            self.say(Content.styled(printable(f"{article}the submission asks: {c.text} ({c.locator}) · enter reads it"), "$text-muted"))

    @on(DataTable.CellSelected)
    def selected(self, event: DataTable.CellSelected) -> None:
        c = self.cell_at(event.coordinate.row, event.coordinate.column)
        if c is None or (isinstance(c, Cell) and c.status == "absent"):
            self.app.notify("This cell cites no provision: pick a cell that is not absent.", severity="warning")
            return
        library = open_library(self.app)
        if library is None:
            return
        cite, answer = cell_citation(self.matrix, c) if isinstance(c, Cell) else ask_citation(c)
        self.app.push_screen(ReaderScreen(library, [cite], 0, answer))
