"""`klantvraag status`: what the database holds, read-only."""

from __future__ import annotations

from dataclasses import dataclass

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
            reasons.notes.append(f"{contact.path} ({contact.external_id}): {contact.reason}")
        if len(empty) > NAMED:
            reasons.notes.append(f"... en nog {_dutch(len(empty) - NAMED)}")

    tables = Summary(title="Tabellen", columns=["tabel", "rijen"])
    tables.rows = [[name, rows] for name, rows in table_counts(con)
                   if name not in ("settings", "schema_migrations")]
    return [contacts, files, *([reasons] if empty else []), tables]


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
