"""Chat-model backends with real models and nothing beyond loopback: the tiny Gemma 3 270M GGUF in
process (llamacpp), the same file behind llama.cpp's OpenAI-compatible server (openai), and the
one-line errors for servers that are not running, bad model files and unknown names."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.answer.llm import (
    CHAT_MODELS,
    chat_model,
    describe,
    stream_text,
    translate,
)
from assistant.errors import BackendError, RegistryError
from assistant.settings import Settings

# llama.cpp runs in the test's process: in an interpreter of its own, a crash fails that test only.
in_own_process = pytest.mark.isolated

SYSTEM = "You answer in one short sentence."
QUESTION = "What is the capital of France?"


class OutsideLoopback(AssertionError):
    pass


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Every socket connection in this file goes to 127.0.0.1/::1 (or a Unix socket), or the test fails."""
    attempts = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                loopback = ipaddress.ip_address(host.split("%")[0]).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                attempts.append(address)
                raise OutsideLoopback(f"connection outside loopback attempted: {address!r}")

    def connect(sock, address):
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        check(sock, address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield attempts
    assert not attempts, f"connections outside loopback: {attempts}"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No user config, no TREATY_* variables, no OpenAI key from the environment."""
    for key in list(os.environ):
        if key.startswith("TREATY_") or key == "OPENAI_API_KEY":
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings(tmp_path, **sections) -> Settings:
    return Settings(data_dir=tmp_path / "data", corpus_dir=None, **sections)


def small(tmp_path, path, **extra) -> Settings:
    return settings(tmp_path, llamacpp={"model_path": path, "n_ctx": 2048, "max_tokens": 64, **extra})


def ask():
    return [SystemMessage(SYSTEM), HumanMessage(QUESTION)]


def one_line(err: BackendError) -> str:
    assert "\n" not in err.message and err.exit_code == 5
    return err.message


# --- llamacpp, in process ----------------------------------------------------------------------------

@in_own_process
def test_llamacpp_streams_through_langchain(tmp_path, gemma_gguf):
    s = small(tmp_path, gemma_gguf)
    model = chat_model("llamacpp", s)
    assert describe("llamacpp", s) == "llamacpp gemma-3-270m-q4_k_m.gguf"

    chunks = [c.text for c in model.stream(ask())]
    text = "".join(chunks)
    assert len([c for c in chunks if c]) >= 3, chunks
    assert text.strip()

    # Second call through a new model object: the loaded Llama is reused, and temperature 0 with a
    # fixed seed repeats the answer.
    again_model = chat_model("llamacpp", s)
    assert again_model._llama() is model._llama()  # no reload; no timing asserted, the machine may be busy
    again = "".join(stream_text(again_model, ask(), "llamacpp", s))
    assert again == text

    # invoke (not streamed) gives the same text and reports token usage.
    reply = model.invoke(ask())
    assert reply.text == text
    assert reply.usage_metadata["output_tokens"] > 0


@in_own_process
def test_llamacpp_system_prompt_reaches_the_model(tmp_path, gemma_gguf):
    """Gemma has no system role and the file carries no chat template: the system text must still be in
    the prompt (folded into the first user turn), not dropped as llama-cpp-python's "gemma" format does."""
    model = chat_model("llamacpp", small(tmp_path, gemma_gguf))
    system = "Answer in French, in one sentence, and never mention numbers."
    with_system = model.invoke([SystemMessage(system), HumanMessage(QUESTION)], max_tokens=1)
    without = model.invoke([HumanMessage(QUESTION)], max_tokens=1)
    alone = model.invoke([HumanMessage(system)], max_tokens=1)
    n = lambda m: m.usage_metadata["input_tokens"]
    # Folded into one turn: one turn's framing, so fewer tokens than two separate turns would take.
    assert n(without) < n(with_system) < n(without) + n(alone), (n(with_system), n(without), n(alone))


def test_llamacpp_missing_path(tmp_path):
    with pytest.raises(BackendError) as e:
        chat_model("llamacpp", settings(tmp_path))
    assert one_line(e.value) == ("set llamacpp.model_path (TREATY_LLAMACPP__MODEL_PATH or treaty.toml) "
                                 "to a GGUF file")
    with pytest.raises(BackendError) as e:
        chat_model("llamacpp", small(tmp_path, tmp_path / "nope.gguf"))
    assert "does not exist" in one_line(e.value) and "nope.gguf" in e.value.message


def test_llamacpp_not_a_gguf_file(tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"this is not a model\n" * 100)
    with pytest.raises(BackendError) as e:
        chat_model("llamacpp", small(tmp_path, bad))
    assert "is not a GGUF file" in one_line(e.value)


@in_own_process
def test_llamacpp_truncated_gguf_fails_when_loaded(tmp_path, gemma_gguf):
    """GGUF magic but a cut-off file: llama.cpp's own refusal becomes one line at the first question."""
    cut = tmp_path / "cut.gguf"
    with open(gemma_gguf, "rb") as fh:
        cut.write_bytes(fh.read(1 << 20))
    s = small(tmp_path, cut)
    model = chat_model("llamacpp", s)
    with pytest.raises(BackendError) as e:
        list(stream_text(model, ask(), "llamacpp", s))
    assert "could not load" in one_line(e.value) and str(cut) in e.value.message


@in_own_process
def test_llamacpp_prompt_longer_than_context(tmp_path, gemma_gguf):
    s = settings(tmp_path, llamacpp={"model_path": gemma_gguf, "n_ctx": 256, "max_tokens": 8})
    with pytest.raises(BackendError) as e:
        list(stream_text(chat_model("llamacpp", s), [HumanMessage("word " * 400)], "llamacpp", s))
    assert "llamacpp.n_ctx 256" in one_line(e.value) and "answer.passages" in e.value.message


@pytest.mark.llama
def test_llamacpp_build_is_portable():
    """The native build carries no instructions chosen for the machine it was built on (AVX-512, AMX,
    VNNI): a build tuned to one CPU crashed on another. .ci/run and the README build it with
    GGML_NATIVE=OFF, which targets AVX2, and without pip's cache of earlier native builds."""
    import llama_cpp

    features = llama_cpp.llama_print_system_info().decode()
    assert "AVX2 = 1" in features and "AVX512" not in features and "AMX" not in features, features
    objdump = shutil.which("objdump")
    assert objdump, "objdump (binutils) is needed to inspect the llama.cpp build"
    tuned = re.compile(r"%zmm|\{%k[1-7]\}|ldtilecfg|tdpb|vpdpbusd|vpdpwssd")
    libs = sorted((Path(llama_cpp.__file__).parent / "lib").glob("libggml*.so"))
    assert libs, f"no libggml*.so beside {llama_cpp.__file__}: the build's layout changed, so this check reads nothing"
    for lib in libs:
        listing = subprocess.run([objdump, "-d", "--no-show-raw-insn", str(lib)], capture_output=True, text=True, check=True)
        found = tuned.search(listing.stdout)
        assert found is None, f"{lib.name} holds {found.group(0)}: rebuild with CMAKE_ARGS=-DGGML_NATIVE=OFF and --no-cache-dir"


# --- openai, against llama.cpp's OpenAI-compatible server --------------------------------------------

@pytest.fixture(scope="module")
def llama_server(gemma_gguf, tmp_path_factory):
    import httpx

    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gemma_gguf), "--host",
                                 "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--chat_format", "gemma", "--n_threads",
                                 str(os.cpu_count() or 1)], stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                models = httpx.get(f"{base}/models", timeout=2, trust_env=False)
                if models.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer within 60 s: {log.read_text()[-2000:]}")
            time.sleep(0.25)
        yield base, models.json()["data"][0]["id"]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_openai_streams_from_a_local_server(tmp_path, llama_server):
    base, model_id = llama_server
    s = settings(tmp_path, openai={"base_url": base, "model": model_id, "max_tokens": 64})
    assert describe("openai", s) == f"openai {model_id} at {base}"
    chunks = list(stream_text(chat_model("openai", s), ask(), "openai", s))
    assert len(chunks) >= 3, chunks
    assert "".join(chunks).strip()
    # The limit reaches a server that reads only max_tokens (not max_completion_tokens).
    short = settings(tmp_path, openai={"base_url": base, "model": model_id, "max_tokens": 5})
    assert 1 <= len(list(stream_text(chat_model("openai", short), ask(), "openai", short))) <= 5


# --- servers that are not there, unknown names ------------------------------------------------------

def test_ollama_not_running(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    s = settings(tmp_path, ollama={"base_url": url, "model": "llama3.2"})
    model = chat_model("ollama", s)  # contacts nothing
    assert describe("ollama", s) == f"ollama llama3.2 at {url}"
    with pytest.raises(BackendError) as e:
        list(stream_text(model, ask(), "ollama", s))
    msg = one_line(e.value)
    assert msg.startswith(f"the Ollama server is not reachable at {url}: ") and "ollama serve" in msg, msg


def test_ollama_server_that_never_answers(tmp_path):
    """A loopback socket that accepts connections and says nothing: the timeout, in one line."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        s = settings(tmp_path, ollama={"base_url": url, "timeout": 0.5})
        with pytest.raises(BackendError) as e:
            list(stream_text(chat_model("ollama", s), ask(), "ollama", s))
    assert one_line(e.value).startswith(f"the Ollama server at {url} did not answer within 0.5 s: raise ollama.timeout")


def test_openai_not_running(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    s = settings(tmp_path, openai={"base_url": url, "model": "any", "timeout": 5})
    model = chat_model("openai", s)
    with pytest.raises(BackendError) as e:
        list(stream_text(model, ask(), "openai", s))
    msg = one_line(e.value)
    assert msg.startswith(f"the OpenAI-compatible server is not reachable at {url}: "), msg


def test_openai_without_key_or_server(tmp_path):
    with pytest.raises(BackendError) as e:
        chat_model("openai", settings(tmp_path))
    assert "OPENAI_API_KEY" in one_line(e.value)


def test_translate_server_answers(tmp_path):
    """The answers a server can give, as the client libraries raise them."""
    import httpx
    import ollama
    import openai

    s = settings(tmp_path, openai={"base_url": "http://127.0.0.1:9/v1", "model": "m"})
    req = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")

    def status(cls, code, body):
        return cls("x", response=httpx.Response(code, request=req), body=body)

    cases = {
        "refused the API key": status(openai.AuthenticationError, 401, {"message": "bad key"}),
        "has no model 'm'": status(openai.NotFoundError, 404, {"message": "model m not found"}),
        "did not answer within 120 s": openai.APITimeoutError(request=req),
        "rate limit": status(openai.RateLimitError, 429, {"message": "slow down"}),
        "answered 500": status(openai.InternalServerError, 500, {"message": "boom\ntrace"}),
    }
    for phrase, exc in cases.items():
        assert phrase in one_line(translate(exc, "openai", s)), phrase
    o = settings(tmp_path)
    missing = translate(ollama.ResponseError("model 'llama3.2' not found", 404), "ollama", o)
    assert "ollama pull llama3.2" in one_line(missing)
    assert one_line(translate(ImportError("no langchain_ollama"), "ollama", o)) == \
        "backend 'ollama' needs langchain-ollama: pip install -e '.[ollama]'"


def test_unknown_backend(tmp_path):
    with pytest.raises(RegistryError) as e:
        chat_model("gpt5", settings(tmp_path))
    assert "llamacpp, ollama, openai" in e.value.message
    assert sorted(CHAT_MODELS) == ["llamacpp", "ollama", "openai"]


def test_guard_refuses_outside_loopback(loopback_only):
    with socket.socket() as s, pytest.raises(OutsideLoopback):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed
    assert loopback_only == [("192.0.2.1", 80)]
    loopback_only.clear()  # expected here: keep the guard's teardown check from failing this test


# --- the whole pipeline with real models: the plumbing and the verifier's findings, not the quality ---

PIPELINE_QUESTION = "Does Article 21 of the Budapest Convention require judicial oversight?"


def _check_findings(obj: dict) -> None:
    v = obj["verification"]
    # a yes/no question: the model is given the verdict read from the provisions (answer-v3)
    assert obj["prompt"] == "answer-v3" and obj["verdict"]["label"] == "conditional" and v["sentences"] >= 1
    flagged = {i["sentence"] for i in v["issues"]}
    assert v["supported"] == v["sentences"] - len(flagged)  # every unsupported sentence says why
    assert all(i["issue"] and i["text"] for i in v["issues"])
    if v["supported"] == 0:  # nothing held: the user gets the quoted answer instead, and is told so
        assert "extractive answer follows" in obj["notes"][0] and obj["citations"]


@in_own_process
def test_llamacpp_answer_streams_and_is_verified(assistant, gemma_gguf):
    from assistant.answer import get_backend
    from assistant.library.catalogue import by_id

    s = assistant.settings.model_copy(update={"llamacpp": assistant.settings.llamacpp.model_copy(
        update={"model_path": gemma_gguf, "max_tokens": 96, "n_ctx": 4096})})
    writer = get_backend("llamacpp")(s, assistant.retriever)
    retrieval = assistant.search(PIPELINE_QUESTION)
    tokens: list[str] = []
    answer = writer.answer(PIPELINE_QUESTION, retrieval, by_id(assistant.sources), on_token=tokens.append)
    assert len(tokens) >= 3  # streamed
    from assistant.answer.json_output import to_json

    obj = to_json(answer)
    _check_findings(obj)
    # The 270M base model does not follow the instructions: the verifier must say so.
    assert obj["verification"]["supported"] < obj["verification"]["sentences"]


def test_openai_backend_through_the_cli(cli, llama_server):
    base, model = llama_server
    env = {"TREATY_OPENAI__BASE_URL": base, "TREATY_OPENAI__MODEL": model, "TREATY_OPENAI__MAX_TOKENS": "64"}
    r = cli("ask", "--backend", "openai", "--json", PIPELINE_QUESTION, env=env)
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["backend"] == "openai"
    _check_findings(obj)
    r = cli("ask", "--backend", "openai", PIPELINE_QUESTION, env=env)  # on a terminal it streams; piped, the same text
    assert r.returncode == 0 and "Verification:" in r.stdout and "Sources" in r.stdout
