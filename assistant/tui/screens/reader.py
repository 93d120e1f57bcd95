"""The reader: a citation in its whole article or section, the cited passage highlighted."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...safe_text import printable
from ..context import Context, Library, label_of


def _whereabouts(ctx: Context) -> str:
    """Where the cited passage sits: "paragraph 5 of 11 in this section"."""
    paragraphs = [p for p in ctx.passages if p.footnote is None]
    unit = "article" if ctx.cited is not None and ctx.cited.article else "section"
    if ctx.cited is None or ctx.cited not in paragraphs:
        return f"a footnote, after the paragraph citing it ({len(paragraphs)} in this {unit})"
    what = "paragraph" if unit == "section" or ctx.cited.paragraph else "passage"
    return f"{what} {paragraphs.index(ctx.cited) + 1} of {len(paragraphs)} in this {unit}"


class PassageBlock(Static):
    """One passage in the reader, with its label in the margin."""


def open_library(app) -> Library | None:
    """The open index's library for the reader, or None with a warning while it is still opening."""
    library = app.engine.library
    if library is None:
        app.notify("The index is not open yet: the reader needs it.", severity="warning")
    return library


class ReaderScreen(Screen):
    """A citation in its whole article or section, the cited passage highlighted."""

    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back", show=True),
        Binding("n", "step(1)", "Next source", show=True),
        Binding("p", "step(-1)", "Prev source", show=True),
        Binding("c", "to_cited", "Cited passage", show=True),
    ]

    def __init__(self, library: Library, entries: list[dict], index: int, answer: dict | None):
        super().__init__()
        self.library, self.entries, self.index, self.answer = library, entries, index, answer
        self.context: Context | None = None

    def compose(self):
        yield Static(id="reader-title")
        yield VerticalScroll(id="reader-body")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        """The passages around the citation; their words, headings and labels made printable."""
        cite = self.entries[self.index]
        ctx = self.context = self.library.context(cite, self.answer)
        label = f"[{cite['n']}]" if "n" in cite else f"·{cite.get('rank', '')}"
        step = f"source {self.index + 1} of {len(self.entries)} · " if len(self.entries) > 1 else ""
        title = [Content.assemble((f"{label} ", "bold $text-accent"), (printable(cite.get("locator", "")), "bold")),
                 Content.assemble((printable(ctx.doc_title), "$text-muted"), (" — ", "$text-muted"), (printable(ctx.heading), "bold"))]
        if cite.get("suspicious"):
            title.append(Content.styled(f"⚠ suspicious: {printable(cite.get('suspicious_reason') or '')}", "bold $text-error"))
        title.append(Content.styled(f"{step}{_whereabouts(ctx)} · ↑↓ pgup pgdn scroll", "$text-muted"))
        self.query_one("#reader-title", Static).update(Content("\n").join(title))
        body = self.query_one("#reader-body", VerticalScroll)
        body.remove_children()
        blocks = []
        paragraphs = 0
        for p in ctx.passages:
            cited = ctx.cited is not None and p is ctx.cited
            paragraphs += p.footnote is None
            numbered = not (p.article or p.footnote is not None or p.kind == "preamble")
            margin = printable(f"¶ {paragraphs} · {label_of(p)}" if numbered else label_of(p))
            tag = f"  {label} cited" if cited else (f"  [{ctx.others[p.id]}] also cited" if p.id in ctx.others else "")
            head = Content.assemble((margin, "bold"), (tag, "bold $text-accent" if cited else "bold $text-secondary"))
            block = PassageBlock(Content("\n").join([head, Content(printable(p.text))]), classes="passage")
            block.set_class(cited, "-cited")
            block.set_class(p.id in ctx.others, "-also")
            block.set_class(p.footnote is not None, "-footnote")
            blocks.append(block)
        if ctx.note:
            blocks.insert(0, Static(Content.styled(printable(ctx.note), "italic $text-warning"), classes="reader-note"))
        body.mount_all(blocks)
        body.focus()
        self.call_after_refresh(self.action_to_cited)

    def action_to_cited(self) -> None:
        cited = self.query(".passage.-cited")
        if cited:
            cited.first().scroll_visible(animate=False, top=True)

    def action_step(self, step: int) -> None:
        if len(self.entries) > 1:
            self.index = (self.index + step) % len(self.entries)
            self.show()

    @property
    def cited_text(self) -> str:
        """The text of the highlighted passage (what the tests read)."""
        return self.context.cited.text if self.context and self.context.cited else ""
