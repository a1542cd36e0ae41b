"""Benchmark: ingest throughput of the vendor readers (pipeline/ingest/vendors) on a generated export.

    python bench/ingest_vendors.py                 # 10k contacts
    python bench/ingest_vendors.py --size 30000

The export is built from the test fixtures (tests/fixtures/vendors) by copying their records under
new ids, in the shapes a tool hands out: Zendesk incremental ticket pages of 100 tickets with one
``tickets/{id}/comments.json`` per ticket (joined after every file is parsed), Intercom
conversations one per file, Freshdesk tickets with their conversations, Genesys transcripts and
Contact Lens files one per call. Ingested with one worker into a fresh DuckDB file in a child
process; prints contacts/s (wall clock) and contacts per CPU-second (the steadier figure on a
shared machine), and peak memory.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "vendors"
SHARES = {"zendesk": 0.4, "intercom": 0.2, "freshdesk": 0.2, "genesys": 0.1, "contact_lens": 0.1}


def _load(relative: str) -> dict:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


def _write(path: Path, document) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def generate(out: Path, size: int) -> None:
    counts = {vendor: int(size * share) for vendor, share in SHARES.items()}
    counts["zendesk"] += size - sum(counts.values())
    page = _load("zendesk/incremental_tickets_cursor.json")
    comments = _load("zendesk/tickets/4101/comments.json")
    tickets = []
    for n in range(counts["zendesk"]):
        ticket_id = 1_000_000 + n
        ticket = {**copy.deepcopy(page["tickets"][0]), "id": ticket_id}
        tickets.append(ticket)
        own = copy.deepcopy(comments)
        for index, comment in enumerate(own["comments"]):
            comment["id"] = ticket_id * 10 + index
        _write(out / "zendesk" / "tickets" / str(ticket_id) / "comments.json", own)
    for start in range(0, len(tickets), 100):
        _write(out / "zendesk" / f"tickets_{start // 100:05d}.json",
               {**page, "tickets": tickets[start:start + 100]})
    conversation = _load("intercom/conversation_215470.json")
    for n in range(counts["intercom"]):
        _write(out / "intercom" / f"{n:06d}.json", {**conversation, "id": str(900_000_000 + n)})
    ticket = _load("freshdesk/ticket_20431_include_conversations.json")
    for n in range(counts["freshdesk"]):
        _write(out / "freshdesk" / f"{n:06d}.json", {**ticket, "id": 3_000_000 + n})
    transcript = _load("genesys/transcript_6f1c.json")
    for n in range(counts["genesys"]):
        _write(out / "genesys" / f"{n:06d}.json", {**transcript, "conversationId": f"g-{n:08d}"})
    lens = _load("contact_lens/0a1b2c3d-4e5f-6789-abcd-ef0123456789_analysis_2026-09-02T08-30-00Z.json")
    for n in range(counts["contact_lens"]):
        name = f"c-{n:08d}_analysis_2026-09-02T08-30-00Z.json"
        _write(out / "contact_lens" / name, {**lens, "CustomerMetadata": {"ContactId": f"c-{n:08d}"}})


def measure(export: Path, db: Path) -> dict:
    from pipeline import ingest, store
    from pipeline.config import load_config

    con = store.connect(db)
    own = resource.getrusage(resource.RUSAGE_SELF)
    cpu_began = own.ru_utime + own.ru_stime
    began = time.perf_counter()
    summary = ingest.run(con, [export], load_config(None).ingest, workers=1)
    seconds = time.perf_counter() - began
    own = resource.getrusage(resource.RUSAGE_SELF)
    errors = con.execute("SELECT count(*) FROM sources WHERE status = 'error'").fetchone()[0]
    con.close()
    return {"seconds": seconds, "cpu": own.ru_utime + own.ru_stime - cpu_began,
            "contacts": summary.rows[-1][5], "files": summary.rows[-1][1], "errors": errors,
            "peak_mib": own.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--measure", nargs=2, metavar=("EXPORT", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), Path(args.measure[1]))))
        return
    env = {**os.environ, "KLANTVRAAG_QUIET": "1", "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory(prefix="kv-vendors-") as tmp:
        export = Path(tmp) / "export"
        generate(export, args.size)
        out = subprocess.run([sys.executable, __file__, "--measure", str(export), str(Path(tmp) / "b.duckdb")],
                             check=True, capture_output=True, text=True, env=env)
        r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{r['contacts']:,} contacts from {r['files']:,} files ({r['errors']} errors) in {r['seconds']:.1f} s: "
          f"{r['contacts'] / r['seconds']:,.0f} contacts/s, {r['contacts'] / r['cpu']:,.0f} per CPU-second, "
          f"peak {r['peak_mib']:,.0f} MiB")


if __name__ == "__main__":
    main()
