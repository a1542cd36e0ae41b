"""Embedding speed of the reason backends on the BANKING77 test questions (3,080 English
customer questions from /work/shared/eval): texts per second (wall clock) and per CPU-second (the
steadier figure when other work shares the cores). Each backend is loaded and warmed on 50
questions first, so a first-use export or distillation is not counted.

    PYTHONPATH=$PWD HF_HUB_OFFLINE=1 python bench/embedders.py --specs minilm-onnx,minilm-static,use
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reasons import load_banking  # noqa: E402  (bench/reasons.py)

from pipeline.reasons.embed import make_embedder  # noqa: E402


def measure(spec: str, texts: list[str], repeats: int) -> tuple[float, float]:
    embedder = make_embedder(spec, language="en")
    embedder.fit(texts)
    embedder.transform(texts[:50])
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(repeats):
        embedder.transform(texts)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    n = repeats * len(texts)
    return n / wall, n / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", default="minilm-onnx,minilm-int8,minilm-static,use")
    parser.add_argument("--eval-dir", type=Path, default=Path("/work/shared/eval"))
    parser.add_argument("--repeats", type=int, default=1,
                        help="passes over the questions (fast backends need several)")
    parser.add_argument("--use-threads", type=int,
                        help="BLAS threads for USE (default themes.USE_THREADS)")
    args = parser.parse_args()
    if args.use_threads:
        from pipeline.reasons import themes

        themes.USE_THREADS = args.use_threads          # read when the encoder is first made
    texts, _ = load_banking(args.eval_dir, "test")
    for spec in args.specs.split(","):
        rate, per_cpu = measure(spec.strip(), texts, args.repeats)
        print(f"embed {len(texts)} BANKING77 test questions x{args.repeats} with {spec}: "
              f"{rate:,.0f} texts/s, {per_cpu:,.0f} per CPU-second", flush=True)


if __name__ == "__main__":
    main()
