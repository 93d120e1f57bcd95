"""Embedding throughput, side by side in one run: passages per CPU-second (all threads of this process)
and per wall-second, for each embedder and thread count, on the passages of a corpus; and how far each
variant's vectors are from the fp32 export's (cosine, and the share of each passage's ten nearest
passages that stay the same). Prints its figures, asserts nothing.

    python bench/embed_throughput.py [--corpus-dir ../shared/corpus] [--rounds 2]

Each variant runs `--rounds` times, interleaved, and the best round is kept (a busy machine only ever
slows a round down)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.index import embed  # noqa: E402
from assistant.index.build import embed_text  # noqa: E402
from assistant.ingest import load, parse  # noqa: E402
from assistant.library.documents import registry  # noqa: E402
from assistant.query.refs import AliasMatcher  # noqa: E402
from assistant.settings import Settings  # noqa: E402

VARIANTS = (("minilm-onnx", 1), ("minilm-onnx", 2), ("minilm-onnx-int8", 1), ("minilm-onnx-int8", 2))


def corpus_texts(corpus: Path) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), corpus_dir=corpus)
        everything = registry(settings)
        matcher = AliasMatcher.build(everything)
        sources = [s for s in everything if s.path]
        return [embed_text(p) for s in sources for p in parse(load(s, settings.index), matcher, settings.index)]


def embedder(name: str, threads: int):
    return embed.EMBEDDERS.get(name)(threads=threads)


def timed(e, texts: list[str]) -> tuple[np.ndarray, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    vectors = e.embed(texts)
    return vectors, time.process_time() - cpu, time.perf_counter() - wall


def neighbours(vectors: np.ndarray, k: int = 10) -> np.ndarray:
    return np.argsort(-(vectors @ vectors.T), axis=1)[:, 1:k + 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus-dir", type=Path, default=REPO.parent / "shared" / "corpus")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    texts = corpus_texts(args.corpus_dir)
    print(f"{len(texts)} passages from {args.corpus_dir}")
    models = {v: embedder(*v) for v in VARIANTS}
    best: dict = {}
    for _ in range(args.rounds):
        for v, e in models.items():
            vectors, cpu, wall = timed(e, texts)
            if v not in best or cpu < best[v][1]:
                best[v] = (vectors, cpu, wall)
    reference = best[VARIANTS[0]][0]
    near = neighbours(reference)
    base = len(texts) / best[VARIANTS[0]][1]
    print(f"{'embedder':<18} {'threads':>7} {'passages/CPU-s':>15} {'ratio':>6} {'passages/s':>11} {'cos min':>8} {'top-10 kept':>12}")
    for (name, threads), (vectors, cpu, wall) in best.items():
        cos = (vectors * reference).sum(axis=1)
        kept = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(near, neighbours(vectors))])
        print(f"{name:<18} {threads:>7} {len(texts) / cpu:>15.1f} {len(texts) / cpu / base:>5.2f}x {len(texts) / wall:>11.1f}"
              f" {cos.min():>8.4f} {kept:>12.3f}")


if __name__ == "__main__":
    main()
