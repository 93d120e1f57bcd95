"""The evaluation set keeps retrieval and answers grounded: CI fails below evals/thresholds.toml."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.evaluate import harness as evaluate
from assistant.evaluate.harness import KINDS, load_questions

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def report(built):
    return evaluate.run(built)


def test_question_set_is_well_formed(shared_corpus):
    questions = load_questions()
    assert len(questions) >= 80
    counts = {k: sum(q.kind == k for q in questions) for k in KINDS}
    assert counts["unanswerable"] >= 12 and counts["multi-doc"] >= 1 and counts["ambiguous-number"] >= 1
    checker = subprocess.run([sys.executable, str(REPO / "evals" / "check_questions.py"), str(shared_corpus)],
                             capture_output=True, text=True)
    assert checker.returncode == 0, checker.stdout + checker.stderr


def test_scores_meet_thresholds(report):
    failures = evaluate.check_thresholds(report)
    assert not failures, failures


def test_every_citation_is_verbatim(report):
    assert report["assistant"]["citation_validity"] == 1.0


def test_report_has_every_metric(report):
    assert {"recall@5", "mrr@10", "citation_precision", "citation_validity", "abstention_accuracy",
            "latency_ms_p50"} <= set(report["assistant"])
    assert set(report["by_kind"]) == set(KINDS)
    assert len(report["per_question"]) == report["questions"]


def test_eval_cli_with_baseline_side_by_side(cli, tmp_path):
    subset = tmp_path / "subset.jsonl"
    lines = (REPO / "evals" / "questions.jsonl").read_text().splitlines()
    subset.write_text("\n".join(lines[:6] + [l for l in lines if '"unanswerable"' in l][:2]) + "\n")
    r = cli("eval", "--baseline", "--json", "--questions", str(subset))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["questions"] == 8
    assert {"recall@5", "mrr@10", "latency_ms_p50"} <= set(out["baseline"])
    assert out["baseline"]["chunks"] > 0 and out["index_seconds"]["textbook"] > 0
