"""A store that already holds many contacts, filled in SQL (seconds for a million): for the
test that ingest's lookups are index scans and for bench/ingest_lookups.py."""

from __future__ import annotations


def fill_store(con, n: int) -> None:
    """``n`` e-mail contacts from ``n`` files, one message and one attachment each."""
    con.execute(
        "INSERT INTO sources SELECT 'src-' || i, 'old/' || i || '.eml', 1, 'eml', 'ingested', NULL, "
        "1, 1, now()::TIMESTAMP, now()::TIMESTAMP, 'run-0' FROM range(?) t(i)", [n])
    con.execute(
        "INSERT INTO contacts (contact_id, external_id, channel, format, source_id, started_at, "
        "n_messages, thread_key) SELECT md5('c' || i), 'root-' || i, 'email', 'eml', 'src-' || i, "
        "TIMESTAMP '2026-01-01' + INTERVAL (i) SECOND, 1, 'onderwerp ' || i || '|' || md5(i::VARCHAR) "
        "FROM range(?) t(i)", [n])
    con.execute(
        "INSERT INTO messages (message_id, contact_id, seq, role, sent_at, text, source_id, "
        "external_id) SELECT md5('m' || i), md5('c' || i), 0, 'customer', "
        "TIMESTAMP '2026-01-01' + INTERVAL (i) SECOND, 'vraag ' || i, 'src-' || i, 'root-' || i "
        "FROM range(?) t(i)", [n])
    con.execute("INSERT INTO attachments SELECT md5('m' || i), 'bon.pdf', 'application/pdf', 10 "
                "FROM range(?) t(i)", [n])
