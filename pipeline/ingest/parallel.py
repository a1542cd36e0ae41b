"""Parsing files in worker processes: the parsers are pure, so a window of files can be parsed on
every core while the main process reads the next files and writes the previous window."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from pipeline.errors import InputFileError
from pipeline.ingest.detect import parse_file
from pipeline.ingest.limits import FileTimeout, Limits, cut_text, time_budget
from pipeline.ingest.records import Context, Parsed

# (path, name, source_id, data, refused) -> ("ok", Parsed) | ("error", message, where, hint)
Job = tuple[str, str, str, bytes, "str | None"]
Outcome = tuple[Any, ...]

_BASE: dict[str, Any] = {}
_log = logging.getLogger("klantvraag.ingest")


def _init_worker(base: dict[str, Any]) -> None:
    _BASE.clear()
    _BASE.update(base)


def parse_job(job: Job, base: dict[str, Any] | None = None) -> Outcome:
    """Parse one file. Whatever goes wrong inside is this file's error, in words a person can
    act on: the run goes on with the next file."""
    path, name, source_id, data, refused = job
    settings = base if base is not None else _BASE
    limits = settings.get("limits") or Limits()
    try:
        if refused:
            raise InputFileError(refused, path=path)
        with time_budget(limits.max_seconds_per_file):
            parsed: Parsed = parse_file(data, Context(path=path, name=name, source_id=source_id,
                                                      **settings))
        cut_long_texts(parsed, limits)
    except InputFileError as exc:
        return ("error", exc.message, exc.where, exc.hint)
    except Exception as exc:  # noqa: BLE001 - one file's failure, whatever it is, is its own
        # The traceback goes to the log file beside the database (the CLI sets it up).
        _log.info("onverwachte fout bij het inlezen van een bestand", exc_info=exc)
        return ("error", *unexpected(exc, limits))
    return ("ok", parsed)


def unexpected(exc: BaseException, limits: Limits) -> tuple[str, str | None, str]:
    """(message, where, hint) in Dutch for an exception a parser did not foresee."""
    if isinstance(exc, FileTimeout):
        return (f"inlezen duurde langer dan {limits.max_seconds_per_file} seconden; afgebroken",
                None, "splits het bestand of verhoog [ingest] max_seconds_per_file")
    if isinstance(exc, MemoryError):
        return ("te groot om in het geheugen te lezen", None,
                "splits het bestand in kleinere delen of verlaag [ingest] max_file_mb")
    if isinstance(exc, RecursionError):
        return ("te diep genest om te lezen", None,
                "controleer of dit bestand bij de export hoort (of verlaag de nesting in de bron)")
    if isinstance(exc, UnicodeError):
        return ("bevat tekens die niet te lezen zijn (geen geldige tekstcodering)", None,
                "sla het bestand op als UTF-8 en lees het opnieuw in")
    # The exception's own text can quote the file's content (personal data): only its kind.
    return (f"onverwachte opbouw, niet te lezen ({type(exc).__name__})", None,
            "controleer of dit bestand een export is die klantvraag leest; is het dat wel, "
            "meld het dan met `klantvraag ingest --debug`")


def cut_long_texts(parsed: Parsed, limits: Limits) -> None:
    """Every message text and subject of a parsed file cut to the limit (flagged in meta)."""
    for record in (*parsed.messages, *parsed.mails):
        record.text, record.meta = cut_text(record.text, record.meta, limits)
    # A subject is a line, not a text: a megabyte of it is data pasted into a header.
    for record in (*parsed.contacts, *parsed.mails):
        if record.subject and len(record.subject) > limits.max_message_chars:
            record.subject = record.subject[:limits.max_message_chars]
    for mail in parsed.mails:
        subject = mail.meta.get("subject") if mail.meta else None
        if isinstance(subject, str) and len(subject) > limits.max_message_chars:
            mail.meta["subject"] = subject[:limits.max_message_chars]


class Parser:
    """Parses windows of jobs, in this process (workers=1) or in a process pool."""

    def __init__(self, base: dict[str, Any], workers: int) -> None:
        self.base = base
        self.pool: Executor | None = None
        if workers > 1:
            self.pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker, initargs=(base,))

    def submit(self, jobs: list[Job]) -> Iterable[Outcome]:
        """Start parsing a window; iterate the result for the outcomes, in order."""
        if self.pool is None:
            return _lazy(jobs, self.base)
        return self.pool.map(parse_job, jobs, chunksize=max(1, len(jobs) // 16))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _lazy(jobs: list[Job], base: dict[str, Any]) -> Iterator[Outcome]:
    for job in jobs:
        yield parse_job(job, base)
