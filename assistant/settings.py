"""One settings object. Precedence: flags > TREATY_* environment variables > the config file
(treaty.toml) > defaults."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .errors import UsageError
from .locations import config_file, default_corpus_dir, default_data_dir


class Limits(BaseModel):
    """What reading one corpus file may cost. A small file can unpack, or parse, into far more than its
    size (a zip of repeated XML, thousands of pages, markup nested without end), so each of these is
    checked before the work it bounds, and the whole reading runs under a memory budget. The defaults
    are far above the real corpus (its longest paragraph is ~6,000 characters, its largest file
    ~120 KB); a refused file names the setting that would let it through."""

    model_config = ConfigDict(extra="forbid")
    max_file_mb: float = Field(20.0, gt=0, description="corpus files larger than this are refused")
    max_unzipped_mb: float = Field(50.0, gt=0, description="a DOCX (or another zip package) whose parts unpack to more than this together is refused")
    max_pages: int = Field(1000, ge=1, description="PDFs with more pages are refused")
    max_passages: int = Field(20000, ge=1, description="a document that parses into more passages is refused")
    max_depth: int = Field(256, ge=1, description="HTML with elements nested deeper than this is refused")
    max_paragraph_chars: int = Field(100_000, ge=1, description="a document with a longer paragraph (text between blank lines) is refused")
    max_memory_mb: int = Field(1024, ge=0, description="memory that reading and parsing one file may take, in a child process (Linux); 0: no budget")


class IndexSettings(Limits):
    embedder: str = Field("minilm-onnx", description="embedder name (see `assistant.index.embed.EMBEDDERS`)")
    chroma_url: str | None = Field(None, description="http://host:port of a `chroma run` server; embedded PersistentClient when unset")
    batch_size: int = Field(16, ge=1, description="passages embedded per batch (16 measured fastest on 2 cores)")

    @field_validator("chroma_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an address such as http://localhost:8000")
        return value


class RetrievalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dense: Literal["exact", "chroma"] = Field("exact", description="exact: cosine over the index's vectors; chroma: Chroma's HNSW query")
    candidates: int = Field(50, ge=1, description="passages taken from each of the dense and lexical lists")
    rrf_k: int = Field(60, ge=0, description="reciprocal-rank-fusion constant")
    dense_weight: float = Field(1.0, ge=0, description="weight of the dense list in the fusion")
    lexical_weight: float = Field(1.0, ge=0, description="weight of the BM25 list in the fusion")
    named_doc_bonus: float = Field(0.5, ge=0, description="bonus, in first-place RRF units, for passages of a document the question names")
    same_wording: float = Field(0.7, ge=0, le=1, description="share of a passage's words a named document's passage must hold "
                                "for the named one to be ranked above it (named-wording)")
    top_k: int = Field(10, ge=1, description="passages returned")
    group_floor: float = Field(0.7, ge=0, le=1, description="a document group (treaty text, submission, instruments) missing from the top 5 is lifted in when its best passage scores at least this share of the top one")
    # The stages after fusion, in order: scoring stages first, then those that order the ranking
    # (assistant/retrieve/stages.py registers them by name; a new one is added by name here).
    stages: list[str] = Field(["coverage", "far-ahead", "references", "crossrefs", "crossref-follow", "quantity", "definition",
                               "named-documents", "each-document-first", "named-wording", "lift-groups", "spread", "keep-groups"],
                              description="rerank stages run in order after fusion (names registered in assistant.plugins.STAGES)")
    # all-MiniLM-L6-v2's best cosine says how sure the dense list is. Over the evaluation set, when the
    # best match stays below about 0.6 the gold passage is ranked far lower by the dense model than by
    # BM25 (bench/RESULTS.md), so that list then counts for less, down to half below 0.5.
    dense_sure: float = Field(0.6, description="best dense cosine at or above which the dense list keeps its full weight")
    dense_unsure: float = Field(0.5, description="best dense cosine at or below which the dense list weighs dense_unsure_weight")
    dense_unsure_weight: float = Field(0.5, ge=0, le=1, description="share of its weight an unsure dense list keeps")
    # A passage holding more of the question's concepts (its words or the terms of art they stand for)
    # is scaled up by up to this share: BM25 favours short passages that repeat one rare word, the dense
    # model passages near the question's general subject; neither asks whether all of it is addressed.
    coverage_weight: float = Field(0.2, ge=0, description="a passage covering all of the question's concepts is scaled up by this share")
    # BM25's first passage scoring this many times its second is the passage the question quotes or
    # closely echoes; rank fusion alone would weigh it like any first place, and the dense model may
    # not rank it at all (a rare phrase the question repeats word for word can sit low in the dense list).
    dominant_ratio: float = Field(1.5, gt=0, description="BM25's first passage is far ahead at this multiple of its second's score")
    dominant_bonus: float = Field(1.0, ge=0, description="bonus, in first-place BM25 units, for a passage far ahead in BM25")
    # Bonuses below are in RRF units: 1/(rrf_k+1) is what a first place in one list is worth.
    article_bonus: float = Field(4.5, ge=0, description="bonus for a paragraph of an article the question names; above a mention (2) "
                                 "plus first places in both lists (2), so a named article leads")
    paragraph_bonus: float = Field(1.0, ge=0, description="further bonus when the question names that paragraph too")
    mention_bonus: float = Field(2.0, ge=0, description="bonus for a passage that mentions an article the question names")
    neighbour_bonus: float = Field(1.0, ge=0, description="bonus for a scored passage next to one that mentions a named article")
    crossref_bonus: float = Field(2.0, ge=0, description="bonus for the best paragraph of an article a named article refers to")
    # A candidate's provision that refers elsewhere ("subject to Articles 14 and 15") brings the
    # provisions it names, and one that another provision names brings that one (retrieve/follow.py).
    follow_depth: int = Field(5, ge=0, description="first places whose cross-references are followed")
    follow_bonus: float = Field(0.1, ge=0, description="bonus for a provision a candidate refers to, or that refers to it")
    follow_conditions_bonus: float = Field(2.0, ge=0, description="that bonus when the question asks about conditions, "
                                           "safeguards, oversight, exceptions or derogation and the provision speaks of a safeguard")
    quantity_bonus: float = Field(0.5, ge=0, description="bonus for a passage stating a quantity, when the question asks for one")
    definition_bonus: float = Field(2.0, ge=0, description="bonus for a passage defining the term the question asks about")
    group_depth: int = Field(5, ge=1, description="first places in which each document group is looked for (group_floor)")
    # A question that names several texts asks about each: the first places hold at most so many
    # passages of one text and paragraphs of one article (unless the question names that article), so
    # that the many paragraphs of one long article cannot keep a second document's passage, or another
    # provision of the same text, out of sight. Measured in bench/RESULTS.md (sixth session).
    spread_depth: int = Field(5, ge=1, description="first places spread over the texts a question names")
    per_document: int = Field(3, ge=1, description="passages of one text among those first places")
    per_article: int = Field(2, ge=1, description="paragraphs of one article among those first places")

    @model_validator(mode="after")
    def _dense_bounds(self) -> "RetrievalSettings":
        if self.dense_sure <= self.dense_unsure:
            raise ValueError("dense_sure must be above dense_unsure")
        return self


class QuerySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules_off: list[str] = Field([], description="phrasing rules of assistant/query/rules.toml switched off, by name "
                                 "(for measuring what each one does)")


class AnswerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    backend: str = Field("extractive", description="answer backend")
    max_sentences: int = Field(4, ge=1, description="sentences in an extractive answer")
    # Calibrated on evals/questions.jsonl (bench/RESULTS.md): below these evidence scores we abstain.
    abstain_below: float = Field(0.2, ge=0, description="evidence threshold under which the answer abstains")
    abstain_below_unindexed: float = Field(0.55, ge=0, description="threshold when the question names only documents that are not indexed, or names something no indexed passage mentions")
    passages: int = Field(6, ge=1, description="retrieved passages given to a language model")
    # Calibrated by evals/calibrate_support.py (bench/RESULTS.md): a generated sentence whose support
    # from the passages it cites is below this is marked unsupported.
    support_threshold: float = Field(0.71, ge=0, le=1, description="support score under which a generated sentence is unsupported")


class _Generation(BaseModel):
    """What every language-model backend is told about the answer it writes."""

    model_config = ConfigDict(extra="forbid")
    max_tokens: int = Field(400, ge=1, description="longest answer in tokens")
    temperature: float = Field(0.0, ge=0, description="sampling temperature")


class LlamaCppSettings(_Generation):
    model_path: Path | None = Field(None, description="GGUF model file")
    n_ctx: int = Field(4096, ge=1, description="context window in tokens")
    n_threads: int | None = Field(None, ge=1, description="CPU threads (default: all cores)")
    seed: int = Field(0, description="sampling seed, for repeatable answers")


class _Server(_Generation):
    timeout: float = Field(120.0, gt=0, description="seconds to wait for the server")


class OllamaSettings(_Server):
    base_url: str = Field("http://localhost:11434", description="Ollama server")
    model: str = Field("llama3.2", description="model name as `ollama list` shows it")


class OpenAISettings(_Server):
    base_url: str | None = Field(None, description="OpenAI-compatible server, e.g. http://localhost:8000/v1 (vLLM, llama.cpp, LM Studio); unset: the OpenAI API")
    model: str = Field("gpt-4o-mini", description="model name the server knows")
    api_key: SecretStr | None = Field(None, description="API key (also read from OPENAI_API_KEY); local servers accept any")


class FetchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timeout: float = Field(30.0, gt=0, description="seconds to wait for a connection, and for each piece of a download")
    retries: int = Field(3, ge=0, description="further attempts after a connection error, a timeout or a 5xx answer (never after a 4xx)")
    backoff: float = Field(1.0, ge=0, description="seconds before the first retry, doubled before each next one")
    max_mb: float = Field(100.0, gt=0, description="downloads larger than this are refused")
    deadline: float = Field(600.0, gt=0, description="seconds one document's download may take in all: connections, "
                            "redirects, retries, waits and a slow body count; what arrived is kept to continue")
    ca_file: Path | None = Field(None, description="PEM file of the certificate authorities to trust instead of the "
                                 "bundled ones (for a network whose proxy inspects TLS)")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TREATY_", env_nested_delimiter="__", extra="forbid")
    data_dir: Path = Field(default_factory=default_data_dir, description="index and model cache")
    corpus_dir: Path | None = Field(default_factory=default_corpus_dir, description="folder with local copies of registered documents")
    index: IndexSettings = IndexSettings()
    query: QuerySettings = QuerySettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    fetch: FetchSettings = FetchSettings()
    llamacpp: LlamaCppSettings = LlamaCppSettings()
    ollama: OllamaSettings = OllamaSettings()
    openai: OpenAISettings = OpenAISettings()

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        return init_settings, env_settings, _ShortEnv(settings_cls), _ConfigFile(settings_cls)


class _ShortEnv(PydanticBaseSettingsSource):
    """TREATY_BACKEND for TREATY_ANSWER__BACKEND, and the key that OpenAI clients read."""

    def get_field_value(self, field, field_name):  # pragma: no cover - not used: __call__ does the work
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if os.environ.get("TREATY_BACKEND"):
            out["answer"] = {"backend": os.environ["TREATY_BACKEND"]}
        if os.environ.get("OPENAI_API_KEY"):
            out["openai"] = {"api_key": os.environ["OPENAI_API_KEY"]}
        return out


class _ConfigFile(PydanticBaseSettingsSource):
    def get_field_value(self, field, field_name):  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = config_file()
        if not path.exists():
            if os.environ.get("TREATY_CONFIG"):
                raise UsageError(f"config file {path} does not exist: check --config / TREATY_CONFIG")
            return {}
        try:
            with open(path, "rb") as fh:
                return tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"config file {path} is not valid TOML ({exc}): fix it or move it away") from None
        except OSError as exc:
            raise UsageError(f"config file {path} cannot be read ({exc.strerror})") from None


def load_settings(**overrides) -> Settings:
    """Settings with every source applied; a bad value anywhere is one line naming the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise UsageError(f"bad setting {_where(err['loc'], err.get('input'))}: {_problem(err)}") from None


def _where(loc: tuple, value: Any) -> str:
    """The setting as the user wrote it: the environment variable that gave it, else the file's key."""
    env = "TREATY_" + "__".join(str(p) for p in loc).upper()
    names = [env] + (["TREATY_BACKEND"] if loc == ("answer", "backend") else [])
    given = next((k for k in os.environ if k.upper() in names), None)  # pydantic-settings ignores case
    if given:
        return f"{given}={'********' if 'key' in str(loc[-1]) else os.environ[given]}"
    shown = f"{'.'.join(str(p) for p in loc)}" + (f" = {value!r}" if isinstance(value, (str, int, float)) else "")
    return f"{shown} in {config_file()}" if config_file().exists() else f"{shown} (from a flag)"


# pydantic's words for a bad value, as the rest of the CLI says them
_PROBLEMS = {
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false",
    "literal_error": "must be {expected}",
    "extra_forbidden": "no such setting (`treaty config show` lists them)",
}


def _problem(err: dict) -> str:
    template = _PROBLEMS.get(err["type"])
    if template:  # a bound of 0 on a float field comes as 0.0: shown as the user would write it
        return template.format(**{k: f"{v:g}" if isinstance(v, float) else v for k, v in err.get("ctx", {}).items()})
    msg = err["msg"].removeprefix("Value error, ")
    return msg[:1].lower() + msg[1:]
