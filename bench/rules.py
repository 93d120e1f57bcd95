"""Each phrasing rule of assistant/query/rules.toml measured by switching it off, in one process.

    TREATY_DATA_DIR=... python bench/rules.py [--held-out q121] [--rules a,b] [--stages a,b|all] [--json out.json]

For every rule (and the rules all on), the evaluation set is searched and answered extractively as
`treaty eval` does, and the figures are printed on the questions written blind after most rules
(from --held-out on, q121-q300 by default) and on the whole set. A rule that helps on the held-out
questions is kept; one that does not is dropped (bench/RESULTS.md). With --stages, each rerank stage named is measured the same way, by taking it
out of `retrieval.stages`. Asserts nothing.

The rule switch is the setting `query.rules_off`: the query analysis reads no rule that is off, so
everything that follows from it downstream (a retrieval stage, an abstention) is off too. Question
embeddings are kept across variants, as the texts embedded repeat."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.answer.extractive import Extractive  # noqa: E402
from assistant.evaluate import _score, _summarise, load_questions  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402
from assistant.query import QueryReader  # noqa: E402
from assistant.query.rules import names  # noqa: E402
from assistant.retrieve.stages import build_stages  # noqa: E402
from assistant.settings import Settings  # noqa: E402

METRICS = ("recall@5", "mrr@10", "citation_precision", "answers_citing_gold", "abstention_accuracy")


def _remember(embedder) -> None:
    """Embed each text once: the variants embed the same questions again and again."""
    seen: dict[str, object] = {}
    embed = embedder.embed

    def cached(texts):
        missing = [t for t in texts if t not in seen]
        if missing:
            seen.update(zip(missing, embed(missing)))
        return [seen[t] for t in texts]

    embedder.embed = cached


def run(settings: Settings, off: list[str], stages_off: list[str], assistant: Assistant, questions, paths, raw_cache) -> list[dict]:
    stages = [s for s in settings.retrieval.stages if s not in stages_off]
    variant = settings.model_copy(update={"query": settings.query.model_copy(update={"rules_off": off}),
                                          "retrieval": settings.retrieval.model_copy(update={"stages": stages})})
    retriever = assistant.retriever
    retriever.stages = build_stages(variant, retriever.corpus)
    retriever.reader = QueryReader(assistant.sources, retriever.corpus, off)
    retriever.matcher = retriever.reader.matcher
    assistant.backend = Extractive(variant, retriever)
    return [_score(q, assistant.ask(q.question), raw_cache, paths) for q in questions]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--held-out", default="q121", help="the first question id written blind")
    ap.add_argument("--rules", default="", help="rules to measure, comma-separated (default: every rule)")
    ap.add_argument("--stages", default="", help="rerank stages to measure, comma-separated, or all")
    ap.add_argument("--json", type=Path, help="write every variant's figures here")
    args = ap.parse_args()
    settings = Settings()
    settings = settings.model_copy(update={"answer": settings.answer.model_copy(update={"backend": "extractive"})})
    assistant = Assistant.open(settings)
    _remember(assistant.retriever.embedder)
    questions = load_questions()
    paths = {d: v["path"] for d, v in assistant.retriever.snapshot.manifest["documents"].items()}
    raw_cache: dict[str, str] = {}
    rules = [r for r in args.rules.split(",") if r] or ([] if args.stages else names())
    stages = settings.retrieval.stages if args.stages == "all" else [s for s in args.stages.split(",") if s]
    report: dict[str, dict] = {}
    base: dict[str, tuple] = {}
    print(f"{'rule off':22} {'held-out ' + args.held_out + '+':>44} | {'all':>44}")
    print(f"{'':22} " + " ".join(f"{m[:8]:>8}" for m in METRICS) + " | " + " ".join(f"{m[:8]:>8}" for m in METRICS))
    for rule in ["(none)", *rules, *(f"stage:{s}" for s in stages)]:
        stage = rule.removeprefix("stage:") if rule.startswith("stage:") else None
        off = [] if rule == "(none)" or stage else [rule]
        rows = run(settings, off, [stage] if stage else [], assistant, questions, paths, raw_cache)
        held = _summarise([r for r in rows if r["id"] >= args.held_out])
        whole = _summarise(rows)
        base = base if rule != "(none)" else {r["id"]: _outcome(r) for r in rows}
        changed = [r["id"] for r in rows if _outcome(r) != base[r["id"]]]
        report[rule] = {"held_out": {m: held[m] for m in METRICS}, "all": {m: whole[m] for m in METRICS}, "changed": changed,
                        "per_question": rows}
        print(f"{rule:22} " + " ".join(f"{held[m]:>8}" for m in METRICS) + " | " + " ".join(f"{whole[m]:>8}" for m in METRICS)
              + f"  changed {len(changed)}: {' '.join(changed[:12])}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


def _outcome(row: dict) -> tuple:
    """What a question's result is, for telling which questions a rule changes."""
    return tuple(row.get(k) for k in ("abstained", "recall5", "rr10", "cited", "precise", "top"))


if __name__ == "__main__":
    main()
