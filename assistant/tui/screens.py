"""The screens of `treaty chat`: the chat itself, the reader (a citation in its article or section),
the corpus status, indexing with a progress bar, the memo export and the backend fallback offer."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    ProgressBar,
    Static,
)
from textual.worker import Worker, WorkerState, get_current_worker

from ..errors import (
    AssistantError,
    BackendError,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    UsageError,
)
from ..safe_text import printable
from .context import Context, Library, label_of
from .engine import Cancelled
from .session import Exchange
from .widgets import (
    Conversation,
    FilterPanel,
    QuestionInput,
    SourcesList,
    SourcesPane,
    StatusLine,
    Turn,
)

INDEX_PROBLEMS = (IndexMissing, IndexMismatch, IndexCorrupt)


def _message(exc: BaseException) -> str:
    """One line for any failure: the AssistantError's own message, else the exception named (either
    may quote a title or a path: made printable)."""
    if isinstance(exc, AssistantError):
        return printable(exc.message)
    return printable(f"unexpected {type(exc).__name__}: {exc} (run `treaty --debug ask ...` for a traceback)")


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
        Binding("f5", "index", "Index", show=False),
    ]

    def __init__(self):
        super().__init__()
        self.turns: list[Turn] = []
        self.running: dict[Worker, Turn] = {}
        self.ready = False

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
        if self.query_one(SourcesPane).entries:
            self.query_one(SourcesList).focus()

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
        self.app.push_screen(IndexScreen(_message(exc), rebuild=not isinstance(exc, IndexMissing)), self._indexed)

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
                    self.status(Content.assemble(("error: ", "bold $text-error"), _message(worker.error)))
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
        turn.state, turn.error = "error", _message(exc)
        self._refresh(turn)
        self.query_one(Conversation).select(turn)
        if isinstance(exc, BackendError) and turn.backend != "extractive":
            self.status(Content.assemble((f"{turn.backend} cannot answer", "bold $text-error"), " · extractive offered"))
            self.app.push_screen(FallbackScreen(turn.backend, _message(exc)), partial(self._fallback, turn, exc.message))
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
        library = self.app.engine.library
        if library is None:
            self.app.notify("The index is not open yet: the reader needs it.", severity="warning")
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
        self.app.push_screen(ExportScreen(default), self._export)

    def _export(self, path: Path | None) -> None:
        if path is None:
            return
        try:
            written = self.app.session.export(path)
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
            self.query_one("#corpus-summary", Static).update(Content.assemble(("error: ", "bold $text-error"), _message(exc)))
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


STAGES = {"read": "Reading documents", "model": "Preparing the embedding model", "embed": "Embedding passages",
          "store": "Writing the index"}


class IndexScreen(ModalScreen[bool]):
    """Offer to index (no index yet, or an unusable one), then index in a worker with a progress bar."""

    BINDINGS = [Binding("escape", "close", "Not now / stop", show=True)]

    def __init__(self, problem: str | None, rebuild: bool = False):
        super().__init__()
        self.problem, self.rebuild = problem, rebuild
        self.worker: Worker | None = None

    def compose(self):
        with Vertical(id="dialog", classes="dialog"):
            yield Static(id="index-message")
            yield Label("", id="index-stage")
            yield ProgressBar(id="index-progress", show_eta=True)
            with Horizontal(classes="buttons"):
                yield Button("Index now", id="index-go", variant="primary")
                yield Button("Not now", id="index-no")

    def on_mount(self) -> None:
        try:
            n = self.app.engine.available()
        except AssistantError as exc:
            n, self.problem = 0, _message(exc)
        what = (f"{n} registered document{'s have' if n != 1 else ' has'} a local copy. Index "
                f"{'them' if n != 1 else 'it'} now? It runs here, offline; the first run also prepares the "
                "embedding model (about a minute in all).")
        lead = Content.assemble(("No usable index. ", "bold $text-error"), self.problem, "\n\n") if self.problem else Content("")
        self.query_one("#index-message", Static).update(lead + Content(what))
        self.query_one("#index-progress").display = False
        self.query_one("#index-go", Button).focus()

    @on(Button.Pressed, "#index-go")
    def go(self) -> None:
        self.query_one(".buttons").display = False
        self.query_one("#index-progress").display = True
        self.query_one("#index-stage", Label).update("Starting…")
        self.worker = self.run_worker(self._build, thread=True, group="index", name="index", exit_on_error=False)

    @on(Button.Pressed, "#index-no")
    def action_close(self) -> None:
        if self.worker is not None and self.worker.state in (WorkerState.PENDING, WorkerState.RUNNING):
            self.worker.cancel()
            self.query_one("#index-stage", Label).update("Stopping… the previous index stays as it was")
            return
        self.dismiss(False)

    def _build(self):
        worker = get_current_worker()
        app = self.app
        return app.engine.build(lambda stage, done, total: app.call_from_thread(self._progress, stage, done, total),
                                cancelled=lambda: worker.is_cancelled, rebuild=self.rebuild)

    def _progress(self, stage: str, done: int, total: int) -> None:
        self.query_one("#index-stage", Label).update(f"{STAGES.get(stage, stage)}: {done}/{total}")
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self.worker:
            return
        if event.state == WorkerState.SUCCESS:
            r = event.worker.result
            self.app.notify(f"Indexed {len(r.documents)} documents, {r.passages} passages.", title="Index ready")
            self.dismiss(True)
        elif event.state == WorkerState.CANCELLED or isinstance(event.worker.error, Cancelled):
            self.app.notify("Indexing stopped: the previous index (if any) is unchanged.", severity="warning")
            self.dismiss(False)
        elif event.state == WorkerState.ERROR:
            self.worker = None
            self.query_one("#index-stage", Label).update("")
            self.query_one("#index-progress").display = False
            self.query_one("#index-message", Static).update(
                Content.assemble(("Indexing failed: ", "bold $text-error"), _message(event.worker.error)))
            buttons = self.query_one(".buttons")
            buttons.display = True
            self.query_one("#index-go", Button).label = "Try again"


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
