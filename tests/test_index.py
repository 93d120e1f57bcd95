"""Indexing: incremental, atomic, and refusing indexes it cannot read."""

from __future__ import annotations

import json
import shutil

import pytest

from assistant import SCHEMA_VERSION
from assistant.index import store
from assistant.errors import CorpusError, IndexCorrupt, IndexMismatch, IndexMissing
from assistant.index.build import build_index
from assistant.index.snapshot import index_root, open_index, read_manifest
from assistant.facade import Assistant
from assistant.library.documents import registry
from assistant.settings import Settings

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
SMALL = ["udhr-1948.md"]


@pytest.fixture
def small(tmp_path, shared_corpus):
    """A corpus folder with one treaty (plus the shipped submission) and an index built from it."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in SMALL:
        shutil.copy(shared_corpus / name, corpus / name)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    build_index(settings, registry(settings))
    return settings


def _answer_ids(settings):
    return [h.passage.id for h in Assistant.open(settings).search("arbitrary interference with privacy, family, home or correspondence").hits]


def test_index_records_what_shaped_it(small):
    m = read_manifest(index_root(small))
    assert m["schema_version"] == SCHEMA_VERSION and m["model_id"] == MODEL and m["dims"] == 384
    assert set(m["documents"]) == {"dd-apc-ahc5", "udhr"}
    assert all(len(d["sha256"]) == 64 and d["passages"] > 0 for d in m["documents"].values())


def test_unchanged_documents_are_not_re_embedded(small):
    report = build_index(small, registry(small))
    assert not report.changed and report.embedded == []
    udhr = small.corpus_dir / "udhr-1948.md"
    udhr.write_text(udhr.read_text() + "\n### Article  99  \n\nA synthetic closing article added by the test.\n")
    report = build_index(small, registry(small))
    assert report.changed and report.embedded == ["udhr"] and report.reused == ["dd-apc-ahc5"]
    snap = open_index(small, MODEL)
    assert any(p.id == "udhr:art99" for p in snap.passages)
    assert len(snap.vectors) == len(snap.passages) == snap.lexical.num_docs


def test_a_new_thesaurus_re_embeds_the_passages_it_touches(small, monkeypatch):
    from assistant.index import lexical

    before = open_index(small, MODEL).vectors.copy()
    monkeypatch.setattr(lexical, "THESAURUS_DIGEST", "synthetic-other-thesaurus")
    report = build_index(small, registry(small))
    assert report.changed and report.embedded == ["dd-apc-ahc5", "udhr"]
    after = open_index(small, MODEL).vectors
    assert after.shape == before.shape and abs(after - before).max() < 1e-5  # same words, same vectors


def test_removed_documents_leave_the_index(small):
    (small.corpus_dir / "udhr-1948.md").unlink()
    report = build_index(small, registry(small))
    assert report.removed == ["udhr"]
    assert "udhr" not in open_index(small, MODEL).doc_ids()


@pytest.mark.parametrize("failure", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_failed_or_interrupted_run_leaves_previous_index_answering(small, monkeypatch, failure):
    before = _answer_ids(small)
    generation = read_manifest(index_root(small))["generation"]
    (small.corpus_dir / "udhr-1948.md").write_text((small.corpus_dir / "udhr-1948.md").read_text() + "\nchanged\n")

    def boom(*args, **kwargs):
        raise failure

    monkeypatch.setattr(store, "write", boom)
    with pytest.raises(type(failure)):
        build_index(small, registry(small))
    assert read_manifest(index_root(small))["generation"] == generation
    assert _answer_ids(small) == before
    assert not list(index_root(small).glob(".tmp-*"))


def test_bad_corpus_file_fails_the_run_and_keeps_the_index(small):
    generation = read_manifest(index_root(small))["generation"]
    (small.corpus_dir / "udhr-1948.md").write_bytes(b"\xff\xfe binary \x00\x00")
    with pytest.raises(CorpusError, match="binary data"):
        build_index(small, registry(small))
    assert read_manifest(index_root(small))["generation"] == generation


def test_rebuild_re_embeds_everything(small):
    report = build_index(small, registry(small), rebuild=True)
    assert sorted(report.embedded) == ["dd-apc-ahc5", "udhr"] and report.reused == []


def test_missing_mismatched_and_corrupt_indexes(tmp_path, small):
    with pytest.raises(IndexMissing, match="run `treaty index`"):
        open_index(Settings(data_dir=tmp_path / "empty"), MODEL)
    root = index_root(small)
    manifest_path = root / read_manifest(root)["generation"] / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(IndexMismatch, match="treaty index --rebuild"):
        open_index(small, MODEL)
    manifest_path.write_text(json.dumps({**manifest, "model_id": "another/model"}))
    with pytest.raises(IndexMismatch, match="embedding model another/model"):
        open_index(small, MODEL)
    manifest_path.write_text("{not json")
    with pytest.raises(IndexCorrupt, match="treaty index --rebuild"):
        open_index(small, MODEL)
    (manifest_path.parent / "passages.jsonl").write_text("")
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexCorrupt, match=r"passages\.jsonl is not the file that was written"):
        open_index(small, MODEL)
    # an index written before checksums were recorded is still checked for consistency
    manifest_path.write_text(json.dumps({k: v for k, v in manifest.items() if k != "checksums"}))
    with pytest.raises(IndexCorrupt, match="inconsistent"):
        open_index(small, MODEL)


def test_exact_vectors_are_chromas_vectors(small):
    """The exact-search matrix is a copy of what Chroma stores; either engine finds the same passages."""
    snap = open_index(small, MODEL)
    ids = [p.id for p in snap.passages]
    from_chroma = store.read_vectors(snap.folder / "chroma", None, snap.generation, ids)
    assert abs(from_chroma - snap.vectors).max() < 1e-6
    exact = _answer_ids(small)
    hnsw = small.model_copy(update={"retrieval": small.retrieval.model_copy(update={"dense": "chroma"})})
    assert _answer_ids(hnsw)[:5] == exact[:5]
    (snap.folder / "vectors.npy").unlink()  # the matrix is rebuilt from Chroma when it is missing
    assert _answer_ids(small) == exact


def test_passage_vectors_lean_toward_the_plain_words_for_their_terms(small):
    import numpy as np

    from assistant.index.embed import get_embedder
    from assistant.index.build import PLAIN_WEIGHT, embed_text
    from assistant.index.lexical import PLAIN_WORDS, plain_words

    words = plain_words("protection against any unjustified treatment for any person who reports in good faith").split()
    assert "whistleblower" in words and len(words) <= PLAIN_WORDS
    assert plain_words("the") == ""  # no term of art, no plain words
    snap = open_index(small, MODEL)
    p = next(p for p in snap.passages if p.id == "udhr:art12")
    text, plain = embed_text(p), plain_words(embed_text(p))
    assert plain and "privacy" not in plain.split()  # words the passage already has are not added
    own, lean = get_embedder(small.index.embedder, 8).embed([text, plain])
    stored = snap.vectors[snap.passages.index(p)]
    expected = (1 - PLAIN_WEIGHT) * own + PLAIN_WEIGHT * lean
    assert np.allclose(stored, expected / np.linalg.norm(expected), atol=1e-5)
