"""Ingest scored on exports we did not write: four organisations' files as their tools produce
them, built from the vendors' documentation by a helper who never saw klantvraag, with their
ground truth (bench/data/independent_exports/expected.json). Never tuned on: read the totals,
not the items, and say so when a fix was made after reading one.

Per expected contact: found (by the vendor's id in external_id), channel, messages per role,
opening question (first 40 characters, case and whitespace folded) and start time (within a
minute). Prints per-folder and total scores.

    .venv/bin/python bench/ingest_independent.py
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT / "bench" / "data" / "independent_exports"
ROLES = ("customer", "agent", "bot", "system", "note")
LOCAL = ZoneInfo("Europe/Amsterdam")


def _fold(text: str | None) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text or "")).strip().lower()[:40]


def _stored(con) -> list[dict]:
    rows = con.execute("""
        SELECT c.contact_id, c.external_id, c.channel, c.started_at, s.path,
               list(m.role ORDER BY m.seq) AS roles,
               list(m.text ORDER BY m.seq) FILTER (WHERE m.role = 'customer') AS customer
        FROM contacts c JOIN sources s USING (source_id)
        LEFT JOIN messages m USING (contact_id) GROUP BY ALL""").fetchall()
    return [dict(zip(("contact_id", "external_id", "channel", "started_at", "path", "roles",
                      "customer"), r)) for r in rows]


def _match(expected_id: str, stored: list[dict]) -> dict | None:
    expected_id = expected_id.strip("<>")       # Message-IDs are stored without angle brackets
    for contact in stored:
        ext = str(contact["external_id"])
        if ext == expected_id or re.search(rf"(?<![0-9A-Za-z]){re.escape(expected_id)}(?![0-9A-Za-z])", ext):
            return contact
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--show", action="store_true", help="print each miss (reading items makes "
                        "the set a tuning set: say so in any figure you quote)")
    args = parser.parse_args()

    from pipeline import ingest, store
    from pipeline.config import load_config

    expected = json.loads((args.data / "expected.json").read_text("utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        con = store.connect(Path(tmp) / "k.duckdb")
        config = load_config(None)
        config.ingest.ignore = [*config.ingest.ignore, "expected.json"]
        summary = ingest.run(con, [args.data], config.ingest)
        stored = _stored(con)
        errors = con.execute("SELECT path, error FROM sources WHERE status = 'error'").fetchall()
        con.close()

    score: dict[str, Counter] = defaultdict(Counter)
    misses = []
    for file, entry in expected["files"].items():
        folder = file.split("/")[0]
        for contact in entry.get("contacts", []):
            s = score[folder]
            s["expected"] += 1
            found = _match(str(contact["id"]), stored)
            if found is None:
                misses.append((file, contact["id"], "niet gevonden"))
                continue
            s["found"] += 1
            s["channel"] += found["channel"] == contact["channel"]
            roles = Counter(found["roles"] or [])
            want = {r: contact["messages"].get(r, 0) for r in ROLES}
            got = {r: roles.get(r, 0) for r in ROLES}
            s["roles"] += got == want
            s["roles_ignoring_system"] += {r: v for r, v in got.items() if r != "system"} == \
                {r: v for r, v in want.items() if r != "system"}
            first = next((t for t in (found["customer"] or []) if t and t.strip()), None)
            s["opening"] += _fold(first) == _fold(contact["first_customer_message_60"])
            if contact.get("start"):
                s["with_start"] += 1
                want_at = datetime.fromisoformat(contact["start"].replace("Z", "+00:00"))
                got_at = found["started_at"]
                if got_at is not None:      # stored as local wall time (Europe/Amsterdam), naive
                    got_at = got_at.replace(tzinfo=LOCAL) if got_at.tzinfo is None else got_at
                    s["start"] += abs((got_at - want_at).total_seconds()) <= 60
            for what, ok in (("kanaal", found["channel"] == contact["channel"]),
                             ("rollen", got == want),
                             ("opening", _fold(first) == _fold(contact["first_customer_message_60"]))):
                if not ok:
                    misses.append((file, contact["id"], what))

    total = Counter()
    print(f"{'map':<12} {'verwacht':>8} {'gevonden':>8} {'kanaal':>7} {'rollen':>7} "
          f"{'rollen*':>7} {'opening':>7} {'tijd':>9}")
    for folder, s in sorted(score.items()):
        total.update(s)
        print(f"{folder:<12} {s['expected']:>8} {s['found']:>8} {s['channel']:>7} {s['roles']:>7} "
              f"{s['roles_ignoring_system']:>7} {s['opening']:>7} {s['start']:>4}/{s['with_start']:<4}")
    s = total
    print(f"{'totaal':<12} {s['expected']:>8} {s['found']:>8} {s['channel']:>7} {s['roles']:>7} "
          f"{s['roles_ignoring_system']:>7} {s['opening']:>7} {s['start']:>4}/{s['with_start']:<4}")
    print("rollen* = rollen goed als systeemberichten (toewijzing, sluiten) niet meetellen")
    print(f"bestanden met een fout: {len(errors)}")
    for path, error in errors:
        print(f"  {Path(path).name}: {error[:160]}")
    if args.show:
        for file, cid, what in misses:
            print(f"  mis: {file} {cid}: {what}")


if __name__ == "__main__":
    main()
