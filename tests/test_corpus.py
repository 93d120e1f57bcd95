"""`treaty corpus add/remove/restore/show/refs`: the user's own files in the corpus, run as a user would.

The documents added here are synthetic (made up for the tests, and named so); nothing in them is
treaty text."""

from __future__ import annotations

import json

import pytest

from assistant.corpus import read_state, save_and_index

SYNTHETIC = """# Synthetic Convention on Test Matters (synthetic test document)

### Article  1

#### Lighthouse keepers

1.  Each Party shall ensure that lighthouse keepers receive a weekly ration of marmalade.

2.  The ration referred to in paragraph 1 shall be delivered by boat.

### Article  2

#### Oversight of marmalade

Deliveries of marmalade shall be supervised by an independent harbour magistrate.
"""


def _current(settings) -> str:
    return (settings.data_dir / "index" / "CURRENT").read_text()


def _corpus(cli) -> dict:
    r = cli("corpus", "list", "--json")
    assert r.returncode == 0, r.stderr
    return {row["id"]: row for row in json.loads(r.stdout)}


@pytest.fixture
def synthetic(tmp_path):
    path = tmp_path / "synthetic-convention.md"
    path.write_text(SYNTHETIC)
    return path


def test_add_indexes_a_new_document_and_answers_from_it(own_index, synthetic):
    settings, cli = own_index
    r = cli("corpus", "add", str(synthetic), "--alias", "Marmalade Convention", "--subject", "preserves")
    assert r.returncode == 0, r.stderr
    assert "new document 'synthetic-convention' (instrument, treaty layout)" in r.stdout
    assert "embedded: synthetic-convention;" in r.stdout  # only the new document is embedded
    row = _corpus(cli)["synthetic-convention"]
    assert row["status"] == "indexed" and row["passages"] == 2 and row["origin"] == "added"  # two short articles
    r = cli("ask", "--json", "Who supervises marmalade deliveries under the Marmalade Convention?")
    obj = json.loads(r.stdout)
    assert obj["citations"][0]["doc_id"] == "synthetic-convention"
    assert obj["citations"][0]["locator"].endswith("art. 2")
    # named by its subject, it is the document a question is about
    from assistant.corpus import read_state, registry
    from assistant.query.refs import AliasMatcher, named_documents

    matcher = AliasMatcher.build(registry(settings, read_state(settings)))
    assert named_documents("Who supervises deliveries under the preserves treaty?", matcher) == ["synthetic-convention"]


def test_re_adding_skips_unchanged_and_reindexes_only_a_changed_file(own_index, synthetic):
    settings, cli = own_index
    assert cli("corpus", "add", str(synthetic)).returncode == 0
    generation = _current(settings)
    r = cli("corpus", "add", str(synthetic))
    assert r.returncode == 0 and "same file as before" in r.stdout and "index is up to date" in r.stdout
    assert _current(settings) == generation
    synthetic.write_text(SYNTHETIC.replace("weekly", "daily"))
    r = cli("corpus", "add", str(synthetic))
    assert r.returncode == 0, r.stderr
    assert "embedded: synthetic-convention;" in r.stdout and "budapest" in r.stdout.split("unchanged:")[1]
    assert _current(settings) != generation
    r = cli("search", "--json", "--doc", "synthetic-convention", "ration of marmalade")
    texts = [p["text"] for p in json.loads(r.stdout)["passages"]]
    assert any("daily ration" in t for t in texts) and not any("weekly" in t for t in texts)


def test_a_file_with_a_registered_symbol_fills_that_entry(own_index, tmp_path):
    settings, cli = own_index
    path = tmp_path / "synthetic-draft.md"
    path.write_text("A/AC.291/19\n\n" + SYNTHETIC)
    r = cli("corpus", "add", str(path), "--symbol", "A/AC.291/19")
    assert r.returncode == 0, r.stderr
    assert "linked to registered 'a-ac-291-19'" in r.stdout
    rows = _corpus(cli)
    assert rows["a-ac-291-19"]["status"] == "indexed" and "synthetic-draft" not in rows


def test_remove_and_restore(own_index, synthetic):
    settings, cli = own_index
    assert cli("corpus", "add", str(synthetic)).returncode == 0
    r = cli("corpus", "remove", "synthetic-convention")
    assert r.returncode == 0, r.stderr
    assert "synthetic-convention" not in _corpus(cli)
    assert not list((settings.data_dir / "corpus" / "files").glob("synthetic-convention/*"))
    r = cli("corpus", "remove", "iccpr")
    assert r.returncode == 0 and "removed: iccpr" in r.stdout
    assert _corpus(cli)["iccpr"]["status"] == "removed"
    r = cli("search", "--json", "--doc", "iccpr", "privacy")
    # searching only a removed document says how to put it back, rather than finding nothing
    assert r.returncode != 0 and "was removed from the index: `treaty corpus restore iccpr`" in r.stderr
    r = cli("corpus", "restore", "iccpr")
    assert r.returncode == 0, r.stderr
    assert _corpus(cli)["iccpr"]["status"] == "indexed"


def test_show_prints_the_parsed_structure(cli):
    r = cli("corpus", "show", "budapest")
    assert r.returncode == 0, r.stderr
    assert "Article 15 – Conditions and safeguards  (1, 2, 3)" in r.stdout
    assert "Section 2: PROCEDURAL LAW" in r.stdout
    r = cli("corpus", "show", "dd-apc-ahc5")
    assert "Multiple investigatory powers: 11 paragraphs  pp. 8-10" in r.stdout
    assert "Footnotes: 30" in r.stdout
    note = next(line for line in r.stdout.splitlines() if line.strip().startswith("26  "))
    assert "p. 9" in note and "Multiple investigatory powers" in note
    obj = json.loads(cli("corpus", "show", "--json", "iccpr").stdout)
    assert any(part["heading"][-1].startswith("Article 17") and part["units"] == ["1", "2"] for part in obj["parts"])


def test_refs_lists_cited_documents_with_their_status(cli):
    r = cli("corpus", "refs", "--json", "dd-apc-ahc5")
    assert r.returncode == 0, r.stderr
    rows = {row["cites"]: row for row in json.loads(r.stdout)}
    assert rows["a-ac-291-19"]["status"] == "missing"
    assert rows["iccpr"]["status"] == "indexed"
    assert rows["ccpr-gc16"]["status"] == "missing" and any("footnote 23" in w for w in rows["ccpr-gc16"]["where"])
    r = cli("corpus", "refs", "dd-apc-ahc5")
    assert "missing:" in r.stdout and "treaty corpus fetch" in r.stdout


@pytest.mark.parametrize("name,content,expected", [
    ("absent.md", None, "file not found"),
    ("empty.md", b"", "file is empty"),
    ("binary.md", b"\x00\x01\x02binary", "binary data"),
    ("latin1.txt", "Article 1 caf\xe9".encode("latin-1"), "not UTF-8"),
    ("unknown.xyz", b"some text", "unsupported file type '.xyz'"),
])
def test_bad_files_are_refused_and_change_nothing(own_index, tmp_path, name, content, expected):
    settings, cli = own_index
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    generation, before = _current(settings), _corpus(cli)
    r = cli("corpus", "add", str(path))
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and name in lines[0], r.stderr
    assert _current(settings) == generation and _corpus(cli) == before


def test_a_huge_file_is_refused(own_index, synthetic):
    settings, cli = own_index
    r = cli("corpus", "add", str(synthetic), env={"TREATY_INDEX__MAX_FILE_MB": "0.0001"})
    assert r.returncode != 0 and "over the 0.0001 MB limit" in r.stderr


def test_a_failed_indexing_run_restores_the_corpus_state(own_index, synthetic):
    settings, _ = own_index
    state = read_state(settings)
    state.removed.append("iccpr")

    def explode(sources):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        save_and_index(settings, state, explode)
    assert "iccpr" not in read_state(settings).removed


def test_unknown_ids_and_misuse_are_one_line_errors(cli, synthetic):
    r = cli("corpus", "show", "no-such-doc")
    assert r.returncode != 0 and "unknown document id 'no-such-doc'" in r.stderr
    r = cli("corpus", "add", str(synthetic), str(synthetic), "--id", "x")
    assert r.returncode == 2 and "one at a time" in r.stderr
    r = cli("corpus", "add", str(synthetic), "--id", "Bad Id!")
    assert r.returncode == 2 and "not a usable id" in r.stderr
    r = cli("corpus", "restore", "iccpr")
    assert r.returncode == 2 and "was not removed" in r.stderr


def test_an_added_pdf_is_answered_from_with_its_pages(own_index, tmp_path, shared_corpus):
    from . import makedocs_pdf as mk

    settings, cli = own_index
    record = mk.treaty_pdf(tmp_path, shared_corpus)
    r = cli("corpus", "add", str(record.path), "--alias", "the extract")
    assert r.returncode == 0, r.stderr
    assert f"{record.pages} pages" in r.stdout
    r = cli("ask", "--json", "What does Article 21 of the extract say about interception of content data?")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    mine = [c for c in obj["citations"] if c["doc_id"] == record.path.stem]
    assert mine, obj["citations"]
    for c in mine:
        first, last = record.paragraphs[(c["article"], c["paragraph"])]
        assert first <= c["page"] <= last and f"p. {c['page']}" in c["locator"] or f"pp. {first}" in c["locator"]
    r = cli("corpus", "show", record.path.stem)
    assert "Article 21 – Interception of content data  (1, 2, 3, 4)" in r.stdout and f"symbol {record.symbol}" in r.stdout


def test_bad_pdfs_are_refused_and_change_nothing(own_index, tmp_path):
    from . import makedocs_pdf as mk

    settings, cli = own_index
    generation = _current(settings)
    cases = {"synthetic-scan.pdf": (mk.image_only_pdf(), "no text layer"),
             "synthetic-locked.pdf": (mk.tiny_pdf(owner_password="owner", user_password="secret"), "password"),
             "synthetic-broken.pdf": (b"%PDF-1.4\nnot really a pdf", "")}
    for name, (data, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        r = cli("corpus", "add", str(path))
        assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert name in r.stderr and expected in r.stderr
    assert _current(settings) == generation
