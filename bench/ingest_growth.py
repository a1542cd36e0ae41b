"""Where ingest's cost goes as the store grows: one ingest run, cut in tenths of its windows.

    python bench/ingest_growth.py EXPORT --db DB [--config FILE]

Runs ``klantvraag ingest EXPORT --db DB`` in this process and, per tenth of the run's windows
of files, prints the messages written, the process's CPU seconds (parsing, hashing and the
writer together; DuckDB's threads included), the wall seconds of the writer
(``pipeline.ingest.writer.flush``: lookups, inserts and the commits with their checkpoints) and
DuckDB's own memory by kind at the end of the tenth (``duckdb_memory()``: ``ART_INDEX`` is the
indexes, ``BASE_TABLE`` the cached blocks of the tables). A cost that is linear shows the same
CPU seconds per thousand messages in every tenth. An existing DB shows what a new export costs
on top of what is stored (copy it first: the run adds to it). The first tenth also holds the
start: imports and counting the files.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("KLANTVRAAG_QUIET", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.ingest import writer  # noqa: E402

PARTS = 10


def main() -> None:
    windows: list[dict] = []
    flush = writer.flush

    def timed(con, batch, salt):
        started = time.perf_counter()
        written = flush(con, batch, salt)
        windows.append({"messages": len(batch.messages) + len(batch.mails),
                        "flush": time.perf_counter() - started, "cpu": time.process_time(),
                        "memory": dict(con.execute(
                            "SELECT tag, memory_usage_bytes FROM duckdb_memory() "
                            "WHERE memory_usage_bytes > 0").fetchall())})
        return written

    writer.flush = timed
    from pipeline.cli import app

    sys.argv = ["klantvraag", "ingest", *sys.argv[1:]]
    try:
        app()
    except SystemExit as exc:
        if exc.code:
            raise
    finally:
        writer.flush = flush
    report(windows)


def report(windows: list[dict]) -> None:
    if not windows:
        print("geen vensters geschreven")
        return
    size = -(-len(windows) // PARTS)
    print(f"{len(windows)} vensters; per tiende:")
    print(f"{'deel':>4}{'berichten':>11}{'CPU s':>8}{'CPU ms/1000 ber.':>18}{'flush s':>9}"
          f"{'ART MiB':>9}{'tabellen MiB':>14}")
    cpu_before = 0.0
    for part in range(0, len(windows), size):
        chunk = windows[part:part + size]
        messages = sum(w["messages"] for w in chunk)
        cpu = chunk[-1]["cpu"] - cpu_before
        cpu_before = chunk[-1]["cpu"]
        memory = chunk[-1]["memory"]
        print(f"{part // size:>4}{messages:>11,}{cpu:>8.1f}{1e6 * cpu / max(messages, 1):>18.1f}"
              f"{sum(w['flush'] for w in chunk):>9.1f}"
              f"{memory.get('ART_INDEX', 0) / 2**20:>9,.0f}"
              f"{memory.get('BASE_TABLE', 0) / 2**20:>14,.0f}")


if __name__ == "__main__":
    main()
