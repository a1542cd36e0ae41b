"""Ingest: export files, folders and .zip archives -> sources, contacts, messages, attachments.

``run`` walks the inputs, skips content it has seen (sha256), parses each file with the pure
parsers (:func:`pipeline.ingest.detect.parse_file`, in worker processes for large exports) and
writes them in windows of whole files, one transaction each (:mod:`pipeline.ingest.writer`).
The summary reconciles, per format: files seen = ingested + skipped duplicates + errors.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from pipeline.config import IngestConfig
from pipeline.errors import InputFileError
from pipeline.ingest.archive import Item, discover
from pipeline.ingest.detect import guess_format
from pipeline.ingest.identity import sha256_hex
from pipeline.ingest.limits import Limits
from pipeline.ingest.mapping import load_mappings
from pipeline.ingest.parallel import Job, Parser, cut_long_texts
from pipeline.ingest.records import Batch, Written
from pipeline.ingest.speakers import load_speaker_rules
from pipeline.progress import track
from pipeline.summary import Summary

if TYPE_CHECKING:   # the store (duckdb, pandas) is imported only where it is used, so parser
    import duckdb  # worker processes, which import this package, stay small

BATCH_FILES = 500
# A window also ends after this many bytes of input: monthly export files grow with the export
# (a month of chats in one JSON file), and a window of them parsed whole was the part of
# ingest's memory that grew with the export. Parsed, a byte of JSON takes ~10 in Python.
BATCH_BYTES = 8 * 1024 * 1024


@dataclasses.dataclass
class Tally:
    """Per-format counts of one run."""

    files: dict[str, Counter] = dataclasses.field(default_factory=lambda: defaultdict(Counter))
    written: Written = dataclasses.field(default_factory=Written)
    errors: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    superseded: int = 0

    def count(self, fmt: str, outcome: str) -> None:
        self.files[fmt]["seen"] += 1
        self.files[fmt][outcome] += 1

    def add(self, written: Written) -> None:
        self.written.contacts.update(written.contacts)
        self.written.messages.update(written.messages)
        self.written.removed_contacts += written.removed_contacts
        self.written.removed_messages += written.removed_messages

    def reconciles(self) -> bool:
        return all(c["seen"] == c["ingested"] + c["duplicates"] + c["errors"]
                   for c in self.files.values())


@dataclasses.dataclass
class _Pending:
    job: Job
    row: dict[str, Any]
    supersede: str | None
    replace: bool


def run(con: duckdb.DuckDBPyConnection, paths: list[Path], config: IngestConfig,
        *, batch_files: int = BATCH_FILES, batch_bytes: int = BATCH_BYTES,
        workers: int | None = None) -> Summary:
    """Ingest ``paths`` (files, folders, zips). Idempotent: known content is skipped.

    ``workers``: parser processes. Default 1 (parse in this process): on the 2-core reference
    machine two workers were not faster and tripled peak memory (see bench/ingest.py).
    """
    from pipeline.ingest.writer import flush
    from pipeline.store import Run, get_setting

    salt = get_setting(con, "customer_key_salt") or ""
    base = {"salt": salt, "agent_domains": tuple(d.lower() for d in config.agent_domains),
            "organisation_names": tuple(config.organisation_names),
            "chat_mapping": config.chat_mapping,
            "mappings": tuple(load_mappings(config.chat_mapping_files)),
            "speakers": load_speaker_rules(), "limits": Limits.from_config(config)}
    ignored: list[str] = []

    def files(ignored_now: list[str] | None) -> Iterator[Item]:
        return discover([Path(p) for p in paths], tuple(config.ignore), ignored_now,
                        base["limits"], config.follow_symlinks)

    # Counted first (for the progress bar), then read one by one: a list of every file held
    # for the whole run would grow with the export (about 1 KiB a file, 300 MB at a million
    # contacts); walking the folders twice costs about 1% of the stage.
    total = sum(1 for _ in files(None))
    items = files(ignored)
    workers = max(1, workers or 1)
    known = {sid: (status, fmt) for sid, status, fmt in con.execute(
        "SELECT source_id, status, format FROM sources").fetchall()}
    by_path = dict(con.execute(
        "SELECT path, source_id FROM sources WHERE status IN ('ingested', 'error')").fetchall())
    tally = Tally()
    seen_now: dict[str, str] = {}
    held: list[tuple[_Pending, Any]] = []   # vendor tickets completed by other files of the run
    parser = Parser(base, workers)
    try:
        with Run(con, "ingest", dataclasses.asdict(config)) as bookkeeping:
            def prepare(item: Item) -> _Pending | None:
                return _prepare(item, known, by_path, seen_now, tally, bookkeeping.run_id)

            windows = _windows(items, prepare, batch_files, batch_bytes, total)
            current = next(windows, [])
            outcomes = parser.submit([p.job for p in current]) if current else []
            while current:
                batch, error = _collect(current, outcomes, tally, seen_now, config.strict, held)
                upcoming, next_outcomes = [], []
                if error is None:     # workers parse the next window while this one is written
                    upcoming = next(windows, [])
                    if upcoming:
                        next_outcomes = parser.submit([p.job for p in upcoming])
                tally.add(flush(con, batch, salt))
                if error is not None:
                    bookkeeping.counts = _counts(tally)
                    raise error
                current, outcomes = upcoming, next_outcomes
            if held:                      # every file is parsed: join tickets with their comments
                from pipeline.ingest.vendors.pieces import resolve

                outcomes = resolve([parsed for _, parsed in held])
                for outcome in outcomes:     # joined tickets are new records: cut them too
                    if outcome[0] == "ok":
                        cut_long_texts(outcome[1], base["limits"])
                batch, error = _collect([p for p, _ in held], outcomes,
                                        tally, seen_now, config.strict)
                tally.add(flush(con, batch, salt))
                if error is not None:
                    bookkeeping.counts = _counts(tally)
                    raise error
            bookkeeping.counts = _counts(tally)
    finally:
        parser.close()
    summary = _summary(tally)
    if ignored:
        from pipeline.nlp.pii import mask_path

        names = ", ".join(mask_path(Path(p).name) for p in ignored[:5]) + (" ..." if len(ignored) > 5 else "")
        summary.notes.append(f"{len(ignored)} bestand(en) overgeslagen volgens [ingest] ignore: {names}")
    return summary


def _windows(items: Iterable[Item], prepare, batch_files: int,
             batch_bytes: int, total: int) -> Iterator[list[_Pending]]:
    """The files to parse, read and hashed in order, in windows of at most ``batch_files``
    files or about ``batch_bytes`` bytes (one larger file is a window of its own); files
    already known are counted by ``prepare`` and left out."""
    window: list[_Pending] = []
    size = 0
    for item in track(items, "Bestanden inlezen", total=total):
        pending = prepare(item)
        if pending is None:
            continue
        window.append(pending)
        size += len(pending.job[3])
        if len(window) >= batch_files or size >= batch_bytes:
            yield window
            window, size = [], 0
    if window:
        yield window


def _prepare(item: Item, known: dict, by_path: dict, seen_now: dict, tally: Tally,
             run_id: str) -> _Pending | None:
    """Read and hash one file; count it as a duplicate or return the job to parse it."""
    refused = item.refused
    try:
        data = item.read()
    except InputFileError as exc:
        data, refused = item.path.encode("utf-8"), exc.message
    except OSError as exc:
        data = item.path.encode("utf-8")
        refused = (f"niet te lezen: {exc.strerror or type(exc).__name__} — controleer of het "
                   "bestand bestaat en leesbaar is")
    except MemoryError:
        data, refused = item.path.encode("utf-8"), "te groot om in het geheugen te lezen"
    source_id = sha256_hex(data)
    previous = known.get(source_id)
    if source_id in seen_now or (previous and previous[0] == "ingested"):
        fmt = seen_now.get(source_id) or previous[1] or guess_format(item.name)
        tally.count(fmt, "duplicates")
        return None
    seen_now[source_id] = guess_format(item.name)
    old = by_path.get(item.path)
    moment = datetime.now(UTC).replace(tzinfo=None)
    row = {"source_id": source_id, "path": item.path, "size_bytes": len(data), "format": None,
           "status": "ingested", "error": None, "n_contacts": 0, "n_messages": 0,
           "first_seen_at": moment, "ingested_at": moment, "run_id": run_id}
    return _Pending((item.path, item.name, source_id, data, refused), row,
                    old if old and old != source_id else None, previous is not None)


def _collect(pending: list[_Pending], outcomes, tally: Tally, seen_now: dict, strict: bool,
             held: list | None = None) -> tuple[Batch, InputFileError | None]:
    """Parsed files into a batch; a file that failed adds only its 'error' row. A file whose
    tickets other files complete goes to ``held`` (joined after the last window)."""
    batch = Batch()
    for item, outcome in zip(pending, outcomes):
        row, (path, name, source_id, _, refused) = item.row, item.job
        if item.supersede:
            batch.supersede.add(item.supersede)
            tally.superseded += 1
        if item.replace:
            batch.replace.add(source_id)
        if outcome[0] == "error":
            _, message, where, hint = outcome
            fmt = "zip" if refused and "!/" in path else guess_format(name)
            row.update(format=fmt, status="error", ingested_at=None,
                       error=(f"{where}: " if where else "") + message + (f" — {hint}" if hint else ""))
            batch.sources.append(row)
            tally.count(fmt, "errors")
            tally.errors.append(f"{path}: {row['error']}")
            seen_now[source_id] = fmt
            if strict:
                return batch, InputFileError(message, path=path, where=where, hint=hint)
            continue
        parsed = outcome[1]
        if parsed.pending and held is not None:
            # held until the last window: without the file's bytes (parsed, they are not needed)
            held.append((dataclasses.replace(item, supersede=None,
                                             job=(path, name, source_id, b"", refused)), parsed))
            continue
        row["format"] = parsed.format
        if parsed.notes:            # read, with something the user should know (no note column yet)
            row["error"] = "let op: " + "; ".join(parsed.notes)
            tally.notes.append(f"{path}: {'; '.join(parsed.notes)}")
        seen_now[source_id] = parsed.format
        batch.sources.append(row)
        batch.contacts.extend(parsed.contacts)
        batch.messages.extend(parsed.messages)
        batch.mails.extend(parsed.mails)
        tally.count(parsed.format, "ingested")
    return batch, None


def _counts(tally: Tally) -> dict:
    return {"files": {fmt: dict(c) for fmt, c in tally.files.items()},
            "contacts_added": sum(tally.written.contacts.values()),
            "messages_added": sum(tally.written.messages.values()),
            "contacts_removed": tally.written.removed_contacts,
            "messages_removed": tally.written.removed_messages,
            "superseded": tally.superseded, "errors": len(tally.errors)}


def _summary(tally: Tally) -> Summary:
    # File names can carry personal data (WhatsApp names an export after the phone number).
    from pipeline.nlp.pii import mask_path

    summary = Summary(title="Ingelezen", columns=[
        "formaat", "bestanden", "ingelezen", "dubbel", "fouten", "+contacten", "+berichten"])
    totals: Counter = Counter()
    for fmt in sorted(tally.files):
        counts = tally.files[fmt]
        row = [fmt, counts["seen"], counts["ingested"], counts["duplicates"], counts["errors"],
               tally.written.contacts.get(fmt, 0), tally.written.messages.get(fmt, 0)]
        summary.rows.append(row)
        totals.update(dict(zip(summary.columns[1:], row[1:])))
    summary.rows.append(["totaal", *[totals[c] for c in summary.columns[1:]]])
    if not tally.reconciles():  # pragma: no cover - guarded by construction and by tests
        summary.warnings.append("telling klopt niet: bestanden != ingelezen + al bekend + fouten")
    if tally.superseded:
        summary.notes.append(
            f"{tally.superseded} gewijzigde bestand(en) opnieuw ingelezen; oude versie vervangen "
            f"({tally.written.removed_messages} berichten, {tally.written.removed_contacts} contacten verwijderd)")
    summary.notes.extend(tally.notes[:20])
    for error in tally.errors[:20]:
        summary.warnings.append(mask_path(error))
    if len(tally.errors) > 20:
        summary.warnings.append(f"... en nog {len(tally.errors) - 20} fouten (zie `klantvraag status`)")
    return summary
