"""The `treaty` command as a user runs it: a new process, output read from its pipes."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from .conftest import json_lines, run_cli

FIELDS = {"n", "doc_id", "title", "role", "locator", "article", "paragraph", "page", "text", "score"}


def test_ask_prints_cited_answer_and_sources(cli):
    r = cli("ask", "Does Article 73 require judicial oversight?")
    assert r.returncode == 0, r.stderr
    assert "[1]" in r.stdout and "Sources" in r.stdout
    assert "Derechos Digitales & APC submission, 'Multiple investigatory powers', p. 9" in r.stdout
    assert "\x1b[" not in r.stdout  # piped: plain text


def test_each_source_shows_the_sentences_its_number_stands_for(cli):
    # the submission's paragraph on data transfer is long; the sentence quoted from it comes late
    r = cli("ask", "--json", "Does Article 73 require judicial oversight?")
    obj = json.loads(r.stdout)
    shown = cli("ask", "Does Article 73 require judicial oversight?").stdout
    sources = " ".join(shown.split("\nSources\n", 1)[1].split())
    # the quoted sentences: the verdict that leads the answer reads them, it does not quote
    quoted = [x for x in obj["sections"] if x["role"] != "verdict"]
    assert obj["sections"][0]["role"] == "verdict" and quoted
    assert any(len(c["text"]) > 600 for c in obj["citations"])  # one excerpt must be cut
    for c in obj["citations"]:
        for sentence in (s["text"] for x in quoted for s in x["sentences"] if c["n"] in s["citations"]):
            assert " ".join(sentence.split()) in sources, (c["n"], sentence)


def test_an_answer_about_a_document_that_is_not_indexed_says_so(cli):
    r = cli("ask", "What does General Comment 16 say about surveillance of correspondence?")
    assert r.returncode == 0, r.stderr
    assert "No clear answer" not in r.stdout  # the submission quotes it
    tail = " ".join(r.stdout.split("Not indexed, might hold the answer:", 1)[1].split())
    assert "General Comment 16 (HRI/GEN/1/Rev.9 (Vol. I)) (`treaty corpus fetch ccpr-gc16`)" in tail


def test_excerpt_around_keeps_the_quote_and_marks_the_cuts():
    from assistant.cli.render import excerpt_around

    text = " ".join(f"Sentence number {i} of a long synthetic paragraph." for i in range(40))
    quote = "Sentence number 30 of a long synthetic paragraph."
    out = excerpt_around(text, [quote], limit=300)
    assert quote in out and out.startswith("… ") and out.endswith(" …") and len(out) <= 300 + 4
    assert excerpt_around(text, [text[:50]], limit=300).startswith("Sentence number 0")
    assert excerpt_around("short text", ["short"], limit=300) == "short text"
    assert excerpt_around(text, ["not in the text"], limit=300).startswith("Sentence number 0")
    far = ["Sentence number 10 of a long synthetic paragraph.", "Sentence number 20 of a long synthetic paragraph."]
    out = excerpt_around(text, far, limit=300)  # further apart than the limit: both are still shown
    assert all(q in out for q in far) and out.startswith("… ") and out.endswith(" …")


def test_ask_json_is_the_documented_object(cli):
    r = cli("ask", "--json", "What does Article 17 of the ICCPR protect?")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert {"question", "answer", "abstained", "backend", "citations", "passages", "timings_ms"} <= set(obj)
    assert obj["backend"] == "extractive" and obj["abstained"] is False
    assert obj["citations"] and all(FIELDS <= set(c) for c in obj["citations"])
    assert len(obj["passages"]) >= 10 and [p["rank"] for p in obj["passages"]] == list(range(1, len(obj["passages"]) + 1))
    assert all((FIELDS - {"n"}) <= set(p) for p in obj["passages"])


def test_batch_prints_json_lines_in_order(cli, tmp_path):
    questions = ["What does Article 17 of the ICCPR protect?", "Does Article 73 require judicial oversight?",
                 "Who wrote the submission?"]
    f = tmp_path / "q.txt"
    f.write_text("\n".join(questions) + "\n\n")
    r = cli("ask", "--batch", str(f))
    assert r.returncode == 0, r.stderr
    assert [o["question"] for o in json_lines(r.stdout)] == questions


def test_batch_keeps_order_when_one_question_is_bad(cli, tmp_path):
    f = tmp_path / "q.txt"
    f.write_text("ICCPR art. 17\nWhat does Article 999 of the ICCPR say?\nart. 15 Budapest\n")
    r = cli("ask", "--batch", str(f))
    assert r.returncode == 1
    rows = json_lines(r.stdout)
    assert [("error" in o) for o in rows] == [False, True, False]
    assert "no article 999" in rows[1]["error"]


def test_search_prints_ranked_passages(cli):
    r = cli("search", "art. 15 Budapest", "--top", "3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.lstrip().startswith("1. Budapest Convention, art. 15")
    assert "score" in r.stdout


def test_search_explain_prints_each_reason_and_json_carries_them(cli):
    r = cli("search", "Does Article 21 of the Budapest Convention require judicial oversight?", "--top", "5", "--explain")
    assert r.returncode == 0, r.stderr
    first = r.stdout.split("\n 2. ")[0]
    assert first.lstrip().startswith("1. Budapest Convention, art. 21")
    # one line per rule: the score change, the stage, what matched
    assert re.search(r"^\s+\+0\.\d{4}\s+fusion\s+dense#\d+$", first, re.MULTILINE)
    assert re.search(r"^\s+\+0\.\d{4}\s+references\s+article 21 named$", first, re.MULTILINE)
    assert re.search(r"^\s+\+0\.\d{4}\s+crossrefs\s+article 21 refers to it$", r.stdout, re.MULTILINE)
    r = cli("search", "Does Article 21 of the Budapest Convention require judicial oversight?", "--top", "5", "--json")
    top = json.loads(r.stdout)["passages"][0]
    assert {"stage": "references", "rule": "article", "matched": "21"}.items() <= top["reasons"][-1].items()
    assert sum(x["delta"] for x in top["reasons"]) == pytest.approx(top["score"], abs=1e-5)
    assert "article 21 named" in top["why"]


def test_corpus_list_shows_status(cli):
    r = cli("corpus", "list")
    assert r.returncode == 0, r.stderr
    lines = {line.split()[0]: line for line in r.stdout.splitlines() if line.strip()}
    assert "indexed" in lines["iccpr"] and "not downloaded" in lines["a-ac-291-19"]


def test_errors_are_one_line_with_nonzero_exit(cli, tmp_path):
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02 valid UTF-8, but binary")
    cases = [
        (cli("ask", "--batch", str(tmp_path / "binary.txt")), "binary data, not text"),
        (cli("ask", ""), "question is empty"),
        (cli("ask", "privacy", "--doc", "nope"), "unknown document id 'nope'"),
        (cli("ask", "privacy", "--role", "treaty"), "unknown role 'treaty'"),
        (cli("ask", "--batch", str(tmp_path / "missing.txt")), "file not found"),
        (cli("ask", "privacy", env={"TREATY_DATA_DIR": str(tmp_path / "none")}), "no index yet"),
        (cli("index", "--corpus-dir", str(tmp_path / "nowhere")), "does not exist"),
        (cli("ask", "What does Article 999 of the ICCPR say?"), "ICCPR has no article 999 (its articles run 1-53)"),
        (cli("ask", "What does Article 4242 say?"), "no indexed document has an article 4242"),
    ]
    for r, message in cases:
        assert r.returncode != 0
        assert r.stderr.startswith("error: ") and message in r.stderr and r.stderr.count("\n") == 1, r.stderr
        assert "Traceback" not in r.stderr


def test_corrupt_index_is_reported(built, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(built.data_dir, data)
    (data / "index" / "CURRENT").write_text("garbage")
    r = run_cli("ask", "privacy", env={"TREATY_DATA_DIR": str(data)})
    assert r.returncode == 3 and "run `treaty index --rebuild`" in r.stderr


def test_help_does_not_import_heavy_libraries():
    import subprocess
    import sys

    code = ("import sys, runpy; sys.argv=['treaty','--help']\n"
            "try:\n    runpy.run_module('assistant', run_name='__main__')\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('torch','transformers','chromadb','onnxruntime','langchain_core') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip().endswith("[]"), out


def test_ask_keeps_torch_and_chromadb_off_the_query_path(built):
    import subprocess
    import sys

    code = ("import sys, runpy; sys.argv=['treaty','ask','privacy of correspondence']\n"
            "try:\n    runpy.run_module('assistant', run_name='__main__')\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('torch','transformers','chromadb','sentence_transformers') if m in sys.modules))")
    import os

    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TREATY_")}, "TREATY_DATA_DIR": str(built.data_dir)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout
    assert out.strip().endswith("[]"), out


# --- usage errors, filters and paths: one line on stderr ----------------------------------------------

USAGE = [
    (["search", "--top", "abc", "x"], "treaty search: invalid value for '--top': 'abc' is not an integer (see `treaty search --help`)"),
    (["search", "--top", "2.5", "x"], "treaty search: invalid value for '--top': '2.5' is not an integer (see `treaty search --help`)"),
    (["search", "--top", "0", "privacy"], "treaty search: invalid value for '--top': must be at least 1, not 0"),
    (["search", "--top", "-3", "privacy"], "treaty search: invalid value for '--top': must be at least 1, not -3"),
    (["search", "--top-k", "3", "x"], "treaty search: no such option: --top-k; did you mean --top?"),
    (["search"], "treaty search: missing argument 'query'"),
    (["ask", "what", "is", "privacy"], "put a question of several words in quotes"),
    (["nosuch"], "treaty: no such command 'nosuch' (see `treaty --help`)"),
    (["corpus", "add"], "treaty corpus add: missing argument"),
]


def test_usage_errors_are_one_line_with_exit_2(tmp_path):
    env = {"TREATY_DATA_DIR": str(tmp_path / "data")}  # parsing fails before any index is needed
    for args, message in USAGE:
        r = run_cli(*args, env=env)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.startswith("error: ") and message in r.stderr and r.stderr.count("\n") == 1, r.stderr
        assert "╭" not in r.stderr and "Usage:" not in r.stderr and r.stdout == ""


def test_help_is_still_the_full_help():
    r = run_cli("--help")
    assert r.returncode == 0 and "Usage: treaty" in r.stdout and "search" in r.stdout and "corpus" in r.stdout
    r = run_cli("search", "--help")
    assert r.returncode == 0 and "--top" in r.stdout and "x>=1" in r.stdout and r.stderr == ""


def test_help_into_a_closed_pipe_exits_quietly():
    import os
    import subprocess
    import sys

    for args in (["--help"], ["search", "--help"]):
        read, write = os.pipe()
        os.close(read)  # no reader at all: the first write fails, as with `| head -1` once head is done
        proc = subprocess.run([sys.executable, "-m", "assistant", *args], stdout=write, stderr=subprocess.PIPE, text=True,
                              env={k: v for k, v in os.environ.items() if not k.startswith("TREATY_")})
        os.close(write)
        assert proc.returncode == 0 and proc.stderr == "", (args, proc.stderr)


def test_batch_with_a_question_too_is_a_usage_error(tmp_path):
    f = tmp_path / "q.txt"
    f.write_text("privacy\n")
    r = run_cli("ask", "--batch", str(f), "privacy", env={"TREATY_DATA_DIR": str(tmp_path / "data")})
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == f"error: give a question or --batch FILE, not both: put the question in {f} as a line of its own\n"


def test_batch_file_with_a_byte_order_mark(cli, tmp_path):
    f = tmp_path / "q.txt"
    f.write_bytes("\ufeffWho wrote the submission?\nICCPR art. 17\n".encode("utf-8"))
    r = cli("ask", "--batch", str(f))
    assert r.returncode == 0, r.stderr
    assert [o["question"] for o in json_lines(r.stdout)] == ["Who wrote the submission?", "ICCPR art. 17"]


def test_a_filter_on_documents_that_are_not_indexed(cli):
    fix = "General Comment 16 (ccpr-gc16) is registered but not indexed: `treaty corpus fetch ccpr-gc16` downloads and indexes it"
    for command in ("ask", "search"):
        r = cli(command, "--doc", "ccpr-gc16", "privacy")
        assert r.returncode == 1 and r.stdout == "" and r.stderr == f"error: {fix}\n", r.stderr
    r = cli("ask", "--role", "negotiating-text", "privacy")
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("error: no negotiating-text document is indexed: fetch one, e.g. `treaty corpus fetch ")
    r = cli("ask", "--json", "--doc", "ccpr-gc16", "--doc", "iccpr", "privacy of correspondence")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert f"not searched: {fix}" in obj["notes"]
    assert obj["citations"] and {c["doc_id"] for c in obj["citations"]} == {"iccpr"}
    r = cli("search", "--doc", "ccpr-gc16", "--doc", "iccpr", "privacy")
    assert r.returncode == 0 and r.stdout.lstrip().startswith("1. ICCPR") and r.stderr == f"note: not searched: {fix}\n"


def test_a_corpus_dir_without_registered_files_changes_nothing(own_index, tmp_path):
    settings, cli = own_index
    manifest = (settings.data_dir / "index" / "CURRENT").read_text()
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.md").write_text("not a registered file\n")
    a_file = tmp_path / "corpus.md"
    a_file.write_text("a file\n")
    cases = [(cli("--corpus-dir", str(empty), "index"), f"corpus folder {empty} holds none of the registered documents' files"),
             (cli("index", env={"TREATY_CORPUS_DIR": str(empty)}), "check the path given to --corpus-dir or TREATY_CORPUS_DIR"),
             (cli("--corpus-dir", str(a_file), "index"), f"{a_file} is a file, not a folder")]
    for r, message in cases:
        assert r.returncode == 2 and r.stderr.startswith("error: ") and message in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert (settings.data_dir / "index" / "CURRENT").read_text() == manifest
    r = cli("corpus", "list")
    assert r.returncode == 0 and r.stdout.splitlines()[-1].startswith("8 indexed")


def test_fetching_one_unreachable_document_is_one_line(own_index, monkeypatch):
    """In process, like tests/test_fetch.py: the official address is an unused loopback port."""
    import socket
    from dataclasses import replace

    from typer.testing import CliRunner

    import assistant.library.documents
    from assistant.cli.main import app
    from assistant.library.catalogue import load_catalogue

    settings, _ = own_index
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed at once: nothing listens there
    wanted = {"ccpr-gc16", "a-ac-291-19"}
    registry = [replace(s, address=f"https://127.0.0.1:{port}/{s.id}.pdf", download="") if s.id in wanted else s
                for s in load_catalogue()]
    monkeypatch.setattr(assistant.library.documents, "load_catalogue", lambda: registry)
    monkeypatch.setenv("TREATY_FETCH__RETRIES", "0")
    flags = ["--data-dir", str(settings.data_dir), "--corpus-dir", str(settings.corpus_dir)]
    r = CliRunner().invoke(app, [*flags, "corpus", "fetch", "ccpr-gc16"])
    assert r.exit_code == 4 and r.stdout == ""
    assert r.stderr.startswith("error: cannot reach 127.0.0.1 to fetch ccpr-gc16: ") and r.stderr.count("\n") == 1, r.stderr
    r = CliRunner().invoke(app, [*flags, "corpus", "fetch", *sorted(wanted)])
    assert r.exit_code == 4 and r.stderr.splitlines()[-1] == "error: 2 of 2 documents could not be fetched (see above)"
    assert len(r.stderr.splitlines()) == 3


def test_json_sections_are_the_answer_text_as_records(cli, tmp_path):
    """Each section's role is a declared one; every sentence cites numbers the citations hold; the
    answer text is the sections rendered; `cited` and `passage_ids` give the index's passages."""
    from assistant.records import SECTION_ROLES, AnswerSection, answer_text

    f = tmp_path / "q.txt"
    f.write_text("Does Article 73 require judicial oversight?\nWhat does Article 17 of the ICCPR protect?\n"
                 "What is the recipe for a good paella?\n")
    rows = json_lines(cli("ask", "--batch", str(f)).stdout)
    assert [o["abstained"] for o in rows] == [False, False, True]
    for obj in rows:
        sections = [AnswerSection.from_dict(x) for x in obj["sections"]]
        assert sections and all(x.role in SECTION_ROLES for x in sections)
        numbers = {c["n"] for c in obj["citations"]}
        assert all(set(s.citations) <= numbers for x in sections for s in x.sentences)
        assert {n for x in sections for s in x.sentences for n in s.citations} == numbers
        assert answer_text(sections, {c["n"]: c["doc_id"] for c in obj["citations"]}) == obj["answer"]
        assert [c["n"] for c in obj["cited"]] == sorted(numbers)
        assert all(c["passage_id"].startswith(f"{d['doc_id']}:") for c, d in zip(obj["cited"], obj["citations"]))
        assert len(obj["passage_ids"]) == len(obj["passages"])
    assert [x["role"] for x in rows[2]["sections"]] == ["abstention"]
    # a yes/no question: the verdict leads (its label cites its decisive clause, none when not stated)
    assert rows[0]["sections"][0]["role"] == "verdict" and rows[0]["verdict"]["label"] == "not-stated"
    assert rows[0]["sections"][1]["sentences"][0]["citations"] == [1]
