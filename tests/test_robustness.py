"""What a damaged, shared or badly chosen data dir does: concurrent writers wait for each other and
lose nothing; index and corpus files of the wrong shape, a damaged Chroma store and a data dir that
cannot be used are one line on stderr that says what to do, never a traceback; an add that is
killed leaves nothing registered.

The documents added here are synthetic (made up for the tests, and named so)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.corpus import read_state, registry, take_copy, write_state
from assistant.errors import CorpusError, DataDirError, IndexCorrupt, IndexMismatch
from assistant.index import build_index, index_root, open_index, read_manifest
from assistant.lock import data_lock
from assistant.records import Source
from assistant.settings import Settings

from .conftest import REPO, private_copy

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
    with pytest.raises(CorpusError, match=r"state\.json: corpus state has the wrong shape .*: fix or delete it"):
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
    for command in (["ask", "privacy"], ["index"]):
        _one_line_error(cli(*command), "corpus state has the wrong shape")
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


# --- bounded resources ---
# Files far under the size limit that unpack or parse into far more: each is refused in one line,
# within a minute, in little memory, with the index as it was. The bombs are synthetic, made here.

import io  # noqa: E402  (this section's own imports, kept with it)
import struct  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402
import zlib  # noqa: E402

from assistant import ingest  # noqa: E402
from assistant.ingest import budget  # noqa: E402
from assistant.refs import AliasMatcher  # noqa: E402
from assistant.settings import Limits  # noqa: E402

from .conftest import DATA, run_cli  # noqa: E402

MB = 1024 * 1024
_PARAGRAPH = b"<w:p><w:r><w:t>Synthetic bomb words.</w:t></w:r></w:p>"
_LINE = "Synthetic words of one endless paragraph about lighthouse keepers and their marmalade.\n"


def _deflate_repeated(head: bytes, chunk: bytes, times: int, tail: bytes) -> bytes:
    """Raw deflate of head + chunk * times + tail that compresses the chunk once: after a full flush
    the compressor starts afresh, so the chunk's compressed bytes can be repeated as they are."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    middle = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    return first + middle * times + c.compress(tail) + c.flush()


def _write_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip written by hand from (name, raw deflate data, crc, declared size), so a size may lie."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size in members:
        n = name.encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size, len(n),
                               0, 0, 0, 0, 0, len(out)) + n
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(n), 0) + n + data
    path.write_bytes(bytes(out + central) + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                                                        len(central), len(out), 0))
    return path


def _docx_bomb(path: Path, parts_mb: list[int], *, spaces: bool = False, declared: int | None = None) -> Path:
    """python-docx's blank document whose document.xml (and a further part per further entry) unpacks to
    `parts_mb` MB of paragraphs, or of spaces (these compress best; their checksum is left 0, as no
    reader gets that far). `declared`: the size each part's headers claim instead, with the
    checksum of that many bytes, so a reader that trusts the headers finds nothing wrong."""
    import docx

    blank = io.BytesIO()
    docx.Document().save(blank)
    with zipfile.ZipFile(blank) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    head = parts.pop("word/document.xml").split(b"<w:body>")[0] + b"<w:body>"
    tail = b"<w:sectPr/></w:body></w:document>"
    members = []
    for name, data in parts.items():
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        members.append((name, c.compress(data) + c.flush(), zlib.crc32(data), len(data)))
    chunk = b" " * MB if spaces else _PARAGRAPH * (MB // len(_PARAGRAPH))
    for i, mb in enumerate(parts_mb):
        data = _deflate_repeated(head, chunk, mb, tail)
        size, crc = len(head) + len(chunk) * mb + len(tail), 0
        if declared is not None:
            size, crc = declared, zlib.crc32(zlib.decompressobj(-15).decompress(data, declared))
        elif not spaces:
            crc = zlib.crc32(tail, zlib.crc32(chunk * mb, zlib.crc32(head)))
        members.append(("word/document.xml" if i == 0 else f"word/synthetic{i}.xml", data, crc, size))
    return _write_zip(path, members)


def _pdf_bomb(path: Path, pages: int) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for _ in range(pages):
        pdf.add_page()
        for k in range(40):
            pdf.text(20, 20 + 6 * k, "The synthetic text repeats lighthouse words on every line of every page.")
    pdf.output(str(path))
    return path


def _one_paragraph_memo(path: Path, mb: float) -> Path:
    path.write_text("# Synthetic endless memo\n\n" + _LINE * int(mb * MB / len(_LINE)))
    return path


def _nested_divs(path: Path, depth: int) -> Path:
    path.write_text("<html><body>" + "<div>" * depth + "Synthetic words." + "</div>" * depth + "</body></html>")
    return path


BOMBS = {  # what it is -> (how to make it in a folder, the words the refusal must hold)
    "docx unpacking to 300 MB": (lambda d: _docx_bomb(d / "synthetic-300.docx", [300]), "TREATY_INDEX__MAX_UNZIPPED_MB"),
    "docx of 7 MB unpacking to 7 GB": (lambda d: _docx_bomb(d / "synthetic-7gb.docx", [3500, 3500], spaces=True),
                                       "TREATY_INDEX__MAX_UNZIPPED_MB"),
    "docx whose headers understate its sizes": (lambda d: _docx_bomb(d / "synthetic-lying.docx", [300], declared=4096),
                                                "cannot read the DOCX"),
    "pdf of 2000 pages": (lambda d: _pdf_bomb(d / "synthetic-pages.pdf", 2000), "TREATY_INDEX__MAX_PAGES"),
    "markdown of one 12 MB paragraph": (lambda d: _one_paragraph_memo(d / "synthetic-endless.md", 12),
                                        "TREATY_INDEX__MAX_PARAGRAPH_CHARS"),
    "html of 600 nested divs": (lambda d: _nested_divs(d / "synthetic-600.html", 600), "TREATY_INDEX__MAX_DEPTH"),
    "html of 100k nested divs": (lambda d: _nested_divs(d / "synthetic-100k.html", 100_000), "TREATY_INDEX__MAX_DEPTH"),
}


def _add_measured(settings, path: Path, seconds: int = 60) -> tuple[subprocess.CompletedProcess, float]:
    """`treaty corpus add FILE`, killed after `seconds`; with its peak RSS in MB (that of the child it
    reads the file in included: the kernel counts the children a process has waited for)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TREATY_")} | _env(settings)
    with open(path.with_suffix(".stderr"), "w+b") as err:
        proc = subprocess.Popen([sys.executable, "-m", "assistant", "corpus", "add", str(path)], stdout=subprocess.DEVNULL,
                                stderr=err, env=env)
        guard = threading.Timer(seconds, proc.kill)
        guard.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            guard.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode()
    assert proc.returncode != -signal.SIGKILL, f"still running after {seconds} s"
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", stderr), usage.ru_maxrss / 1024


def _index_as_it_is(settings) -> dict[str, bytes]:
    root, state = index_root(settings), settings.data_dir / "corpus" / "state.json"
    files = [root / "CURRENT", _generation(settings) / "manifest.json", state]
    return {str(f): f.read_bytes() if f.exists() else b"" for f in files} | {"folders": str(sorted(os.listdir(root))).encode()}


@pytest.mark.skipif(not hasattr(os, "wait4"), reason="measures the peak memory with wait4")
@pytest.mark.parametrize("bomb", BOMBS, ids=list(BOMBS))
def test_a_bomb_is_refused_in_one_line_within_a_minute_in_little_memory(small, tmp_path, bomb):
    settings, _ = small
    make, expected = BOMBS[bomb]
    path = make(tmp_path)
    before = _index_as_it_is(settings)
    r, peak_mb = _add_measured(settings, path)
    assert str(path) in _one_line_error(r, expected)
    assert peak_mb < 1536, f"peak RSS {peak_mb:.0f} MB"
    assert _index_as_it_is(settings) == before
    with data_lock(settings.data_dir, on_wait=lambda _: pytest.fail("the writer lock is still held")):
        pass


def test_a_long_paragraph_parses_in_linear_time_once_its_limit_is_raised(small, tmp_path):
    settings, _ = small
    memo = _one_paragraph_memo(tmp_path / "synthetic-long.md", 6)  # built line by line: minutes
    r = run_cli("corpus", "add", "--no-index", str(memo), timeout=60,
                env=_env(settings) | {"TREATY_INDEX__MAX_PARAGRAPH_CHARS": str(10 * MB)})
    assert r.returncode == 0 and "1 passages" in r.stdout, r.stderr


def test_deep_html_is_read_without_recursion_once_its_limit_is_raised(tmp_path):
    path = _nested_divs(tmp_path / "synthetic-deep.html", 1200)  # 600 overflowed Python's stack
    assert "Synthetic words." in ingest.load_path(path, Limits(max_depth=2000)).text


def test_a_document_over_the_passage_limit_is_refused_naming_the_setting(small):
    settings, _ = small
    source = Source(id="synthetic-submission", title="Synthetic submission", short="synthetic", role="submission",
                    format="submission", path=str(DATA / "synthetic-submission.md"))
    doc = ingest.load(source)
    with pytest.raises(CorpusError, match=r"parses into \d+ passages, over the 2-passage limit: raise TREATY_INDEX__MAX_PASSAGES"):
        ingest.parse(doc, AliasMatcher.build(registry(settings)), Limits(max_passages=2))


needs_proc = pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="the memory budget needs Linux /proc")


@needs_proc
def test_reading_that_outgrows_the_memory_budget_is_one_line_naming_the_setting():
    with pytest.raises(CorpusError, match=r"^synthetic\.md: reading it ran out of memory, over the 64 MB limit: "
                                          r"raise TREATY_INDEX__MAX_MEMORY_MB if it is genuine$"):
        budget.run(lambda: bytearray(512 * MB), "synthetic.md", 64)


@needs_proc
def test_a_reader_killed_by_a_signal_is_one_line_naming_the_budget():
    with pytest.raises(CorpusError, match=r"stopped by SIGKILL, perhaps out of memory, over the 64 MB limit"):
        budget.run(lambda: os.kill(os.getpid(), signal.SIGKILL), "synthetic.md", 64)


@needs_proc
def test_the_budgeted_reader_hands_back_its_result_and_its_errors():
    def fails(exc: Exception):
        raise exc

    assert budget.run(lambda: [os.getpid()], "synthetic.md", 64) != [os.getpid()]  # it ran in another process
    with pytest.raises(CorpusError, match="^synthetic.md: a synthetic refusal$"):
        budget.run(lambda: fails(CorpusError("synthetic.md: a synthetic refusal")), "synthetic.md", 64)
    with pytest.raises(ValueError, match="a synthetic bug"):  # a bug stays a bug, its traceback kept in a note
        budget.run(lambda: fails(ValueError("a synthetic bug")), "synthetic.md", 64)
