"""The pipeline as the chat app drives it from worker threads: open the index once, answer questions
with the chosen backend, filters and strictness, rebuild the index, report the corpus status.

No Textual here. The app runs these methods in thread workers (the pipeline is synchronous) and
passes `cancelled`, a callable that says whether the user gave up waiting: a cancelled question stops
consuming a streamed answer at the next token (`Cancelled` is raised from the token callback, which
closes the model's stream) and its result is discarded. One lock serialises the work, so a cancelled
question still finishing never runs beside the next one."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..settings import Settings


class Cancelled(Exception):
    """Raised inside a worker once the user cancelled: the work stops and its result is dropped."""


def _never() -> bool:
    return False


class Engine:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.assistant = None
        self.library = None
        self._backends: dict[str, object] = {}
        self._lock = threading.Lock()

    # --- index -------------------------------------------------------------------------------------

    def open(self):
        """The open Assistant (opened once); IndexMissing, IndexMismatch, IndexCorrupt when unusable."""
        with self._lock:
            return self._open()

    def _open(self):
        if self.assistant is None:
            from ..facade import Assistant
            from .context import Library

            self.assistant = Assistant.open(self.settings)
            self._backends = {self.assistant.backend.name: self.assistant.backend}
            self.library = Library(self.assistant.retriever.passages)
        return self.assistant

    def indexed(self) -> list[tuple[str, str, str]]:
        """(id, short title, role) of each indexed document, in registry order."""
        a = self.assistant
        if a is None:
            return []
        ids = set(a.retriever.snapshot.doc_ids())
        return [(s.id, s.short, s.role) for s in a.sources if s.id in ids]

    def passage_count(self) -> int:
        return len(self.assistant.retriever.passages) if self.assistant else 0

    def build(self, progress: Callable[[str, int, int], None], cancelled: Callable[[], bool] = _never, rebuild: bool = False):
        """Index every registered document with a local copy (incremental and atomic, like `treaty
        index`); the index is reopened afterwards. Cancelling stops at the next progress step and
        leaves the previous index (if any) answering."""
        from ..library.documents import reindex

        def step(stage: str, done: int, total: int) -> None:
            if cancelled():
                raise Cancelled()
            progress(stage, done, total)

        with self._lock:
            report = reindex(self.settings, rebuild=rebuild, progress=step)
            self.assistant, self.library, self._backends = None, None, {}
            self._open()
        return report

    def available(self) -> int:
        """How many registered documents have a local copy (what indexing would read)."""
        from ..library.documents import registry

        return sum(1 for s in registry(self.settings) if s.path)

    def corpus(self):
        from ..library.documents import rows

        return rows(self.settings)

    def safeguards(self, doc_id: str, articles: list[str] | None):
        """The safeguards matrix of an indexed document (or one with a local copy), from the open index."""
        with self._lock:
            return self._open().safeguards(doc_id, articles)

    # --- answers -----------------------------------------------------------------------------------

    def backend(self, name: str):
        """The backend instance for `name`, created once (a local model loads on its first answer)."""
        from ..answer import get_backend

        if name not in self._backends:
            s = self.settings.model_copy(update={"answer": self.settings.answer.model_copy(update={"backend": name})})
            self._backends[name] = get_backend(name)(s, self.assistant.retriever)
        return self._backends[name]

    def ask(self, question: str, docs: list[str], roles: list[str], backend: str, *, strict: bool = False,
            on_token: Callable[[str], None] | None = None, cancelled: Callable[[], bool] = _never) -> dict:
        """The answer as its JSON object (`to_json`). UsageError for a bad question, BackendError when
        the backend cannot answer, Cancelled when the user gave up."""
        from ..answer.json_output import to_json

        def token(text: str) -> None:
            if cancelled():
                raise Cancelled()
            if on_token is not None:
                on_token(text)

        with self._lock:
            if cancelled():
                raise Cancelled()
            assistant = self._open()
            assistant.backend = self.backend(backend)
            answer = assistant.ask(question, docs or None, roles or None, strict=strict, on_token=token)
        if cancelled():
            raise Cancelled()
        return to_json(answer)
