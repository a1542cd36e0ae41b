"""Batches, shards and where they run: what lets a stage work through a large store with flat
memory, in this process or on a Dask cluster.

- :func:`stream` reads a query's rows in Arrow batches (DuckDB ``to_arrow_reader``), cut only
  where a key changes when a stage needs a whole group in one batch (a customer's contacts).
- :func:`work_dir` is a folder beside the database where batches leave their results as Parquet
  shards; DuckDB reads them back with ``read_parquet`` and stays the store.
- :class:`Runner` maps a function over batches: in this process (the default, nothing to start)
  or on a Dask distributed cluster (``--workers N`` starts a local one, ``--scheduler URL`` uses
  a running one). The functions are plain module-level functions of one batch; what they need
  that is expensive to build (rules, models) they load once per worker process.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pyarrow as pa

DEFAULT_BATCH = 5000


@contextmanager
def arrow_reader(con, sql: str, params: list | None = None,
                 size: int = DEFAULT_BATCH) -> Iterator[pa.RecordBatchReader]:
    """An Arrow record batch reader over ``sql``, ``size`` rows a batch, on a cursor of its own
    (so the caller's connection stays free), closed when the block ends."""
    cursor = con.cursor()
    try:
        yield cursor.sql(sql, params=params or None).to_arrow_reader(max(1, size))
    finally:
        cursor.close()


def stream(con, sql: str, params: list | None = None, size: int = DEFAULT_BATCH,
           key: str | None = None) -> Iterator[list[dict[str, Any]]]:
    """Rows of ``sql`` as lists of dicts, about ``size`` at a time. With ``key`` (a column the
    query orders by) a batch is cut only where the key changes, so a group never spans two
    batches (a group larger than ``size`` makes one larger batch). Reads with
    :func:`arrow_reader`, so the caller's connection stays free."""
    with arrow_reader(con, sql, params, size) as reader:
        pending: list[dict[str, Any]] = []
        for record_batch in reader:
            pending.extend(pa.Table.from_batches([record_batch]).to_pylist())
            while len(pending) >= size:
                cut = _cut(pending, size, key)
                if cut is None:
                    break
                yield pending[:cut]
                pending = pending[cut:]
        if pending:
            yield pending


def _cut(rows: list[dict], size: int, key: str | None) -> int | None:
    """Where to end a batch of about ``size`` rows: at ``size``, or later where ``key`` changes;
    None when the group at the end may go on in rows not read yet."""
    if key is None:
        return size
    for i in range(size, len(rows)):
        if rows[i][key] != rows[i - 1][key] or rows[i][key] is None:
            return i
    return None


def database_path(con) -> Path | None:
    """The file of the connection's main database; None for an in-memory one."""
    for _, name, file in con.execute("PRAGMA database_list").fetchall():
        if name == con.execute("SELECT current_database()").fetchone()[0]:
            return Path(file) if file else None
    return None


RESUME_FILE = "resume-key.txt"


def work_root(con) -> Path | None:
    """``<db>.work`` beside the connection's database file, where the stages keep their work
    folders (:func:`work_dir`); None for an in-memory database."""
    db = database_path(con)
    return db.with_name(db.name + ".work") if db is not None else None


def leftovers(con) -> dict[str, int]:
    """The work folders a failed or interrupted stage left beside the database (see
    :func:`work_dir`), by stage, with their size in bytes: an interrupted fit at a million
    contacts keeps some hundreds of MB of embeddings there until that stage runs again."""
    root = work_root(con)
    if root is None or not root.is_dir():
        return {}
    return {folder.name: sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
            for folder in sorted(root.iterdir()) if folder.is_dir()}


@contextmanager
def work_dir(con, stage: str, resume_key: str | None = None) -> Iterator[Path]:
    """A folder for a stage's shards, beside the database (``<db>.work/<stage>``; a temporary
    folder for an in-memory database), removed when the stage is done.

    Without ``resume_key`` the folder starts empty: its shards are only a step within one run.
    With one (a digest of everything the stage's results depend on: its settings, its model, the
    rows it reads), a run that fails or is interrupted (Ctrl-C, a kill) leaves its folder, and
    the next run with the same key finds its finished batches there and skips them
    (:func:`done`); a run with another key starts empty."""
    root = work_root(con)
    if root is None:
        with tempfile.TemporaryDirectory(prefix=f"klantvraag-{stage}-") as folder:
            yield Path(folder)
        return
    folder = root / stage
    marker = folder / RESUME_FILE
    if resume_key is None or not _has_key(marker, resume_key):
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    if resume_key is not None and not marker.exists():
        from pipeline.atomic import write_text

        write_text(marker, resume_key)
    finished = False
    try:
        yield folder
        finished = True
    finally:
        if finished or resume_key is None:
            shutil.rmtree(folder, ignore_errors=True)
            try:
                folder.parent.rmdir()
            except OSError:
                pass


def _has_key(marker: Path, key: str) -> bool:
    try:
        return marker.read_text(encoding="utf-8") == key
    except (OSError, UnicodeDecodeError):
        return False


def done(folder: Path, prefix: str, number: int) -> Path:
    """The marker file of batch ``number``'s finished step ``prefix`` in a work folder."""
    return folder / f"{prefix}-{number:06d}.pkl"


def count_done(folder: Path, prefix: str) -> int:
    """How many batches have a marker of step ``prefix`` in a work folder (see :func:`done`)."""
    return len(list(folder.glob(f"{prefix}-*.pkl")))


def save_done(path: Path, value: Any) -> None:
    """Write a batch's result as its marker: whole or absent (pipeline.atomic)."""
    import pickle

    from pipeline.atomic import write_bytes

    write_bytes(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def load_done(path: Path) -> Any | None:
    """A finished batch's result (its marker), or None when that step has not finished. The
    file was written by this program into the database's own work folder."""
    import pickle

    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        return None            # not finished, or unreadable: the batch is done again


def parquet_glob(folder: Path, prefix: str) -> str | None:
    """``read_parquet`` pattern for a folder's shards of one kind; None when there are none."""
    if not any(folder.glob(f"{prefix}-*.parquet")):
        return None
    return str(folder / f"{prefix}-*.parquet").replace("'", "''")


class Runner:
    """Maps a function over batches, in this process or on a Dask cluster.

    ``workers``: start a ``LocalCluster`` of that many worker processes; ``scheduler``: the
    address of a running scheduler (``tcp://HOST:8786``); neither: run in this process. Use as a
    context manager so a started cluster is closed again."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        self.workers = workers
        self.scheduler = scheduler
        self._client = None
        self._cluster = None

    @property
    def distributed(self) -> bool:
        return bool(self.workers or self.scheduler)

    def __enter__(self) -> "Runner":
        if not self.distributed:
            return self
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:
            from pipeline.errors import KlantvraagError
            raise KlantvraagError(
                "--workers/--scheduler hebben Dask nodig, en dat is niet geïnstalleerd",
                hint="installeer het met `pip install 'klantvraag[dask]'`") from exc
        if self.scheduler:
            self._client = Client(self.scheduler)
        else:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                         processes=True, dashboard_address=None)
            self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def n_workers(self) -> int:
        if self._client is None:
            return 1
        return max(1, len(self._client.scheduler_info().get("workers", {})))

    def share(self, value: Any) -> Any:
        """``value`` as an argument for :meth:`map`: on a cluster sent to every worker once
        (scattered), so tasks do not carry it; here the value itself."""
        if self._client is None:
            return value
        return self._client.scatter(value, broadcast=True, hash=False)

    def map(self, function: Callable, items: Iterable, *args) -> Iterator:
        """``function(item, *args)`` per item, results in the items' order. On a cluster at
        most two tasks per worker are in flight, so the items (batches read from the store)
        are read only as fast as they are worked through."""
        if self._client is None:
            for item in items:
                yield function(item, *args)
            return
        limit = 2 * self.n_workers()
        pending: deque = deque()
        for item in items:
            pending.append(self._client.submit(function, item, *args, pure=False))
            while len(pending) > limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
