"""llama.cpp in the assistant's own process, as a LangChain chat model (`LlamaCppChat`): a GGUF file
checked before anything loads, loaded once per process and settings, its C logging kept off the
terminal, and the chat messages in the shape its chat template reads."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from ..errors import BackendError


_LOADED: dict[tuple[str, int, int], Any] = {}
_LOAD_LOCK = threading.Lock()
_LOG_CALLBACK = None  # kept alive: llama.cpp holds a pointer to it


def check_gguf(path: Path | str | None) -> Path:
    """The configured model file, or a BackendError saying what to set. Reads 4 bytes, loads nothing."""
    if path is None or str(path) == "":
        raise BackendError("set llamacpp.model_path (TREATY_LLAMACPP__MODEL_PATH or treaty.toml) to a GGUF file")
    p = Path(path).expanduser()
    if not p.is_file():
        what = "is a folder" if p.is_dir() else "does not exist"
        raise BackendError(f"llamacpp.model_path {p} {what}: set it (TREATY_LLAMACPP__MODEL_PATH or treaty.toml) "
                           "to a GGUF file")
    try:
        with open(p, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise BackendError(f"llamacpp.model_path {p} cannot be read ({exc.strerror}): check its permissions") from None
    if magic != b"GGUF":
        raise BackendError(f"llamacpp.model_path {p} is not a GGUF file: point it at a .gguf model "
                           "(convert others with llama.cpp's convert_hf_to_gguf.py)")
    return p


def _quiet_llama_cpp() -> None:
    """llama.cpp logs some notices at error level even with verbose=False (Gemma 3's "using full-size SWA
    cache"): send its log to Python logging at debug level instead of stderr. Failures still surface as
    exceptions, which `translate` turns into one line."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is not None:
        return
    import ctypes
    import logging

    import llama_cpp

    log = logging.getLogger("assistant.llama_cpp")

    @llama_cpp.llama_log_callback
    def callback(level, text, user_data):
        log.debug("%s", text.decode("utf-8", "replace").rstrip())

    _LOG_CALLBACK = callback
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


def _load_llama(path: Path, n_ctx: int, n_threads: int):
    """One llama_cpp.Llama per (file, context, threads) per process: loading is the slow part."""
    key = (str(path.resolve()), n_ctx, n_threads)
    with _LOAD_LOCK:
        if key not in _LOADED:
            # without llama-cpp-python this raises ImportError, which llm.translate turns into the install hint
            from llama_cpp import Llama

            _quiet_llama_cpp()
            llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
                          verbose=False)
            meta = llama.metadata or {}
            if "tokenizer.chat_template" not in meta and meta.get("general.architecture", "").startswith("gemma"):
                # A Gemma GGUF without a template (e.g. a base model): Gemma's turn format, not the llama-2
                # fallback llama-cpp-python would pick.
                llama.chat_format = "gemma"
            _LOADED[key] = llama
        return _LOADED[key]


def _folds_system(llama) -> bool:
    """Gemma has no system role: its own template prepends the system text to the first user turn, and
    llama-cpp-python's built-in "gemma" format drops system messages altogether."""
    return (llama.metadata or {}).get("general.architecture", "").startswith("gemma") or llama.chat_format == "gemma"


_ROLES = {"system": "system", "human": "user", "ai": "assistant", "tool": "tool", "function": "function"}


def _chat_messages(messages: Iterable[BaseMessage], fold_system: bool = False) -> list[dict[str, str]]:
    """LangChain messages as llama.cpp chat messages; with `fold_system`, leading system messages go into
    the first user turn, separated by a blank line (as Gemma's template does)."""
    out: list[dict[str, str]] = []
    system: list[str] = []
    for m in messages:
        role = _ROLES.get(m.type, "user")
        text = m.text if isinstance(m.text, str) else m.text()
        if fold_system and role == "system" and not out:
            system.append(text)
            continue
        if system and role == "user":
            text = "\n\n".join([*system, text])
            system = []
        out.append({"role": role, "content": text})
    if system:  # system messages only
        out.insert(0, {"role": "user", "content": "\n\n".join(system)})
    return out


class LlamaCppChat(BaseChatModel):
    """A chat model over `llama_cpp.Llama.create_chat_completion`, with the chat template of the GGUF file.
    The model file is loaded on first use and kept for the process."""

    model_path: str
    n_ctx: int = 4096
    n_threads: int | None = None
    max_tokens: int = 400
    temperature: float = 0.0
    seed: int = 0

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "max_tokens": self.max_tokens,
                "temperature": self.temperature, "seed": self.seed}

    def _llama(self):
        return _load_llama(check_gguf(self.model_path), self.n_ctx, self.n_threads or os.cpu_count() or 1)

    def _call(self, messages: list[BaseMessage], stop: list[str] | None, stream: bool, **kwargs: Any):
        llama = self._llama()
        params = {"stream": stream, "stop": stop or [], "max_tokens": kwargs.get("max_tokens", self.max_tokens),
                  "temperature": kwargs.get("temperature", self.temperature), "seed": kwargs.get("seed", self.seed)}
        try:
            return llama.create_chat_completion(messages=_chat_messages(messages, _folds_system(llama)), **params)
        except ValueError as exc:
            # A template that refuses a system role (its raise_exception): fold it into the first user turn.
            if "role" not in str(exc).lower() or not any(m.type == "system" for m in messages):
                raise
            return llama.create_chat_completion(messages=_chat_messages(messages, True), **params)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        response = self._call(messages, stop, False, **kwargs)
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        message = AIMessage(content=choice["message"].get("content") or "", usage_metadata={
            "input_tokens": usage.get("prompt_tokens", 0), "output_tokens": usage.get("completion_tokens", 0),
            "total_tokens": usage.get("total_tokens", 0)} if usage else None)
        return ChatResult(generations=[ChatGeneration(message=message,
                                                      generation_info={"finish_reason": choice.get("finish_reason")})])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for part in self._call(messages, stop, True, **kwargs):
            choice = part["choices"][0]
            text = choice.get("delta", {}).get("content") or ""
            finish = choice.get("finish_reason")
            if not text and not finish:
                continue
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=text),
                                        generation_info={"finish_reason": finish} if finish else None)
            if run_manager and text:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk
