"""The `treaty` command as a user runs it: a new process, output read from its pipes."""

from __future__ import annotations

import json
import shutil

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
    answer = obj["answer"]
    assert any(len(c["text"]) > 600 for c in obj["citations"])  # one excerpt must be cut
    for c in obj["citations"]:
        for sentence in _sentences_cited(answer, c["n"]):
            assert " ".join(sentence.split()) in sources, (c["n"], sentence)


def _sentences_cited(answer: str, n: int) -> list[str]:
    import re

    return [m.group(1).strip() for m in re.finditer(rf"([^\]\n]+?) \[{n}\]", answer)]


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


def test_corpus_list_shows_status(cli):
    r = cli("corpus", "list")
    assert r.returncode == 0, r.stderr
    lines = {line.split()[0]: line for line in r.stdout.splitlines() if line.strip()}
    assert "indexed" in lines["iccpr"] and "not downloaded" in lines["a-ac-291-19"]


def test_errors_are_one_line_with_nonzero_exit(cli, tmp_path):
    cases = [
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
