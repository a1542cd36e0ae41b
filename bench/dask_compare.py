"""The same prepare and tag run in this process and on a local Dask cluster: identical tables?
And how long each took.

    python bench/dask_compare.py --size 100000 [--workers 2]

Needs the database of ``bench/run.py --size N`` (data/bench/bench-N-1.duckdb, after its tag
stage). Copies it twice; on each copy empties contact_text and reruns ``klantvraag prepare``
and ``klantvraag tag`` as commands, one copy in process (the default), the other with
``--workers N`` (a local Dask cluster of N worker processes). Prints wall and CPU seconds per
stage and way, then compares the tables the two stages write, row for row (``prepared_at``
left out: it is the time of the run), and exits 1 when they differ.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import BENCH, _forget_prepared, built_store, measure  # noqa: E402

TABLES = {
    "contact_text": "* EXCLUDE (prepared_at)",
    "contact_tags": "*",
    "contact_third_parties": "*",
    "contact_symptoms": "*",
}


def _stage(stage: str, db: Path, cluster: list[str], log: Path) -> dict:
    every = ["--all"] if stage == "tag" else []        # tag is incremental: time a full one
    command = [sys.executable, "-m", "pipeline.cli", stage, *every, "--db", str(db), *cluster]
    result = measure(command, log)
    if not result["ok"]:
        sys.exit(f"{stage} failed on {db}; see {log}")
    return result


def _differences(a: Path, b: Path) -> dict[str, tuple[int, int, int]]:
    """Per table: (rows in a, rows in b, rows in one but not the other)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    out = {}
    for table, columns in TABLES.items():
        n_a = con.execute(f"SELECT count(*) FROM a.{table}").fetchone()[0]
        n_b = con.execute(f"SELECT count(*) FROM b.{table}").fetchone()[0]
        differ = con.execute(f"""
            SELECT count(*) FROM (
                (SELECT {columns} FROM a.{table} EXCEPT ALL SELECT {columns} FROM b.{table})
                UNION ALL
                (SELECT {columns} FROM b.{table} EXCEPT ALL SELECT {columns} FROM a.{table}))
        """).fetchone()[0]
        out[table] = (n_a, n_b, differ)
    con.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    source = built_store(args.size, args.seed)
    ways = {"in process": [], f"dask, {args.workers} workers": ["--workers", str(args.workers)]}
    copies = {}
    print(f"{'stap':<9}{'manier':<20}{'wall s':>9}{'CPU s':>9}{'piek MiB':>10}")
    for number, (way, cluster) in enumerate(ways.items()):
        db = BENCH / f"dask-compare-{args.size}-{number}.duckdb"
        shutil.copyfile(source, db)
        _forget_prepared(db)
        copies[way] = db
        for stage in ("prepare", "tag"):
            result = _stage(stage, db, cluster, BENCH / f"dask-compare-{stage}-{number}.log")
            print(f"{stage:<9}{way:<20}{result['wall']:9.1f}{result['cpu']:9.1f}"
                  f"{result['peak_mib']:10,.0f}", flush=True)
    a, b = copies.values()
    same = True
    for table, (n_a, n_b, differ) in _differences(a, b).items():
        print(f"{table:<24} rows {n_a:>9,} / {n_b:>9,}   differing rows {differ:,}")
        same = same and n_a == n_b and differ == 0
    print("identical" if same else "DIFFERENT")
    if same:
        for db in copies.values():
            db.unlink(missing_ok=True)
    else:
        _show(a, b)
        print(f"kept for a look: {a} and {b}")
    sys.exit(0 if same else 1)


def _show(a: Path, b: Path, limit: int = 5) -> None:
    """The columns in which differing rows of contact_text differ, a few rows."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    columns = [c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = 'a' "
        "AND table_name = 'contact_text' AND column_name <> 'prepared_at' "
        "ORDER BY column_index").fetchall()]
    picked = ", ".join([f"x.{c}" for c in columns] + [f"y.{c}" for c in columns])
    differing = " OR ".join(f"x.{c} IS DISTINCT FROM y.{c}" for c in columns)
    rows = con.execute(f"SELECT {picked} FROM a.contact_text x JOIN b.contact_text y "
                       f"USING (contact_id) WHERE {differing} LIMIT {limit}").fetchall()
    for row in rows:
        x, y = dict(zip(columns, row[:len(columns)])), dict(zip(columns, row[len(columns):]))
        print(f"contact_text {x['contact_id']}:")
        for c in columns:
            if x[c] != y[c]:
                print(f"  {c}: {str(x[c])[:200]!r}")
                print(f"  {' ' * len(c)}  {str(y[c])[:200]!r}")


if __name__ == "__main__":
    main()
