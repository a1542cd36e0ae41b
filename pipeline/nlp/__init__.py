"""The nlp stage (``klantvraag prepare``): stored messages -> ``contact_text``.

Per contact: the customer's question (opening turns), all customer text, agent text and bot text,
cleaned (:mod:`.clean`), PII-masked (:mod:`.pii`), auto-replies marked (:mod:`.autoreply`), the
language detected (:mod:`.language`) and topic lemmas made (:mod:`.dutch`). Incremental: a
contact is prepared again only when the hash of its messages (plus the rules' version and the
settings that shape the output) changed. The pure core is :mod:`.frame`; :mod:`.parallel` spreads
it over worker processes (or :class:`pipeline.batches.Runner` over a Dask cluster).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections import Counter
from pathlib import Path
from typing import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import batches
from pipeline.batches import Runner
from pipeline.config import NlpConfig
from pipeline.errors import StageInputMissing
from pipeline.progress import track
from pipeline.summary import Summary

CHUNK = 2000
LEMMA_PART = 20_000          # contacts per part in the lemma step (and per write)
LEMMA_VERSION = "1"          # bump when code (not data) changes what a contact's row holds


def run(con, config: NlpConfig, *, workers: int | None = None, chunk_size: int = CHUNK,
        runner: Runner | None = None) -> Summary:
    """Prepare every new or changed contact; remove rows of contacts no longer in the store.

    Streams: the contacts to do, their cleaned texts and their lemmas pass chunk by chunk
    through Parquet shards in a folder beside the database, so memory stays flat however large
    the store. Rows are written per chunk, each in its own transaction: an interrupted run keeps
    what it finished, and the next run (incremental by hash) goes on from there.

    workers: processes for cleaning and lemmas (default: the CPUs available, at most 4; runs
    under PARALLEL_MIN_CONTACTS contacts stay in this process). runner: a Dask cluster
    (:class:`pipeline.batches.Runner`) that does the cleaning and lemmas instead."""
    from pipeline import store
    from pipeline.nlp import parallel

    n_contacts = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
    if not n_contacts:
        raise StageInputMissing("de database bevat nog geen contacten",
                                hint="draai eerst `klantvraag ingest EXPORT`")
    runner = runner or Runner()
    salt = hash_salt(config)
    with store.Run(con, "prepare", dataclasses.asdict(config)) as run_record, \
            batches.work_dir(con, "prepare") as folder:
        removed = _remove_vanished(con)
        todo = folder / "todo.parquet"
        con.execute(f"COPY ({_HASH_SQL.replace('?', _quoted(salt))}) TO '{_path(todo)}' "
                    "(FORMAT parquet)")
        n_todo = con.execute(f"SELECT count(*) FROM read_parquet('{_path(todo)}')").fetchall()[0][0]
        n_workers = workers if workers is not None else parallel.default_workers()
        if n_todo < parallel.PARALLEL_MIN_CONTACTS or runner.distributed:
            n_workers = 1
        tally = _clean(con, todo, folder, n_todo, chunk_size, config, n_workers, runner)
        if tally.prepared:
            maker = _lemma_maker(con, folder, todo, config)
            _lemmas_and_write(con, folder, n_todo, maker, n_workers, runner)
        summary = _summary(con, tally, n_contacts, removed, config)
        run_record.counts = {"contacts": n_contacts, "prepared": tally.prepared,
                             "unchanged": n_contacts - tally.prepared, "removed": removed,
                             "workers": runner.n_workers() if runner.distributed else n_workers,
                             "auto_replies": tally.auto_replies}
    return summary


# A cleaned shard's columns, typed: a chunk where a column is all empty still reads back as text.
CLEANED = pa.schema(
    [(name, pa.string()) for name in ("contact_id", "input_hash")] + [("is_auto_reply", pa.bool_())]
    + [(name, pa.string()) for name in ("auto_reply_kind", "question_text", "customer_text",
                                         "agent_text", "bot_text", "pii_counts", "clean_rules",
                                         "language")]
    + [("language_confidence", pa.float64())])


@dataclasses.dataclass
class _Tally:
    prepared: int = 0
    auto_replies: int = 0
    pii: Counter = dataclasses.field(default_factory=Counter)


def _clean(con, todo, folder, n_todo: int, chunk_size: int, config: NlpConfig, n_workers: int,
           runner: Runner) -> _Tally:
    """Step 1: clean, mask and detect the language of each chunk; one Parquet shard per chunk."""
    from pipeline.nlp import parallel
    from pipeline.nlp.frame import add_languages

    tally = _Tally()
    chunks = _chunks(con, todo, chunk_size, config.max_text_chars)
    if runner.distributed:
        frames = runner.map(parallel.clean_and_detect, chunks, config.question_turns,
                            config.max_text_chars)
    else:
        # Languages are detected here, chunk by chunk, while the workers clean the next chunks.
        frames = (add_languages(frame) for frame in
                  parallel.clean_chunks(chunks, config.question_turns, n_workers,
                                        config.max_text_chars))
    steps = -(-n_todo // max(1, chunk_size))
    for number, frame in enumerate(track(frames, "Berichten opschonen", total=steps)):
        tally.prepared += len(frame)
        tally.auto_replies += int(frame["is_auto_reply"].sum())
        for value in frame["pii_counts"]:
            tally.pii.update(json.loads(value))
        pq.write_table(pa.Table.from_pandas(frame[CLEANED.names], schema=CLEANED,
                                            preserve_index=False),
                       folder / f"clean-{number:06d}.parquet")
    return tally


def _lemma_maker(con, folder, todo, config: NlpConfig):
    """Step 2: lemmas need the corpus's word counts (spelling), so they come after cleaning; the
    unchanged contacts' questions count too, so an update spells like a full run. Read as a
    stream: only the counts are held."""
    from pipeline.nlp.frame import lemma_maker

    sql = (f"SELECT coalesce(question_text, '') AS q, language AS l FROM ("
           f"SELECT contact_id, question_text, language "
           f"FROM read_parquet('{_path(folder)}/clean-*.parquet') "
           f"UNION ALL SELECT contact_id, question_text, coalesce(language, 'nl') "
           f"FROM contact_text WHERE NOT is_auto_reply "
           f"AND contact_id NOT IN (SELECT contact_id FROM read_parquet('{_path(todo)}'))) "
           f"ORDER BY contact_id")
    pairs = (row for part in batches.stream(con, sql, size=20_000) for row in part)
    texts, langs = itertools.tee(pairs)
    return lemma_maker((row["q"] for row in texts), (row["l"] for row in langs),
                       config.batch_size)


def _lemmas_and_write(con, folder, n_todo: int, maker, n_workers: int, runner: Runner) -> None:
    """Step 3: lemmas per part of the cleaned shards, each part written in its own transaction."""
    from pipeline.nlp import parallel
    from pipeline.nlp.frame import OUTPUT_COLUMNS

    parts = _cleaned_parts(folder, LEMMA_PART)
    if runner.distributed:
        # The maker (word counts, spelling index) goes to each worker once, not with each task.
        done = runner.map(parallel.lemma_frame, parts, runner.share(maker), 1)
    else:
        done = runner.map(parallel.lemma_frame, parts, maker, n_workers)
    for frame in track(done, "Lemma's maken", total=-(-n_todo // LEMMA_PART)):
        _write(con, frame[OUTPUT_COLUMNS], OUTPUT_COLUMNS)


def _cleaned_parts(folder: Path, size: int) -> Iterator[pd.DataFrame]:
    """The cleaned shards as parts of ``size`` rows, in contact_id order. The shards were written
    in that order (chunk after chunk of the sorted list of contacts to do), so they are read one
    by one and each sorted on its own: no sort over the whole export (which held every cleaned
    text in memory at once)."""
    pending: list[pd.DataFrame] = []
    held = 0
    for shard in sorted(folder.glob("clean-*.parquet")):
        frame = pq.read_table(shard).to_pandas().sort_values("contact_id", ignore_index=True)
        pending.append(frame)
        held += len(frame)
        while held >= size:
            joined = pd.concat(pending, ignore_index=True)
            yield joined.iloc[:size].reset_index(drop=True)
            pending, held = [joined.iloc[size:]], len(joined) - size
    if held:
        yield pd.concat(pending, ignore_index=True)


def _chunks(con, todo, size: int,
            max_text_chars: int) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """(contacts, their messages) per chunk of ``size`` contacts to do, read as they are
    needed; each message's text cut to ``max_text_chars`` already in the query (a giant message
    stored by an older klantvraag never reaches memory or spaCy whole)."""
    for rows in batches.stream(con, f"SELECT * FROM read_parquet('{_path(todo)}') "
                                    "ORDER BY contact_id", size=size):
        part = pd.DataFrame(rows, columns=["contact_id", "channel", "subject", "input_hash"])
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


def _path(path) -> str:
    return str(path).replace("'", "''")


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# Hash of what a contact's row depends on: its channel, subject and messages, plus `salt`
# (rules' version, code version, settings), for every contact.
# A contact's hash is the hash of its messages' hashes, in order: the aggregate holds 64
# characters per message instead of every message's text (which took 1.3 GiB at 300k contacts
# and grew with the export).
CONTACT_HASHES_SQL = """
    SELECT c.contact_id, c.channel, c.subject,
           sha256(? || chr(29) || c.channel || chr(29) || coalesce(c.subject, '') || chr(29) ||
                  coalesce(string_agg(m.message_hash, chr(30) ORDER BY m.seq), '')) AS input_hash
    FROM contacts c LEFT JOIN (
        SELECT contact_id, seq,
               sha256(role || chr(31) || coalesce(author, '') || chr(31) ||
                      coalesce(json_extract_string(meta, '$.subject'), '') || chr(31) || text)
                   AS message_hash
        FROM messages) m ON m.contact_id = c.contact_id
    GROUP BY c.contact_id, c.channel, c.subject
"""
# Only the contacts whose hash differs from their prepared row's.
_HASH_SQL = f"""
WITH h AS ({CONTACT_HASHES_SQL})
SELECT h.* FROM h LEFT JOIN contact_text t ON t.contact_id = h.contact_id
WHERE t.input_hash IS DISTINCT FROM h.input_hash
ORDER BY h.contact_id
"""


def _remove_vanished(con) -> int:
    """Drop the rows of contacts no longer in the store; how many."""
    removed = con.execute(
        "SELECT count(*) FROM contact_text WHERE contact_id NOT IN (SELECT contact_id FROM contacts)"
    ).fetchone()[0]
    if removed:
        con.execute("DELETE FROM contact_text "
                    "WHERE contact_id NOT IN (SELECT contact_id FROM contacts)")
    return removed


def _write(con, result: pd.DataFrame, columns: list[str]) -> None:
    """Replace the rows of one part of the prepared contacts and copy the language to
    contacts.language, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("nlp_result", result[columns])
        con.execute("DELETE FROM contact_text WHERE contact_id IN (SELECT contact_id FROM nlp_result)")
        con.execute(f"INSERT INTO contact_text ({', '.join(columns)}) "
                    f"SELECT {', '.join(columns)} FROM nlp_result")
        con.execute("UPDATE contacts SET language = r.language FROM nlp_result r "
                    "WHERE contacts.contact_id = r.contact_id "
                    "AND contacts.language IS DISTINCT FROM r.language")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("nlp_result")


def _summary(con, tally: _Tally, n_contacts: int, removed: int, config: NlpConfig) -> Summary:
    summary = Summary(title="Voorbereiden: opschonen, anonimiseren, taal", columns=["", "contacten"])
    summary.rows.append(["in de database", n_contacts])
    summary.rows.append(["nu voorbereid (nieuw of gewijzigd)", tally.prepared])
    summary.rows.append(["ongewijzigd, overgeslagen", n_contacts - tally.prepared])
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
    pii_total = tally.pii
    if pii_total:
        summary.notes.append("gemaskeerd: " + ", ".join(f"{k} {v:,}" for k, v in pii_total.most_common()))
    return summary


def prepare_frame(contacts: pd.DataFrame, messages: pd.DataFrame,
                  config: NlpConfig | None = None) -> pd.DataFrame:
    """The pure core without a database; see :func:`pipeline.nlp.frame.prepare_frame`."""
    from pipeline.nlp.frame import prepare_frame as core

    return core(contacts, messages, config)


__all__ = ["run", "prepare_frame"]
