"""Indexing from the chat: the offer (no usable index yet), then a progress bar in a worker."""

from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ...errors import AssistantError
from ..engine import Cancelled
from .failure import failure_line


STEP_LABELS = {"read": "Reading documents", "model": "Preparing the embedding model", "embed": "Embedding passages",
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
            n, self.problem = 0, failure_line(exc)
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
        self.query_one("#index-stage", Label).update(f"{STEP_LABELS.get(stage, stage)}: {done}/{total}")
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
                Content.assemble(("Indexing failed: ", "bold $text-error"), failure_line(event.worker.error)))
            buttons = self.query_one(".buttons")
            buttons.display = True
            self.query_one("#index-go", Button).label = "Try again"
