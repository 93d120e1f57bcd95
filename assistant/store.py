"""Chroma, the vector store: embedded PersistentClient in the index folder by default, or an HttpClient
against a `chroma run` server when `index.chroma_url` is set. One collection per index generation, so a
new build never touches the collection the current index answers from."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .records import Passage

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
    col = client(folder, url).create_collection(collection_name(generation), metadata={"hnsw:space": "cosine"},
                                                embedding_function=None)
    step = 500
    for i in range(0, len(passages), step):
        chunk = passages[i:i + step]
        col.add(ids=[p.id for p in chunk], embeddings=vectors[i:i + step], documents=[p.text for p in chunk],
                metadatas=[_metadata(p) for p in chunk])


def read_vectors(folder: Path, url: str | None, generation: str, ids: list[str]) -> np.ndarray:
    """The stored vectors, in `ids` order (used to rebuild the exact-search matrix from Chroma)."""
    got = client(folder, url).get_collection(collection_name(generation)).get(ids=ids, include=["embeddings"])
    by_id = dict(zip(got["ids"], got["embeddings"]))
    return np.asarray([by_id[i] for i in ids], dtype=np.float32)


def query(folder: Path, url: str | None, generation: str, vector: np.ndarray, n: int, where: dict | None) -> list[tuple[str, float]]:
    col = client(folder, url).get_collection(collection_name(generation))
    res = col.query(query_embeddings=vector.reshape(1, -1), n_results=n, where=where, include=["distances"])
    return [(pid, 1.0 - dist) for pid, dist in zip(res["ids"][0], res["distances"][0])]


def drop(folder: Path, url: str | None, generation: str) -> None:
    try:
        client(folder, url).delete_collection(collection_name(generation))
    except Exception:  # already gone: nothing to clean
        pass
