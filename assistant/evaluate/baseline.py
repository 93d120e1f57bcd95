"""The textbook LangChain pipeline we measure ourselves against, built exactly as tutorials do:
RecursiveCharacterTextSplitter(1000, 200) over each file, all-MiniLM-L6-v2 embeddings
(sentence-transformers), a Chroma vector store, and `similarity_search`."""

from __future__ import annotations

import time
from pathlib import Path

from ..records import Source


class _MiniLMEmbeddings:
    """LangChain's Embeddings interface over the same packaged model (no hub download)."""

    def __init__(self):
        from ..index.embed import SentenceTransformerMiniLM

        self.model = SentenceTransformerMiniLM()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.model.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.model.embed([text])[0].tolist()


class TextbookPipeline:
    def __init__(self, sources: list[Source], folder: Path):
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_core.embeddings import Embeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        t0 = time.perf_counter()
        embeddings = type("MiniLM", (_MiniLMEmbeddings, Embeddings), {})()
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        docs = []
        for s in sources:
            if s.path:
                text = Path(s.path).read_text(encoding="utf-8")
                docs += splitter.split_documents([Document(page_content=text, metadata={"doc_id": s.id, "role": s.role})])
        self.store = Chroma.from_documents(docs, embeddings, persist_directory=str(folder), collection_name="textbook")
        self.chunks = len(docs)
        self.index_seconds = time.perf_counter() - t0

    def search(self, question: str, k: int = 10):
        return self.store.similarity_search(question, k=k)
