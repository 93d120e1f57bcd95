"""Opening the index: the generation `CURRENT` names, pinned while it is read (`generations`), its
manifest checked for the settings that shaped it, its files for the checksums recorded when they were
written, and its arrays for sizes that agree and values that are numbers. Any of these failing is one
line that says to rebuild."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from . import SCHEMA_VERSION, generations, lexical, store
from .errors import IndexCorrupt, IndexMismatch, IndexMissing
from .generations import current_generation
from .records import Passage, Provision
from .settings import Settings

T = TypeVar("T")


def index_root(settings: Settings) -> Path:
    return settings.data_dir / "index"


@dataclass
class Snapshot:
    """An open index generation: everything retrieval reads."""

    folder: Path
    manifest: dict
    passages: list[Passage]
    vectors: np.ndarray
    lexical: lexical.Lexical
    # keeps the generation folder from being deleted while this snapshot reads it (Chroma queries)
    pin: generations.Pin | None = field(default=None, repr=False, compare=False)

    @property
    def generation(self) -> str:
        return self.manifest["generation"]

    def doc_ids(self) -> list[str]:
        return list(self.manifest["documents"])

    def provisions(self) -> list[Provision]:
        """The readings of the provisions of the documents in treaty layout (read on demand: a
        question's search does not need them all)."""
        try:
            return [Provision.from_json(r) for r in _read_rows(self.folder / "provisions.jsonl")]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexCorrupt(f"index in {self.folder} is damaged (provisions.jsonl: {exc.__class__.__name__}): "
                               "run `treaty index --rebuild`") from None

    def release(self) -> None:
        """Let a writer delete this generation once it is no longer current."""
        if self.pin is not None:
            self.pin.release()


_ATTEMPTS = 3


def _at_current(root: Path, read: Callable[[str], T]) -> T | None:
    """`read(generation)` of the generation CURRENT names; None when there is no index. A writer may
    switch to a new generation and delete the one just read from CURRENT before it is pinned: the
    read then fails, CURRENT has moved on, and the new generation is read instead."""
    for _ in range(_ATTEMPTS):
        gen = current_generation(root)
        if gen is None:
            return None
        try:
            return read(gen)
        except IndexCorrupt:
            if current_generation(root) == gen:
                raise
    raise IndexCorrupt(f"the index in {root} changed {_ATTEMPTS} times while it was being opened: run the command again")


def read_manifest(root: Path) -> dict | None:
    return _at_current(root, lambda gen: _manifest(root, gen))


def _manifest(root: Path, gen: str) -> dict:
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
    for key, wanted, what in (("schema_version", SCHEMA_VERSION, "index schema {} (this version reads {})"),
                              ("model_id", model_id, "embedding model {}, not {}"),
                              ("embedder", embedder, "embedder {}, not {}"),
                              ("dims", dims, "vectors of {} dimensions, not {}")):
        found = manifest.get(key)
        if found != wanted:
            shown = found if key == "schema_version" or found else "(not recorded)"
            raise IndexMismatch(f"the index was built with {what.format(shown, wanted)}: run `treaty index --rebuild`")


def open_index(settings: Settings, model_id: str) -> Snapshot:
    root = index_root(settings)
    snapshot = _at_current(root, lambda gen: _open_pinned(settings, root / gen, model_id))
    if snapshot is None:
        raise IndexMissing(f"no index yet in {settings.data_dir}: run `treaty index`")
    return snapshot


def _open_pinned(settings: Settings, folder: Path, model_id: str) -> Snapshot:
    pin = generations.pin(folder)
    if pin is None:
        raise IndexCorrupt(f"index generation {folder} is missing: run `treaty index --rebuild`")
    try:
        manifest = _manifest(folder.parent, folder.name)
        embedder = embedder_spec(settings.index.embedder)
        check_compatible(manifest, settings.index.embedder, model_id, embedder.dims)
        snapshot = _open_generation(settings, folder, manifest, embedder.dims)
    except BaseException:
        pin.release()
        raise
    snapshot.pin = pin
    return snapshot


def _open_generation(settings: Settings, folder: Path, manifest: dict, dims: int) -> Snapshot:
    try:
        generations.verify(folder, manifest.get("checksums"))
        passages = _read_passages(folder / "passages.jsonl")
        vectors_path = folder / "vectors.npy"
        if vectors_path.exists():
            vectors = np.load(vectors_path, mmap_mode="r")
        else:  # the matrix is a copy of what Chroma holds; rebuild it from there
            vectors = store.read_vectors(folder / "chroma", settings.index.chroma_url, manifest["generation"], [p.id for p in passages])
        lex = lexical.Lexical(folder / "bm25")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        what = str(exc) if isinstance(exc, lexical.Damaged) else exc.__class__.__name__
        raise IndexCorrupt(f"index in {folder} is damaged ({what}): run `treaty index --rebuild`") from None
    if vectors.shape != (len(passages), dims):
        raise IndexCorrupt(f"index in {folder} is inconsistent (vectors of shape {vectors.shape} for {len(passages)} passages "
                           f"of {dims} dimensions): run `treaty index --rebuild`")
    if len(passages) != lex.num_docs:
        raise IndexCorrupt(f"index in {folder} is inconsistent (passages, vectors and BM25 differ in size): run `treaty index --rebuild`")
    if not np.isfinite(vectors).all():
        raise IndexCorrupt(f"index in {folder} is damaged (vectors that are not numbers): run `treaty index --rebuild`")
    return Snapshot(folder, manifest, passages, vectors, lex)


def _read_passages(path: Path) -> list[Passage]:
    """The passages; a line of the wrong shape is a ValueError or TypeError, as a damaged index."""
    return [Passage.from_dict(r) for r in _read_rows(path)]


def _read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    if not all(isinstance(r, dict) for r in rows):
        raise ValueError(f"{path}: a line is not a JSON object")
    return rows


def embedder_spec(name: str):
    """The registered embedder class: its model_id and dims, without loading the model."""
    from .embed import EMBEDDERS

    return EMBEDDERS.get(name)
