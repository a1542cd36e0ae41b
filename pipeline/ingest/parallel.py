"""Parsing files in worker processes: the parsers are pure, so a window of files can be parsed on
every core while the main process reads the next files and writes the previous window."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from pipeline.errors import InputFileError
from pipeline.ingest.detect import parse_file
from pipeline.ingest.records import Context, Parsed

# (path, name, source_id, data, refused) -> ("ok", Parsed) | ("error", message, where, hint)
Job = tuple[str, str, str, bytes, "str | None"]
Outcome = tuple[Any, ...]

_BASE: dict[str, Any] = {}


def _init_worker(base: dict[str, Any]) -> None:
    _BASE.clear()
    _BASE.update(base)


def parse_job(job: Job, base: dict[str, Any] | None = None) -> Outcome:
    path, name, source_id, data, refused = job
    try:
        if refused:
            raise InputFileError(refused, path=path)
        parsed: Parsed = parse_file(data, Context(path=path, name=name, source_id=source_id,
                                                  **(base if base is not None else _BASE)))
    except InputFileError as exc:
        return ("error", exc.message, exc.where, exc.hint)
    return ("ok", parsed)


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
