"""`klantvraag status`: what the database holds, read-only."""

from __future__ import annotations

import duckdb

from pipeline.store import schema_version, table_counts
from pipeline.summary import Summary


def summaries(con: duckdb.DuckDBPyConnection, db_path: str) -> list[Summary]:
    contacts = Summary(
        title=f"Contacten in {db_path} (schema v{schema_version(con)})",
        columns=["kanaal", "formaat", "contacten", "berichten", "van", "tot"],
    )
    for row in con.execute(
        "SELECT channel, format, count(*), sum(n_messages), min(started_at)::DATE, "
        "max(started_at)::DATE FROM contacts GROUP BY ALL ORDER BY 1, 2"
    ).fetchall():
        contacts.rows.append([row[0], row[1], row[2], int(row[3] or 0), row[4], row[5]])

    files = Summary(title="Bestanden", columns=["formaat", "status", "bestanden", "contacten"])
    for row in con.execute(
        "SELECT coalesce(format, '?'), status, count(*), sum(n_contacts) FROM sources "
        "GROUP BY ALL ORDER BY 1, 2"
    ).fetchall():
        files.rows.append([row[0], row[1], row[2], int(row[3] or 0)])
    for path, error in con.execute(
        "SELECT path, error FROM sources WHERE status = 'error' ORDER BY path LIMIT 50"
    ).fetchall():
        files.warnings.append(f"{path}: {error}")
    for path, note in con.execute(   # read, with a note (e.g. a ticket page's missing comment files)
        "SELECT path, error FROM sources WHERE status = 'ingested' AND error IS NOT NULL "
        "ORDER BY path LIMIT 50"
    ).fetchall():
        files.notes.append(f"{path}: {note}")

    tables = Summary(title="Tabellen", columns=["tabel", "rijen"])
    tables.rows = [[name, rows] for name, rows in table_counts(con)
                   if name not in ("settings", "schema_migrations")]
    return [contacts, files, tables]
