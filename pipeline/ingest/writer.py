"""Writing a batch of parsed files to the store: one transaction, DataFrames, no row-by-row inserts.

A file that failed to parse never reaches a batch (only its 'error' row does), so every file is
either wholly in the store or not at all. A changed file's previous version is marked
'superseded' and its messages removed in the same transaction that adds the new one.

Every question to the store names the window's own keys (``list_contains(?, column)`` on an
indexed column, LOOKUP_CHUNK keys a query), which DuckDB answers with an ART index scan: a
window costs what it holds, whatever the database already holds. A join against the keys
(``IN (SELECT id FROM ...)``) scans the whole table: it is used only while the table is small
enough for that to be cheaper (ROWS_PER_KEY_FOR_JOIN), so a big export stays linear.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from pipeline.ingest.email import Mail
from pipeline.ingest.records import Batch, Contact, Message, Written
from pipeline.ingest.thread import message_id_for, thread_key, thread_mails, wanted_ids

_EPOCH = datetime(1, 1, 1)


LOOKUP_CHUNK = 1000
# Rows one index scan may fetch before DuckDB falls back to a table scan (default 2048): a chunk
# of contacts can hold more messages than that.
INDEX_SCAN_ROWS = 200_000
# An index probe costs ~8 us a key, a hash join against the keys ~40 ns a stored row (DuckDB
# 2.0 here): while a table holds fewer than this many rows per key, one join is cheaper. Either
# way a window costs at most its own keys' probes, never more as the store grows.
ROWS_PER_KEY_FOR_JOIN = 200


def _chunks(keys) -> list[list[str]]:
    keys = sorted(keys)
    return [keys[i:i + LOOKUP_CHUNK] for i in range(0, len(keys), LOOKUP_CHUNK)]


def _by_join(con, sql: str, keys, table: str):
    """``sql`` with its ``list_contains(?, column)`` as a join against the keys, when that is
    cheaper (a small table); None otherwise."""
    size = con.execute("SELECT estimated_size FROM duckdb_tables() WHERE schema_name = 'main' "
                       "AND table_name = ?", [table]).fetchall()
    if not size or len(keys) * ROWS_PER_KEY_FOR_JOIN < size[0][0]:
        return None
    return re.sub(r"list_contains\(\?, ([\w.]+)\)", r"\1 IN (SELECT id FROM _ingest_keys)", sql)


def _run(con, sql: str, keys, table: str) -> list[list]:
    """Results of ``sql`` for ``keys``: chunk by chunk with its ``list_contains(?, column)`` (an
    index scan), or in one join against the keys where the table is small (:func:`_by_join`)."""
    keys = sorted(keys)
    if not keys:
        return []
    joined = _by_join(con, sql, keys, table)
    if joined is None:
        return [con.execute(sql, [chunk]).fetchall() for chunk in _chunks(keys)]
    con.register("_ingest_keys", pd.DataFrame({"id": pd.Series(keys, dtype="object")}))
    try:
        return [con.execute(joined).fetchall()]
    finally:
        con.unregister("_ingest_keys")


def _lookup(con, sql: str, keys, table: str) -> list[tuple]:
    """The rows of ``sql`` (a SELECT from ``table``) for ``keys``; its one parameter is the
    keys, used as ``list_contains(?, indexed_column)``."""
    return [row for part in _run(con, sql, keys, table) for row in part]


def _change(con, sql: str, keys, table: str) -> int:
    """Run a DELETE or UPDATE of ``table`` for ``keys`` (as in :func:`_lookup`); the number of
    rows it changed."""
    return sum(part[0][0] for part in _run(con, sql, keys, table))


def _append(con, table: str, frame: pd.DataFrame) -> None:
    """INSERT every row of ``frame`` into ``table``, column by column name (never row by row)."""
    con.register("_ingest_rows", frame)
    con.execute(f"INSERT INTO {table} ({', '.join(frame.columns)}) SELECT * FROM _ingest_rows")
    con.unregister("_ingest_rows")


def _json(value: Any) -> str | None:
    return None if not value else json.dumps(value, ensure_ascii=False, default=str)


def flush(con: duckdb.DuckDBPyConnection, batch: Batch, salt: str) -> Written:
    written = Written()
    if not len(batch):
        return written
    con.execute(f"SET index_scan_max_count = {INDEX_SCAN_ROWS}")
    con.execute("BEGIN TRANSACTION")
    try:
        touched = _supersede(con, batch, written)
        _change(con, "DELETE FROM sources WHERE list_contains(?, source_id)", batch.replace, "sources")
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
        con.execute("RESET index_scan_max_count")
    return written


def _supersede(con, batch: Batch, written: Written) -> set[str]:
    if not batch.supersede:
        return set()
    old = _lookup(con, "SELECT message_id, contact_id FROM messages "
                       "WHERE list_contains(?, source_id)", batch.supersede, "messages")
    _change(con, "DELETE FROM attachments WHERE list_contains(?, message_id)", {m for m, _ in old},
            "attachments")
    written.removed_messages += _change(
        con, "DELETE FROM messages WHERE list_contains(?, message_id)", {m for m, _ in old},
        "messages")
    _change(con, "UPDATE sources SET status = 'superseded' WHERE list_contains(?, source_id)",
            batch.supersede, "sources")
    return {c for _, c in old}


def _thread(con, mails: list[Mail], salt: str) -> tuple[list[Contact], list[Message]]:
    # Only e-mail messages carry an external_id, and their message_id is derived from it
    # (thread.message_id_for): the stored mails with these Message-IDs are found by primary key.
    wanted = wanted_ids(mails)
    known_ids = {external: contact for external, contact in _lookup(
        con, "SELECT external_id, contact_id FROM messages WHERE list_contains(?, message_id)",
        {message_id_for(w) for w in wanted}, "messages") if external in wanted}
    keys = {k for k in (thread_key(m, salt) for m in mails if m.had_prefix) if k}
    rows = _lookup(con, "SELECT thread_key, contact_id, started_at FROM contacts "
                        "WHERE list_contains(?, thread_key)", keys, "contacts")
    # the latest-started contact of a thread key wins (undated ones first), as before
    rows.sort(key=lambda r: (r[2] is not None, r[2] or _EPOCH, r[1]))
    known_threads = {key: contact for key, contact, _ in rows}
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
    existing = {r[0] for r in _lookup(
        con, "SELECT message_id FROM messages WHERE list_contains(?, message_id)", unique,
        "messages")}
    new_messages = [m for k, m in unique.items() if k not in existing]
    with_messages = {m.contact_id for m in new_messages}
    by_id: dict[str, Contact] = {}
    for contact in contacts:
        if contact.contact_id in with_messages:
            by_id.setdefault(contact.contact_id, contact)
    present = {r[0] for r in _lookup(
        con, "SELECT contact_id FROM contacts WHERE list_contains(?, contact_id)", by_id,
        "contacts")}
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
    contacts left without messages are removed. Read by index, written back through a small
    frame joined on the key that the same index finds."""
    if not touched:
        return
    messages = _lookup(con, """
        SELECT message_id, contact_id, seq,
               (row_number() OVER (PARTITION BY contact_id
                ORDER BY sent_at NULLS LAST, seq, message_id) - 1)::INTEGER AS rn
        FROM messages WHERE list_contains(?, contact_id)""", touched, "messages")
    empty = touched - {contact for _, contact, _, _ in messages}
    written.removed_contacts += _change(
        con, "DELETE FROM contacts WHERE list_contains(?, contact_id)", empty, "contacts")
    moved = [(message_id, rn) for message_id, _, seq, rn in messages if seq != rn]
    if moved:
        frame = pd.DataFrame(moved, columns=["message_id", "rn"])
        _update_from(con, frame, "UPDATE messages SET seq = r.rn FROM _ingest_rows r "
                                 "WHERE messages.message_id = r.message_id "
                                 "AND list_contains(?, messages.message_id)", "message_id")
    alive = sorted(touched - empty)
    if not alive:
        return
    totals = pd.DataFrame(_lookup(con, """
        SELECT contact_id, min(sent_at) AS first_at, max(sent_at) AS last_at,
               count(*)::INTEGER AS n, arg_min(source_id, seq) AS first_source,
               arg_min(meta->>'subject', seq) AS first_subject
        FROM messages WHERE list_contains(?, contact_id) GROUP BY contact_id""", alive,
        "messages"),
        columns=["contact_id", "first_at", "last_at", "n", "first_source", "first_subject"])
    _update_from(con, totals, """
        UPDATE contacts SET
            started_at = coalesce(r.first_at, contacts.started_at),
            ended_at = coalesce(r.last_at, contacts.ended_at),
            n_messages = r.n,
            source_id = r.first_source,
            subject = CASE WHEN contacts.channel = 'email'
                           THEN coalesce(r.first_subject, contacts.subject) ELSE contacts.subject END
        FROM _ingest_rows r
        WHERE contacts.contact_id = r.contact_id AND list_contains(?, contacts.contact_id)""",
                 "contact_id")


def _update_from(con, frame: pd.DataFrame, sql: str, key: str) -> None:
    """An UPDATE ... FROM _ingest_rows (``frame``), a chunk of rows at a time; the statement's
    parameter (the chunk's keys) lets DuckDB find the target rows by index."""
    for start in range(0, len(frame), LOOKUP_CHUNK):
        part = frame.iloc[start:start + LOOKUP_CHUNK]
        con.register("_ingest_rows", part)
        try:
            con.execute(sql, [part[key].tolist()])
        finally:
            con.unregister("_ingest_rows")
