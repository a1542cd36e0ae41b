"""Writing a batch of parsed files to the store: one transaction, DataFrames, no row-by-row inserts.

A file that failed to parse never reaches a batch (only its 'error' row does), so every file is
either wholly in the store or not at all. A changed file's previous version is marked
'superseded' and its messages removed in the same transaction that adds the new one.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

import duckdb
import pandas as pd

from pipeline.ingest.email import Mail
from pipeline.ingest.records import Batch, Contact, Message, Written
from pipeline.ingest.thread import thread_mails, wanted_ids


def _ids(values) -> pd.DataFrame:
    return pd.DataFrame({"id": pd.Series(sorted(values), dtype="object")})


def _register(con, name: str, frame: pd.DataFrame) -> None:
    """Expose an id list to SQL as _ingest_<name> (dropped again at the end of the flush)."""
    con.register(f"_ingest_{name}", frame)


def _append(con, table: str, frame: pd.DataFrame) -> None:
    """INSERT every row of ``frame`` into ``table``, column by column name (never row by row)."""
    con.register("_ingest_rows", frame)
    con.execute(f"INSERT INTO {table} ({', '.join(frame.columns)}) SELECT * FROM _ingest_rows")
    con.unregister("_ingest_rows")


_NAMES = ("replaced", "old", "wanted", "keys", "candidate", "touched_ids")


def _json(value: Any) -> str | None:
    return None if not value else json.dumps(value, ensure_ascii=False, default=str)


def flush(con: duckdb.DuckDBPyConnection, batch: Batch, salt: str) -> Written:
    written = Written()
    if not len(batch):
        return written
    con.execute("BEGIN TRANSACTION")
    try:
        touched = _supersede(con, batch, written)
        if batch.replace:
            _register(con, "replaced", _ids(batch.replace))
            con.execute("DELETE FROM sources WHERE source_id IN (SELECT id FROM _ingest_replaced)")
        contacts, messages = list(batch.contacts), list(batch.messages)
        if batch.mails:
            mail_contacts, mail_messages = _thread(con, batch.mails, salt)
            contacts.extend(mail_contacts)
            messages.extend(mail_messages)
        _count_per_source(batch, messages)
        touched |= _insert(con, batch, contacts, messages, written)
        _recompute(con, touched, written)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in _NAMES:
            con.unregister(f"_ingest_{name}")
    return written


def _supersede(con, batch: Batch, written: Written) -> set[str]:
    if not batch.supersede:
        return set()
    _register(con, "old", _ids(batch.supersede))
    touched = {r[0] for r in con.execute(
        "SELECT DISTINCT contact_id FROM messages WHERE source_id IN (SELECT id FROM _ingest_old)").fetchall()}
    con.execute("DELETE FROM attachments WHERE message_id IN "
                "(SELECT message_id FROM messages WHERE source_id IN (SELECT id FROM _ingest_old))")
    written.removed_messages += con.execute(
        "DELETE FROM messages WHERE source_id IN (SELECT id FROM _ingest_old)").fetchone()[0]
    con.execute("UPDATE sources SET status = 'superseded' WHERE source_id IN (SELECT id FROM _ingest_old)")
    return touched


def _thread(con, mails: list[Mail], salt: str) -> tuple[list[Contact], list[Message]]:
    _register(con, "wanted", _ids(wanted_ids(mails)))
    known_ids = dict(con.execute(
        "SELECT external_id, contact_id FROM messages WHERE external_id IN (SELECT id FROM _ingest_wanted)"
    ).fetchall())
    from pipeline.ingest.thread import thread_key
    _register(con, "keys", _ids({k for k in (thread_key(m, salt) for m in mails if m.had_prefix) if k}))
    known_threads = dict(con.execute(
        "SELECT thread_key, contact_id FROM contacts WHERE thread_key IN (SELECT id FROM _ingest_keys) "
        "ORDER BY started_at NULLS FIRST").fetchall())
    return thread_mails(mails, salt, known_ids, known_threads)


def _count_per_source(batch: Batch, messages: list[Message]) -> None:
    per_source_contacts: dict[str, set] = defaultdict(set)
    per_source_messages: Counter = Counter()
    for message in messages:
        per_source_contacts[message.source_id].add(message.contact_id)
        per_source_messages[message.source_id] += 1
    for row in batch.sources:
        if row["status"] == "ingested":
            row["n_contacts"] = len(per_source_contacts.get(row["source_id"], ()))
            row["n_messages"] = per_source_messages.get(row["source_id"], 0)


def _insert(con, batch: Batch, contacts: list[Contact], messages: list[Message],
            written: Written) -> set[str]:
    sources = pd.DataFrame(batch.sources, columns=[
        "source_id", "path", "size_bytes", "format", "status", "error", "n_contacts",
        "n_messages", "first_seen_at", "ingested_at", "run_id"])
    _append(con, "sources", sources)
    if not messages:
        return set()
    unique: dict[str, Message] = {}
    for message in messages:
        unique.setdefault(message.message_id, message)
    _register(con, "candidate", _ids(unique))
    existing = {r[0] for r in con.execute(
        "SELECT message_id FROM messages WHERE message_id IN (SELECT id FROM _ingest_candidate)").fetchall()}
    new_messages = [m for k, m in unique.items() if k not in existing]
    with_messages = {m.contact_id for m in new_messages}
    by_id: dict[str, Contact] = {}
    for contact in contacts:
        if contact.contact_id in with_messages:
            by_id.setdefault(contact.contact_id, contact)
    _register(con, "candidate", _ids(by_id))
    present = {r[0] for r in con.execute(
        "SELECT contact_id FROM contacts WHERE contact_id IN (SELECT id FROM _ingest_candidate)").fetchall()}
    new_contacts = [c for k, c in by_id.items() if k not in present]
    formats = {row["source_id"]: row["format"] for row in batch.sources}
    for contact in new_contacts:
        written.contacts[contact.format] += 1
    for message in new_messages:
        written.messages[formats.get(message.source_id, "?")] += 1
    if new_contacts:
        frame = pd.DataFrame({  # column names are the table's: _append inserts by name
            "contact_id": [c.contact_id for c in new_contacts],
            "external_id": [c.external_id for c in new_contacts],
            "channel": [c.channel for c in new_contacts],
            "format": [c.format for c in new_contacts],
            "source_id": [c.source_id for c in new_contacts],
            "started_at": pd.Series([c.started_at for c in new_contacts], dtype="datetime64[us]"),
            "ended_at": pd.Series([c.ended_at for c in new_contacts], dtype="datetime64[us]"),
            "customer_key": [c.customer_key for c in new_contacts],
            "subject": [c.subject for c in new_contacts],
            "n_messages": [0] * len(new_contacts),
            "meta": [_json(c.meta) for c in new_contacts],
            "thread_key": [c.thread_key for c in new_contacts],
        })
        _append(con, "contacts", frame)
    if new_messages:
        frame = pd.DataFrame({
            "message_id": [m.message_id for m in new_messages],
            "contact_id": [m.contact_id for m in new_messages],
            "seq": [m.seq for m in new_messages],
            "role": [m.role for m in new_messages],
            "sent_at": pd.Series([m.sent_at for m in new_messages], dtype="datetime64[us]"),
            "author": [m.author for m in new_messages],
            "text": [m.text for m in new_messages],
            "source_id": [m.source_id for m in new_messages],
            "meta": [_json(m.meta) for m in new_messages],
            "external_id": [m.external_id for m in new_messages],
        })
        _append(con, "messages", frame)
        rows = [(m.message_id, a.filename, a.content_type, a.size_bytes)
                for m in new_messages for a in m.attachments]
        if rows:
            frame = pd.DataFrame(rows, columns=["message_id", "filename", "content_type", "size_bytes"])
            _append(con, "attachments", frame)
    return with_messages


def _recompute(con, touched: set[str], written: Written) -> None:
    """seq, started_at, ended_at, n_messages and source_id of every contact the batch touched;
    contacts left without messages are removed."""
    if not touched:
        return
    _register(con, "touched_ids", _ids(touched))
    written.removed_contacts += con.execute(
        "DELETE FROM contacts WHERE contact_id IN (SELECT id FROM _ingest_touched_ids) AND contact_id NOT IN "
        "(SELECT contact_id FROM messages WHERE contact_id IN (SELECT id FROM _ingest_touched_ids))"
    ).fetchone()[0]
    con.execute("""
        UPDATE messages SET seq = r.rn FROM (
            SELECT message_id, (row_number() OVER (PARTITION BY contact_id
                   ORDER BY sent_at NULLS LAST, seq, message_id) - 1)::INTEGER AS rn
            FROM messages WHERE contact_id IN (SELECT id FROM _ingest_touched_ids)) r
        WHERE messages.message_id = r.message_id AND messages.seq <> r.rn""")
    con.execute("""
        UPDATE contacts SET
            started_at = coalesce(a.first_at, contacts.started_at),
            ended_at = coalesce(a.last_at, contacts.ended_at),
            n_messages = a.n,
            source_id = a.first_source,
            subject = CASE WHEN contacts.channel = 'email'
                           THEN coalesce(a.first_subject, contacts.subject) ELSE contacts.subject END
        FROM (SELECT contact_id, min(sent_at) AS first_at, max(sent_at) AS last_at,
                     count(*)::INTEGER AS n, arg_min(source_id, seq) AS first_source,
                     arg_min(meta->>'subject', seq) AS first_subject
              FROM messages WHERE contact_id IN (SELECT id FROM _ingest_touched_ids) GROUP BY contact_id) a
        WHERE contacts.contact_id = a.contact_id""")
