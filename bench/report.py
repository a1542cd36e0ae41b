"""Benchmark the report: synthesise N contacts' stage output straight into the tables
(tests/report/synth.py), then time `pipeline.report.run` and print seconds, file sizes and
peak memory.

    .venv/bin/python bench/report.py --contacts 100000 [--lang nl] [--out /tmp/klantvraag-bench]
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import report, store
from pipeline.config import load_config
from tests.report.synth import synthesise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--lang", default="nl")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="klantvraag-bench-"))

    con = store.connect(":memory:")
    started = time.perf_counter()
    synthesise(con, args.contacts, seed=1)
    synth_s = time.perf_counter() - started
    config = dataclasses.replace(load_config(None).report, lang=args.lang, output_dir=str(out))

    started = time.perf_counter()
    summary = report.run(con, config)
    report_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    html = next(out.glob("*.html"))
    xlsx = next(out.glob("*.xlsx"))
    tables = sum(p.stat().st_size for p in (out / "tables").iterdir())
    print(f"contacts          {args.contacts:>12,}")
    print(f"synthesise        {synth_s:>12.1f} s")
    print(f"report            {report_s:>12.1f} s   (target < 60 s)")
    print(f"html              {html.stat().st_size / 1e6:>12.2f} MB  (target < 15 MB)")
    print(f"xlsx              {xlsx.stat().st_size / 1e6:>12.2f} MB")
    print(f"tables (csv+pq)   {tables / 1e6:>12.2f} MB")
    print(f"peak RSS          {peak_mb:>12.0f} MB")
    print(f"projects          {summary.as_dict()['notes'][-1][:100]}…")
    print(f"output            {out}")


if __name__ == "__main__":
    main()
