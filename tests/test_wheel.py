"""The package installs like any other Python tool: `python -m build` gives a wheel that carries the
registry, the shipped submission and its provenance, the prompts, the thesaurus and the evaluation
set, and the `treaty` command of a fresh virtual environment, run from a folder outside the checkout,
indexes, answers and evaluates from that wheel alone.

The fresh environment gets the wheel with pip and borrows the dependencies of the environment running
the tests through a path file (the dependency folder only, so the checkout's editable install is not
seen): installing torch and chromadb again would add minutes and prove nothing about our package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO

QUESTION = "Does Article 73 require judicial oversight?"
DATA = ["assistant/thesaurus.toml", "assistant/provisions/safeguards.toml", "assistant/query/rules.toml",
        "assistant/shipped/corpus/sources.toml", "assistant/shipped/corpus/PROVENANCE.md",
        "assistant/shipped/corpus/derechos-digitales-apc-ahc5-submission.md", "assistant/shipped/prompts/answer-v1.system.txt",
        "assistant/shipped/prompts/answer-v1.user.txt", "assistant/shipped/evals/questions.jsonl",
        "assistant/shipped/evals/thresholds.toml", "assistant/tui/styles/app.tcss"]


def _source_copy(target: Path) -> Path:
    """The checkout without its build leftovers: a stale build/ folder could put removed modules in the wheel."""
    skip = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache")
    shutil.copytree(REPO, target, ignore=skip)
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = _source_copy(tmp_path_factory.mktemp("src") / "treaty-assistant")
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: the build needs only setuptools, already here; an isolated build would download it.
    r = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(src)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    (built,) = out.glob("treaty_assistant-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    env_dir = tmp_path_factory.mktemp("venv") / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=300)
    pip = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                          str(wheel)], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stderr
    site = Path(subprocess.run([str(env_dir / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env_dir


def _run(venv: Path, cwd: Path, *args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TREATY_") and k != "PYTHONPATH"}
    return subprocess.run([str(venv / "bin" / "treaty"), *args], cwd=cwd, env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def test_wheel_carries_every_module_and_the_shipped_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "assistant").rglob("*.py")}
    assert modules - names == set(), "modules missing from the wheel (list the package in pyproject.toml)"
    assert set(DATA) - names == set()


def test_installed_wheel_uses_its_own_files(venv, tmp_path):
    r = subprocess.run([str(venv / "bin" / "python"), "-c",
                        "import assistant, assistant.locations as l; print(assistant.__file__); print(l.SOURCES_FILE); "
                        "print(l.PROMPTS_DIR); print(l.EVALS_DIR)"],
                       cwd=tmp_path, capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert r.returncode == 0, r.stderr
    paths = r.stdout.split()
    assert all(p.startswith(str(venv)) for p in paths), paths
    assert all(Path(p).exists() for p in paths)


def test_installed_treaty_indexes_and_answers_from_another_folder(venv, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"TREATY_DATA_DIR": str(tmp_path / "data")}
    index = _run(venv, elsewhere, "index", env=env)
    assert index.returncode == 0, index.stderr
    assert "dd-apc-ahc5" in index.stdout and "Loading weights" not in index.stdout + index.stderr
    ask = _run(venv, elsewhere, "ask", "--json", QUESTION, env=env)
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert answer["citations"] and all(c["doc_id"] == "dd-apc-ahc5" for c in answer["citations"])
    assert any("A/AC.291/19" in note for note in answer["notes"])


def test_installed_treaty_evaluates_with_its_shipped_questions(venv, built, tmp_path):
    """The installed copy finds its own question set and thresholds, and `treaty eval` runs there (on a
    few of those questions: the whole set is scored by test_eval.py)."""
    code = ("from assistant.evaluate import load_questions, check_thresholds; import assistant.locations as l; "
            "print(len(load_questions()), l.EVALS_DIR)")
    r = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path, capture_output=True, text=True,
                       env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert r.returncode == 0, r.stderr
    count, folder = r.stdout.split()
    assert int(count) >= 300 and folder.startswith(str(venv)) and (Path(folder) / "thresholds.toml").exists()
    subset = tmp_path / "synthetic-subset.jsonl"
    subset.write_text("\n".join((Path(folder) / "questions.jsonl").read_text().splitlines()[:5]) + "\n")
    env = {"TREATY_DATA_DIR": str(built.data_dir), "TREATY_CORPUS_DIR": str(built.corpus_dir)}
    r = _run(venv, tmp_path, "eval", "--json", "--questions", str(subset), env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    report = json.loads(r.stdout)
    assert report["questions"] == 5 and report["assistant"]["citation_validity"] == 1.0
