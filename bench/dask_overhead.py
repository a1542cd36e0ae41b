"""Scheduler overhead per batch on a local Dask cluster: what a task costs besides its work.

    python bench/dask_overhead.py [--workers 2] [--tasks 400] [--rows 5000]

Starts ``Runner(workers=N)`` (pipeline.batches), then maps a function that does nothing over
``--tasks`` batches of ``--rows`` small rows (the size of a tag batch's keys and short texts),
and prints the cluster's start time and the seconds per batch (submit, ship the batch, run,
return), to set against a batch's real work (a tag batch of 5.000 contacts takes seconds).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.batches import Runner  # noqa: E402


def nothing(batch: list[dict]) -> int:
    return len(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=400)
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    batch = [{"contact_id": f"c{i:07d}", "customer_key": f"k{i % 997}", "text": "x" * 200}
             for i in range(args.rows)]
    start = time.perf_counter()
    with Runner(workers=args.workers) as runner:
        started = time.perf_counter() - start
        for rows, label in ((1, "lege batch (1 rij)"), (args.rows, f"batch van {args.rows:,} rijen")):
            items = [batch[:rows]] * args.tasks
            t0 = time.perf_counter()
            assert sum(runner.map(nothing, items)) == rows * args.tasks
            per = (time.perf_counter() - t0) / args.tasks
            print(f"{label}: {per * 1000:.1f} ms per batch ({args.tasks} batches, "
                  f"{args.workers} workers)")
    print(f"cluster starten: {started:.1f} s")


if __name__ == "__main__":
    main()
