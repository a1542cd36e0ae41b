"""Benchmark of the whole pipeline at one size: time and peak memory per stage.

    python bench/run.py --size 10000 [--seed 1] [--workers N | --scheduler tcp://HOST:8786]
                        [--stages prepare tag] [--fresh] [--parts K]

Generates a sample export (``klantvraag sample --size N``) under data/bench/ (git-ignored) or
reuses the one already there, then runs every stage as its own ``klantvraag`` command in its own
process on a database under data/bench/: ingest, prepare, reasons (fit), tag, reasons --apply,
report. Each stage is measured through ``os.wait4`` on that process alone, so peaks don't mix:
wall seconds, CPU seconds (the command and its worker processes), contacts/s, contacts per
CPU-second (the steadier figure on a shared machine) and peak resident memory (ru_maxrss: the
largest single process of the stage, not the sum over its workers). Ingest is counted per contact of
the export, every later stage per contact in the store.

``--parts K`` writes the export as K parts of SIZE/K contacts, two at a time: part k with seed k
and its own range of contact numbers (``klantvraag sample --first-index``), so no two parts
share a conversation id; SEED then only names the export and its store. The 1M export of stop
16 is ``--size 1000000 --seed 2 --parts 10`` (export-1000000-1, of stop 13-15, had ten seeded
parts without their own ranges: 7.8% of its contacts merged).

``--stages`` reruns only some stages on the existing database (the database is kept between
runs; ``--fresh`` starts a new one; a rerun of prepare empties contact_text first, so it
measures a full prepare, not an incremental one). With --workers / --scheduler, prepare and tag run their
per-contact work on a Dask cluster (see README, "Grote exports").
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "data" / "bench"
STAGES = ["ingest", "prepare", "reasons", "tag", "apply", "report"]


def _command(stage: str, export: Path, db: Path, out: Path, cluster: list[str]) -> list[str]:
    cli = [sys.executable, "-m", "pipeline.cli"]
    return {
        "ingest": cli + ["ingest", str(export), "--db", str(db)],
        "prepare": cli + ["prepare", "--db", str(db)] + cluster,
        "reasons": cli + ["reasons", "--db", str(db)],
        "tag": cli + ["tag", "--all", "--db", str(db)] + cluster,         # every contact
        "apply": cli + ["reasons", "--apply", "--all", "--db", str(db)],   # every contact
        "report": cli + ["report", "--db", str(db), "--out", str(out)],
    }[stage]


def store_path(size: int, seed: int) -> Path:
    """The database of ``bench/run.py --size SIZE --seed SEED``."""
    return BENCH / f"bench-{size}-{seed}.duckdb"


def built_store(size: int, seed: int) -> Path:
    """That database, which other benchmarks start from; exits when it was never built."""
    path = store_path(size, seed)
    if not path.exists():
        sys.exit(f"{path} is missing: run bench/run.py --size {size} --seed {seed} first")
    return path


def measure(command: list[str], log: Path) -> dict:
    """Run one stage command; its wall time, CPU time and peak memory (this process tree)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", KLANTVRAAG_QUIET="1")
    start = time.perf_counter()
    with log.open("w") as handle:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle,
                                   stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "peak_mib": usage.ru_maxrss / 1024, "ok": os.waitstatus_to_exitcode(status) == 0}


def _generate(export: Path, size: int, seed: int, parts: int) -> bool:
    """``klantvraag sample`` into ``export``; with ``parts`` > 1 into export/part1..partK, two
    processes at a time, part k with seed k and contact numbers of its own."""
    if parts <= 1:
        return measure([sys.executable, "-m", "pipeline.cli", "sample", "--out", str(export),
                        "--size", str(size), "--seed", str(seed)], BENCH / "sample.log")["ok"]
    env = dict(os.environ, PYTHONPATH=str(ROOT), KLANTVRAAG_QUIET="1")
    each = -(-size // parts)
    running, ok = [], True
    for k in range(parts):
        count = min(each, size - k * each)
        command = [sys.executable, "-m", "pipeline.cli", "sample",
                   "--out", str(export / f"part{k + 1}"), "--size", str(count),
                   "--seed", str(k + 1), "--first-index", str(k * each)]
        with (BENCH / f"sample-part{k + 1}.log").open("w") as log:
            running.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT))
        while len(running) >= 2 or (k == parts - 1 and running):
            ok = running.pop(0).wait() == 0 and ok
    return ok


def _stored(db: Path) -> int:
    """Contacts in the store: what every stage after ingest works on."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT count(*) FROM contacts").fetchone()[0]


def _forget_prepared(db: Path) -> None:
    """prepare is incremental: empty contact_text so a rerun measures a full prepare."""
    import duckdb

    con = duckdb.connect(str(db))
    try:
        con.execute("DELETE FROM contact_text")
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stages", nargs="*", choices=STAGES, default=STAGES)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--scheduler", default=None)
    parser.add_argument("--fresh", action="store_true", help="start with a new database")
    parser.add_argument("--parts", type=int, default=1,
                        help="write the export as this many parts, two at a time")
    parser.add_argument("--db", type=Path, default=None,
                        help="the database (default data/bench/bench-SIZE-SEED.duckdb): e.g. "
                             "to time ingest beside a run of the later stages on the default one")
    args = parser.parse_args()

    export = BENCH / f"export-{args.size}-{args.seed}"
    db = args.db or store_path(args.size, args.seed)
    out = BENCH / f"report-{args.size}-{args.seed}"
    BENCH.mkdir(parents=True, exist_ok=True)
    if not (export / ".complete").exists():
        print(f"export genereren: {args.size} contacten naar {export}", flush=True)
        if not _generate(export, args.size, args.seed, args.parts):
            sys.exit(f"generating the export failed; see {BENCH / 'sample.log'}")
        (export / ".complete").touch()
    if args.fresh or "ingest" in args.stages:
        for path in (db, Path(str(db) + ".wal")):
            path.unlink(missing_ok=True)
    cluster = (["--workers", str(args.workers)] if args.workers else []) + \
              (["--scheduler", args.scheduler] if args.scheduler else [])

    print(f"contacten: ingest per contact van de export ({args.size:,}), de andere stappen "
          f"per opgeslagen contact", flush=True)
    print(f"{'stap':<9}{'wall s':>9}{'CPU s':>9}{'c/s':>9}{'c/CPU-s':>9}{'piek MiB':>10}"
          f"{'KiB/c':>7}")
    for stage in [s for s in STAGES if s in args.stages]:
        log = BENCH / f"{stage}-{args.size}-{db.stem}.log"
        if stage == "prepare" and "ingest" not in args.stages:
            _forget_prepared(db)
        result = measure(_command(stage, export, db, out, cluster), log)
        if not result["ok"]:
            print(f"{stage:<9} mislukt; zie {log}", flush=True)
            break
        # ingest reads the export's contacts; every later stage works on the ones stored (fewer
        # where files of the export share a conversation id: the 1M export of ten seeded parts)
        n = args.size if stage == "ingest" else _stored(db)
        print(f"{stage:<9}{result['wall']:9.1f}{result['cpu']:9.1f}{n / result['wall']:9,.0f}"
              f"{n / max(result['cpu'], 1e-9):9,.0f}{result['peak_mib']:10,.0f}"
              f"{result['peak_mib'] * 1024 / n:7.1f}", flush=True)


if __name__ == "__main__":
    main()
