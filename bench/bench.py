"""Benchmarks for the targets of the backbone issue; prints its figures, asserts nothing.

    python bench/bench.py [--corpus-dir ../shared/corpus] [--runs 7] [--skip-index] [--skip-eval]

1. cold one-shot `treaty ask` (new process, index built): wall median and peak RSS
2. warm in-process queries: search and full ask p50/p95 over the evaluation questions
3. indexing the whole corpus: treaty-assistant vs the textbook LangChain pipeline, side by side,
   each in its own process (wall and peak RSS), plus the one-time ONNX export
4. evaluation: our scores beside the textbook pipeline's (`treaty eval --baseline`)"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTION = "Does Article 73 require judicial oversight?"


def peak_rss(args: list[str], env: dict) -> tuple[float, float, str]:
    """Run `args` under a tiny wrapper that reports its own child's peak RSS."""
    wrapper = ("import resource, subprocess, sys, time; t=time.perf_counter(); "
               "p=subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "w=time.perf_counter()-t; "
               "print(p.returncode, w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024); "
               "sys.stderr.write(p.stderr); print(p.stdout)")
    proc = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True, text=True, env=env)
    head, _, out = proc.stdout.partition("\n")
    code, wall, mb = head.split()
    if code != "0":
        sys.exit(f"benchmark step failed: {' '.join(args)}\n{proc.stderr}")
    return float(wall), float(mb), out


def env_for(data_dir: Path, corpus_dir: Path | None, model_dir: Path | None = None) -> dict:
    env = dict(os.environ, TREATY_DATA_DIR=str(data_dir))
    if corpus_dir:
        env["TREATY_CORPUS_DIR"] = str(corpus_dir)
    if model_dir:
        env["TREATY_MODEL_DIR"] = str(model_dir)
    return env


def bench_index(corpus: Path, tmp: Path) -> None:
    print("== indexing the whole corpus (each in its own process) ==")
    fresh_models = tmp / "models"
    wall, mb, _ = peak_rss([sys.executable, "-c", "from assistant.index.embed import OnnxMiniLM; OnnxMiniLM()"],
                           env_for(tmp / "unused", None, fresh_models))
    print(f"one-time ONNX export and check (first run on a machine): {wall:.1f} s, peak {mb:.0f} MB")
    wall_ours, mb_ours, _ = peak_rss([sys.executable, "-m", "assistant", "index", "--rebuild"],
                                     env_for(tmp / "ours", corpus, fresh_models))
    code = ("import sys, time; from pathlib import Path; t=time.perf_counter();"
            "from assistant.library.documents import registry; from assistant.settings import Settings;"
            "from assistant.evaluate.baseline import TextbookPipeline;"
            f"p=TextbookPipeline(registry(Settings(corpus_dir=Path({str(corpus)!r}))), Path({str(tmp / 'textbook')!r}));"
            "print(p.chunks, time.perf_counter()-t)")
    wall_tb, mb_tb, out = peak_rss([sys.executable, "-c", code], env_for(tmp / "unused", corpus))
    chunks = out.split()[0]
    print(f"{'pipeline':28} {'wall s':>8} {'peak MB':>8}")
    print(f"{'treaty-assistant index':28} {wall_ours:>8.1f} {mb_ours:>8.0f}")
    print(f"{'textbook LangChain (' + chunks + ' chunks)':28} {wall_tb:>8.1f} {mb_tb:>8.0f}")
    print(f"ratio textbook / ours: {wall_tb / wall_ours:.2f}x")


def bench_cold(corpus: Path, data: Path, runs: int) -> None:
    print(f"== cold one-shot `treaty ask` ({runs} new processes, index built) ==")
    env = env_for(data, corpus)
    walls, peaks = [], []
    for _ in range(runs):
        wall, mb, _ = peak_rss([sys.executable, "-m", "assistant", "ask", QUESTION], env)
        walls.append(wall)
        peaks.append(mb)
    print(f"wall median {statistics.median(walls):.3f} s (min {min(walls):.3f}, max {max(walls):.3f}); "
          f"peak RSS max {max(peaks):.0f} MB")


def bench_warm(corpus: Path, data: Path) -> None:
    print("== warm in-process queries (evaluation questions, 3 passes) ==")
    os.environ.update(env_for(data, corpus))
    from assistant.evaluate.harness import load_questions
    from assistant.facade import Assistant
    from assistant.settings import Settings

    a = Assistant.open(Settings())
    questions = [q.question for q in load_questions()]
    a.ask(questions[0])
    search, ask = [], []
    for _ in range(3):
        for q in questions:
            t0 = time.perf_counter()
            a.search(q)
            search.append((time.perf_counter() - t0) * 1e3)
            t0 = time.perf_counter()
            a.ask(q)
            ask.append((time.perf_counter() - t0) * 1e3)
    q = statistics.quantiles
    print(f"search p50 {statistics.median(search):.1f} ms, p95 {q(search, n=20)[18]:.1f} ms")
    print(f"ask    p50 {statistics.median(ask):.1f} ms, p95 {q(ask, n=20)[18]:.1f} ms  ({len(ask)} queries)")


def bench_eval(corpus: Path, data: Path) -> None:
    print("== evaluation beside the textbook pipeline (same process, same questions) ==")
    proc = subprocess.run([sys.executable, "-m", "assistant", "eval", "--baseline"], capture_output=True, text=True,
                          env=env_for(data, corpus))
    print(proc.stdout.rstrip() or proc.stderr)
    # the parts of the set written at different times (evals/README.md): the blind ones are the fair test
    proc = subprocess.run([sys.executable, "-m", "assistant", "eval", "--json"], capture_output=True, text=True,
                          env=env_for(data, corpus), check=True)
    rows = json.loads(proc.stdout)["per_question"]
    for name, lo, hi in PARTS:
        part = [r for r in rows if lo <= int(r["id"][1:]) <= hi]
        answerable = [r for r in part if r["answerable"]]
        print(f"{name:44} recall@5 {statistics.fmean(r['recall5'] for r in answerable):.3f}  "
              f"MRR@10 {statistics.fmean(r['rr10'] for r in answerable):.3f}  "
              f"abstention {statistics.fmean(r['abstain_ok'] for r in part):.3f}  ({len(part)} questions)")


PARTS = (("q001-q104 (written first)", 1, 104), ("q105-q120 (when / how many)", 105, 120),
         ("q121-q180 (written blind, fifth session)", 121, 180),
         ("q181-q270 (written blind, sixth session)", 181, 270),
         ("q271-q300 (written blind, seventh session)", 271, 300))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus-dir", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-index", action="store_true")
    parser.add_argument("--skip-eval", action="store_true")
    args = parser.parse_args()
    corpus = args.corpus_dir.resolve()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; corpus {corpus}")
    with tempfile.TemporaryDirectory(prefix="treaty-bench-") as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        subprocess.run([sys.executable, "-m", "assistant", "index"], check=True, env=env_for(data, corpus), capture_output=True)
        if not args.skip_index:
            bench_index(corpus, tmp)
        bench_cold(corpus, data, args.runs)
        bench_warm(corpus, data)
        if not args.skip_eval:
            bench_eval(corpus, data)


if __name__ == "__main__":
    main()
