"""`klantvraag status`: what the database holds, read-only."""

from __future__ import annotations

import duckdb

from pipeline.nlp.pii import mask_path
from pipeline.store import process_alive, process_of, schema_version, table_counts
from pipeline.summary import Summary

RECENT_RUNS = 10
STATUS_WORDS = {"ok": "klaar", "failed": "mislukt", "interrupted": "onderbroken",
                "running": "bezig"}


def summaries(con: duckdb.DuckDBPyConnection, db_path: str) -> list[Summary]:
    contacts = Summary(
        title=f"Contacten in {mask_path(db_path)} (schema v{schema_version(con)})",
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
    for path, _, error in source_errors(con, limit=50):
        files.warnings.append(f"{path}: {error}")

    tables = Summary(title="Tabellen", columns=["tabel", "rijen"])
    tables.rows = [[name, rows] for name, rows in table_counts(con)
                   if name not in ("settings", "schema_migrations")]
    return [contacts, files, runs(con), tables]


def source_errors(con: duckdb.DuckDBPyConnection,
                  limit: int | None = None) -> list[tuple[str, str, str]]:
    """(path, format, error) of every file that could not be read, ordered by path, with
    personal data in names masked (:func:`pipeline.nlp.pii.mask_path`): what the CLI and the
    report show of ``sources``. The stored path stays whole (re-ingest finds files by it)."""
    rows = con.execute(
        "SELECT path, coalesce(format, ''), coalesce(error, '') FROM sources "
        "WHERE status = 'error' ORDER BY path" + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
    return [(mask_path(path), fmt, mask_path(error)) for path, fmt, error in rows]


def runs(con: duckdb.DuckDBPyConnection, limit: int = RECENT_RUNS) -> Summary:
    """The latest runs, newest first; a 'running' row whose process is gone is shown as
    interrupted (this command only reads, the next run marks it)."""
    summary = Summary(title=f"Laatste {limit} runs", columns=[
        "run", "stap", "begonnen", "duur", "status"])
    interrupted = []
    for run_id, command, started, finished, status, counts in con.execute(
            "SELECT run_id, command, started_at, finished_at, status, counts FROM runs "
            "ORDER BY started_at DESC, run_id DESC LIMIT ?", [limit]).fetchall():
        if status == "running":
            alive = process_alive(process_of(counts))
            status = "running" if alive else "interrupted"
        if status == "interrupted":
            interrupted.append(command)
        duration = (f"{(finished - started).total_seconds():,.0f} s".replace(",", ".")
                    if finished else "")
        summary.rows.append([run_id, command, started.strftime("%d-%m-%Y %H:%M"), duration,
                             STATUS_WORDS.get(status, status)])
    if interrupted:
        steps = ", ".join(sorted(set(interrupted)))
        summary.warnings.append(
            f"{len(interrupted)} run(s) onderbroken ({steps}): het proces is gestopt voordat de "
            "stap klaar was. Wat al opgeslagen was is heel (elke stap schrijft in transacties), "
            "maar de stap is niet af: draai `klantvraag run` of die stap opnieuw; bestanden die "
            "al ingelezen zijn worden overgeslagen.")
    return summary

