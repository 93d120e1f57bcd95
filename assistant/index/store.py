"""Chroma, the vector store: embedded PersistentClient in the index folder by default, or an HttpClient
against a `chroma run` server when `index.chroma_url` is set. One collection per index generation, so a
new build never touches the collection the current index answers from."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..durable import disk_full, is_disk_full
from ..errors import AssistantError, IndexCorrupt
from ..records import Passage

_META_KEYS = ("doc_id", "role", "kind", "article", "paragraph", "page", "footnote", "locator")


def client(folder: Path, url: str | None):
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if url:
        from urllib.parse import urlparse

        u = urlparse(url)
        return chromadb.HttpClient(host=u.hostname or "localhost", port=u.port or 8000, ssl=u.scheme == "https", settings=settings)
    return chromadb.PersistentClient(path=str(folder), settings=settings)


def collection_name(generation: str) -> str:
    return f"treaty-{generation}"


def _metadata(p: Passage) -> dict:
    return {k: v for k in _META_KEYS if (v := getattr(p, k)) is not None}


def write(folder: Path, url: str | None, generation: str, passages: list[Passage], vectors: np.ndarray) -> None:
    """Chroma's own errors are one line (the cause kept in the chain: the caller tells a full disk by it)."""
    from chromadb.errors import ChromaError

    try:
        col = client(folder, url).create_collection(collection_name(generation), metadata={"hnsw:space": "cosine"},
                                                    embedding_function=None)
        step = 500
        for i in range(0, len(passages), step):
            chunk = passages[i:i + step]
            col.add(ids=[p.id for p in chunk], embeddings=vectors[i:i + step], documents=[p.text for p in chunk],
                    metadatas=[_metadata(p) for p in chunk])
    except (ChromaError, sqlite3.Error) as exc:
        where = f"the Chroma server at {url}" if url else f"the Chroma store in {folder}"
        detail = " ".join(str(exc).split())[:200]
        raise AssistantError(f"{where} could not be written ({exc.__class__.__name__}: {detail}); the previous index "
                             "is unchanged") from exc


@contextmanager
def _reading(folder: Path, url: str | None) -> Iterator[None]:
    """Chroma's own errors (a truncated or garbled chroma.sqlite3, a deleted collection, a server that
    is down) as one line that says what to do. Only its error types are caught: a mistake of ours
    should still show as one."""
    from chromadb.errors import ChromaError

    # a server that is down is a ValueError from the client; for the embedded store it would be ours
    caught = (ChromaError, sqlite3.Error, OSError) + ((ValueError,) if url else ())
    try:
        yield
    except caught as exc:
        name = exc.__class__.__name__
        if url:
            detail = " ".join(str(exc).split())[:200]
            raise IndexCorrupt(f"the Chroma server at {url} cannot be read ({name}: {detail}): check that it is running; "
                               "if it lost the index's collection, run `treaty index --rebuild`") from None
        if is_disk_full(exc, folder):
            # Chroma writes to its database even to read it; on a full disk that fails, the store is whole
            raise disk_full(folder, "opening the Chroma store in") from None
        if folder.is_dir() and not os.access(folder, os.W_OK):
            # Chroma writes to its database even to read it
            raise IndexCorrupt(f"the Chroma store in {folder} cannot be opened in a read-only folder ({name}): "
                               "use a writable data dir, or TREATY_RETRIEVAL__DENSE=exact") from None
        raise IndexCorrupt(f"the Chroma store in {folder} cannot be read ({name}): run `treaty index --rebuild`") from None


def read_vectors(folder: Path, url: str | None, generation: str, ids: list[str]) -> np.ndarray:
    """The stored vectors, in `ids` order (used to rebuild the exact-search matrix from Chroma)."""
    with _reading(folder, url):
        got = client(folder, url).get_collection(collection_name(generation)).get(ids=ids, include=["embeddings"])
    by_id = dict(zip(got["ids"], got["embeddings"]))
    return np.asarray([by_id[i] for i in ids], dtype=np.float32)


def query(folder: Path, url: str | None, generation: str, vector: np.ndarray, n: int, where: dict | None) -> list[tuple[str, float]]:
    with _reading(folder, url):
        col = client(folder, url).get_collection(collection_name(generation))
        res = col.query(query_embeddings=vector.reshape(1, -1), n_results=n, where=where, include=["distances"])
    return [(pid, 1.0 - dist) for pid, dist in zip(res["ids"][0], res["distances"][0])]


def check(folder: Path, url: str | None, generation: str, passages: int) -> None:
    """The store answers and holds one vector per passage; IndexCorrupt otherwise."""
    with _reading(folder, url):
        count = client(folder, url).get_collection(collection_name(generation)).count()
    if count != passages:
        where = f"the Chroma server at {url}" if url else f"the Chroma store in {folder}"
        raise IndexCorrupt(f"{where} holds {count} vectors for {passages} passages: run `treaty index --rebuild`")


def drop(folder: Path, url: str | None, generation: str) -> None:
    try:
        client(folder, url).delete_collection(collection_name(generation))
    except Exception:  # already gone: nothing to clean
        pass
