"""Ingest asks the store only about a window's own keys: every lookup of the writer is answered
by an index scan, so a window costs what it holds, not what the database already holds (a
scan per window made a big export quadratic, issue 17)."""

from __future__ import annotations

import shutil

import pytest

from pipeline import ingest
from pipeline.ingest import writer

STORED = 130_000   # contacts and messages already stored: more than one row group (122,880)


class _Rows:
    def __init__(self, rows):
        self.rows = rows

    def fetchall(self):
        return self.rows

    def fetchone(self):
        return self.rows[0] if self.rows else None


class PlanRecorder:
    """The writer's connection, keeping the EXPLAIN ANALYZE plan of every statement that reads,
    changes or removes rows. The plan is taken after the statement ran (a DELETE then finds
    nothing left, an UPDATE sets the same values again), so the writer sees its own results."""

    def __init__(self, con):
        self._con = con
        self.plans: list[tuple[str, str]] = []

    def execute(self, sql, params=None):
        if not sql.lstrip().upper().startswith(("SELECT", "DELETE", "UPDATE")):
            return self._con.execute(sql, params)
        rows = self._con.execute(sql, params).fetchall()
        plan = self._con.execute("EXPLAIN ANALYZE " + sql, params).fetchall()[0][1]
        self.plans.append((" ".join(sql.split()), plan))
        return _Rows(rows)

    def __getattr__(self, name):
        return getattr(self._con, name)


@pytest.fixture
def big_store(con):
    """A store that already holds STORED e-mail contacts with one message each."""
    con.execute(
        "INSERT INTO sources SELECT 'src-' || i, 'old/' || i || '.eml', 1, 'eml', 'ingested', NULL, "
        "1, 1, now()::TIMESTAMP, now()::TIMESTAMP, 'run-0' FROM range(?) t(i)", [STORED])
    con.execute(
        "INSERT INTO contacts (contact_id, external_id, channel, format, source_id, started_at, "
        "n_messages, thread_key) SELECT md5('c' || i), 'root-' || i, 'email', 'eml', 'src-' || i, "
        "TIMESTAMP '2026-01-01' + INTERVAL (i) SECOND, 1, 'onderwerp ' || i || '|' || md5(i::VARCHAR) "
        "FROM range(?) t(i)", [STORED])
    con.execute(
        "INSERT INTO messages (message_id, contact_id, seq, role, sent_at, text, source_id, "
        "external_id) SELECT md5('m' || i), md5('c' || i), 0, 'customer', "
        "TIMESTAMP '2026-01-01' + INTERVAL (i) SECOND, 'vraag ' || i, 'src-' || i, 'root-' || i "
        "FROM range(?) t(i)", [STORED])
    con.execute("INSERT INTO attachments SELECT md5('m' || i), 'bon.pdf', 'application/pdf', 10 "
                "FROM range(?) t(i)", [STORED])
    return con


def test_every_lookup_of_the_writer_is_an_index_scan(big_store, config, data_dir, tmp_path,
                                                     monkeypatch):
    recorders: list[PlanRecorder] = []
    flush = writer.flush

    def recorded(con, batch, salt):
        recorders.append(PlanRecorder(con))
        return flush(recorders[-1], batch, salt)

    monkeypatch.setattr(writer, "flush", recorded)
    export = tmp_path / "export"
    shutil.copytree(data_dir, export)
    mails = export / "email"
    # a reply first, then its thread; then a mail that only the subject joins; then every
    # format; then a changed file (its old version superseded)
    ingest.run(big_store, [mails / "03_html_only_cp1252.eml"], config.ingest)
    ingest.run(big_store, [mails / "01_root_qp.eml", mails / "02_reply_alternative.eml"],
               config.ingest)
    ingest.run(big_store, [mails / "04_latin1_attachment.eml"], config.ingest)
    ingest.run(big_store, [export], config.ingest)
    chat = export / "chat" / "generic.jsonl"
    chat.write_text(chat.read_text().splitlines()[0].replace("teruggestort.", "Excuses!") + "\n")
    ingest.run(big_store, [chat], config.ingest)

    plans = [p for r in recorders for p in r.plans]
    asked = " | ".join(sql for sql, _ in plans)
    for lookup in ("FROM messages WHERE list_contains(?, message_id)",       # known messages
                   "FROM contacts WHERE list_contains(?, contact_id)",       # known contacts
                   "FROM contacts WHERE list_contains(?, thread_key)",       # subject fallback
                   "FROM messages WHERE list_contains(?, contact_id)",       # recompute
                   "FROM messages WHERE list_contains(?, source_id)",        # superseded file
                   "UPDATE contacts SET", "DELETE FROM attachments"):
        assert lookup in asked
    for sql, plan in plans:
        assert "Sequential Scan" not in plan, sql
        # (a key outside the column's range: DuckDB knows from its statistics there is none)
        assert "Index Scan" in plan or "Empty Result" in plan, sql
    # and the work was done: the thread is one contact, the changed file replaced
    assert big_store.execute("SELECT n_messages FROM contacts WHERE external_id = "
                             "'root-1@mail.example.nl'").fetchone() == (4,)
    assert big_store.execute("SELECT count(*) FROM sources WHERE status = 'superseded'"
                             ).fetchone() == (1,)
    assert big_store.execute("SELECT count(*) FROM contacts").fetchone()[0] > STORED
