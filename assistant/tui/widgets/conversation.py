"""The conversation pane: each question with its answer, [n] markers, notes, abstentions, errors and
the verification of a generated answer. One exchange is selected; its sources fill the sources pane."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from ...safe_text import printable, printable_all
from ..session import Asked, answer_sections, not_indexed, scope

WELCOME = Content.assemble(
    ("Ask a question about the indexed treaty texts", "bold"), ", for example\n",
    ("  Does Article 73 require judicial oversight?", "italic $text-accent"), "\n\n",
    "Every statement of an answer cites a passage ", ("[n]", "bold $text-accent"),
    "; the cited passages are listed under Sources. Open one in its article or section with ",
    ("ctrl+o", "bold"), " (or enter in the list). ", ("f2", "bold"), " restricts documents, roles and backend; ",
    ("f3", "bold"), " shows the corpus; ", ("ctrl+s", "bold"), " exports a review memo.",
)


@dataclass
class Turn(Asked):
    """A question on screen: pending, streaming, done, cancelled or error."""

    number: int = 0
    state: str = "pending"
    answer: dict | None = None
    streamed: str = ""
    error: str = ""
    fallback: str = ""  # why a backend could not answer, noted on the extractive answer that replaced it
    saved: bool = False

    @property
    def busy(self) -> bool:
        return self.state in ("pending", "streaming")


def _answer_body(a: dict) -> list[Content]:
    """Headings ("What the submission argues") in bold, one line per paragraph, [n] markers highlighted."""
    out = []
    for section, paragraphs in answer_sections(a):
        if section.heading:
            if out:
                out.append(Content(""))
            out.append(Content.styled(section.heading, "bold underline"))
        for k, run in enumerate(paragraphs):
            parts: list = []
            for i, s in enumerate(run):
                words = ("" if i == 0 else " ") + s.text + (" " if s.citations else "")
                # a verdict's label ("Conditional.") is the first thing read
                parts.append((words, "bold") if section.role == "verdict" and k == 0 else words)
                if s.citations:
                    parts.append((s.marker, "bold $text-accent"))
            out.append(Content.assemble(*parts))
    return out


def render_turn(turn: Turn) -> Content:
    """The exchange as shown; every string in it from the user, a document or a model made printable."""
    lines: list[Content] = [Content.assemble((f"{turn.number} ▸ ", "bold $text-primary"), (printable(turn.question), "bold"))]
    lines.append(Content.styled(printable(f"{scope(turn.docs, turn.roles)} · {turn.backend}"), "$text-muted"))
    lines.append(Content(""))
    a = printable_all(turn.answer)
    streamed = printable(turn.streamed.lstrip())
    if turn.state == "pending":
        lines.append(Content.styled("Searching the indexed documents…  (esc cancels)", "italic $text-muted"))
    elif turn.state == "streaming":
        lines.append(Content(streamed))
        lines.append(Content.styled("writing…  (esc cancels)", "italic $text-muted"))
    elif turn.state == "cancelled":
        if turn.streamed:
            lines.append(Content.styled(streamed, "$text-muted"))
        lines.append(Content.styled("Cancelled: no answer kept.", "italic $text-warning"))
    elif turn.state == "error":
        lines.append(Content.assemble(("error: ", "bold $text-error"), printable(turn.error)))
    elif a is not None:
        if a.get("abstained"):
            lines.append(Content.styled("No clear answer in the indexed documents.", "bold $text-warning"))
        lines += _answer_body(a)
        for note in a.get("notes", []):
            lines.append(Content.assemble(("Note: ", "bold $text-warning"), note))
        for name, doc in not_indexed(a):
            if name:
                lines.append(Content.assemble(("Not indexed: ", "bold $text-warning"),
                                              f"{name} might hold the answer: treaty corpus fetch {doc}"))
            else:  # the answer's own words name it already
                lines.append(Content.assemble(("To index it: ", "bold $text-warning"), f"treaty corpus fetch {doc}"))
        v = a.get("verification")
        if v:
            n, k = v.get("sentences", 0), v.get("supported", 0)
            colour = "$text-success" if n and k == n else "$text-warning" if k else "$text-error"
            lines.append(Content.styled(f"Verification: {k} of {n} sentences supported by the passages they cite",
                                        f"bold {colour}"))
            for issue in v.get("issues", []):
                lines.append(Content.assemble((f"  ✗ sentence {issue['sentence']}: ", "$text-error"), issue["issue"]))
                lines.append(Content.styled(f"    “{issue['text']}”", "$text-muted"))
    return Content("\n").join(lines)


class ExchangeView(Static):
    """One question and its answer. Click to select it."""

    def __init__(self, turn: Turn):
        super().__init__(render_turn(turn), classes="exchange")
        self.turn = turn
        self.refresh_turn()

    def refresh_turn(self) -> None:
        t = self.turn
        self.set_class(t.state == "done" and bool(t.answer and t.answer.get("abstained")), "-abstained")
        self.set_class(t.state == "error", "-error")
        self.set_class(t.busy, "-busy")
        self.set_class(t.state == "cancelled", "-cancelled")
        self.update(render_turn(t))

    def on_click(self) -> None:
        self.query_ancestor(Conversation).select(self.turn)


class Conversation(VerticalScroll):
    """The questions and answers of the session; up/down select an answer (its sources show)."""

    can_focus = True
    BINDINGS = [
        Binding("up", "move(-1)", "Prev answer", show=True),
        Binding("down", "move(1)", "Next answer", show=True),
        Binding("enter", "sources", "Sources", show=False),
        Binding("tab", "sources", "Sources", show=True),
    ]

    class Selected(Message):
        def __init__(self, turn: Turn):
            super().__init__()
            self.turn = turn

    class Typed(Message):
        """A printable key pressed here: the question box takes it."""

        def __init__(self, character: str):
            super().__init__()
            self.character = character

    def compose(self):
        yield Static(WELCOME, id="welcome")

    @property
    def views(self) -> list[ExchangeView]:
        return list(self.query(ExchangeView))

    def add(self, turn: Turn, select: bool = True) -> ExchangeView:
        self.query("#welcome").remove()
        view = ExchangeView(turn)
        self.mount(view)
        if select:
            self.select(turn)
        return view

    def clear_turns(self) -> None:
        self.query(ExchangeView).remove()
        if not self.query("#welcome"):
            self.mount(Static(WELCOME, id="welcome"))

    def view_of(self, turn: Turn) -> ExchangeView | None:
        return next((v for v in self.views if v.turn is turn), None)

    def select(self, turn: Turn, top: bool = False, end: bool = False) -> None:
        """Select an exchange (its sources show) and scroll it into view: `top` puts its question at
        the top of the pane, `end` shows its last lines."""
        for v in self.views:
            v.set_class(v.turn is turn, "-selected")
        view = self.view_of(turn)
        if view is not None:
            if end and view is self.views[-1]:
                self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
            else:
                self.call_after_refresh(view.scroll_visible, animate=False, top=top)
        self.post_message(self.Selected(turn))

    @property
    def selected(self) -> Turn | None:
        return next((v.turn for v in self.views if v.has_class("-selected")), None)

    def action_move(self, step: int) -> None:
        views = self.views
        if not views:
            return
        current = next((i for i, v in enumerate(views) if v.has_class("-selected")), len(views) - 1)
        self.select(views[max(0, min(len(views) - 1, current + step))].turn)

    def action_sources(self) -> None:
        self.screen.focus_sources()

    def on_key(self, event) -> None:
        if event.is_printable and event.character:
            event.stop()
            self.post_message(self.Typed(event.character))
