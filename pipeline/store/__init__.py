"""The one module that owns the DuckDB schema.

DDL lives only in numbered files under ``migrations/`` (``0001_init.sql``, ...). They are applied
in order, each in one transaction together with its row in ``schema_migrations``, and never edited
once released: a schema change is a new file. Opening a file written by a newer klantvraag (a
migration we do not know) is refused with a clear message instead of guessing.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import duckdb

from pipeline.errors import ConfigError, StoreError

DEFAULT_DB = Path("data/klantvraag.duckdb")
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_OPEN_RUNS: set[str] = set()          # run ids of this process whose Run has not ended


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """All migrations shipped with the package, in order."""
    found = []
    for entry in resources.files("pipeline.store").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise StoreError(f"duplicate migration numbers in package: {versions}")
    return found


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection, *, path: str = "<database>") -> list[int]:
    """Apply every pending migration; return the versions applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    known = migrations()
    current = schema_version(con)
    newest = known[-1].version if known else 0
    if current > newest:
        raise StoreError(
            f"deze database heeft schemaversie {current}, deze klantvraag kent er tot en met {newest}",
            path=path,
            hint="werk klantvraag bij (pip install -U klantvraag) of gebruik een andere --db",
        )
    applied = []
    for migration in known:
        if migration.version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [migration.version, migration.name, _now()],
            )
            con.execute("COMMIT")
        except Exception as exc:
            con.execute("ROLLBACK")
            raise StoreError(
                f"migratie {migration.version:04d}_{migration.name} mislukt: {exc}", path=path
            ) from exc
        applied.append(migration.version)
    _ensure_salt(con)
    return applied


def connect(path: str | Path = DEFAULT_DB, *, read_only: bool = False,
            memory_limit: str = "", checkpoint_threshold: str = "") -> duckdb.DuckDBPyConnection:
    """Open (and create or upgrade) the database file; ``":memory:"`` for tests.
    ``memory_limit``: DuckDB's memory_limit for this connection ("2GB"; "" keeps DuckDB's).
    ``checkpoint_threshold``: the write-ahead log size at which DuckDB checkpoints ("" keeps
    DuckDB's 16MB)."""
    target = str(path)
    if target != ":memory:":
        file = Path(target)
        if read_only and not file.exists():
            raise StoreError("databasebestand bestaat niet", path=target,
                             hint="draai eerst `klantvraag ingest` of geef de juiste --db")
        file.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.IOException as exc:
        raise StoreError(f"kan de database niet openen: {exc}", path=target,
                         hint="gebruikt een ander klantvraag-proces hem?") from exc
    except duckdb.Error as exc:
        raise StoreError(f"geen DuckDB-database of onleesbaar: {exc}", path=target) from exc
    try:
        configure(con, memory_limit=memory_limit,
                  checkpoint_threshold="" if read_only else checkpoint_threshold)
    except ConfigError:
        con.close()
        raise
    if not read_only:
        migrate(con, path=target)
    return con


def configure(con: duckdb.DuckDBPyConnection, *, memory_limit: str = "",
              checkpoint_threshold: str = "", where: str = "") -> None:
    """Set DuckDB's memory_limit and checkpoint_threshold ("" leaves one as it is); a value
    DuckDB does not take is a ConfigError naming the setting (``where``: its config section)."""
    for setting, value, example in (("memory_limit", memory_limit, "2GB"),
                                    ("checkpoint_threshold", checkpoint_threshold, "128MB")):
        if not value:
            continue
        try:
            con.execute(f"SET {setting} = '{value.replace(chr(39), '')}'")
        except duckdb.Error as exc:
            section = f"zet onder {where} " if where else ""
            raise ConfigError(f"duckdb_{setting} '{value}' is geen geheugengrootte",
                              where=where or None,
                              hint=f'{section}bijvoorbeeld duckdb_{setting} = "{example}"') from exc


def _ensure_salt(con: duckdb.DuckDBPyConnection) -> None:
    # One random salt per database for customer_key: repeat contacts can be matched inside this
    # database, but the hashes are useless elsewhere and the raw identifier is not stored again.
    con.execute(
        "INSERT INTO settings SELECT 'customer_key_salt', ? "
        "WHERE NOT EXISTS (SELECT 1 FROM settings WHERE key = 'customer_key_salt')",
        [secrets.token_hex(16)],
    )


def get_setting(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Run:
    """Bookkeeping for one command: a row in ``runs`` with its config and counts.

    Use as a context manager; the row is finished with status 'ok' or 'failed'. While it runs,
    ``counts`` holds the process (pid, host): a row left 'running' by a killed process is marked
    'interrupted' by the next run (see :func:`mark_interrupted`).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, command: str, config: dict[str, Any]):
        self.con = con
        self.command = command
        self.run_id = f"{_now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        self.counts: dict[str, Any] = {}
        mark_interrupted(con)
        con.execute(
            "INSERT INTO runs (run_id, command, started_at, status, config, counts) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [self.run_id, command, _now(), "running", json.dumps(config, default=str),
             json.dumps({"process": this_process()})],
        )
        _OPEN_RUNS.add(self.run_id)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        _OPEN_RUNS.discard(self.run_id)
        self.con.execute(
            "UPDATE runs SET finished_at = ?, status = ?, counts = ? WHERE run_id = ?",
            [_now(), _status(exc_type), json.dumps(self.counts, default=str),
             self.run_id],
        )


def _status(exc_type) -> str:
    """A run's status from how it ended: Ctrl-C is an interruption (the next run goes on where
    it stopped), any other exception a failure."""
    if exc_type is None:
        return "ok"
    return "interrupted" if issubclass(exc_type, KeyboardInterrupt) else "failed"


def this_process() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname()}


def process_alive(process: dict[str, Any] | None) -> bool | None:
    """Whether the process that wrote a 'running' row still runs: True/False on this host,
    None when it ran elsewhere (or the row is too old to say)."""
    if not process or process.get("host") != socket.gethostname():
        return None
    try:
        os.kill(int(process["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, ValueError, TypeError):
        return True                   # exists but is not ours, or cannot be asked
    return True


def mark_interrupted(con: duckdb.DuckDBPyConnection) -> int:
    """Mark 'running' rows of processes that are gone as 'interrupted'; returns how many.

    Called with the database open for writing, which DuckDB grants one process at a time: a
    'running' row of another process is then always stale, wherever it ran; one of this process
    is stale only when its Run has ended without finishing it."""
    stale = []
    for run_id, counts in con.execute(
            "SELECT run_id, counts FROM runs WHERE status = 'running'").fetchall():
        process = process_of(counts)
        if process is None or process != this_process() or run_id not in _OPEN_RUNS:
            stale.append(run_id)
    for run_id in stale:
        con.execute("UPDATE runs SET status = 'interrupted' WHERE run_id = ?", [run_id])
    return len(stale)


def process_of(counts: Any) -> dict[str, Any] | None:
    """The process recorded in a runs row's counts JSON, if any."""
    try:
        data = json.loads(counts) if isinstance(counts, str) else counts
        return data.get("process") if isinstance(data, dict) else None
    except ValueError:
        return None


def table_counts(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[str, int]]:
    for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "ORDER BY table_name"
    ).fetchall():
        yield name, con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
