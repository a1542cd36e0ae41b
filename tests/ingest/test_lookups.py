"""Ingest asks the store only about a window's own keys: every lookup of the writer is answered
by an index scan, so a window costs what it holds, not what the database already holds (a
scan per window made a big export quadratic, issue 17)."""

from __future__ import annotations

import shutil

import pytest

from pipeline import ingest
from pipeline.ingest import writer
from tests.ingest.stored import fill_store

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
        if not sql.lstrip().upper().startswith(("SELECT", "DELETE", "UPDATE")) \
                or "duckdb_tables()" in sql:      # the catalog: how big a table is
            return self._con.execute(sql, params)
        rows = self._con.execute(sql, params).fetchall()
        plan = self._con.execute("EXPLAIN ANALYZE " + sql, params).fetchall()[0][1]
        self.plans.append((" ".join(sql.split()), plan))
        return _Rows(rows)

    def __getattr__(self, name):
        return getattr(self._con, name)


@pytest.fixture
def big_store(con):
    fill_store(con, STORED)
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
    for sql, plan in plans:     # (windows here are small against the store: no joins)
        assert "Sequential Scan" not in plan, sql
        # (a key outside the column's range: DuckDB knows from its statistics there is none)
        assert "Index Scan" in plan or "Empty Result" in plan, sql
    # and the work was done: the thread is one contact, the changed file replaced
    assert big_store.execute("SELECT n_messages FROM contacts WHERE external_id = "
                             "'root-1@mail.example.nl'").fetchone() == (4,)
    assert big_store.execute("SELECT count(*) FROM sources WHERE status = 'superseded'"
                             ).fetchone() == (1,)
    assert big_store.execute("SELECT count(*) FROM contacts").fetchone()[0] > STORED
