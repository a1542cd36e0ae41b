"""`klantvraag status`: what the database holds, read-only."""

from __future__ import annotations

import duckdb

from pipeline.store import schema_version
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

    tables = Summary(title="Tabellen", columns=["tabel", "rijen"])
    for name, in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_name NOT IN ('settings', 'schema_migrations') ORDER BY 1"
    ).fetchall():
        tables.rows.append([name, con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]])
    return [contacts, files, tables]
