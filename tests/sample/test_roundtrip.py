"""Generate a small export, ingest it with pipeline.ingest, and check that every ground-truth
contact comes back with the right channel and that every file is accounted for."""

from __future__ import annotations

import csv

from pipeline import ingest
from pipeline.sample import GROUND_TRUTH, generate
from pipeline.sample.broken import BROKEN_FILES

EXPORT_FOLDERS = ("email", "chat", "calls", "archive")


def test_generated_export_ingests_completely(tmp_path, con, config):
    out = tmp_path / "export"
    generate(out, size=150, seed=5)
    with open(out / GROUND_TRUTH, encoding="utf-8", newline="") as handle:
        truth = list(csv.DictReader(handle))
    folders = [out / name for name in EXPORT_FOLDERS if (out / name).exists()]
    ingest.run(con, folders, config.ingest)
    contacts = dict(con.execute("SELECT external_id, channel FROM contacts").fetchall())
    assert len(contacts) == len(truth)
    for row in truth:
        assert contacts.get(row["external_id"]) == row["channel"], row
    statuses = dict(con.execute("SELECT status, count(*) FROM sources GROUP BY status").fetchall())
    errors = sorted(path for (path,) in con.execute("SELECT path FROM sources WHERE status = 'error'").fetchall())
    assert [e.replace("\\\\", "/").split("/export/", 1)[1] for e in errors] == sorted(BROKEN_FILES)
    on_disk = sum(1 for folder in folders for p in folder.rglob("*") if p.is_file() and p.suffix != ".zip")
    with_zip_members = on_disk + _zip_members(out)
    assert statuses.get("ingested", 0) + statuses.get("error", 0) == with_zip_members


def _zip_members(out) -> int:
    import zipfile

    total = 0
    for path in (out / "archive").glob("*.zip") if (out / "archive").exists() else ():
        with zipfile.ZipFile(path) as archive:
            total += sum(1 for info in archive.infolist() if not info.is_dir())
    return total
