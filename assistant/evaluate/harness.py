"""Evaluation on evals/questions.jsonl: retrieval (recall@5, MRR@10), answers (citation precision and
validity, abstention accuracy) and latency, optionally beside the textbook pipeline in the same run."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import matrix_score
from . import verdicts as evaluate_verdicts
from ..errors import EvalError
from ..ingest.clean import clean, fold, is_verbatim
from ..locations import EVALS_DIR
from ..records import Answer, Passage
from ..settings import Settings

KINDS = ("fact", "paraphrase", "article-ref", "ambiguous-number", "multi-doc", "unanswerable")


@dataclass
class Gold:
    doc: str
    phrase: str
    article: str | None = None
    paragraph: str | None = None
    footnote: int | None = None


@dataclass
class Question:
    id: str
    question: str
    kind: str
    answerable: bool
    gold: list[Gold] = field(default_factory=list)


def load_questions(path: Path | None = None) -> list[Question]:
    path = path or EVALS_DIR / "questions.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        raise EvalError(f"{path}: cannot read the question set: check the path") from None
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(Question(d["id"], d["question"], d["kind"], bool(d["answerable"]), [Gold(**g) for g in d.get("gold", [])]))
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalError(f"{path}:{n}: not a valid question ({exc}): see evals/README.md for the format") from None
    return out


def matches(g: Gold, doc_id: str, text: str) -> bool:
    """Document and phrase: all that can be checked on an unstructured chunk (the baseline's)."""
    return doc_id == g.doc and fold(g.phrase) in fold(text)


def _passage_matches(g: Gold, p: Passage, text: str | None = None) -> bool:
    """Our passages also carry structure, so the article and footnote must agree too. `text` is what
    a citation quotes when it pinpoints one paragraph of the passage."""
    if not matches(g, p.doc_id, p.text if text is None else text):
        return False
    if g.article is not None and p.article != g.article:
        return False
    return g.footnote is None or p.footnote == g.footnote


def retrieval_scores(q: Question, ranked: list, match) -> tuple[float, float]:
    """(recall@5, reciprocal rank within 10) for one answerable question. Recall is over at most
    five golds: a question with seven (Article 17 of seven treaties) can at best show five in five."""
    top5 = ranked[:5]
    found = sum(any(match(g, r) for r in top5) for g in q.gold) / min(len(q.gold), 5)
    rr = next((1.0 / i for i, r in enumerate(ranked[:10], 1) if any(match(g, r) for g in q.gold)), 0.0)
    return found, rr


def _citation_valid(c, raw_cache: dict[str, str], paths: dict[str, str]) -> bool:
    p = c.hit.passage
    if p.doc_id not in raw_cache:
        from ..ingest import load_path
        from ..settings import Limits

        raw_cache[p.doc_id] = load_path(Path(paths[p.doc_id]), Limits(max_file_mb=1e6)).text
    return is_verbatim(raw_cache[p.doc_id], p.spans, p.text) and c.sentence in p.text


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run(settings: Settings, questions_path: Path | None = None, baseline: bool = False, backend: str | None = None,
        progress=lambda done, total: None, verdicts_path: Path | None = None) -> dict:
    from ..facade import Assistant

    questions = load_questions(questions_path)
    evaluate_verdicts.check_named(verdicts_path)
    assistant = Assistant.open(settings.model_copy(update={"answer": settings.answer.model_copy(update={"backend": "extractive"})}))
    paths = {d: v["path"] for d, v in assistant.retriever.snapshot.manifest["documents"].items()}
    assistant.ask("warm-up question about privacy")
    writer = _writer(assistant, backend) if backend and backend != "extractive" else None
    rows, raw_cache, written = [], {}, []
    for i, q in enumerate(questions, 1):
        answer = assistant.ask(q.question)
        rows.append(_score(q, answer, raw_cache, paths))
        if writer is not None:
            rows[-1]["supported_share"] = _verified_share(answer, assistant)
            written.append(_score_written(q, _write(writer, assistant, q.question), settings.answer.passages))
        progress(i, len(questions))
    report = {"questions": len(questions), "assistant": _summarise(rows), "by_kind": _by_kind(rows),
              "per_question": rows}
    # the yes/no set is scored once it exists (with the shipped questions, or when given)
    verdicts = evaluate_verdicts.run(assistant, verdicts_path) if verdicts_path or not questions_path else None
    if verdicts is not None:
        report["verdicts"] = verdicts
    matrix = _matrix(assistant) if not questions_path else None
    if matrix:
        report["matrix"] = matrix
    if writer is not None:
        report["generated"] = {"backend": backend, **_summarise_written(written),
                               "extractive_sentences_supported": round(statistics.fmean(r["supported_share"] for r in rows if "supported_share" in r), 4)}
        report["per_question_generated"] = written
    if baseline:
        report["baseline"] = _baseline(assistant.sources, questions)
        report["index_seconds"] = {"textbook": report["baseline"].pop("index_seconds")}
    return report


def _matrix(assistant) -> dict:
    """The safeguards matrix of the indexed treaties against the gold one (empty when none of its
    documents is indexed)."""
    snapshot = assistant.retriever.snapshot
    return matrix_score.score(assistant.sources, snapshot.passages, snapshot.provisions(), matrix_score.load_gold())


def _score(q: Question, a: Answer, raw_cache, paths) -> dict:
    passages = [h.passage for h in a.hits]
    row = {"id": q.id, "kind": q.kind, "answerable": q.answerable, "abstained": a.abstained,
           "evidence": round(a.evidence, 4), "latency_ms": a.timings_ms.get("total", 0.0),
           "top": [p.locator for p in passages[:3]]}
    if q.answerable:
        row["recall5"], row["rr10"] = retrieval_scores(q, passages, _passage_matches)
    if a.citations:
        row["cited"] = len(a.citations)
        row["precise"] = sum(any(_passage_matches(g, c.hit.passage, c.text) for g in q.gold) for c in a.citations)
        row["valid"] = sum(_citation_valid(c, raw_cache, paths) for c in a.citations)
    row["abstain_ok"] = a.abstained != q.answerable
    return row


def _writer(assistant, backend: str):
    from ..answer import get_backend

    return get_backend(backend)(assistant.settings, assistant.retriever)


def _write(writer, assistant, question: str) -> Answer:
    from ..library.catalogue import by_id

    t0 = time.perf_counter()
    retrieval = assistant.search(question)
    answer = writer.answer(retrieval.query.text, retrieval, by_id(assistant.sources))
    answer.timings_ms["total"] = (time.perf_counter() - t0) * 1e3
    return answer


def _verified_share(answer: Answer, assistant) -> float:
    """The extractive answer through the same verifier: the yardstick for the written ones."""
    from ..answer.verify import verify

    if answer.abstained or not answer.citations:
        return 1.0
    checked = verify(answer.text, {c.n: c.hit.passage for c in answer.citations}, assistant.retriever.embedder,
                     assistant.settings.answer.support_threshold).summary()
    return checked["supported"] / checked["sentences"] if checked["sentences"] else 1.0


def _score_written(q: Question, a: Answer, given: int) -> dict:
    from .answer.verify import marker_numbers

    v = a.verification or {}
    marks = marker_numbers(a.text) if v else []
    row = {"id": q.id, "kind": q.kind, "answerable": q.answerable, "abstained": a.abstained,
           "latency_ms": a.timings_ms.get("total", 0.0), "sentences": v.get("sentences", 0), "supported": v.get("supported", 0),
           "fell_back": any("extractive answer follows" in n for n in a.notes),
           "marks": len(marks), "valid_marks": sum(1 <= n <= given for n in marks), "abstain_ok": a.abstained != q.answerable}
    if a.citations and q.answerable:
        row["precise"] = sum(any(_passage_matches(g, c.hit.passage, c.text) for g in q.gold) for c in a.citations)
    return row


def _summarise_written(rows: list[dict]) -> dict:
    sentences = sum(r["sentences"] for r in rows)
    marks = sum(r["marks"] for r in rows)
    answered = [r for r in rows if r["answerable"] and not r["abstained"]]
    lat = [r["latency_ms"] for r in rows]
    return {
        "sentences": sentences,
        "sentences_supported": round(sum(r["supported"] for r in rows) / sentences, 4) if sentences else 0.0,
        "citation_validity": round(sum(r["valid_marks"] for r in rows) / marks, 4) if marks else 1.0,
        "answers_citing_gold": round(statistics.fmean(r.get("precise", 0) > 0 for r in answered), 4) if answered else 0.0,
        "abstention_accuracy": round(sum(r["abstain_ok"] for r in rows) / len(rows), 4) if rows else 0.0,
        "fell_back_to_extractive": sum(r["fell_back"] for r in rows),
        "latency_ms_p50": round(_percentile(lat, 0.5), 2),
        "latency_ms_p95": round(_percentile(lat, 0.95), 2),
    }


def _summarise(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    answered = [r for r in answerable if not r["abstained"]]
    cited = sum(r.get("cited", 0) for r in rows)
    cited_answerable = sum(r.get("cited", 0) for r in answerable)
    lat = [r["latency_ms"] for r in rows]
    return {
        "recall@5": round(statistics.fmean(r["recall5"] for r in answerable), 4) if answerable else 0.0,
        "mrr@10": round(statistics.fmean(r["rr10"] for r in answerable), 4) if answerable else 0.0,
        "citation_precision": round(sum(r.get("precise", 0) for r in answerable) / cited_answerable, 4) if cited_answerable else 0.0,
        # answered questions whose citations include at least one gold passage
        "answers_citing_gold": round(statistics.fmean(r.get("precise", 0) > 0 for r in answered), 4) if answered else 0.0,
        "citation_validity": round(sum(r.get("valid", 0) for r in rows) / cited, 4) if cited else 1.0,
        "abstention_accuracy": round(sum(r["abstain_ok"] for r in rows) / len(rows), 4) if rows else 0.0,
        "latency_ms_p50": round(_percentile(lat, 0.5), 2),
        "latency_ms_p95": round(_percentile(lat, 0.95), 2),
    }


def _by_kind(rows: list[dict]) -> dict:
    out = {}
    for kind in KINDS:
        sub = [r for r in rows if r["kind"] == kind]
        if sub:
            ans = [r for r in sub if r["answerable"]]
            out[kind] = {"n": len(sub), "abstention_accuracy": round(sum(r["abstain_ok"] for r in sub) / len(sub), 4)}
            if ans:
                out[kind]["recall@5"] = round(statistics.fmean(r["recall5"] for r in ans), 4)
                out[kind]["mrr@10"] = round(statistics.fmean(r["rr10"] for r in ans), 4)
    return out


def _baseline(sources, questions: list[Question]) -> dict:
    from .baseline import TextbookPipeline

    with tempfile.TemporaryDirectory(prefix="treaty-baseline-") as tmp:
        pipeline = TextbookPipeline(sources, Path(tmp))
        pipeline.search("warm-up question about privacy")
        rows, lat = [], []
        for q in questions:
            t0 = time.perf_counter()
            docs = pipeline.search(q.question, k=10)
            lat.append((time.perf_counter() - t0) * 1e3)
            if q.answerable:
                rows.append(retrieval_scores(q, docs, lambda g, d: matches(g, d.metadata["doc_id"], clean(d.page_content))))
        return {
            "recall@5": round(statistics.fmean(r[0] for r in rows), 4) if rows else 0.0,
            "mrr@10": round(statistics.fmean(r[1] for r in rows), 4) if rows else 0.0,
            "latency_ms_p50": round(_percentile(lat, 0.5), 2),
            "latency_ms_p95": round(_percentile(lat, 0.95), 2),
            "chunks": pipeline.chunks,
            "index_seconds": round(pipeline.index_seconds, 2),
        }


def thresholds(path: Path | None = None) -> dict:
    with open(path or EVALS_DIR / "thresholds.toml", "rb") as fh:
        return tomllib.load(fh)


def check_thresholds(report: dict, path: Path | None = None) -> list[str]:
    limits = thresholds(path)
    failures = evaluate_verdicts.check(report, limits.get("verdicts", {}))
    failures += [f"{m} = {report['matrix'].get(m)} (minimum {floor})" for m, floor in limits.get("matrix", {}).items()
                 if report.get("matrix") and (report["matrix"].get(m) is None or report["matrix"][m] < floor)]
    for metric, minimum in limits.get("minimum", {}).items():
        value = report["assistant"].get(metric)
        if value is None or value < minimum:
            failures.append(f"{metric} = {value} (minimum {minimum})")
    return failures


def format_report(report: dict) -> str:
    a = report["assistant"]
    b = report.get("baseline")
    metrics = ["recall@5", "mrr@10", "citation_precision", "answers_citing_gold", "citation_validity", "abstention_accuracy",
               "latency_ms_p50", "latency_ms_p95"]
    lines = [f"{report['questions']} questions", f"{'metric':22} {'treaty-assistant':>17}" + (f" {'textbook':>10}" if b else "")]
    for m in metrics:
        lines.append(f"{m:22} {a[m]:>17}" + (f" {b.get(m, '—'):>10}" if b else ""))
    if b:
        lines.append(f"{'chunks / index s':22} {'':>17} {b['chunks']:>5} / {report['index_seconds']['textbook']}")
    lines.append("")
    lines.append(f"{'kind':18} {'n':>3} {'recall@5':>9} {'mrr@10':>7} {'abstain':>8}")
    for kind, k in report["by_kind"].items():
        lines.append(f"{kind:18} {k['n']:>3} {k.get('recall@5', '—'):>9} {k.get('mrr@10', '—'):>7} {k['abstention_accuracy']:>8}")
    g = report.get("generated")
    if g:
        lines += ["", f"{'answers':26} {'extractive':>11} {g['backend']:>11}"]
        rows = [("sentences supported", g["extractive_sentences_supported"], g["sentences_supported"]),
                ("citation validity", a["citation_validity"], g["citation_validity"]),
                ("answers citing gold", a["answers_citing_gold"], g["answers_citing_gold"]),
                ("abstention accuracy", a["abstention_accuracy"], g["abstention_accuracy"]),
                ("latency ms p50", a["latency_ms_p50"], g["latency_ms_p50"]),
                ("latency ms p95", a["latency_ms_p95"], g["latency_ms_p95"])]
        for name, x, y in rows:
            lines.append(f"{name:26} {x:>11} {y:>11}")
        lines.append(f"{g['sentences']} generated sentences; {g['fell_back_to_extractive']} answers fell back to the extractive one "
                     "(no sentence supported)")
    lines += evaluate_verdicts.format_lines(report.get("verdicts"))
    m = report.get("matrix")
    if m:
        lines += ["", f"safeguards matrix: {m['cells']} cells, accuracy {m['cell_accuracy']}, "
                      f"on cells the gold says are not absent {m['present_cell_accuracy']}"]
    return "\n".join(lines)
