"""`klantvraag status`: what the database holds, read-only."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipeline.batches import leftovers, work_root
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
    for path, note in con.execute(   # read, with a note (e.g. a ticket page's missing comment files)
        "SELECT path, error FROM sources WHERE status = 'ingested' AND error IS NOT NULL "
        "ORDER BY path LIMIT 50"
    ).fetchall():
        files.notes.append(f"{mask_path(path)}: {mask_path(note)}")

    empty = contacts_without_customer_text(con)
    if empty:
        reasons = Summary(title="Contacten zonder klanttekst", columns=["reden", "kanaal", "contacten"])
        counts: dict[tuple[str, str], int] = {}
        for contact in empty:
            counts[(contact.reason, contact.channel)] = counts.get((contact.reason, contact.channel), 0) + 1
        reasons.rows = [[reason, channel, n] for (reason, channel), n in sorted(counts.items())]
        reasons.notes.append(
            f"{_dutch(len(empty))} contact(en) zonder tekst van de klant: ingelezen en geteld, "
            "maar zonder klantvraag om in te delen")
        for contact in empty[:NAMED]:
            reasons.notes.append(f"{mask_path(contact.path or '')} ({mask_path(contact.external_id)}): "
                                 f"{contact.reason}")
        if len(empty) > NAMED:
            reasons.notes.append(f"... en nog {_dutch(len(empty) - NAMED)}")

    tables = Summary(title="Tabellen", columns=["tabel", "rijen"])
    tables.rows = [[name, rows] for name, rows in table_counts(con)
                   if name not in ("settings", "schema_migrations")]
    return [contacts, files, *([reasons] if empty else []), runs(con), tables]


NAMED = 20          # contacts named one by one in `klantvraag status`


@dataclass(frozen=True)
class EmptyContact:
    """A contact with no customer text after reading: still stored, counted and named."""

    contact_id: str
    external_id: str
    channel: str
    format: str
    path: str | None
    reason: str            # alleen medewerker/bot | alleen een bijlage | geen berichten


def contacts_without_customer_text(con: duckdb.DuckDBPyConnection) -> list[EmptyContact]:
    """Contacts whose customer turns are missing or empty (only agent turns, only an attachment,
    no messages at all), with the file they came from and why, ordered by file."""
    rows = con.execute("""
        WITH per_contact AS (
            SELECT c.contact_id, c.external_id, c.channel, c.format, s.path,
                   count(m.message_id) AS n_messages,
                   count(*) FILTER (WHERE m.role = 'customer' AND trim(m.text) <> '') AS customer_texts,
                   count(*) FILTER (WHERE m.role = 'customer') AS customer_turns
            FROM contacts c
            LEFT JOIN sources s ON s.source_id = c.source_id
            LEFT JOIN messages m ON m.contact_id = c.contact_id
            GROUP BY ALL)
        SELECT p.contact_id, p.external_id, p.channel, p.format, p.path, p.n_messages,
               p.customer_turns,
               EXISTS (SELECT 1 FROM attachments a JOIN messages m USING (message_id)
                       WHERE m.contact_id = p.contact_id AND m.role = 'customer') AS attached
        FROM per_contact p WHERE p.customer_texts = 0
        ORDER BY p.path, p.external_id""").fetchall()
    found = []
    for contact_id, external_id, channel, fmt, path, n_messages, customer_turns, attached in rows:
        if n_messages == 0:
            reason = "geen berichten"
        elif attached:
            reason = "alleen een bijlage"
        elif customer_turns:
            reason = "klantbericht zonder tekst"
        else:
            reason = "alleen medewerker/bot"
        found.append(EmptyContact(contact_id, external_id, channel, fmt, path, reason))
    return found


def _dutch(number: int) -> str:
    return f"{number:,}".replace(",", ".")


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
            "maar de stap is niet af: draai `klantvraag run` of die stap opnieuw. Hij gaat "
            "verder waar hij stopte: ingest slaat bestanden over die al ingelezen zijn, prepare "
            "contacten die al voorbereid zijn, en tag, reasons en reasons --apply nemen de "
            "batches over die al klaar waren (bewaard naast de database, in <db>.work).")
    running = any(row[4] == STATUS_WORDS["running"] for row in summary.rows)
    kept = leftovers(con)
    if kept and not running:
        from pipeline.report.i18n import Texts    # the report's Dutch number format

        number = Texts("nl").number
        sizes = ", ".join(f"{stage} {number(size / 2**20, 1)} MB" for stage, size in kept.items())
        summary.warnings.append(
            f"In {work_root(con).name}, naast de database, staan tussenresultaten "
            f"van een stap die niet af is ({sizes}). De "
            "volgende run van die stap gaat ermee verder, of ruimt ze op als de gegevens of "
            "instellingen veranderd zijn. Wil je die stap niet afmaken, dan mag de map weg.")
    return summary
