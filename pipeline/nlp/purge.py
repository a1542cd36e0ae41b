"""``klantvraag purge --raw``: remove the raw, unmasked text once the analysis is done.

Ingest keeps every message as it was written, so that `prepare` can be re-run with better rules.
Once the analysis is final, an organisation may not want personal data kept any longer. Purging
replaces, in place, every raw text with its masked form (the same masker as `prepare`, with the
authors' names as known names): message texts and authors, subjects, attachment file names,
source file names and string values in the contacts' and messages' `meta`. Then it records the
new input hashes in `contact_text`, so `prepare` sees nothing to redo and the analysis stays
exactly as it was. A contact ingested later is kept raw until the next purge.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any

import pandas as pd

from pipeline.errors import StageInputMissing
from pipeline.nlp import pii
from pipeline.summary import Summary

BATCH = 5000
ROLE_AUTHOR = {"customer": "klant", "agent": "medewerker", "bot": "bot", "system": "systeem",
               "note": "notitie"}


def mask_json(value: Any, counts: Counter) -> Any:
    """Every string inside a JSON value masked; keys and structure kept."""
    if isinstance(value, str):
        return pii.mask(value, (), counts)
    if isinstance(value, list):
        return [mask_json(v, counts) for v in value]
    if isinstance(value, dict):
        return {k: mask_json(v, counts) for k, v in value.items()}
    return value


def _mask_meta(text: Any, counts: Counter) -> Any:
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    try:
        return json.dumps(mask_json(json.loads(text), counts), ensure_ascii=False)
    except (TypeError, ValueError):
        return json.dumps(pii.mask(str(text), (), counts), ensure_ascii=False)


def mask_file_name(path: str, counts: Counter | None = None) -> str:
    """A source path with personal data masked in every part ('WhatsApp Chat met +31 6 ...')."""
    parts = PurePosixPath(str(path).replace("\\", "/")).parts
    return "/".join(pii.mask(part, (), counts) for part in parts)


def purge_raw(con, salt: str) -> Summary:
    """Mask every raw text in the store; ``salt`` is the prepare stage's hash salt."""
    from pipeline import store
    from pipeline.nlp import _HASH_SQL, CONTACT_HASHES_SQL

    unprepared = con.execute(f"SELECT count(*) FROM ({_HASH_SQL})", [salt]).fetchone()[0]
    if unprepared:
        raise StageInputMissing(
            f"{unprepared:,} contacten zijn nog niet (opnieuw) voorbereid".replace(",", "."),
            hint="draai eerst `klantvraag prepare` (of `klantvraag run`), dan `klantvraag purge --raw`")
    counts: Counter = Counter()
    with store.Run(con, "purge", {"raw": True}) as record:
        con.execute("BEGIN TRANSACTION")
        try:
            n_messages = _messages(con, counts)
            n_contacts = _contacts(con, counts)
            _attachments_and_sources(con, counts)
            # The analysis was made from the raw text: keep it, under the hash of what is left.
            con.execute(f"""
                UPDATE contact_text SET input_hash = h.input_hash
                FROM ({CONTACT_HASHES_SQL}) h
                WHERE contact_text.contact_id = h.contact_id""", [salt])
            con.execute("INSERT OR REPLACE INTO settings VALUES ('raw_text_purged_at', ?)",
                        [datetime.now(timezone.utc).isoformat(timespec="seconds")])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        record.counts = {"messages": n_messages, "contacts": n_contacts, **counts}
    summary = Summary(title="Ruwe tekst verwijderd (gemaskeerd)", columns=["wat", "aantal"],
                      rows=[["berichten", n_messages], ["contacten", n_contacts],
                            *[[f"gemaskeerd: {k}", v] for k, v in counts.most_common()]])
    summary.notes.append("De analyse (contact_text, redenen, tags) is ongewijzigd; "
                         "nieuwe contacten blijven ruw tot de volgende purge.")
    return summary


def _update(con, table: str, frame: pd.DataFrame, assignments: str, key: str) -> None:
    """UPDATE ``table`` SET ``assignments`` from ``frame`` (as p), matched on ``key``."""
    con.register("_purged", frame)
    try:
        con.execute(f"UPDATE {table} SET {assignments} FROM _purged p "
                    f"WHERE {table}.{key} = p.{key.split('.')[-1]}")
    finally:
        con.unregister("_purged")


def _messages(con, counts: Counter) -> int:
    total = 0
    ids = con.execute("SELECT DISTINCT contact_id FROM messages ORDER BY contact_id").fetchall()
    for start in range(0, len(ids), BATCH):
        batch = pd.DataFrame({"contact_id": [i for (i,) in ids[start:start + BATCH]]})
        con.register("_purge_batch", batch)
        try:
            frame = con.execute(
                "SELECT m.message_id, m.contact_id, m.role, m.author, m.text, "
                "CAST(m.meta AS VARCHAR) AS meta FROM messages m "
                "JOIN _purge_batch USING (contact_id)").df()
        finally:
            con.unregister("_purge_batch")
        names = frame.groupby("contact_id")["author"].agg(
            lambda a: sorted({str(x) for x in a if isinstance(x, str) and x.strip()}))
        frame["text"] = [pii.mask(text or "", names.get(cid, []), counts)
                         for text, cid in zip(frame["text"], frame["contact_id"])]
        frame["author"] = [ROLE_AUTHOR.get(role, role) if isinstance(author, str) else None
                           for role, author in zip(frame["role"], frame["author"])]
        frame["meta"] = [_mask_meta(m, counts) for m in frame["meta"]]
        _update(con, "messages", frame[["message_id", "text", "author", "meta"]],
                "text = p.text, author = p.author, meta = CAST(p.meta AS JSON)", "message_id")
        total += len(frame)
    return total


def _contacts(con, counts: Counter) -> int:
    frame = con.execute("SELECT contact_id, subject, external_id, CAST(meta AS VARCHAR) AS meta "
                        "FROM contacts").df()
    frame["subject"] = [pii.mask(s, (), counts) if isinstance(s, str) else None
                        for s in frame["subject"]]
    frame["external_id"] = [mask_file_name(e, counts) if isinstance(e, str) else e
                            for e in frame["external_id"]]
    frame["meta"] = [_mask_meta(m, counts) for m in frame["meta"]]
    _update(con, "contacts", frame, "subject = p.subject, external_id = p.external_id, "
            "meta = CAST(p.meta AS JSON)", "contact_id")
    return len(frame)


def _attachments_and_sources(con, counts: Counter) -> None:
    frame = con.execute("SELECT rowid, filename FROM attachments").df()
    if len(frame):
        frame["filename"] = [pii.mask(f, (), counts) if isinstance(f, str) else None
                             for f in frame["filename"]]
        _update(con, "attachments", frame, "filename = p.filename", "rowid")
    frame = con.execute("SELECT source_id, path FROM sources").df()
    if len(frame):
        frame["path"] = [mask_file_name(p, counts) for p in frame["path"]]
        _update(con, "sources", frame, "path = p.path", "source_id")
