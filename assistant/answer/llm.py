"""LangChain chat models for the generative backends: llama.cpp in-process (a GGUF file), an Ollama
server, or any OpenAI-compatible server (vLLM, llama.cpp's server, LM Studio, the OpenAI API).

Each backend package is optional and imported inside its factory. Building a model contacts nothing:
a server is first reached when the answer is streamed, and every failure then comes back as one
BackendError line that names the problem and the fix (`translate`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage

from ..errors import BackendError, RegistryError
from ..settings import Settings
from .llamacpp import LlamaCppChat, check_gguf


OPENAI_URL = "https://api.openai.com/v1"
# backend -> (pip package, extra of this project)
PACKAGES = {"llamacpp": ("llama-cpp-python", "llamacpp"), "ollama": ("langchain-ollama", "ollama"),
            "openai": ("langchain-openai", "openai")}


def _missing(name: str) -> BackendError:
    package, extra = PACKAGES[name]
    return BackendError(f"backend '{name}' needs {package}: pip install -e '.[{extra}]'")


# --- llama.cpp, in-process (the model itself is llamacpp.py) ----------------------------------------

def _llamacpp(settings: Settings) -> BaseChatModel:
    s = settings.llamacpp
    path = check_gguf(s.model_path)
    try:
        import llama_cpp  # noqa: F401  (fail here, not at the first question)
    except ImportError:
        raise _missing("llamacpp") from None
    return LlamaCppChat(model_path=str(path), n_ctx=s.n_ctx, n_threads=s.n_threads, max_tokens=s.max_tokens,
                        temperature=s.temperature, seed=s.seed)


# --- servers ---------------------------------------------------------------------------------------

def _ollama(settings: Settings) -> BaseChatModel:
    s = settings.ollama
    try:
        from langchain_ollama import ChatOllama
    except ImportError:
        raise _missing("ollama") from None
    return ChatOllama(base_url=s.base_url, model=s.model, temperature=s.temperature, num_predict=s.max_tokens,
                      client_kwargs={"timeout": s.timeout})


def _openai_key(settings: Settings) -> str:
    s = settings.openai
    if s.api_key is not None and s.api_key.get_secret_value():
        return s.api_key.get_secret_value()
    if os.environ.get("OPENAI_API_KEY"):
        return os.environ["OPENAI_API_KEY"]
    if s.base_url:
        return "not-needed"  # local OpenAI-compatible servers accept any key
    raise BackendError("backend 'openai' needs an API key: set OPENAI_API_KEY (or openai.api_key in treaty.toml), "
                       "or set openai.base_url to a local OpenAI-compatible server")


def _openai(settings: Settings) -> BaseChatModel:
    s = settings.openai
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        raise _missing("openai") from None
    # langchain-openai sends the limit as max_completion_tokens; llama.cpp's Python server, LM Studio and
    # older vLLM read only max_tokens and would otherwise write until the context is full.
    extra = {"max_tokens": s.max_tokens} if s.base_url and "api.openai.com" not in s.base_url else None
    return ChatOpenAI(base_url=s.base_url, model=s.model, api_key=_openai_key(settings), temperature=s.temperature,
                      max_tokens=s.max_tokens, timeout=s.timeout, max_retries=1, streaming=True, extra_body=extra)


CHAT_MODELS: dict[str, Callable[[Settings], BaseChatModel]] = {"llamacpp": _llamacpp, "ollama": _ollama,
                                                              "openai": _openai}


def _known(name: str) -> None:
    if name not in CHAT_MODELS:
        raise RegistryError(f"unknown chat-model backend '{name}': known chat-model backends are "
                            f"{', '.join(sorted(CHAT_MODELS))}")


def chat_model(name: str, settings: Settings) -> BaseChatModel:
    """The LangChain chat model of backend `name`, built from its settings section; nothing is contacted."""
    _known(name)
    return CHAT_MODELS[name](settings)


def _url(name: str, settings: Settings) -> str:
    if name == "ollama":
        return settings.ollama.base_url.rstrip("/")
    return (settings.openai.base_url or OPENAI_URL).rstrip("/")


def describe(name: str, settings: Settings) -> str:
    """One phrase naming the model and where it runs, for answer notes and `config show`."""
    _known(name)
    if name == "llamacpp":
        path = settings.llamacpp.model_path
        return f"llamacpp {Path(path).name}" if path else "llamacpp (llamacpp.model_path not set)"
    model = settings.ollama.model if name == "ollama" else settings.openai.model
    return f"{name} {model} at {_url(name, settings)}"


# --- errors ----------------------------------------------------------------------------------------

def _one_line(text: object, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _is(exc: BaseException, package: str, *names: str) -> bool:
    """isinstance by name, so that translating never imports a package that may be missing."""
    return any(c.__module__.split(".")[0] == package and c.__name__ in names for c in type(exc).__mro__)


def _find(exc: BaseException, test: Callable[[BaseException], bool]) -> BaseException | None:
    return next((e for e in _chain(exc) if test(e)), None)


def _status(exc: BaseException) -> int | None:
    for e in _chain(exc):
        code = getattr(e, "status_code", None)
        if isinstance(code, int):
            return code
    return None


def _server_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if isinstance(body, dict) and (body.get("message") or body.get("error")):
        return _one_line(body.get("message") or body.get("error"))
    return _one_line(getattr(exc, "error", None) or getattr(exc, "message", None) or exc)


def translate(exc: BaseException, name: str, settings: Settings) -> BackendError:
    """Any failure of a backend as one BackendError line with the fix."""
    if isinstance(exc, BackendError):
        return exc
    if isinstance(exc, ImportError):
        if name in PACKAGES:
            return _missing(name)
        return BackendError(f"backend '{name}' cannot be imported ({_one_line(exc)}): reinstall it")
    if name == "llamacpp":
        return _translate_llamacpp(exc, settings)
    url = _url(name, settings)
    model = settings.ollama.model if name == "ollama" else settings.openai.model
    timeout = settings.ollama.timeout if name == "ollama" else settings.openai.timeout
    if name == "ollama":
        server, start = "the Ollama server", "start it with `ollama serve`"
    elif settings.openai.base_url:
        server, start = "the OpenAI-compatible server", \
            "start it (e.g. `python -m llama_cpp.server --model FILE.gguf`)"
    else:
        server, start = "the OpenAI API", "check the network connection"
    timed_out = _find(exc, lambda e: isinstance(e, TimeoutError) or _is(e, "httpx", "TimeoutException")
                      or _is(e, "openai", "APITimeoutError"))
    if timed_out is not None:
        return BackendError(f"{server} at {url} did not answer within {timeout:g} s: raise {name}.timeout "
                            f"(TREATY_{name.upper()}__TIMEOUT) or use a smaller model")
    unreachable = _find(exc, lambda e: isinstance(e, ConnectionError) or _is(e, "httpx", "ConnectError", "NetworkError")
                        or _is(e, "openai", "APIConnectionError"))
    if unreachable is not None:
        return BackendError(f"{server} is not reachable at {url}: {start}, or set {name}.base_url "
                            f"(TREATY_{name.upper()}__BASE_URL or treaty.toml)")
    status = _status(exc)
    detail = _server_message(exc)
    if status in (401, 403):
        return BackendError(f"{server} at {url} refused the API key ({status}: {detail}): set OPENAI_API_KEY "
                            "or openai.api_key")
    if status == 404 or ("not found" in detail.lower() and "model" in detail.lower()):
        if name == "ollama":
            return BackendError(f"Ollama at {url} has no model '{model}': run `ollama pull {model}`, or set "
                                "ollama.model to one `ollama list` shows")
        return BackendError(f"{server} at {url} has no model '{model}' ({detail}): set openai.model "
                            f"(TREATY_OPENAI__MODEL) to one listed at {url}/models")
    if status == 429:
        return BackendError(f"{server} at {url} refused the request: rate limit or quota exceeded ({detail}); "
                            "wait and retry, or check the account")
    if status == 400 and "context" in detail.lower():
        return BackendError(f"the prompt does not fit the context of '{model}' at {url} ({detail}): lower "
                            "answer.passages or use a model with a longer context")
    if status is not None:
        return BackendError(f"{server} at {url} answered {status} ({detail}): check the server's log and "
                            f"the {name} settings")
    return BackendError(f"backend '{name}' failed ({type(exc).__name__}: {_one_line(exc)}): check the {name} settings")


def _translate_llamacpp(exc: BaseException, settings: Settings) -> BackendError:
    s = settings.llamacpp
    text = _one_line(exc)
    if "exceed context window" in text:
        return BackendError(f"the prompt does not fit llamacpp.n_ctx {s.n_ctx} ({text}): raise llamacpp.n_ctx "
                            "(TREATY_LLAMACPP__N_CTX) or lower answer.passages")
    if "Failed to load model" in text or "Model path does not exist" in text or "Failed to create llama_context" in text:
        return BackendError(f"llama.cpp could not load llamacpp.model_path {s.model_path} ({text}): use a valid GGUF "
                            "file, or upgrade llama-cpp-python for newer model architectures")
    if isinstance(exc, MemoryError):
        return BackendError(f"not enough memory for {s.model_path} with n_ctx {s.n_ctx}: lower llamacpp.n_ctx "
                            "or use a smaller model")
    if isinstance(exc, OSError):
        return BackendError(f"llamacpp.model_path {s.model_path} cannot be read ({exc.strerror or text}): check the file")
    return BackendError(f"backend 'llamacpp' failed ({type(exc).__name__}: {text}): check the llamacpp settings")


# --- streaming -------------------------------------------------------------------------------------

def _text(chunk: BaseMessage) -> str:
    text = chunk.text
    return text if isinstance(text, str) else text()


def stream_text(model: BaseChatModel, messages, name: str, settings: Settings) -> Iterator[str]:
    """The answer as it is written, piece by piece; any backend failure re-raised as `translate(...)`."""
    try:
        for chunk in model.stream(messages):
            text = _text(chunk)
            if text:
                yield text
    except BackendError:
        raise
    except Exception as exc:
        raise translate(exc, name, settings) from exc
