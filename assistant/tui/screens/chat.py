"""The chat screen of `treaty chat`: the conversation, the question box, the sources pane and the
filters; it pushes the other screens (one module each in this package)."""

from __future__ import annotations

from functools import partial

from textual import on
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header
from textual.worker import Worker, WorkerState, get_current_worker

from ...errors import (
    AssistantError,
    BackendError,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    UsageError,
)
from ...safe_text import printable
from ..engine import Cancelled
from ..session import Exchange
from ..widgets import (
    Conversation,
    FilterPanel,
    QuestionInput,
    SourcesList,
    SourcesPane,
    StatusLine,
    Turn,
)
from .corpus_status import CorpusScreen
from .export import ExportRequest, ExportScreen
from .failure import failure_line
from .fallback import FallbackScreen
from .indexing import IndexScreen
from .reader import ReaderScreen, open_library
from .safeguards import SafeguardsScreen

INDEX_PROBLEMS = (IndexMissing, IndexMismatch, IndexCorrupt)


class ChatScreen(Screen):
    """Conversation, sources, filters sidebar, status line and question box."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (150, "-huge")]
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", show=True),
        Binding("ctrl+o", "read", "Read", show=True),
        Binding("f2", "filters", "Filters", show=True),
        Binding("f3", "corpus", "Corpus", show=True),
        Binding("ctrl+s", "export", "Export", show=True),
        Binding("ctrl+n", "new_session", "New", show=True),
        Binding("f4", "layout", "Layout", show=True),
        Binding("f6", "safeguards", "Safeguards", show=True),
        Binding("f5", "index", "Index", show=False),
    ]
    # f4 steps through these: the sources pane beside the answers, narrower, hidden (answers full width)
    LAYOUTS = ("", "-sources-narrow", "-sources-hidden")

    def __init__(self):
        super().__init__()
        self.turns: list[Turn] = []
        self.running: dict[Worker, Turn] = {}
        self.ready = False
        self.layout_step = 0

    def compose(self):
        app = self.app
        yield Header(show_clock=False, icon="§")
        with Horizontal(id="body"):
            yield FilterPanel(app.backends, app.backend, app.docs, app.roles, app.strict, id="filters")
            with Container(id="main"):
                yield Conversation(id="conversation")
                yield SourcesPane(id="sources")
        yield StatusLine("Opening the index…", id="status")
        yield QuestionInput(id="question")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(Conversation).border_title = "Conversation"
        self.query_one(SourcesPane).border_title = "Sources"
        self.app.update_subtitle()
        for ex in self.app.session.exchanges:
            turn = Turn(ex.question, ex.docs, ex.roles, ex.backend, number=len(self.turns) + 1, state="done", answer=ex.answer,
                        saved=True)
            self.turns.append(turn)
            self.query_one(Conversation).add(turn)
            self.query_one(QuestionInput).remember(ex.question)
        self.query_one(QuestionInput).focus()
        self.open_index()

    # --- state ---------------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return any(t.busy for t in self.running.values())

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "cancel":  # shown (and bound) only while a question runs
            return self.busy
        return True

    def status(self, text: str | Content) -> None:
        self.query_one(StatusLine).update(text)

    def show_ready(self) -> None:
        engine = self.app.engine
        docs = len(engine.indexed())
        self.status(Content.assemble(("Ready", "bold $text-success"),
                                     f" · {docs} document{'s' if docs != 1 else ''} indexed · {engine.passage_count()} passages"
                                     " · enter asks"))

    def focus_sources(self) -> None:
        if self.query_one(SourcesPane).entries and self.layout_step != self.LAYOUTS.index("-sources-hidden"):
            self.query_one(SourcesList).focus()
        else:
            self.query_one(QuestionInput).focus()

    def action_focus_answers(self) -> None:
        self.query_one(Conversation).focus()

    # --- opening the index -----------------------------------------------------------------------------

    def open_index(self) -> None:
        self.status(Content.styled("Opening the index…", "italic $text-muted"))
        self.run_worker(self.app.engine.open, thread=True, group="open", name="open", exit_on_error=False)

    def index_opened(self) -> None:
        self.ready = True
        engine = self.app.engine
        self.query_one(FilterPanel).set_documents(engine.indexed(), self.app.docs)
        self.show_ready()

    def index_problem(self, exc: AssistantError) -> None:
        self.ready = False
        self.status(Content.assemble(("No usable index", "bold $text-error"),
                                     " · f5 indexes the documents that have a local copy"))
        self.app.push_screen(IndexScreen(failure_line(exc), rebuild=not isinstance(exc, IndexMissing)), self._indexed)

    def _indexed(self, done: bool | None) -> None:
        if done:
            self.index_opened()
            self.query_one(QuestionInput).focus()

    # --- asking ----------------------------------------------------------------------------------------

    @on(QuestionInput.Submitted)
    def ask_submitted(self, event: QuestionInput.Submitted) -> None:
        event.stop()
        question = " ".join(event.value.split())
        if not question:
            self.app.notify("The question is empty: type a question, then press enter.", title="Empty question",
                            severity="warning")
            self.status(Content.assemble(("Empty question", "bold $text-warning"),
                                         " · type a question, e.g. Does Article 73 require judicial oversight?"))
            return
        event.input.remember(question)
        event.input.value = ""
        self.ask(question)

    def ask(self, question: str, backend: str | None = None, turn: Turn | None = None) -> Turn:
        app = self.app
        if turn is None:
            turn = Turn(question, list(app.docs), list(app.roles), backend or app.backend, number=len(self.turns) + 1)
            self.turns.append(turn)
            self.query_one(Conversation).add(turn)
        else:
            turn.backend, turn.state, turn.answer, turn.streamed, turn.error = backend or app.backend, "pending", None, "", ""
            self._refresh(turn)
            self.query_one(Conversation).select(turn)
        self.status(Content.assemble(("Searching", "bold $text-accent"), " the index…" if turn.backend == "extractive"
                                     else f", then writing with {turn.backend}…", " · esc cancels"))
        worker = self.run_worker(partial(self._ask_work, turn, app.strict), thread=True, group="ask",
                                 name=f"ask-{turn.number}", exit_on_error=False)
        self.running[worker] = turn
        self.refresh_bindings()
        return turn

    def _ask_work(self, turn: Turn, strict: bool) -> dict:
        """In a worker thread: the answer's JSON; tokens of a written answer are posted as they come."""
        worker = get_current_worker()
        app = self.app

        def on_token(text: str) -> None:
            app.call_from_thread(self._token, turn, text)

        return app.engine.ask(turn.question, turn.docs, turn.roles, turn.backend, strict=strict,
                              on_token=None if turn.backend == "extractive" else on_token,
                              cancelled=lambda: worker.is_cancelled)

    def _token(self, turn: Turn, text: str) -> None:
        if turn.state not in ("pending", "streaming"):
            return
        if turn.state == "pending":
            self.status(Content.assemble(("Writing", "bold $text-accent"), f" with {turn.backend}… · esc cancels"))
        turn.state = "streaming"
        turn.streamed += text
        self._refresh(turn)
        if turn is self.query_one(Conversation).selected:
            self.query_one(Conversation).scroll_end(animate=False)

    def _refresh(self, turn: Turn) -> None:
        view = self.query_one(Conversation).view_of(turn)
        if view is not None:
            view.refresh_turn()

    def action_cancel(self) -> None:
        """Stop waiting: the worker is cancelled (a streamed answer stops at its next token) and
        whatever it still produces is dropped; the question box is free at once."""
        for worker, turn in list(self.running.items()):
            if turn.busy:
                turn.state = "cancelled"
                worker.cancel()
                self._refresh(turn)
                self.running.pop(worker, None)
        self.status(Content.assemble(("Cancelled", "bold $text-warning"), " · ask again, or another question"))
        self.refresh_bindings()
        self.query_one(QuestionInput).focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker, state = event.worker, event.state
        if worker.group == "open":
            if state == WorkerState.SUCCESS:
                self.index_opened()
            elif state == WorkerState.ERROR:
                if isinstance(worker.error, INDEX_PROBLEMS):
                    self.index_problem(worker.error)
                else:
                    self.status(Content.assemble(("error: ", "bold $text-error"), failure_line(worker.error)))
            return
        if worker.group != "ask" or state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        turn = self.running.pop(worker, None)
        self.refresh_bindings()
        if turn is None or turn.state == "cancelled":
            return
        if state == WorkerState.CANCELLED or isinstance(worker.error, Cancelled):
            turn.state = "cancelled"
            self._refresh(turn)
            return
        if state == WorkerState.SUCCESS:
            self.answered(turn, worker.result)
            return
        exc = worker.error
        turn.state, turn.error = "error", failure_line(exc)
        self._refresh(turn)
        self.query_one(Conversation).select(turn)
        if isinstance(exc, BackendError) and turn.backend != "extractive":
            self.status(Content.assemble((f"{turn.backend} cannot answer", "bold $text-error"), " · extractive offered"))
            self.app.push_screen(FallbackScreen(turn.backend, failure_line(exc)), partial(self._fallback, turn, exc.message))
        elif isinstance(exc, INDEX_PROBLEMS):
            self.index_problem(exc)
        else:
            self.status(Content.assemble(("Not answered", "bold $text-error"), " · see the message above"))

    def _fallback(self, turn: Turn, message: str, accept: bool | None) -> None:
        if not accept:
            if self.ready:
                self.show_ready()
            return
        self.apply_filters(backend="extractive")
        turn.fallback = message  # noted on the extractive answer
        self.ask(turn.question, "extractive", turn)

    def answered(self, turn: Turn, answer: dict) -> None:
        if turn.fallback:  # an extractive answer after a backend failure says so, as `ask --fallback` does
            answer["notes"].insert(0, f"{turn.fallback}; answered extractively instead")
            turn.fallback = ""
        streamed = bool(turn.streamed)
        turn.state, turn.answer = "done", answer
        self._refresh(turn)
        # The question at the top of the pane; after a streamed answer, its end (the verification) in view.
        self.query_one(Conversation).select(turn, top=not streamed, end=streamed)
        self.save(turn)
        if self.ready:
            self.show_ready()
        else:
            self.index_opened()

    def save(self, turn: Turn) -> None:
        from datetime import datetime

        session = self.app.session
        session.add(Exchange(turn.question, turn.docs, turn.roles, turn.backend, answer=turn.answer,
                             asked_at=datetime.now().isoformat(timespec="seconds")))
        try:
            session.save()
            turn.saved = True
        except OSError as exc:
            self.app.notify(printable(f"the session could not be saved to {session.path}: {exc.strerror or exc}"),
                            title="Not saved", severity="error", markup=False)

    # --- panes -----------------------------------------------------------------------------------------

    @on(Conversation.Selected)
    def show_sources(self, event: Conversation.Selected) -> None:
        self.query_one(SourcesPane).show(event.turn)

    @on(Conversation.Typed)
    @on(SourcesList.Typed)
    def typed(self, event) -> None:
        box = self.query_one(QuestionInput)
        box.focus()
        box.insert_text_at_cursor(event.character)

    @on(SourcesList.OptionSelected)
    def source_chosen(self, event) -> None:
        event.stop()
        self.action_read()

    @on(FilterPanel.Changed)
    def filters_changed(self, event: FilterPanel.Changed) -> None:
        self.app.set_filters(docs=event.docs, roles=event.roles, backend=event.backend, strict=event.strict)

    def apply_filters(self, docs: list[str] | None = None, roles: list[str] | None = None, backend: str | None = None) -> None:
        """Filters set from the command palette: the sidebar shows them too."""
        self.app.set_filters(docs=docs, roles=roles, backend=backend)
        self.query_one(FilterPanel).show_values(self.app.docs, self.app.roles, self.app.backend)
        self.app.notify(f"Next questions: {self.app.sub_title}", title="Filters")

    # --- actions ---------------------------------------------------------------------------------------

    def action_read(self) -> None:
        pane = self.query_one(SourcesPane)
        cite = pane.current
        if cite is None:
            self.app.notify("No source selected: ask a question, then pick one of its sources.", severity="warning")
            return
        library = open_library(self.app)
        if library is None:
            return
        self.app.push_screen(ReaderScreen(library, pane.entries, pane.options.highlighted or 0, pane.turn.answer))

    def action_filters(self) -> None:
        panel = self.query_one(FilterPanel)
        panel.toggle_class("-visible")
        self.set_class(panel.has_class("-visible"), "-filtering")
        if panel.has_class("-visible"):
            panel.query_one("#filter-docs").focus()
        else:
            self.query_one(QuestionInput).focus()
        self.refresh_bindings()

    def action_layout(self) -> None:
        """The sources pane beside the answers, narrower, or hidden so the answers take the width."""
        self.remove_class(*filter(None, self.LAYOUTS))
        self.layout_step = (self.layout_step + 1) % len(self.LAYOUTS)
        if self.LAYOUTS[self.layout_step]:
            self.add_class(self.LAYOUTS[self.layout_step])
        if self.layout_step == self.LAYOUTS.index("-sources-hidden") and self.query_one(SourcesList).has_focus:
            self.query_one(Conversation).focus()
        shown = ("Sources beside the answers", "Sources narrower", "Sources hidden: answers full width")[self.layout_step]
        self.app.notify(f"{shown} (f4 changes it)", title="Layout", timeout=3)

    def action_safeguards(self) -> None:
        if self.app.engine.assistant is None:
            self.app.notify("The index is not open yet: the safeguards matrix is read from it.", severity="warning")
            return
        self.app.push_screen(SafeguardsScreen(*self.app.safeguards_asked))

    def action_corpus(self) -> None:
        self.app.push_screen(CorpusScreen(), self._indexed)

    def action_index(self) -> None:
        self.app.push_screen(IndexScreen(None), self._indexed)

    def action_export(self) -> None:
        session = self.app.session
        if not session.exchanges:
            self.app.notify("Nothing to export yet: ask a question first.", title="Export", severity="warning")
            return
        default = session.default_export_path(self.app.settings.data_dir)
        matrix = self.app.matrix
        self.app.push_screen(ExportScreen(default, matrix.title if matrix else ""), self._export)

    def _export(self, request: ExportRequest | None) -> None:
        if request is None:
            return
        try:
            written = self.app.session.export(request.path, note=request.note,
                                              matrix=self.app.matrix if request.matrix else None)
        except UsageError as exc:
            self.app.notify(printable(exc.message), title="Not exported", severity="error", markup=False)
            return
        self.app.last_export = written
        self.app.notify(printable(f"Memo exported to {written}"), title="Exported", timeout=8, markup=False)

    def action_new_session(self) -> None:
        if self.busy:
            self.action_cancel()
        self.app.new_session()
        self.turns = []
        self.query_one(Conversation).clear_turns()
        self.query_one(SourcesPane).show(None)
        self.app.notify("New session: the previous one stays saved (treaty chat --resume reopens the last).")
