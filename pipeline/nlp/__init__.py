"""The nlp stage (``klantvraag prepare``): stored messages -> ``contact_text``.

Per contact: the customer's question (opening turns), all customer text, agent text and bot text,
cleaned (:mod:`.clean`), PII-masked (:mod:`.pii`), auto-replies marked (:mod:`.autoreply`), the
language detected (:mod:`.language`) and topic lemmas made (:mod:`.dutch`). Incremental: a
contact is prepared again only when the hash of its messages (plus the rules' version and the
settings that shape the output) changed. The pure core is :mod:`.frame`; :mod:`.parallel` spreads
it over worker processes.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Iterator

import pandas as pd

from pipeline.config import NlpConfig
from pipeline.errors import StageInputMissing
from pipeline.progress import track
from pipeline.summary import Summary

CHUNK = 2000
LEMMA_VERSION = "1"          # bump when code (not data) changes what a contact's row holds


def run(con, config: NlpConfig, *, workers: int | None = None, chunk_size: int = CHUNK) -> Summary:
    """Prepare every new or changed contact; remove rows of contacts no longer in the store.

    workers: processes for cleaning and lemmas (default: the CPUs available, at most 4; runs
    under PARALLEL_MIN_CONTACTS contacts stay in this process)."""
    from pipeline import store
    from pipeline.nlp import parallel
    from pipeline.nlp.frame import OUTPUT_COLUMNS, add_languages, finish, lemma_maker

    n_contacts = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
    if not n_contacts:
        raise StageInputMissing("the database holds no contacts yet",
                                hint="run `klantvraag ingest EXPORT` first")
    salt = hash_salt(config)
    with store.Run(con, "prepare", dataclasses.asdict(config)) as run_record:
        todo = con.execute(_HASH_SQL, [salt]).df()
        n_workers = workers if workers is not None else parallel.default_workers()
        if len(todo) < parallel.PARALLEL_MIN_CONTACTS:
            n_workers = 1
        # Languages are detected here, chunk by chunk, while the workers clean the next chunks.
        frames = [add_languages(frame) for frame in parallel.clean_chunks(
            _chunks(con, todo, chunk_size, config.max_text_chars), config.question_turns,
            n_workers)]
        if frames:
            result = pd.concat(frames, ignore_index=True)
            texts, langs = result["question_text"].tolist(), result["language"].tolist()
            # Lemmas need the corpus's word counts (spelling), so they come after cleaning; the
            # unchanged contacts' questions count too, so an update spells like a full run.
            kept = _unchanged_questions(con, todo)
            maker = lemma_maker(texts + [t or "" for t, _ in kept],
                                langs + [lang or "nl" for _, lang in kept], config.batch_size)
            result = finish(result, parallel.lemma_chunks(maker, texts, langs, n_workers))
        else:
            result = pd.DataFrame(columns=OUTPUT_COLUMNS)
        removed = _write(con, result, OUTPUT_COLUMNS)
        summary = _summary(con, result, n_contacts, removed, config)
        run_record.counts = {"contacts": n_contacts, "prepared": len(result),
                             "unchanged": n_contacts - len(result), "removed": removed,
                             "workers": n_workers,
                             "auto_replies": int(result["is_auto_reply"].sum()) if len(result) else 0}
    return summary


def _unchanged_questions(con, todo: pd.DataFrame) -> list[tuple[str, str]]:
    con.register("nlp_todo", todo[["contact_id"]])
    try:
        return con.execute(
            "SELECT question_text, language FROM contact_text WHERE NOT is_auto_reply "
            "AND contact_id NOT IN (SELECT contact_id FROM nlp_todo)").fetchall()
    finally:
        con.unregister("nlp_todo")


def _chunks(con, todo: pd.DataFrame, size: int,
            max_text_chars: int) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """(contacts, their messages) per chunk of ``size`` contacts, read as they are needed; each
    message's text cut to ``max_text_chars`` already in the query (a giant message stored by an
    older klantvraag never reaches memory or spaCy whole)."""
    starts = range(0, len(todo), size)
    for start in track(starts, "Berichten opschonen", total=len(starts)):
        part = todo.iloc[start:start + size].reset_index(drop=True)
        con.register("nlp_part", part[["contact_id"]])
        try:
            messages = con.execute(
                "SELECT m.contact_id, m.seq, m.role, m.author, left(m.text, ?) AS text, "
                "json_extract_string(m.meta, '$.subject') AS subject "
                "FROM messages m JOIN nlp_part p USING (contact_id)", [max_text_chars]).df()
        finally:
            con.unregister("nlp_part")
        yield part, messages


def hash_salt(config: NlpConfig) -> str:
    """What besides the messages a prepared row depends on: rules, code version, settings."""
    from pipeline.nlp import rules

    salt = f"{rules.resources_version()}|{LEMMA_VERSION}|{config.question_turns}"
    if config.max_text_chars != NlpConfig.max_text_chars:   # the default keeps existing rows
        salt += f"|{config.max_text_chars}"
    return salt


# Hash of what a contact's row depends on: its channel, subject and messages, plus `salt`
# (rules' version, code version, settings), for every contact.
CONTACT_HASHES_SQL = """
    SELECT c.contact_id, c.channel, c.subject,
           sha256(? || chr(29) || c.channel || chr(29) || coalesce(c.subject, '') || chr(29) ||
                  coalesce(string_agg(m.role || chr(31) || coalesce(m.author, '') || chr(31) ||
                           coalesce(json_extract_string(m.meta, '$.subject'), '') || chr(31) ||
                           m.text, chr(30) ORDER BY m.seq), '')) AS input_hash
    FROM contacts c LEFT JOIN messages m ON m.contact_id = c.contact_id
    GROUP BY c.contact_id, c.channel, c.subject
"""
# Only the contacts whose hash differs from their prepared row's.
_HASH_SQL = f"""
WITH h AS ({CONTACT_HASHES_SQL})
SELECT h.* FROM h LEFT JOIN contact_text t ON t.contact_id = h.contact_id
WHERE t.input_hash IS DISTINCT FROM h.input_hash
ORDER BY h.contact_id
"""


def _write(con, result: pd.DataFrame, columns: list[str]) -> int:
    """Replace the rows of the prepared contacts and drop rows of vanished contacts, in one
    transaction; copy the language to contacts.language."""
    con.execute("BEGIN TRANSACTION")
    try:
        removed = con.execute(
            "SELECT count(*) FROM contact_text WHERE contact_id NOT IN (SELECT contact_id FROM contacts)"
        ).fetchone()[0]
        con.execute("DELETE FROM contact_text WHERE contact_id NOT IN (SELECT contact_id FROM contacts)")
        if len(result):
            frame = result[columns]
            con.register("nlp_result", frame)
            con.execute("DELETE FROM contact_text WHERE contact_id IN (SELECT contact_id FROM nlp_result)")
            con.execute(f"INSERT INTO contact_text ({', '.join(columns)}) "
                        f"SELECT {', '.join(columns)} FROM nlp_result")
            con.execute("UPDATE contacts SET language = r.language FROM nlp_result r "
                        "WHERE contacts.contact_id = r.contact_id "
                        "AND contacts.language IS DISTINCT FROM r.language")
            con.unregister("nlp_result")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return removed


def _summary(con, result: pd.DataFrame, n_contacts: int, removed: int, config: NlpConfig) -> Summary:
    summary = Summary(title="Voorbereiden: opschonen, anonimiseren, taal", columns=["", "contacten"])
    summary.rows.append(["in de database", n_contacts])
    summary.rows.append(["nu voorbereid (nieuw of gewijzigd)", len(result)])
    summary.rows.append(["ongewijzigd, overgeslagen", n_contacts - len(result)])
    if removed:
        summary.rows.append(["verwijderd (niet meer in de export)", removed])
    stats = con.execute(
        "SELECT count(*) FILTER (is_auto_reply), "
        "count(*) FILTER (NOT is_auto_reply AND coalesce(question_text, '') = '') FROM contact_text"
    ).fetchone()
    summary.rows.append(["automatische antwoorden / bounces (niet meegeteld)", stats[0]])
    languages = con.execute(
        "SELECT language, count(*) FROM contact_text WHERE NOT is_auto_reply "
        "GROUP BY language ORDER BY count(*) DESC").fetchall()
    for code, count in languages:
        group = "" if code in config.model_languages else " (aparte groep)"
        summary.rows.append([f"taal {code}{group}", count])
    if stats[1]:
        summary.warnings.append(f"{stats[1]} contacten zonder klantvraag (alleen medewerker- of "
                                "bottekst, of een lege e-mail)")
    pii_total: Counter = Counter()
    for value in result["pii_counts"] if len(result) else []:
        pii_total.update(json.loads(value))
    if pii_total:
        summary.notes.append("gemaskeerd: " + ", ".join(f"{k} {v:,}" for k, v in pii_total.most_common()))
    return summary


def prepare_frame(contacts: pd.DataFrame, messages: pd.DataFrame,
                  config: NlpConfig | None = None) -> pd.DataFrame:
    """The pure core without a database; see :func:`pipeline.nlp.frame.prepare_frame`."""
    from pipeline.nlp.frame import prepare_frame as core

    return core(contacts, messages, config)


__all__ = ["run", "prepare_frame"]
