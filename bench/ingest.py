"""Benchmark: ingest throughput and peak memory on generated exports of growing size.

    python bench/ingest.py                      # 10k, 30k, 100k contacts
    python bench/ingest.py --sizes 2000 --workers 1 2

For each size a sample export is generated (pipeline.sample.generate, seed 1) into a temporary
folder, then ingested into a fresh DuckDB file in a separate process, so that the peak resident
memory (ru_maxrss of that process plus its parser workers) belongs to the ingest alone.
Prints contacts/s (wall clock), CPU seconds (this process + parser workers; on a busy machine
contacts per CPU-second is the steadier figure), peak memory and the re-run time (everything
skipped as known). contacts/s should stay flat as size grows (linear time).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the parser workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measure(export: Path, db: Path, workers: int) -> dict:
    """Runs in a child process: ingest once, report numbers as JSON."""
    from pipeline import ingest, store
    from pipeline.config import load_config

    con = store.connect(db)
    began, cpu_began = time.perf_counter(), _cpu()
    summary = ingest.run(con, [export], load_config(None).ingest, workers=workers)
    seconds, cpu = time.perf_counter() - began, _cpu() - cpu_began
    total = summary.rows[-1]
    again = time.perf_counter()
    rerun = ingest.run(con, [export], load_config(None).ingest, workers=workers)
    rerun_seconds = time.perf_counter() - again
    con.close()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": seconds, "cpu_seconds": cpu, "files": total[1], "errors": total[4], "contacts": total[5],
            "messages": total[6], "rerun_seconds": rerun_seconds, "rerun_added": rerun.rows[-1][5],
            "peak_main_mib": own / 1024, "peak_worker_mib": children / 1024,
            "db_mib": db.stat().st_size / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--measure", nargs=3, metavar=("EXPORT", "DB", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        export, db, workers = args.measure
        print(json.dumps(measure(Path(export), Path(db), int(workers))))
        return

    from pipeline.sample import generate

    env = {**os.environ, "KLANTVRAAG_QUIET": "1", "PYTHONPATH": str(ROOT)}
    print(f"{'contacts':>9} {'workers':>7} {'files':>7} {'MiB in':>7} {'seconds':>8} {'contacts/s':>10} "
          f"{'msgs/s':>8} {'CPU s':>6} {'c/CPU-s':>8} {'peak MiB':>9} {'rerun s':>8}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="kv-bench-") as tmp:
            export = Path(tmp) / "export"
            began = time.perf_counter()
            generate(export, size=size, seed=args.seed)
            made = time.perf_counter() - began
            (export / "ground_truth.csv").unlink()      # labels are not part of the export
            mib = sum(f.stat().st_size for f in export.rglob("*") if f.is_file()) / 2**20
            for workers in args.workers:
                db = Path(tmp) / f"bench-{workers}.duckdb"
                out = subprocess.run([sys.executable, __file__, "--measure", str(export), str(db), str(workers)],
                                     check=True, capture_output=True, text=True, env=env)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                peak = r["peak_main_mib"] + (r["peak_worker_mib"] * workers if workers > 1 else 0)
                print(f"{r['contacts']:>9,} {workers:>7} {r['files']:>7,} {mib:>7.0f} {r['seconds']:>8.1f} "
                      f"{r['contacts'] / r['seconds']:>10,.0f} {r['messages'] / r['seconds']:>8,.0f} "
                      f"{r['cpu_seconds']:>6.1f} {r['contacts'] / r['cpu_seconds']:>8,.0f} "
                      f"{peak:>9,.0f} {r['rerun_seconds']:>8.1f}", flush=True)
                assert r["rerun_added"] == 0, "re-run added contacts"
            print(f"          (generated in {made:.0f} s; peak = main process + workers' largest x workers; "
                  f"errors = {r['errors']} deliberately broken sample files)", flush=True)


if __name__ == "__main__":
    main()
