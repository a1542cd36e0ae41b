"""Benchmark: what ingesting one small export costs on top of a store that already holds N
contacts. With lookups by key (an index scan per question) the cost stays flat as N grows; with
a scan of messages and contacts per window of files it grew with N (quadratic over a big export).

    python bench/ingest_lookups.py [--stored 0 300000 1000000] [--batch-files 5]

The store is filled in SQL (tests/ingest/stored.py); the export is the test suite's own folder of
every format (tests/data/ingest), cut into windows of ``--batch-files`` files so that every
window asks the store again. Prints wall and CPU seconds of the ingest per stored size, and the
part of it spent in the writer (pipeline.ingest.writer.flush).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import ingest, store  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.ingest import writer  # noqa: E402
from tests.ingest.stored import fill_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, nargs="+", default=[0, 300_000, 1_000_000])
    parser.add_argument("--batch-files", type=int, default=5)
    args = parser.parse_args()
    config = load_config(None).ingest
    spent = {"flush": 0.0, "windows": 0}
    flush = writer.flush

    def timed(con, batch, salt):
        start = time.process_time()
        try:
            return flush(con, batch, salt)
        finally:
            spent["flush"] += time.process_time() - start
            spent["windows"] += 1

    writer.flush = timed
    print(f"{'opgeslagen':>11}{'vensters':>9}{'wall s':>8}{'CPU s':>8}{'schrijver CPU s':>16}")
    for n in args.stored:
        with tempfile.TemporaryDirectory() as folder:
            export = Path(folder) / "export"
            shutil.copytree(ROOT / "tests" / "data" / "ingest", export)
            con = store.connect(Path(folder) / "bench.duckdb")
            fill_store(con, n)
            con.execute("CHECKPOINT")
            spent.update(flush=0.0, windows=0)
            wall, cpu = time.perf_counter(), time.process_time()
            ingest.run(con, [export], config, batch_files=args.batch_files)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            con.close()
        print(f"{n:>11,}{spent['windows']:>9}{wall:>8.1f}{cpu:>8.1f}{spent['flush']:>16.1f}",
              flush=True)


if __name__ == "__main__":
    main()
