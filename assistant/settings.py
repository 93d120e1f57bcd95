"""One settings object: defaults, overridden by TREATY_* environment variables, overridden by flags."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .locations import default_corpus_dir, default_data_dir


class IndexSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    embedder: str = Field("minilm-onnx", description="embedder name (see `assistant.embed.EMBEDDERS`)")
    chroma_url: str | None = Field(None, description="http://host:port of a `chroma run` server; embedded PersistentClient when unset")
    max_file_mb: float = Field(20.0, description="corpus files larger than this are refused")
    batch_size: int = Field(16, description="passages embedded per batch (16 measured fastest on 2 cores)")


class RetrievalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dense: str = Field("exact", description="exact: cosine over the index's vectors; chroma: Chroma's HNSW query")
    candidates: int = Field(50, description="passages taken from each of the dense and lexical lists")
    rrf_k: int = Field(60, description="reciprocal-rank-fusion constant")
    dense_weight: float = Field(1.0, description="weight of the dense list in the fusion")
    lexical_weight: float = Field(1.0, description="weight of the BM25 list in the fusion")
    named_doc_bonus: float = Field(0.2, description="bonus, in first-place RRF units, for passages of a document the question names")
    top_k: int = Field(10, description="passages returned")
    group_floor: float = Field(0.7, description="a document group (treaty text, submission, instruments) missing from the top 5 is lifted in when its best passage scores at least this share of the top one")


class AnswerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    backend: str = Field("extractive", description="answer backend")
    max_sentences: int = Field(4, description="sentences in an extractive answer")
    # Calibrated on evals/questions.jsonl (bench/RESULTS.md): below these evidence scores we abstain.
    abstain_below: float = Field(0.2, description="evidence threshold under which the answer abstains")
    abstain_below_unindexed: float = Field(0.55, description="threshold when the question names only documents that are not indexed, or names something no indexed passage mentions")


class FetchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timeout: float = Field(30.0, gt=0, description="seconds to wait for a connection, and for each piece of a download")
    retries: int = Field(3, ge=0, description="further attempts after a connection error, a timeout or a 5xx answer (never after a 4xx)")
    backoff: float = Field(1.0, ge=0, description="seconds before the first retry, doubled before each next one")
    max_mb: float = Field(100.0, gt=0, description="downloads larger than this are refused")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TREATY_", env_nested_delimiter="__", extra="forbid")
    data_dir: Path = Field(default_factory=default_data_dir, description="index and model cache")
    corpus_dir: Path | None = Field(default_factory=default_corpus_dir, description="folder with local copies of registered documents")
    index: IndexSettings = IndexSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    fetch: FetchSettings = FetchSettings()
