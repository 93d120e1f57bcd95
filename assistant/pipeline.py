"""The assembled pipeline that the CLI, the TUI and the evaluation share: settings -> registry ->
index -> retriever -> answer backend. Open it once and ask many questions."""

from __future__ import annotations

import time
from dataclasses import dataclass

from . import offline

offline.enforce()

from .corpus import registry  # noqa: E402
from .errors import UsageError  # noqa: E402
from .records import Answer, Source  # noqa: E402
from .settings import Settings  # noqa: E402
from .sources import by_id, check_ids, check_roles  # noqa: E402


@dataclass
class Assistant:
    settings: Settings
    sources: list[Source]
    retriever: object
    backend: object

    @classmethod
    def open(cls, settings: Settings) -> "Assistant":
        from .answer import get_backend
        from .embed import EMBEDDERS, get_embedder
        from .index import open_index
        from .retrieve import Retriever

        sources = registry(settings)
        backend_cls = get_backend(settings.answer.backend)
        snapshot = open_index(settings, EMBEDDERS.get(settings.index.embedder).model_id)
        retriever = Retriever(settings, snapshot, get_embedder(settings.index.embedder), sources)
        return cls(settings, sources, retriever, backend_cls(settings, retriever))

    def check_filters(self, docs: list[str], roles: list[str]) -> None:
        check_ids(self.sources, docs)
        check_roles(roles)

    def search(self, question: str, docs: list[str] | None = None, roles: list[str] | None = None, top_k: int | None = None):
        question = _clean_question(question)
        self.check_filters(docs or [], roles or [])
        return self.retriever.search(question, docs, roles, top_k)

    def ask(self, question: str, docs: list[str] | None = None, roles: list[str] | None = None, *, strict: bool = False,
            fallback: bool = False, on_token=None) -> Answer:
        """`strict` drops generated sentences the verifier does not support; `fallback` answers
        extractively when the language-model backend cannot be reached (with a note saying so)."""
        from .errors import BackendError

        t0 = time.perf_counter()
        retrieval = self.search(question, docs, roles)
        known = by_id(self.sources)
        try:
            answer = self.backend.answer(retrieval.query.text, retrieval, known, strict=strict, on_token=on_token)
        except BackendError as exc:
            if not fallback:
                raise
            answer = self.extractive().answer(retrieval.query.text, retrieval, known)
            answer.notes.insert(0, f"{exc.message}; answered extractively instead (--fallback)")
        answer.timings_ms["total"] = (time.perf_counter() - t0) * 1e3
        return answer

    def extractive(self):
        from .answer import get_backend

        return get_backend("extractive")(self.settings, self.retriever)


def _clean_question(question: str) -> str:
    q = " ".join(question.split())
    if not q:
        raise UsageError("the question is empty: ask something, e.g. treaty ask \"Does Article 73 require judicial oversight?\"")
    if len(q) > 2000:
        raise UsageError(f"the question is {len(q)} characters long: keep it under 2000")
    return q
