"""The assembled pipeline that the CLI, the TUI and the evaluation share: settings -> registry ->
index -> retriever -> answer backend. Open it once and ask many questions."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .library.documents import registry
from .errors import RegistryError, UsageError
from .records import Answer, Source
from .settings import Settings
from .library.catalogue import by_id, check_ids, check_roles


@dataclass
class Assistant:
    settings: Settings
    sources: list[Source]
    retriever: object
    backend: object

    @classmethod
    def open(cls, settings: Settings) -> "Assistant":
        from .answer import get_backend
        from .index.embed import EMBEDDERS, get_embedder
        from .index.snapshot import open_index
        from .retrieve import Retriever

        sources = registry(settings)
        backend_cls = get_backend(settings.answer.backend)
        snapshot = open_index(settings, EMBEDDERS.get(settings.index.embedder).model_id)
        retriever = Retriever(settings, snapshot, get_embedder(settings.index.embedder), sources)
        return cls(settings, sources, retriever, backend_cls(settings, retriever))

    def check_filters(self, docs: list[str], roles: list[str]) -> Filters:
        """The documents and roles a search may be restricted to: unknown ones are an error, and so are
        filters that leave nothing indexed to search; those partly not indexed are dropped with a note."""
        check_ids(self.sources, docs)
        check_roles(roles)
        known = by_id(self.sources)
        indexed = set(self.retriever.snapshot.doc_ids())
        roles_indexed = {known[d].role for d in indexed if d in known}
        docs, doc_notes = _keep_indexed(docs, indexed, lambda d: _not_indexed(known[d], self._removed()))
        roles, role_notes = _keep_indexed(roles, roles_indexed, lambda r: _no_role_indexed(r, self.sources))
        return Filters(docs, roles, doc_notes + role_notes)

    def _removed(self) -> set[str]:
        from .library.state import state_for_reading

        return set(state_for_reading(self.settings)[0].removed)

    def search(self, question: str, docs: list[str] | None = None, roles: list[str] | None = None, top_k: int | None = None):
        question = _clean_question(question)
        return self._search(question, self.check_filters(docs or [], roles or []), top_k)

    def _search(self, question: str, filters: Filters, top_k: int | None = None):
        return self.retriever.search(question, filters.docs or None, filters.roles or None, top_k)

    def ask(self, question: str, docs: list[str] | None = None, roles: list[str] | None = None, *, strict: bool = False,
            fallback: bool = False, on_token=None) -> Answer:
        """`strict` drops generated sentences the verifier does not support; `fallback` answers
        extractively when the language-model backend cannot be reached (with a note saying so)."""
        from .errors import BackendError

        t0 = time.perf_counter()
        question = _clean_question(question)
        filters = self.check_filters(docs or [], roles or [])
        retrieval = self._search(question, filters)
        known = by_id(self.sources)
        try:
            answer = self.backend.answer(retrieval.query.text, retrieval, known, strict=strict, on_token=on_token)
        except BackendError as exc:
            if not fallback:
                raise
            answer = self.extractive().answer(retrieval.query.text, retrieval, known)
            answer.notes.insert(0, f"{exc.message}; answered extractively instead (--fallback)")
        answer.query = retrieval.query
        answer.notes.extend(filters.notes)
        answer.notes.extend(_suspicious_notes(answer))
        answer.timings_ms["total"] = (time.perf_counter() - t0) * 1e3
        return answer

    def extractive(self):
        from .answer import get_backend

        return get_backend("extractive")(self.settings, self.retriever)

    def safeguards(self, doc_id: str, articles: list[str] | None = None):
        """The safeguards matrix of a document, from the index this assistant has open."""
        return safeguards_matrix(self.settings, doc_id, articles, self.sources, self.retriever.snapshot)


# --- a document as read: its passages, its provisions, its safeguards matrix ---------------------------
# The CLI (`treaty corpus show`, `treaty safeguards`) and the TUI's safeguards screen read documents
# through these, so an indexed document and one only parsed from its local copy look alike to both.

def open_snapshot(settings: Settings):
    """The current index generation, opened to read; None when nothing is indexed."""
    from .index.embed import EMBEDDERS
    from .index.snapshot import indexed_documents, open_index

    return open_index(settings, EMBEDDERS.get(settings.index.embedder).model_id) if indexed_documents(settings) else None


def document_passages(settings: Settings, doc_id: str, sources: list[Source], snapshot=None):
    """(source, passages, where): the passages from the index when the document is indexed (all the
    index's passages: the caller filters), else parsed from its local copy."""
    from .errors import CorpusError
    from .ingest import load, parse
    from .query.refs import AliasMatcher

    src = next(x for x in sources if x.id == doc_id)
    if snapshot is not None and doc_id in snapshot.doc_ids():
        return src, snapshot.passages, "indexed"
    if not src.path:
        raise CorpusError(f"'{doc_id}' has no local copy: `treaty corpus fetch {doc_id}` or `treaty corpus add FILE --id {doc_id}`")
    doc = load(src, settings.index, settings.data_dir / "cache" / "converted")
    return src, parse(doc, AliasMatcher.build(sources), settings.index), "not indexed yet"


def provisions_of(settings: Settings, doc_id: str, sources: list[Source], snapshot=None):
    """(source, passages, provisions, where) of a document: the readings stored with the index when it
    is indexed, else read now from its local copy (a document the user added and has not indexed)."""
    from .provisions import read_document

    snapshot = snapshot if snapshot is not None else open_snapshot(settings)
    src, passages, where = document_passages(settings, doc_id, sources, snapshot)
    if where == "indexed":
        return src, passages, [p for p in snapshot.provisions() if p.doc_id == doc_id], where
    return src, passages, read_document([p for p in passages if p.doc_id == doc_id]), where


def safeguards_matrix(settings: Settings, doc_id: str, articles: list[str] | None = None,
                      sources: list[Source] | None = None, snapshot=None):
    """The safeguards matrix of `doc_id` (`articles`: the ones to keep, None: all). An unknown id, or a
    document with no treaty layout, is a one-line error."""
    from .answer.matrix import build_matrix

    sources = sources if sources is not None else registry(settings)
    check_ids(sources, [doc_id])
    snapshot = snapshot if snapshot is not None else open_snapshot(settings)
    src, passages, provisions, _ = provisions_of(settings, doc_id, sources, snapshot)
    # (a negotiating text not indexed yet is still discussed by the indexed submission)
    indexed = snapshot.passages if snapshot is not None else passages
    submission = [p for p in indexed if p.role == "submission" and p.mentions]
    family = frozenset(x.id for x in sources if x.role == "negotiating-text")
    return build_matrix(src, passages, provisions, articles, submission, family)


@dataclass
class Filters:
    """What `--doc` and `--role` leave to search, and a note for each part left out as not indexed."""

    docs: list[str]
    roles: list[str]
    notes: list[str]


def _keep_indexed(wanted: list[str], indexed: set[str], why: Callable[[str], str]) -> tuple[list[str], list[str]]:
    """The wanted ids that are indexed, and a note for each that is not; none at all is an error, as
    an answer from nothing would look like an answer that the documents do not hold."""
    kept = [w for w in wanted if w in indexed]
    dropped = [w for w in dict.fromkeys(wanted) if w not in indexed]
    if wanted and not kept:
        raise RegistryError(why(dropped[0]))
    return kept, [f"not searched: {why(w)}" for w in dropped]


def _not_indexed(src: Source, removed: set[str]) -> str:
    """Why a registered document is not indexed, and the command that indexes it."""
    name = f"{src.short} ({src.id})"
    if src.id in removed:
        return f"{name} was removed from the index: `treaty corpus restore {src.id}` puts it back"
    if src.path:
        return f"{name} has a local copy but is not indexed yet: run `treaty index`"
    return f"{name} is registered but not indexed: `treaty corpus fetch {src.id}` downloads and indexes it"


def _no_role_indexed(role: str, sources: list[Source]) -> str:
    """Called only when no document of `role` is indexed, so a local copy means one waiting to be."""
    local = [s.id for s in sources if s.role == role and s.path]
    if local:
        return f"no {role} document is indexed: {', '.join(local)} {'has' if len(local) == 1 else 'have'} a local copy: run `treaty index`"
    ids = [s.id for s in sources if s.role == role]
    fetch = f"fetch one, e.g. `treaty corpus fetch {ids[0]}`, or " if ids else ""
    return f"no {role} document is indexed: {fetch}add your own (`treaty corpus add FILE --role {role}`)"


def _suspicious_notes(answer: Answer) -> list[str]:
    """A cited passage that addresses its reader with instructions is quoted as the document's words,
    never followed, and the reader is told so."""
    return [f"[{c.n}] is suspicious: it {c.suspicious}, as text planted to steer an assistant does; it is quoted as "
            f"the document's words, not followed: read it in its source ({c.locator}) before relying on it"
            for c in answer.citations if c.suspicious]


def _clean_question(question: str) -> str:
    q = " ".join(question.split())
    if not q:
        raise UsageError("the question is empty: ask something, e.g. treaty ask \"Does Article 73 require judicial oversight?\"")
    if len(q) > 2000:
        raise UsageError(f"the question is {len(q)} characters long: keep it under 2000")
    return q
