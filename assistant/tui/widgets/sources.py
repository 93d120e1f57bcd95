"""The sources pane: the citations of the selected answer with locator, role, score and the passage's
first words (for an abstention, the nearest passages). Enter, a click or ctrl+o opens one in the reader."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...safe_text import printable
from .conversation import Turn


def snippet(text: str, width: int) -> str:
    """The start of a passage on one line of `width` characters, made printable."""
    flat = " ".join(printable(text).split())
    return flat if len(flat) <= width else flat[:max(width - 1, 1)].rstrip() + "…"


def source_prompt(label: str, cite: dict, width: int = 60) -> Content:
    """`[1] Derechos Digitales & APC submission,` / `'Multiple investigatory powers', p. 9` /
    `submission · score 0.063` / the passage's first words: the locator is split after the
    document's name, so the pinpoint (article, section, page) stays on one line in a narrow pane, and
    the snippet is cut to the pane's `width`. A passage that addresses its reader with instructions
    says so on a line of its own."""
    locator = printable(cite.get("locator", ""))
    indent = "\u00a0" * (len(label) + 1)  # non-breaking: wrapping keeps it
    doc, _, pin = locator.partition(", ")
    lines = [Content.assemble((f"{label} ", "bold $text-accent"), (doc + ("," if pin else ""), "bold"))]
    if pin:
        lines.append(Content.styled(f"{indent}{pin}", "bold"))
    lines.append(Content.styled(printable(f"{indent}{cite.get('role', '')} · score {cite.get('score', 0):.3f}"), "$text-muted"))
    if cite.get("text"):
        lines.append(Content.styled(indent + snippet(cite["text"], width - len(indent)), "italic"))
    if cite.get("suspicious"):
        lines.append(Content.styled(f"{indent}⚠ suspicious: {printable(cite.get('suspicious_reason') or '')}", "bold $text-error"))
    return Content("\n").join(lines)


class SourcesList(OptionList):
    BINDINGS = [Binding("enter", "select", "Read in context", show=True)]

    class Typed(Message):
        def __init__(self, character: str):
            super().__init__()
            self.character = character

    def on_key(self, event) -> None:
        if event.is_printable and event.character:
            event.stop()
            self.post_message(self.Typed(event.character))


class SourcesPane(Vertical):
    """Shows one turn's sources; `entries` holds (cite dict, answer dict) per option."""

    def __init__(self, **kw):
        super().__init__(classes="-empty", **kw)
        self.turn: Turn | None = None
        self.entries: list[dict] = []

    def compose(self):
        yield SourcesList(id="sources-list")

    @property
    def options(self) -> SourcesList:
        return self.query_one(SourcesList)

    def on_resize(self) -> None:
        if self.turn is not None and self.entries:  # the snippets are cut to the pane's width
            highlighted = self.options.highlighted
            self.show(self.turn)
            self.options.highlighted = highlighted

    @property
    def text_width(self) -> int:
        """Characters a snippet line may take: the list's width less its padding and scrollbar."""
        width = self.options.size.width or self.size.width
        return max(width - 3, 20) if width else 60

    def show(self, turn: Turn | None) -> None:
        self.turn = turn
        ol = self.options
        ol.clear_options()
        self.entries = []
        a = turn.answer if turn is not None else None
        self.set_class(turn is None, "-empty")
        if turn is None:
            self.border_title = "Sources"
            return
        if a is None:
            self.border_title = f"Sources of question {turn.number}: " + ("searching…" if turn.busy else "none")
            return
        if a.get("citations"):
            self.entries = list(a["citations"])
            self.border_title = f"Sources of question {turn.number}"
            ol.add_options([Option(source_prompt(f"[{c['n']}]", c, self.text_width), id=f"c{c['n']}") for c in self.entries])
        else:
            self.entries = list(a.get("passages", [])[:5])
            self.border_title = f"No citations (question {turn.number}): nearest passages"
            ol.add_options([Option(source_prompt(f"·{p['rank']}", p, self.text_width), id=f"p{p['rank']}") for p in self.entries])
        if self.entries:
            ol.highlighted = 0

    @property
    def current(self) -> dict | None:
        i = self.options.highlighted
        return self.entries[i] if i is not None and 0 <= i < len(self.entries) else None
