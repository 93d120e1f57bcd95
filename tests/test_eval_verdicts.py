"""The verdict figures of `treaty eval` (assistant/evaluate/verdicts.py), on a tiny synthetic verdict
set (tests/data/verdicts-synthetic.jsonl, written for these tests: three of issue 18's questions) and
on answers built by hand."""

from __future__ import annotations

import json

import pytest

from assistant.evaluate import verdicts as ev
from assistant.errors import EvalError
from assistant.records import Answer, AnswerSentence, Citation, Hit, Part, Passage, Verdict
from tests.conftest import DATA

SET = DATA / "verdicts-synthetic.jsonl"


def test_the_set_loads_and_is_absent_without_its_file(tmp_path):
    qs = ev.load_verdicts(SET)
    assert [q.verdict for q in qs] == ["conditional", "no", "not-stated"] and qs[0].decisive[0].paragraph == "2"
    assert ev.load_verdicts(tmp_path / "none.jsonl") is None


def test_a_label_outside_the_four_is_an_error_naming_the_line(tmp_path):
    bad = tmp_path / "v.jsonl"
    bad.write_text(json.dumps({"id": "x", "question": "q?", "verdict": "maybe"}) + "\n", encoding="utf-8")
    with pytest.raises(EvalError, match=r"v.jsonl:1: verdict 'maybe' is not one of"):
        ev.load_verdicts(bad)


def _answer(label: str, decisive: list[int], paragraph: str = "2") -> Answer:
    text = "1. Parties shall act. 2. Such action shall, as appropriate, include synthetic supervision."
    p = Passage("syn:art15", "syn", "comparator", "Synthetic", "article", text, "Synthetic, art. 15", [(0, len(text))], article="15",
                parts=[Part("1", 0, 21, "Synthetic, art. 15(1)"), Part("2", 22, len(text), "Synthetic, art. 15(2)")])
    part = p.parts[int(paragraph) - 1]
    c = Citation(1, Hit(p, 1.0), text[part.start:part.end], part)
    return Answer("q", "", False, "extractive", [c], [c.hit], verdict=Verdict(label, decisive, [AnswerSentence("s", [1])]))


def test_a_verdict_is_scored_for_its_label_its_decisive_clause_and_its_grounding():
    q = ev.VerdictQuestion("a", "q?", "conditional", [ev.Decisive("syn", "15", "2", None, "synthetic supervision")])
    assert ev.score(q, _answer("conditional", [1])) == {"id": "a", "gold": "conditional", "label": "conditional", "correct": True,
                                                         "via_crossref": False, "decisive_cited": True, "grounded": True}
    wrong = ev.score(q, _answer("yes", [], paragraph="1"))
    assert not wrong["correct"] and not wrong["decisive_cited"] and not wrong["grounded"]
    s = ev.summarise([ev.score(q, _answer("conditional", [1])), wrong])
    assert s["verdict_accuracy"] == 0.5 and s["grounded_verdicts"] == 0.5 and s["decisive_cited"] == 0.5


def test_the_gate_reads_a_verdicts_table_and_passes_without_a_set():
    assert ev.check({}, {"verdict_accuracy": 0.9}) == []
    got = {"verdicts": {"verdict_accuracy": 0.5, "grounded_verdicts": 1.0}}
    assert ev.check(got, {"verdict_accuracy": 0.9, "grounded_verdicts": 1.0}) == ["verdict_accuracy = 0.5 (minimum 0.9)"]


def test_the_synthetic_set_scores_on_the_shared_corpus(assistant):
    got = ev.run(assistant, SET)
    assert got["questions"] == 3 and got["verdict_accuracy"] == 1.0 and got["decisive_cited"] == 1.0
    assert got["grounded_verdicts"] == 1.0 and got["verdict_accuracy_via_crossref"] == 1.0
    assert "verdict_accuracy" in "\n".join(ev.format_lines(got))


def test_a_verdict_set_asked_for_by_name_must_exist(tmp_path):
    from assistant.errors import EvalError

    with pytest.raises(EvalError) as e:
        ev.check_named(tmp_path / "missing.jsonl")
    assert "missing.jsonl" in e.value.message and "--verdicts" in e.value.message
