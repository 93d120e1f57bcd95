"""Build the index: passages, their vectors (Chroma, plus the same matrix for exact search),
and the BM25 arrays, in one generation folder.

Atomic: a run writes a new generation beside the current one and switches the `CURRENT` pointer with
one rename at the end (`generations`); an interrupted or failed run, a full disk included, leaves the
previous generation answering. Incremental: a document whose file is unchanged (same sha256) keeps its
passages and vectors. Checked: the manifest holds the checksums of the files a reader loads, and a
reader refuses arrays that do not add up or vectors that are not numbers."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from . import SCHEMA_VERSION, __version__, generations, lexical, store
from .durable import LOW_SPACE, disk_full, free_bytes, is_disk_full, space_for, write_bytes
from .errors import CorpusError, EmbedderError, IndexCorrupt, IndexMissing
from .generations import current_generation
from .locations import ensure_writable
from .lock import data_lock
from .records import Passage, Provision, Source
from .settings import Settings
# the reading side, which the callers of indexing use too
from .snapshot import Snapshot, check_compatible, embedder_spec, index_root, open_index, read_manifest  # noqa: F401

Progress = Callable[[str, int, int], None]
PLAIN_WEIGHT = 0.35  # the middle of the weights that raised both recall@5 and MRR@10, 0.3-0.45 (bench/RESULTS.md)


def _noop(stage: str, done: int, total: int) -> None:
    pass


def embed_text(p: Passage) -> str:
    """What is embedded and indexed: the passage with its context (see `Passage.context`)."""
    return f"{p.context} {p.text}".strip()


def _previous(settings: Settings, model_id: str, rebuild: bool) -> Snapshot | None:
    if rebuild:
        return None
    try:
        return open_index(settings, model_id)
    except IndexMissing:
        return None


@dataclass
class BuildReport:
    generation: str
    documents: dict[str, dict]
    embedded: list[str]
    reused: list[str]
    removed: list[str]
    passages: int
    seconds: float
    changed: bool


def build_index(settings: Settings, sources: list[Source], *, rebuild: bool = False, progress: Progress = _noop) -> BuildReport:
    """Holds the data dir's writer lock (see `lock`) from before the previous index is read until the
    new one is switched to, so two builds never start from the same previous index."""
    with data_lock(settings.data_dir), space_for(settings.data_dir):
        return _build(settings, sources, rebuild, progress)


def _build(settings: Settings, sources: list[Source], rebuild: bool, progress: Progress) -> BuildReport:
    from .query.refs import AliasMatcher

    started = time.perf_counter()
    root = index_root(settings)
    ensure_writable(root, "the index folder")  # before minutes of embedding, not at their end
    generations.sweep_temporaries(root)
    docs = _load(settings, sources, progress)
    model_id = embedder_spec(settings.index.embedder).model_id
    prev = _previous(settings, model_id, rebuild)
    try:
        # Parsing is cheap and depends on the registry too (aliases, numbering), so every document is
        # parsed again; embedding is not: a passage whose embedded text is unchanged keeps its vector.
        passages = _parse(docs, AliasMatcher.build(sources), settings.index)
        matrix, fresh = _vectors(settings, passages, prev, progress)
    finally:
        if prev is not None:
            prev.release()  # the writer's own pin would keep it from retiring that generation
    ids = [d.source.id for d in docs]
    embedded = sorted({passages[i].doc_id for i in fresh}, key=ids.index)
    reused = [d for d in ids if d not in embedded]
    removed = [d for d in (prev.manifest["documents"] if prev else {}) if d not in ids]
    meta = {"documents": {doc.source.id: _entry(doc, passages) for doc in docs}, "corpus_dir": _corpus_dir(settings)}
    provisions = read_provisions(passages)
    # (a new thesaurus changes vectors, not passages: those re-embedded must be written; a new reading
    # of the provisions, from a new vocabulary say, changes neither)
    if (prev is not None and not rebuild and not fresh and [p.to_dict() for p in passages] == [p.to_dict() for p in prev.passages]
            and [p.to_json() for p in provisions] == [p.to_json() for p in prev.provisions()]):
        _keep(settings, root, prev, meta)
        return BuildReport(prev.generation, meta["documents"], [], reused, [], len(passages), time.perf_counter() - started, False)
    generation = _commit(settings, root, passages, provisions, matrix, meta, model_id, prev, progress)
    return BuildReport(generation, meta["documents"], embedded, reused, removed, len(passages), time.perf_counter() - started, True)


def read_provisions(passages: list[Passage]) -> list[Provision]:
    """The provisions of every document in treaty layout (those whose passages are articles)."""
    from .provisions import read_document

    by_doc: dict[str, list[Passage]] = {}
    for p in passages:
        by_doc.setdefault(p.doc_id, []).append(p)
    return [prov for rows in by_doc.values() if any(p.article for p in rows) for prov in read_document(rows)]


def _load(settings: Settings, sources: list[Source], progress: Progress) -> list:
    from . import ingest

    local = [s for s in sources if s.path]
    progress("read", 0, len(local))
    docs = []
    for i, s in enumerate(local, 1):
        with _naming(s.id):
            docs.append(ingest.load(s, settings.index, settings.data_dir / "cache" / "converted"))
        progress("read", i, len(local))
    return docs


def _parse(docs: list, matcher, limits) -> list[Passage]:
    from . import ingest

    passages = []
    for doc in docs:
        with _naming(doc.source.id):
            passages += ingest.parse(doc, matcher, limits)
    return passages


def _vectors(settings: Settings, passages: list[Passage], prev: Snapshot | None, progress: Progress) -> tuple[np.ndarray, list[int]]:
    """Each passage's vector and the rows embedded afresh. A vector depends on the text and, through
    its plain words, on the thesaurus it was made with: only then is the previous one reused."""
    same_thesaurus = prev is not None and prev.manifest.get("thesaurus") == lexical.THESAURUS_DIGEST
    known = {embed_text(p): row for row, p in enumerate(prev.passages)} if same_thesaurus else {}
    keys = [embed_text(p) for p in passages]
    fresh = [i for i, k in enumerate(keys) if k not in known]
    matrix = np.zeros((len(passages), embedder_spec(settings.index.embedder).dims), dtype=np.float32)
    for i, k in enumerate(keys):
        if k in known:
            matrix[i] = prev.vectors[known[k]]
    if fresh:
        from .embed import get_embedder

        progress("model", 0, 1)
        embedder = get_embedder(settings.index.embedder, settings.index.batch_size)
        matrix[fresh] = _embed(embedder, [passages[i] for i in fresh], progress)
        _check_finite(matrix[fresh], [passages[i] for i in fresh])
    return matrix, fresh


def _check_finite(vectors: np.ndarray, passages: list[Passage]) -> None:
    """A vector that is not numbers ranks nothing and matches nothing: it must never be written."""
    bad = [p.id for p, row in zip(passages, vectors) if not np.isfinite(row).all()]
    if bad:
        from .embed import cache_dir

        raise EmbedderError(f"the embedding model gave vectors that are not numbers for {len(bad)} passages (first: {bad[0]}); "
                            f"nothing was written: delete {cache_dir()} to prepare the model again, then run `treaty index`")


def _entry(doc, passages: list[Passage]) -> dict:
    """What the manifest records of a document; its registration too, from which `treaty corpus
    repair` can register the user's own documents again if the corpus state is lost."""
    return {"sha256": doc.sha256, "path": doc.path, "role": doc.source.role, "title": doc.source.title,
            "passages": sum(p.doc_id == doc.source.id for p in passages),
            "source": {k: v for k, v in asdict(doc.source).items() if k != "path"}}


def _corpus_dir(settings: Settings) -> str | None:
    return str(settings.corpus_dir.absolute()) if settings.corpus_dir else None


def _keep(settings: Settings, root: Path, prev: Snapshot, meta: dict) -> None:
    """Nothing to write anew: the index must still be whole, what the manifest says of where the
    documents come from current, and what interrupted runs left behind cleaned."""
    # "up to date" must mean whole: the Chroma store is the one part `open_index` does not read
    store.check(prev.folder / "chroma", settings.index.chroma_url, prev.generation, len(prev.passages))
    if any(prev.manifest.get(k) != v for k, v in meta.items()):
        # same passages and vectors from another place: the manifest is replaced whole, in one rename
        write_bytes(prev.folder / "manifest.json", json.dumps({**prev.manifest, **meta}, indent=1).encode())
    _retire(settings, root, prev.generation)


def _commit(settings: Settings, root: Path, passages: list[Passage], provisions: list[Provision], matrix: np.ndarray,
            meta: dict, model_id: str, prev: Snapshot | None, progress: Progress) -> str:
    """Write a new generation and switch to it. A failure, a full disk included, leaves the previous
    generation current and nothing of the new one; a full disk is one line however a library words it."""
    generation = time.strftime("g%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = root / f".tmp-{generation}"
    needed = max(LOW_SPACE, _size(prev.folder) if prev else 0)  # a new generation is about the size of the last
    try:
        tmp.mkdir()
        progress("store", 0, 1)
        _write_generation(settings, tmp, generation, passages, provisions, matrix, meta, model_id)
        generations.sync_tree(tmp)
        progress("store", 1, 1)
        os.replace(tmp, root / generation)
        generations.switch(root, generation)
    except BaseException as exc:
        full, free = isinstance(exc, Exception) and is_disk_full(exc, root, needed), free_bytes(root)
        _discard(settings, root, tmp, generation)
        if full:
            raise disk_full(root, "writing the index in", free) from None
        raise
    _retire(settings, root, generation)
    return generation


def _discard(settings: Settings, root: Path, tmp: Path, generation: str) -> None:
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        switched = current_generation(root) == generation
    except IndexCorrupt:
        switched = False
    if not switched:
        shutil.rmtree(root / generation, ignore_errors=True)
        if settings.index.chroma_url:  # a server keeps what was written before the failure
            store.drop(tmp / "chroma", settings.index.chroma_url, generation)


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


@contextmanager
def _naming(doc_id: str) -> Iterator[None]:
    """A file that cannot be indexed stops every run until it is replaced or its document is taken
    out: the error names the document and that way out, which its message alone does not."""
    try:
        yield
    except CorpusError as exc:
        raise CorpusError(f"document '{doc_id}': {exc.message}, or take the document out of the index "
                          f"with `treaty corpus remove {doc_id}`") from None


def _embed(embedder, passages: list[Passage], progress: Progress) -> np.ndarray:
    """Each passage's vector leans, by PLAIN_WEIGHT, toward the vector of the plain words that
    stand for its terms of art (`lexical.plain_words`): all-MiniLM-L6-v2 puts a plain phrase far
    from the legal wording that means the same, and the thesaurus read backwards brings them nearer. The plain words are a few
    short words, so this adds about a tenth to embedding time."""
    texts = [embed_text(p) for p in passages]
    plain = [lexical.plain_words(t) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), embedder.dims), dtype=np.float32)
    step = 128
    for start in range(0, len(order), step):
        rows = order[start:start + step]
        out[rows] = embedder.embed([texts[i] for i in rows])
        glossed = [i for i in rows if plain[i]]
        if glossed:
            mixed = (1 - PLAIN_WEIGHT) * out[glossed] + PLAIN_WEIGHT * embedder.embed([plain[i] for i in glossed])
            out[glossed] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
        progress("embed", min(start + step, len(texts)), len(texts))
    return out


def _write_generation(settings: Settings, folder: Path, generation: str, passages: list[Passage],
                      provisions: list[Provision], matrix: np.ndarray, meta: dict, model_id: str) -> None:
    _write_lines(folder / "passages.jsonl", [p.to_dict() for p in passages])
    _write_lines(folder / "provisions.jsonl", [p.to_json() for p in provisions])
    np.save(folder / "vectors.npy", matrix.astype(np.float32))
    lexical.build([embed_text(p) for p in passages], folder / "bm25")
    store.write(folder / "chroma", settings.index.chroma_url, generation, passages, matrix)
    manifest = {
        "schema_version": SCHEMA_VERSION, "app_version": __version__, "generation": generation,
        "embedder": settings.index.embedder, "model_id": model_id, "dims": int(matrix.shape[1]),
        "chroma": settings.index.chroma_url or "embedded", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "passages": len(passages), "thesaurus": lexical.THESAURUS_DIGEST, **meta,
        "checksums": generations.checksums(folder),
    }
    # The manifest is written last: a generation folder without one is never switched to.
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))


def _write_lines(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _retire(settings: Settings, root: Path, keep: str) -> None:
    url = settings.index.chroma_url
    generations.retire(root, keep, (lambda folder: store.drop(folder / "chroma", url, folder.name)) if url else (lambda folder: None))
