"""Benchmark `klantvraag prepare` (the nlp stage) on a generated export.

    python bench/prepare.py                      # 100k contacts: generate, ingest, prepare
    python bench/prepare.py --size 20000 --workers 1 2
    python bench/prepare.py --db /tmp/kv100k.duckdb   # reuse an ingested database

Prints contacts/s, CPU seconds (parent and worker processes; on a busy machine contacts per
CPU-second shows what free cores would give), peak memory, the no-op re-run time,
and quality checks against the generator's ground truth: raw e-mail addresses, phone numbers and
IBANs left in question_text/customer_text (must be 0), auto-reply detection and language.
Generation and ingest are timed separately and not counted.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("KLANTVRAAG_QUIET", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline import ingest, nlp, sample, store  # noqa: E402
from pipeline.config import load_config  # noqa: E402

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w])(?:\+31|0031|0)[\d ()\-.]{8,16}\d(?![\w])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
NUMBER_RUN = re.compile(r"\+?\d[\d ()\-./]{7,24}\d")


def peak_mib() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_db(size: int, seed: int, workdir: Path) -> tuple[Path, Path]:
    export = workdir / "export"
    db = workdir / "bench.duckdb"
    t0 = time.perf_counter()
    sample.generate(export, size=size, seed=seed)
    t1 = time.perf_counter()
    con = store.connect(db)
    ingest.run(con, [export], load_config(None).ingest)
    con.execute("CHECKPOINT")
    con.close()
    t2 = time.perf_counter()
    print(f"generated {size:,} contacts in {t1 - t0:.0f} s, ingested in {t2 - t1:.0f} s (not counted)")
    return db, export


def _digit_windows(text: str) -> set[str]:
    """Every 10-12 digit window of every number-like run in ``text`` (separators dropped)."""
    found = set()
    for run in NUMBER_RUN.findall(text):
        digits = re.sub(r"\D", "", run)
        for size in (10, 11, 12):
            found.update(digits[i:i + size] for i in range(len(digits) - size + 1))
    return found


def quality(con, export: Path | None) -> None:
    emails, phones, ibans = set(), set(), set()
    for (text,) in con.execute("SELECT text FROM messages WHERE role = 'customer'").fetchall():
        emails.update(e.lower() for e in EMAIL.findall(text))
        ibans.update(i.replace(" ", "") for i in IBAN.findall(text))
        for raw in PHONE.findall(text):
            digits = re.sub(r"\D", "", raw.replace("(0)", ""))
            if 10 <= len(digits) <= 12:
                phones.add(digits)
    out_emails, out_ibans, out_digits = set(), set(), set()
    for row in con.execute("SELECT question_text, customer_text FROM contact_text").fetchall():
        for text in row:
            if text:
                out_emails.update(e.lower() for e in EMAIL.findall(text))
                out_ibans.update(i.replace(" ", "") for i in IBAN.findall(text))
                out_digits |= _digit_windows(text)
    print(f"PII in source customer messages: {len(emails):,} e-mail addresses, {len(phones):,} phone "
          f"numbers, {len(ibans):,} IBANs; left in question/customer text: {len(emails & out_emails)}"
          f" / {len(phones & out_digits)} / {len(ibans & out_ibans)}")
    truth_file = export / "ground_truth.csv" if export else None
    if not truth_file or not truth_file.exists():
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE truth AS SELECT * FROM read_csv_auto('{truth_file}')")
    row = con.execute("""
        SELECT count(*),
               count(*) FILTER (t.is_auto_reply AND g.is_auto_reply),
               count(*) FILTER (t.is_auto_reply AND NOT g.is_auto_reply),
               count(*) FILTER (NOT t.is_auto_reply AND g.is_auto_reply),
               count(*) FILTER (NOT g.is_auto_reply AND t.language = g.language),
               count(*) FILTER (NOT g.is_auto_reply)
        FROM contact_text t JOIN contacts c USING (contact_id)
        JOIN truth g ON g.external_id = c.external_id""").fetchone()
    n, tp, fp, fn, lang_ok, lang_n = row
    print(f"ground truth joined: {n:,} contacts; auto-replies found {tp}, false {fp}, missed {fn}; "
          f"language right {lang_ok / max(lang_n, 1):.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--db", type=Path, help="an ingested database to copy instead of generating")
    parser.add_argument("--export", type=Path, help="the export folder of --db (for ground truth)")
    parser.add_argument("--keep", type=Path, help="keep the generated database here")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench_prepare_"))
    try:
        if args.db:
            base, export = args.db, args.export
        else:
            base, export = build_db(args.size, args.seed, workdir)
            if args.keep:
                shutil.copy(base, args.keep)
        config = load_config(None)
        for workers in args.workers:
            db = workdir / f"run_{workers}.duckdb"
            shutil.copy(base, db)
            con = store.connect(db)
            n = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
            m = con.execute("SELECT count(*) FROM messages").fetchone()[0]
            t0 = time.perf_counter()
            cpu0 = time.process_time()
            kids0 = _children_cpu()
            nlp.run(con, config.nlp, workers=workers)
            elapsed = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
            kids = _children_cpu() - kids0
            t1 = time.perf_counter()
            nlp.run(con, config.nlp, workers=workers)
            rerun = time.perf_counter() - t1
            own, child = peak_mib()
            print(f"workers={workers}: {n:,} contacts ({m:,} messages) in {elapsed:.1f} s = "
                  f"{n / elapsed:,.0f} contacts/s; CPU parent {cpu:.0f} s + workers {kids:.0f} s "
                  f"= {n / (cpu + kids):,.0f} contacts per CPU-second; peak RSS parent "
                  f"{own:,.0f} MiB, largest worker {child:,.0f} MiB; no-op re-run {rerun:.1f} s "
                  f"(cpus available: {len(os.sched_getaffinity(0))})")
            quality(con, export)
            con.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
