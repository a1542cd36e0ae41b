"""Adding a month to a large store: what each stage costs for the new contacts alone.

    python bench/increment.py --size 100000 [--add 10000] [--seed 1]

Copies the store of ``bench/run.py --size SIZE`` (all stages run), generates a second export
of ``--add`` contacts (another seed: a new month of the same organisation), then times, each
as its own ``klantvraag`` command as a user runs them: ingest of the new export, prepare,
``reasons --apply``, tag, report; then ``tag --all`` and ``reasons --apply --all`` on the same
store for comparison (what a stage costs when it redoes every contact). Prepare, apply and a
full tag run first: the store may come from older code (whose contacts are prepared again
once), and a tag run stores the votes the next one builds on.
Prints wall and CPU seconds and peak memory per step.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BENCH, built_store, measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100000)
    parser.add_argument("--add", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    base = built_store(args.size, args.seed)
    db = BENCH / f"increment-{args.size}-{args.seed}.duckdb"
    Path(str(db) + ".wal").unlink(missing_ok=True)   # a killed run leaves one behind
    shutil.copyfile(base, db)
    shutil.rmtree(BENCH / "models" / db.stem, ignore_errors=True)
    shutil.copytree(BENCH / "models" / base.stem, BENCH / "models" / db.stem)
    month = BENCH / f"month-{args.add}-{args.seed + 100}"
    cli = [sys.executable, "-m", "pipeline.cli"]
    if not (month / ".complete").exists():
        result = measure(cli + ["sample", "--out", str(month), "--size", str(args.add),
                                "--seed", str(args.seed + 100)], BENCH / "sample.log")
        if not result["ok"]:
            sys.exit("generating the new month failed")
        (month / ".complete").touch()
    out = BENCH / f"report-increment-{args.size}"
    # First the store brought up to this code (a store prepared by older code is prepared
    # again once; a tag run stores the votes the next one builds on), then the new month as a
    # user adds it, then the full stages again for comparison.
    steps = [("prepare (vooraf)", ["prepare"]), ("apply (vooraf)", ["reasons", "--apply"]),
             ("tag (vooraf)", ["tag", "--all"]),
             ("ingest", ["ingest", str(month)]), ("prepare", ["prepare"]),
             ("apply", ["reasons", "--apply"]), ("tag", ["tag"]),
             ("report", ["report", "--out", str(out)]),
             ("tag --all", ["tag", "--all"]), ("apply --all", ["reasons", "--apply", "--all"])]
    print(f"store of {args.size:,} contacts plus {args.add:,} new ones")
    print(f"{'stap':<13}{'wall s':>9}{'CPU s':>9}{'piek MiB':>10}")
    for name, command in steps:
        log = BENCH / f"increment-{name.replace(' ', '')}.log"
        result = measure(cli + command + ["--db", str(db)], log)
        status = "" if result["ok"] else f"  mislukt; zie {log}"
        print(f"{name:<13}{result['wall']:9.1f}{result['cpu']:9.1f}{result['peak_mib']:10,.0f}"
              f"{status}", flush=True)


if __name__ == "__main__":
    main()
