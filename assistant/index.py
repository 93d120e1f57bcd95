"""Build and open the index: passages, their vectors (Chroma, plus the same matrix for exact search),
and the BM25 arrays, in one generation folder.

Atomic: a run writes a new generation beside the current one and switches the `CURRENT` pointer with
one rename at the end; an interrupted or failed run leaves the previous generation answering.
Incremental: a document whose file is unchanged (same sha256) keeps its passages and vectors."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import SCHEMA_VERSION, __version__, lexical, store
from .errors import CorpusError, IndexCorrupt, IndexMismatch, IndexMissing
from .locations import check_folder, ensure_writable
from .lock import data_lock
from .records import Passage, Source
from .settings import Settings

Progress = Callable[[str, int, int], None]
PLAIN_WEIGHT = 0.35  # the middle of the weights that raised both recall@5 and MRR@10, 0.3-0.45 (bench/RESULTS.md)


def _noop(stage: str, done: int, total: int) -> None:
    pass


def index_root(settings: Settings) -> Path:
    return settings.data_dir / "index"


def embed_text(p: Passage) -> str:
    """What is embedded and indexed: the passage with its context (see `Passage.context`)."""
    return f"{p.context} {p.text}".strip()


@dataclass
class Snapshot:
    """An open index generation: everything retrieval reads."""

    folder: Path
    manifest: dict
    passages: list[Passage]
    vectors: np.ndarray
    lexical: lexical.Lexical

    @property
    def generation(self) -> str:
        return self.manifest["generation"]

    def doc_ids(self) -> list[str]:
        return list(self.manifest["documents"])


def current_generation(root: Path) -> str | None:
    pointer = root / "CURRENT"
    if not pointer.exists():
        check_folder(root.parent)  # a data dir that is a file is a mistake, not "no index yet"
        return None
    try:
        gen = json.loads(pointer.read_text())["generation"]
    except (ValueError, KeyError, TypeError, OSError):
        gen = None
    # a folder name inside the index root, nothing that would lead out of it
    if not isinstance(gen, str) or not gen or gen.startswith(".") or Path(gen).name != gen:
        raise IndexCorrupt(f"index pointer {pointer} is unreadable: run `treaty index --rebuild`")
    return gen


def read_manifest(root: Path) -> dict | None:
    gen = current_generation(root)
    if gen is None:
        return None
    try:
        manifest = json.loads((root / gen / "manifest.json").read_text())
    except (ValueError, OSError):
        raise IndexCorrupt(f"index manifest in {root / gen} is missing or unreadable: run `treaty index --rebuild`") from None
    problem = _manifest_problem(manifest, gen)
    if problem:
        raise IndexCorrupt(f"index manifest in {root / gen} has the wrong shape ({problem}): run `treaty index --rebuild`")
    return manifest


def _manifest_problem(manifest: Any, generation: str) -> str | None:
    """What is wrong with the shape of a parsed manifest.json (the fields readers index into); None when usable."""
    if not isinstance(manifest, dict):
        return f"a JSON {type(manifest).__name__}, not an object"
    if manifest.get("generation") != generation:
        return "its generation is not the one CURRENT names"
    documents = manifest.get("documents")
    if not isinstance(documents, dict) or not all(isinstance(d, dict) for d in documents.values()):
        return "'documents' is not an object of objects"
    return None


def check_compatible(manifest: dict, embedder: str, model_id: str, dims: int) -> None:
    """An index built by another schema, model, embedder or vector size is rebuilt, not read."""
    for field, wanted, what in (("schema_version", SCHEMA_VERSION, "index schema {} (this version reads {})"),
                                ("model_id", model_id, "embedding model {}, not {}"),
                                ("embedder", embedder, "embedder {}, not {}"),
                                ("dims", dims, "vectors of {} dimensions, not {}")):
        found = manifest.get(field)
        if found != wanted:
            shown = found if field == "schema_version" or found else "(not recorded)"
            raise IndexMismatch(f"the index was built with {what.format(shown, wanted)}: run `treaty index --rebuild`")


def open_index(settings: Settings, model_id: str) -> Snapshot:
    root = index_root(settings)
    manifest = read_manifest(root)
    if manifest is None:
        raise IndexMissing(f"no index yet in {settings.data_dir}: run `treaty index`")
    embedder = _embedder(settings.index.embedder)
    check_compatible(manifest, settings.index.embedder, model_id, embedder.dims)
    folder = root / manifest["generation"]
    try:
        passages = _read_passages(folder / "passages.jsonl")
        vectors_path = folder / "vectors.npy"
        if vectors_path.exists():
            vectors = np.load(vectors_path, mmap_mode="r")
        else:  # the matrix is a copy of what Chroma holds; rebuild it from there
            vectors = store.read_vectors(folder / "chroma", settings.index.chroma_url, manifest["generation"], [p.id for p in passages])
        lex = lexical.Lexical(folder / "bm25")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorrupt(f"index in {folder} is damaged ({exc.__class__.__name__}): run `treaty index --rebuild`") from None
    if vectors.shape != (len(passages), embedder.dims):
        raise IndexCorrupt(f"index in {folder} is inconsistent (vectors of shape {vectors.shape} for {len(passages)} passages "
                           f"of {embedder.dims} dimensions): run `treaty index --rebuild`")
    if len(passages) != lex.num_docs:
        raise IndexCorrupt(f"index in {folder} is inconsistent (passages, vectors and BM25 differ in size): run `treaty index --rebuild`")
    return Snapshot(folder, manifest, passages, vectors, lex)


def _read_passages(path: Path) -> list[Passage]:
    """The passages; a line of the wrong shape is a ValueError or TypeError, as a damaged index."""
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    if not all(isinstance(r, dict) for r in rows):
        raise ValueError(f"{path}: a line is not a JSON object")
    return [Passage.from_dict(r) for r in rows]


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
    with data_lock(settings.data_dir):
        return _build(settings, sources, rebuild, progress)


def _build(settings: Settings, sources: list[Source], rebuild: bool, progress: Progress) -> BuildReport:
    from . import ingest
    from .refs import AliasMatcher

    started = time.perf_counter()
    root = index_root(settings)
    ensure_writable(root, "the index folder")  # before minutes of embedding, not at their end
    _sweep_temporaries(root)
    matcher = AliasMatcher.build(sources)
    local = [s for s in sources if s.path]
    progress("read", 0, len(local))
    docs = []
    for i, s in enumerate(local, 1):
        with _naming(s.id):
            docs.append(ingest.load(s, settings.index, settings.data_dir / "cache" / "converted"))
        progress("read", i, len(local))

    model_id = _embedder(settings.index.embedder).model_id
    prev = _previous(settings, model_id, rebuild)
    # Parsing is cheap and depends on the registry too (aliases, numbering), so every document is
    # parsed again; embedding is not: a passage whose embedded text is unchanged keeps its vector.
    passages = []
    for doc in docs:
        with _naming(doc.source.id):
            passages += ingest.parse(doc, matcher, settings.index)
    # a vector depends on the text and, through its plain words, on the thesaurus it was made with
    same_thesaurus = prev is not None and prev.manifest.get("thesaurus") == lexical.THESAURUS_DIGEST
    known = {embed_text(p): row for row, p in enumerate(prev.passages)} if same_thesaurus else {}
    keys = [embed_text(p) for p in passages]
    fresh = [i for i, k in enumerate(keys) if k not in known]
    matrix = np.zeros((len(passages), _embedder(settings.index.embedder).dims), dtype=np.float32)
    for i, k in enumerate(keys):
        if k in known:
            matrix[i] = prev.vectors[known[k]]
    if fresh:
        from .embed import get_embedder

        progress("model", 0, 1)
        embedder = get_embedder(settings.index.embedder, settings.index.batch_size)
        matrix[fresh] = _embed(embedder, [passages[i] for i in fresh], progress)

    embedded = sorted({passages[i].doc_id for i in fresh}, key=[d.source.id for d in docs].index)
    reused = [d.source.id for d in docs if d.source.id not in embedded]
    prev_docs = prev.manifest["documents"] if prev else {}
    removed = [d for d in prev_docs if d not in {doc.source.id for doc in docs}]
    documents = {doc.source.id: {"sha256": doc.sha256, "path": doc.path, "role": doc.source.role, "title": doc.source.title,
                                 "passages": sum(p.doc_id == doc.source.id for p in passages)}
                 for doc in docs}
    # (a new thesaurus changes vectors, not passages: those re-embedded must be written)
    if prev is not None and not rebuild and not fresh and [p.to_dict() for p in passages] == [p.to_dict() for p in prev.passages]:
        # "up to date" must mean whole: the Chroma store is the one part `open_index` does not read
        store.check(prev.folder / "chroma", settings.index.chroma_url, prev.generation, len(prev.passages))
        return BuildReport(prev.generation, documents, [], reused, [], len(passages), time.perf_counter() - started, False)

    generation = time.strftime("g%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = root / f".tmp-{generation}"
    try:
        tmp.mkdir()
        progress("store", 0, 1)
        _write_generation(settings, tmp, generation, passages, matrix, documents, model_id)
        progress("store", 1, 1)
        os.replace(tmp, root / generation)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if settings.index.chroma_url:  # a server keeps what was written before the failure
            store.drop(tmp / "chroma", settings.index.chroma_url, generation)
        raise
    _switch(root, generation)
    _retire(settings, root, keep=generation)
    return BuildReport(generation, documents, embedded, reused, removed, len(passages), time.perf_counter() - started, True)


def _embedder(name: str):
    """The registered embedder class: its model_id and dims, without loading the model."""
    from .embed import EMBEDDERS

    return EMBEDDERS.get(name)


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
    stand for its terms of art (`lexical.plain_words`): all-MiniLM-L6-v2 puts "blow the whistle
    on graft" far from "reports in good faith … offences established in accordance with this
    Convention", and the thesaurus read backwards brings them nearer. The plain words are a few
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


def _write_generation(settings: Settings, folder: Path, generation: str, passages: list[Passage], matrix: np.ndarray,
                      documents: dict, model_id: str) -> None:
    with open(folder / "passages.jsonl", "w", encoding="utf-8") as fh:
        for p in passages:
            fh.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
    np.save(folder / "vectors.npy", matrix.astype(np.float32))
    lexical.build([embed_text(p) for p in passages], folder / "bm25")
    store.write(folder / "chroma", settings.index.chroma_url, generation, passages, matrix)
    manifest = {
        "schema_version": SCHEMA_VERSION, "app_version": __version__, "generation": generation,
        "embedder": settings.index.embedder, "model_id": model_id, "dims": int(matrix.shape[1]),
        "chroma": settings.index.chroma_url or "embedded", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "documents": documents, "passages": len(passages), "thesaurus": lexical.THESAURUS_DIGEST,
    }
    # The manifest is written last: a generation folder without one is never switched to.
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))


def _switch(root: Path, generation: str) -> None:
    tmp = root / f"CURRENT.tmp{os.getpid()}"
    tmp.write_text(json.dumps({"generation": generation}))
    os.replace(tmp, root / "CURRENT")


def _retire(settings: Settings, root: Path, keep: str) -> None:
    for folder in root.iterdir():
        if folder.is_dir() and folder.name.startswith("g") and folder.name != keep:
            if settings.index.chroma_url:
                store.drop(folder / "chroma", settings.index.chroma_url, folder.name)
            shutil.rmtree(folder, ignore_errors=True)


def _sweep_temporaries(root: Path) -> None:
    for folder in root.glob(".tmp-*"):
        shutil.rmtree(folder, ignore_errors=True)
