"""What a damaged, shared or badly chosen data dir does: concurrent writers wait for each other and
lose nothing; index and corpus files of the wrong shape, a damaged Chroma store and a data dir that
cannot be used are one line on stderr that says what to do, never a traceback; an add that is
killed leaves nothing registered.

The documents added here are synthetic (made up for the tests, and named so)."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.corpus import State, read_state, registry, state_for_reading, take_copy, write_state
from assistant.errors import CorpusError, DataDirError, DiskFull, EmbedderError, IndexCorrupt, IndexMismatch, StateDamaged
from assistant.index import build_index, index_root, open_index, read_manifest
from assistant.lock import data_lock
from assistant.records import Source
from assistant.settings import Settings

from .conftest import REPO, private_copy, run_cli

MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def _memo(word: str) -> str:
    return f"# Synthetic memo {word}\n\n## Findings\n\nThe synthetic {word} memo says lighthouse keepers need {word} marmalade.\n"


@pytest.fixture(scope="module")
def small_built(tmp_path_factory, shared_corpus) -> Settings:
    """An index of one treaty and the shipped submission, built once for this module."""
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy(shared_corpus / "udhr-1948.md", corpus / "udhr-1948.md")
    settings = Settings(data_dir=tmp_path_factory.mktemp("small") / "data", corpus_dir=corpus)
    build_index(settings, registry(settings))
    return settings


@pytest.fixture
def small(small_built, tmp_path):
    """A private copy of the small index: (settings, cli)."""
    return private_copy(small_built, tmp_path)


def _one_line_error(r: subprocess.CompletedProcess, expected: str) -> str:
    lines = r.stderr.strip().splitlines()
    assert r.returncode != 0 and len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert expected in lines[0], lines[0]
    return lines[0]


def _generation(settings) -> Path:
    root = index_root(settings)
    return root / json.loads((root / "CURRENT").read_text())["generation"]


def _treaty(*args: str, env: dict) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if not k.startswith("TREATY_")} | env
    return subprocess.Popen([sys.executable, "-m", "assistant", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=full)


def _env(settings) -> dict:
    return {"TREATY_DATA_DIR": str(settings.data_dir), "TREATY_CORPUS_DIR": str(settings.corpus_dir)}


# 1. Concurrent writers

def test_two_concurrent_adds_both_stay_registered_and_indexed(small, tmp_path):
    settings, cli = small
    paths = []
    for word in ("alpha", "beta"):
        paths.append(tmp_path / f"synthetic-{word}.md")
        paths[-1].write_text(_memo(word))
    runs = [_treaty("corpus", "add", str(p), env=_env(settings)) for p in paths]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    state = read_state(settings)
    assert {"synthetic-alpha", "synthetic-beta"} <= set(state.documents)
    assert {"synthetic-alpha", "synthetic-beta"} <= set(read_manifest(index_root(settings))["documents"])


def test_a_second_writer_waits_then_works_on_the_fresh_state(small, tmp_path):
    """Deterministic: the test holds the lock, so the command must wait; what the test writes
    meanwhile must survive the command's own change."""
    settings, cli = small
    memo = tmp_path / "synthetic-gamma.md"
    memo.write_text(_memo("gamma"))
    with data_lock(settings.data_dir):
        run = _treaty("corpus", "add", str(memo), env=_env(settings))
        assert run.stderr.readline().startswith("waiting for another treaty command to finish with")
        state = read_state(settings)
        state.removed.append("udhr")  # another writer's change, made while the command waits
        write_state(settings, state)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    state = read_state(settings)
    assert "synthetic-gamma" in state.documents and "udhr" in state.removed
    assert set(read_manifest(index_root(settings))["documents"]) == {"dd-apc-ahc5", "synthetic-gamma"}


def test_treaty_index_that_waited_indexes_the_corpus_as_the_other_writer_left_it(small, tmp_path):
    settings, cli = small
    memo = tmp_path / "synthetic-delta.md"
    memo.write_text(_memo("delta"))
    with data_lock(settings.data_dir):
        run = _treaty("index", env=_env(settings))
        assert run.stderr.readline().startswith("waiting for another treaty command")
        # register a document while `treaty index` waits, as `corpus add --no-index` would
        state = read_state(settings)
        source = Source(id="synthetic-delta", title="Synthetic delta memo", short="delta memo", role="submission",
                        format="submission")
        state.documents[source.id] = {k: getattr(source, k) for k in ("id", "title", "short", "role", "format")}
        take_copy(settings, state, source, memo, "0" * 64, "added")
        write_state(settings, state)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert "synthetic-delta" in read_manifest(index_root(settings))["documents"]


def test_readers_do_not_wait_for_a_writer(small):
    settings, cli = small
    with data_lock(settings.data_dir):
        r = cli("search", "--json", "privacy")
    assert r.returncode == 0 and "waiting" not in r.stderr and json.loads(r.stdout)["passages"]


# 2. and 3. Index and corpus files of the wrong shape

STATE_SHAPES = ["[]", '{"documents": null}', '{"copies": {"x": 3}}', '{"removed": 5}', '{"removed": [1]}',
                '{"documents": {"x": {"foo": 1}}}', '{"documents": {"x": {"id": "x"}}}',
                '{"copies": {"x": {"file": 1, "origin": "added", "sha256": "0"}}}']


@pytest.mark.parametrize("content", STATE_SHAPES)
def test_a_corpus_state_of_the_wrong_shape_is_a_corpus_error_naming_the_file(small, content):
    settings, _ = small
    path = settings.data_dir / "corpus" / "state.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(content)
    with pytest.raises(CorpusError, match=r"state\.json: corpus state has the wrong shape .*: run `treaty corpus repair`"):
        read_state(settings)


def _write(folder: Path, name: str, content: str) -> None:
    (folder / name).write_text(content)


INDEX_SHAPES = {
    "pointer not an object": lambda g: _write(g.parent, "CURRENT", "[1, 2]"),
    "generation a number": lambda g: _write(g.parent, "CURRENT", '{"generation": 5}'),
    "generation outside the index": lambda g: _write(g.parent, "CURRENT", '{"generation": "../corpus"}'),
    "manifest a list": lambda g: _write(g, "manifest.json", "[1, 2]"),
    "manifest documents null": lambda g: _write(g, "manifest.json", json.dumps(
        {**json.loads((g / "manifest.json").read_text()), "documents": None})),
    "bm25 meta a list": lambda g: _write(g / "bm25", "meta.json", "[1, 2]"),
    "bm25 meta num_docs a string": lambda g: _write(g / "bm25", "meta.json", '{"num_docs": "many"}'),
    "passages not objects": lambda g: _write(g, "passages.jsonl", "[1]\n"),
    "vectors 768 wide": lambda g: np.save(g / "vectors.npy", np.zeros((len((g / "passages.jsonl").read_text().splitlines()), 768), np.float32)),
    "vectors one row short": lambda g: np.save(g / "vectors.npy", np.load(g / "vectors.npy")[:-1]),
    "vectors flat": lambda g: np.save(g / "vectors.npy", np.zeros(3, np.float32)),
}


@pytest.mark.parametrize("damage", INDEX_SHAPES, ids=list(INDEX_SHAPES))
def test_index_files_of_the_wrong_shape_are_index_corrupt(small, damage):
    settings, _ = small
    INDEX_SHAPES[damage](_generation(settings))
    with pytest.raises(IndexCorrupt, match="run `treaty index --rebuild`"):
        open_index(settings, MODEL)
    with pytest.raises(IndexCorrupt, match="run `treaty index --rebuild`"):
        build_index(settings, registry(settings))
    report = build_index(settings, registry(settings), rebuild=True)  # and the advice works
    assert report.changed and len(open_index(settings, MODEL).vectors) == report.passages


@pytest.mark.parametrize("field,value,expected", [("embedder", "minilm-st", "embedder minilm-st, not minilm-onnx"),
                                                  ("dims", 768, "vectors of 768 dimensions, not 384")])
def test_a_manifest_from_another_embedder_or_size_is_refused(small, field, value, expected):
    settings, _ = small
    path = _generation(settings) / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), field: value}))
    with pytest.raises(IndexMismatch, match=expected + ": run `treaty index --rebuild`"):
        open_index(settings, MODEL)


def test_wrong_shapes_are_one_line_from_the_cli(small):
    settings, cli = small
    (settings.data_dir / "corpus").mkdir(exist_ok=True)
    (settings.data_dir / "corpus" / "state.json").write_text('{"documents": null}')
    _one_line_error(cli("index"), "corpus state has the wrong shape")  # readers go on: see "corpus state" below
    (settings.data_dir / "corpus" / "state.json").unlink()
    INDEX_SHAPES["vectors 768 wide"](_generation(settings))
    for command in (["ask", "privacy"], ["index"]):
        _one_line_error(cli(*command), "run `treaty index --rebuild`")


# 4. A damaged Chroma store

@pytest.mark.parametrize("damage", ["truncated", "garbled", "deleted"])
def test_a_damaged_chroma_store_is_one_line(small, damage):
    settings, cli = small
    sqlite = _generation(settings) / "chroma" / "chroma.sqlite3"
    if damage == "truncated":
        os.truncate(sqlite, 4096)
    elif damage == "garbled":
        with open(sqlite, "r+b") as fh:
            fh.write(b"synthetic garbage" * 10)
    else:
        sqlite.unlink()
    chroma = {"TREATY_RETRIEVAL__DENSE": "chroma"}
    _one_line_error(cli("ask", "privacy", env=chroma), "cannot be read")
    # `index` does not call an index "up to date" when its store cannot be read
    _one_line_error(cli("index"), "the Chroma store in")
    assert cli("index", "--rebuild").returncode == 0
    assert cli("ask", "privacy", env=chroma).returncode == 0


# 5. An add that is killed, and a file that can no longer be indexed

def test_a_document_is_registered_only_once_its_index_is_built(small, tmp_path):
    """SIGKILL allows no clean-up: the state must not name the document before the index holds it."""
    settings, _ = small
    memo = tmp_path / "synthetic-epsilon.md"
    memo.write_text(_memo("epsilon"))
    script = f"""
import os, signal
from pathlib import Path
from assistant.corpus import read_state, save_and_index, take_copy
from assistant.records import Source
from assistant.settings import Settings
s = Settings(data_dir={str(settings.data_dir)!r}, corpus_dir={str(settings.corpus_dir)!r})
state = read_state(s)
src = Source(id="synthetic-epsilon", title="Synthetic epsilon memo", short="epsilon", role="submission", format="submission")
state.documents[src.id] = {{"id": src.id, "title": src.title, "short": src.short, "role": src.role, "format": src.format}}
take_copy(s, state, src, Path({str(memo)!r}), "0" * 64, "added")
save_and_index(s, state, lambda sources: os.kill(os.getpid(), signal.SIGKILL))
"""
    r = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert "synthetic-epsilon" not in read_state(settings).documents
    assert "synthetic-epsilon" not in read_manifest(index_root(settings))["documents"]


def test_a_file_over_the_limit_at_index_time_names_its_document_and_the_way_out(small, tmp_path):
    settings, cli = small
    memo = tmp_path / "synthetic-zeta.md"
    memo.write_text(_memo("zeta") + "\nThe synthetic zeta memo repeats itself at length.\n" * 1200)  # ~60 KB
    assert cli("corpus", "add", str(memo), "--no-index").returncode == 0
    tiny = {"TREATY_INDEX__MAX_FILE_MB": "0.05"}  # over the memo, under the other documents
    _one_line_error(cli("index", env=tiny), "document 'synthetic-zeta': ")
    assert "`treaty corpus remove synthetic-zeta`" in cli("index", env=tiny).stderr
    assert cli("corpus", "remove", "synthetic-zeta", env=tiny).returncode == 0
    assert cli("index", env=tiny).returncode == 0


# 6. Data dirs that cannot be used

def test_a_data_dir_that_is_a_file_is_named_as_such(small, tmp_path):
    _, cli = small
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("synthetic")
    for command in (["ask", "privacy"], ["index"], ["corpus", "add", str(a_file)]):
        _one_line_error(cli(*command, env={"TREATY_DATA_DIR": str(a_file)}), f"{a_file} is a file, not a folder: choose another")
    _one_line_error(cli("index", env={"TREATY_DATA_DIR": str(a_file / "sub")}), f"{a_file} is a file, not a folder")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc, where no folder can be made")
def test_a_data_dir_that_cannot_be_created_fails_before_any_embedding(small, monkeypatch):
    settings, cli = small
    _one_line_error(cli("index", "--rebuild", env={"TREATY_DATA_DIR": "/proc/treaty-test"}),
                    "cannot create the data dir /proc/treaty-test (no such file or directory): choose another with --data-dir")

    def no_embedding(*args, **kwargs):
        raise AssertionError("embedding started before the data dir was checked")

    monkeypatch.setattr("assistant.embed.get_embedder", no_embedding)
    with pytest.raises(DataDirError, match="cannot create"):
        build_index(settings.model_copy(update={"data_dir": Path("/proc/treaty-test")}), registry(settings), rebuild=True)
    shutil.rmtree(index_root(settings))
    (settings.data_dir / "index").write_text("a file where the index folder goes")
    with pytest.raises(DataDirError, match="is a file, not a folder"):
        build_index(settings, registry(settings), rebuild=True)


# --- corpus state and index integrity ---

def _user_env(settings) -> dict:
    """A user who names no corpus folder: the data dir only."""
    return {"TREATY_DATA_DIR": str(settings.data_dir)}


def _indexed(settings) -> set[str]:
    return set(read_manifest(index_root(settings))["documents"])


def _copies(settings) -> list[Path]:
    return sorted(p for p in (settings.data_dir / "corpus" / "files").rglob("*") if p.is_file())


def _synthetic(tmp_path: Path, word: str) -> Path:
    path = tmp_path / f"synthetic-{word}.md"
    path.write_text(_memo(word))
    return path


def _own_corpus(settings, tmp_path: Path):
    """The settings with a corpus folder of the test's own, which it may change (the index stays the same)."""
    folder = tmp_path / "own-corpus"
    shutil.copytree(settings.corpus_dir, folder)
    own = settings.model_copy(update={"corpus_dir": folder})
    assert not build_index(own, registry(own)).changed
    return own


def _new_article(settings, n: int) -> None:
    """A synthetic article appended to the corpus folder's copy of the UDHR, so the next build writes."""
    with open(settings.corpus_dir / "udhr-1948.md", "a") as fh:
        fh.write(f"\n### Article  {n}\n\nA synthetic article {n} added by the test.\n")


def test_corpus_add_without_a_corpus_folder_keeps_the_documents_of_the_folder_the_index_was_built_with(small, tmp_path):
    settings, _ = small
    memo = _synthetic(tmp_path, "eta")
    r = run_cli("corpus", "add", str(memo), "--id", "clinic-memo", env=_user_env(settings))
    assert r.returncode == 0, r.stderr
    assert "removed:" not in r.stdout
    assert _indexed(settings) == {"dd-apc-ahc5", "udhr", "clinic-memo"}
    r = run_cli("index", env=_user_env(settings))
    assert r.returncode == 0 and r.stdout.startswith("index is up to date"), r.stdout + r.stderr


def test_an_index_written_before_the_folder_was_recorded_finds_it_from_its_documents(small, tmp_path):
    settings, _ = small
    path = _generation(settings) / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["corpus_dir"]
    path.write_text(json.dumps(manifest))
    r = run_cli("corpus", "add", str(_synthetic(tmp_path, "theta")), env=_user_env(settings))
    assert r.returncode == 0, r.stderr
    assert _indexed(settings) == {"dd-apc-ahc5", "udhr", "synthetic-theta"}


def test_a_corpus_folder_that_is_gone_stops_writers_in_one_line_and_readers_go_on(small, tmp_path):
    settings, _ = small
    env = _user_env(settings)
    folder = tmp_path / "my-corpus"
    shutil.copytree(settings.corpus_dir, folder)
    assert run_cli("index", "--corpus-dir", str(folder), env=env).returncode == 0
    moved = folder.rename(tmp_path / "moved-corpus")
    generation = _generation(settings)
    gone = f"the corpus folder {folder} that the index was built with is gone: pass its new place with --corpus-dir"
    _one_line_error(run_cli("corpus", "add", str(_synthetic(tmp_path, "iota")), env=env), gone)
    _one_line_error(run_cli("index", env=env), gone)
    assert _generation(settings) == generation and not read_state(settings).documents and not _copies(settings)
    assert run_cli("ask", "--json", "privacy", env=env).returncode == 0
    assert run_cli("index", "--corpus-dir", str(moved), env=env).returncode == 0  # its new place
    shutil.rmtree(moved)
    r = run_cli("index", "--forget-corpus-dir", env=env)  # taking its documents out is asked for
    assert r.returncode == 0 and "removed: udhr" in r.stdout, r.stderr
    assert _indexed(settings) == {"dd-apc-ahc5"}


def test_an_add_from_another_corpus_folder_never_takes_indexed_documents_out(small, tmp_path, shared_corpus):
    settings, cli = small
    other = tmp_path / "other-corpus"
    other.mkdir()
    shutil.copy(shared_corpus / "cedaw-1979.md", other)
    generation = _generation(settings)
    r = cli("corpus", "add", str(_synthetic(tmp_path, "kappa")), env={"TREATY_CORPUS_DIR": str(other)})
    _one_line_error(r, f"this would take udhr out of the index: their files are not in {other}")
    assert _generation(settings) == generation and not _copies(settings)  # the copy it took is not left behind


def test_the_corpus_state_is_written_with_fsync_and_its_previous_version_kept(small, monkeypatch):
    settings, _ = small
    synced, real = [], os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    write_state(settings, State(removed=["udhr"]))
    write_state(settings, State(removed=["iccpr"]))
    corpus = settings.data_dir / "corpus"
    assert read_state(settings).removed == ["iccpr"]
    assert json.loads((corpus / "state.json.bak").read_text())["removed"] == ["udhr"]
    assert any(p.startswith(f"{corpus}/.tmp-") for p in synced)  # the data, before it is renamed into place
    assert str(corpus) in synced  # the rename itself


def test_a_full_disk_while_writing_the_corpus_state_names_the_file(small, monkeypatch):
    settings, _ = small

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(DiskFull, match=r"no space left on device writing \S+/corpus/state\.json"):
        write_state(settings, State(removed=["udhr"]))
    assert not list((settings.data_dir / "corpus").glob(".tmp-*"))


@pytest.mark.parametrize("damage", ["not JSON", "wrong shape", "deleted"])
def test_a_damaged_corpus_state_is_recovered_for_readers_and_stops_writers(small, tmp_path, damage):
    settings, cli = small
    assert cli("corpus", "add", str(_synthetic(tmp_path, "lambda"))).returncode == 0  # a state, and its backup
    path = settings.data_dir / "corpus" / "state.json"
    {"not JSON": lambda: path.write_text('{"documents": {'), "wrong shape": lambda: path.write_text('{"removed": 5}'),
     "deleted": path.unlink}[damage]()
    with pytest.raises(StateDamaged, match="run `treaty corpus repair`"):
        read_state(settings)
    state, problem = state_for_reading(settings)
    assert problem and "synthetic-lambda" in state.documents
    assert {s.id for s in registry(settings) if s.path} >= {"udhr", "synthetic-lambda"}


def test_with_a_damaged_state_ask_and_search_answer_and_writers_say_how_to_repair(small, tmp_path):
    settings, cli = small
    assert cli("corpus", "add", str(_synthetic(tmp_path, "mu"))).returncode == 0
    (settings.data_dir / "corpus" / "state.json").write_text('{"documents": {')
    generation, copies = _generation(settings), _copies(settings)
    for command in (["ask", "--json", "Who needs mu marmalade?"], ["search", "--json", "mu marmalade"]):
        r = cli(*command)
        assert r.returncode == 0, r.stderr
        assert r.stderr.startswith("warning: ") and "run `treaty corpus repair`" in r.stderr
    assert json.loads(cli("ask", "--json", "Who needs mu marmalade?").stdout)["citations"][0]["doc_id"] == "synthetic-mu"
    for command in (["index"], ["corpus", "add", str(_synthetic(tmp_path, "nu"))], ["corpus", "remove", "udhr"]):
        _one_line_error(cli(*command), "corpus state is not valid JSON (line 1, column 16): run `treaty corpus repair`")
    assert _generation(settings) == generation and _copies(settings) == copies


def test_repair_rebuilds_the_state_from_its_backup_the_copies_and_the_index_deleting_nothing(small, tmp_path):
    settings, cli = small
    assert cli("corpus", "add", str(_synthetic(tmp_path, "xi")), "--alias", "the xi memo").returncode == 0
    assert cli("corpus", "add", str(_synthetic(tmp_path, "omicron")), "--no-index").returncode == 0
    assert cli("corpus", "remove", "udhr").returncode == 0  # the backup predates this
    before, copies = read_state(settings), _copies(settings)
    path = settings.data_dir / "corpus" / "state.json"
    path.write_text("synthetic garbage")
    r = cli("corpus", "repair")
    assert r.returncode == 0, r.stderr
    assert "rebuilt from state.json.bak" in r.stdout and "the damaged file is kept as" in r.stdout
    after = read_state(settings)
    assert after.documents == before.documents and after.removed == ["udhr"]
    assert {k: c.file for k, c in after.copies.items()} == {k: c.file for k, c in before.copies.items()}
    assert [p.read_text() for p in settings.data_dir.glob("corpus/state.json.damaged-*")] == ["synthetic garbage"]
    r = cli("corpus", "add", str(_synthetic(tmp_path, "pi")))  # and the next write loses nothing
    assert r.returncode == 0, r.stderr
    assert _indexed(settings) == {"dd-apc-ahc5", "synthetic-xi", "synthetic-omicron", "synthetic-pi"}
    assert set(copies) < set(_copies(settings))
    assert "nothing to repair" in cli("corpus", "repair").stdout


def test_a_state_deleted_with_its_backup_costs_no_copy_and_repair_registers_them_again(small, tmp_path):
    settings, cli = small
    assert cli("corpus", "add", str(_synthetic(tmp_path, "rho"))).returncode == 0
    copies = _copies(settings)
    for name in ("state.json", "state.json.bak"):
        (settings.data_dir / "corpus" / name).unlink()
    r = cli("corpus", "add", str(_synthetic(tmp_path, "sigma")))
    _one_line_error(r, "this would take synthetic-rho out of the index: the corpus state does not name their copies")
    assert "run `treaty corpus repair`" in r.stderr and _copies(settings) == copies
    r = cli("corpus", "repair")
    assert r.returncode == 0 and "synthetic-rho: your document" in r.stdout, r.stdout + r.stderr
    assert cli("corpus", "add", str(_synthetic(tmp_path, "sigma"))).returncode == 0
    assert {"synthetic-rho", "synthetic-sigma"} < _indexed(settings) and set(copies) < set(_copies(settings))


def _patched_cli(settings, patch: str, *args: str) -> subprocess.CompletedProcess:
    """`treaty ARGS` in a process where `patch` ran first (a disk that fills up cannot be had otherwise
    without root)."""
    script = f"import sys\n{patch}\nfrom assistant.cli.main import run\nsys.argv = ['treaty', *sys.argv[1:]]\nrun()\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TREATY_")} | _env(settings)
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)


# Chroma reports a full disk as an error of its own, naming no cause (seen on a full tmpfs)
CHROMA_ON_A_FULL_DISK = """
import shutil, types
from chromadb.errors import InternalError
from assistant import store
def write(*args, **kwargs):
    raise InternalError("Error in compaction: Failed to apply logs to the metadata segment")
store.write = write
shutil.disk_usage = lambda path: types.SimpleNamespace(total=10**9, used=10**9, free=0)
"""
OS_ON_A_FULL_DISK = """
import errno, os
from assistant import lexical
def build(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
lexical.build = build
"""


@pytest.mark.parametrize("patch", [CHROMA_ON_A_FULL_DISK, OS_ON_A_FULL_DISK], ids=["chroma", "os"])
def test_a_full_disk_while_indexing_is_one_line_naming_the_index_and_nothing_is_rebuilt(small, tmp_path, patch):
    settings, cli = small
    root, generation = index_root(settings), _generation(settings)
    r = _patched_cli(settings, patch, "corpus", "add", str(_synthetic(tmp_path, "tau")))
    _one_line_error(r, f"no space left on device writing the index in {root}")
    assert sorted(p.name for p in root.iterdir()) == ["CURRENT", generation.name]
    assert not read_state(settings).documents and not _copies(settings)
    r = cli("index")
    assert r.returncode == 0 and r.stdout.startswith("index is up to date"), r.stdout + r.stderr


def test_a_chroma_write_that_fails_with_room_on_the_disk_is_one_line_and_not_called_a_full_disk(small, tmp_path):
    settings, _ = small
    patch = """
from chromadb.api.models.Collection import Collection
from chromadb.errors import InternalError
def add(*args, **kwargs):
    raise InternalError("synthetic failure")
Collection.add = add
"""
    generation = _generation(settings)
    r = _patched_cli(settings, patch, "corpus", "add", str(_synthetic(tmp_path, "chi")))
    line = _one_line_error(r, "could not be written (InternalError: synthetic failure); the previous index is unchanged")
    assert "no space" not in line and _generation(settings) == generation


def test_a_chroma_store_that_cannot_open_on_a_full_disk_is_not_called_damaged(small):
    settings, _ = small
    patch = CHROMA_ON_A_FULL_DISK.replace("store.write = write", "store.client = write")
    r = _patched_cli(settings, patch, "index")
    line = _one_line_error(r, f"no space left on device opening the Chroma store in {_generation(settings) / 'chroma'}")
    assert "--rebuild" not in line


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="needs root, to mount a small tmpfs")
def test_a_really_full_disk_is_one_line_and_keeps_the_index(small_built, tmp_path):
    disk = tmp_path / "small-disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        settings, cli = private_copy(small_built, disk)
        room = shutil.disk_usage(disk).free - sum(f.stat().st_size for f in _generation(settings).rglob("*") if f.is_file()) // 2
        (disk / "filler").write_bytes(b"\0" * room)  # room for half a generation
        _one_line_error(cli("corpus", "add", str(_synthetic(tmp_path, "upsilon"))), "no space left on device writing the index in")
        assert cli("ask", "--json", "privacy").returncode == 0
        with open(disk / "filler", "ab") as fh:  # now full to the last byte
            with contextlib.suppress(OSError):
                fh.write(b"\0" * (1 << 26))
        r = cli("index")
        assert "--rebuild" not in r.stderr and "no space left on device" in r.stderr, r.stderr
        (disk / "filler").unlink()
        assert cli("index").stdout.startswith("index is up to date")
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_reader_opens_the_new_generation_when_a_writer_retires_the_one_it_read_in_current(small, tmp_path, monkeypatch):
    from assistant import generations

    settings = _own_corpus(small[0], tmp_path)
    old = _generation(settings).name
    _new_article(settings, 201)
    real_pin, seen = generations.pin, []

    def pin_after_a_build(folder):
        if not seen:
            seen.append(folder.name)
            monkeypatch.setattr(generations, "pin", real_pin)
            build_index(settings, registry(settings))  # between reading CURRENT and pinning its generation
        return real_pin(folder)

    monkeypatch.setattr(generations, "pin", pin_after_a_build)
    snapshot = open_index(settings, MODEL)
    assert seen == [old] and snapshot.generation != old and not (index_root(settings) / old).exists()
    assert any(p.id == "udhr:art201" for p in snapshot.passages)


def test_a_generation_in_use_outlives_new_builds_and_goes_at_the_first_write_after_its_release(small, tmp_path):
    from assistant import store

    settings = _own_corpus(small[0], tmp_path)
    snapshot = open_index(settings, MODEL)
    _new_article(settings, 202)
    assert build_index(settings, registry(settings)).changed
    assert snapshot.folder.is_dir()
    hits = store.query(snapshot.folder / "chroma", None, snapshot.generation, np.asarray(snapshot.vectors[0]), 3, None)
    assert hits[0][0] == snapshot.passages[0].id
    snapshot.release()
    _new_article(settings, 203)
    assert build_index(settings, registry(settings)).changed
    assert not snapshot.folder.exists() and len(list(index_root(settings).glob("g*"))) == 1


def test_what_killed_builds_leave_in_the_index_folder_goes_at_the_next_index_run(small):
    settings, cli = small
    root, current = index_root(settings), _generation(settings)
    shutil.copytree(current, root / "g20200101T000000-dead00")  # written, then killed before the switch
    (root / ".tmp-g20200101T000001-dead01").mkdir()
    (root / "CURRENT.tmp4242").write_text('{"generation": ')
    r = cli("index")
    assert r.returncode == 0 and r.stdout.startswith("index is up to date"), r.stderr
    assert sorted(p.name for p in root.iterdir()) == ["CURRENT", current.name]


CORRUPTIONS = {  # file, change, what a reader says of it when the manifest has no checksums
    "bm25 row out of range": ("bm25/indices.npy", lambda a: a.__setitem__(0, 10**6), "the BM25 arrays point outside the passages"),
    "bm25 offsets out of order": ("bm25/indptr.npy", lambda a: a.__setitem__(1, a[-1] + 5), "the BM25 offsets do not match"),
    "bm25 weight not a number": ("bm25/data.npy", lambda a: a.__setitem__(0, np.nan), "hold weights that are not numbers"),
    "vector not numbers": ("vectors.npy", lambda a: a.__setitem__(3, np.nan), "vectors that are not numbers"),
}


def _corrupt(generation: Path, corruption: str) -> None:
    name, change, _ = CORRUPTIONS[corruption]
    array = np.load(generation / name)
    change(array)
    np.save(generation / name, array)


@pytest.mark.parametrize("checksums", [True, False], ids=["checksummed", "written before checksums"])
@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_wrong_values_in_the_bm25_arrays_or_vectors_are_index_corrupt(small, corruption, checksums):
    settings, _ = small
    generation = _generation(settings)
    _corrupt(generation, corruption)
    name, _, structural = CORRUPTIONS[corruption]
    if not checksums:
        manifest = json.loads((generation / "manifest.json").read_text())
        (generation / "manifest.json").write_text(json.dumps({k: v for k, v in manifest.items() if k != "checksums"}))
    expected = f"{name} is not the file that was written" if checksums else structural
    with pytest.raises(IndexCorrupt, match=f"index in {generation} is damaged \\(.*{expected}.*\\): run `treaty index --rebuild`"):
        open_index(settings, MODEL)


def test_a_damaged_array_is_one_line_from_ask(small):
    settings, cli = small
    _corrupt(_generation(settings), "bm25 row out of range")
    _one_line_error(cli("ask", "privacy"), "bm25/indices.npy is not the file that was written): run `treaty index --rebuild`")


def test_an_embedder_giving_vectors_that_are_not_numbers_writes_nothing(small, tmp_path, monkeypatch):
    from assistant import index

    settings = _own_corpus(small[0], tmp_path)
    generation = _generation(settings)
    monkeypatch.setattr(index, "_embed", lambda embedder, passages, progress: np.full((len(passages), 384), np.nan, np.float32))
    _new_article(settings, 204)
    with pytest.raises(EmbedderError, match="vectors that are not numbers for 1 passages \\(first: udhr:art204\\)"):
        build_index(settings, registry(settings))
    assert _generation(settings) == generation


def test_an_added_link_is_followed_and_where_it_leads_is_named(small, tmp_path):
    settings, cli = small
    target = _synthetic(tmp_path, "phi")
    link = tmp_path / "links" / "synthetic-link.md"
    link.parent.mkdir()
    link.symlink_to(target)
    r = cli("corpus", "add", str(link))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{link} → {target}: new document 'synthetic-link'")
    assert read_state(settings).copies["synthetic-link"].original == str(target)
