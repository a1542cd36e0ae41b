import duckdb
import pytest

from pipeline import store
from pipeline.errors import ConfigError, StoreError


def test_connect_creates_all_tables(tmp_path):
    con = store.connect(tmp_path / "k.duckdb")
    names = {name for name, _ in store.table_counts(con)}
    assert {"sources", "contacts", "messages", "attachments", "runs", "settings"} <= names
    assert store.schema_version(con) == store.migrations()[-1].version


def test_migrate_is_idempotent(tmp_path):
    path = tmp_path / "k.duckdb"
    store.connect(path).close()
    con = store.connect(path)
    assert store.migrate(con) == []
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(store.migrations())


def test_salt_is_created_once_and_kept(tmp_path):
    path = tmp_path / "k.duckdb"
    con = store.connect(path)
    salt = store.get_setting(con, "customer_key_salt")
    con.close()
    assert len(salt) == 32
    assert store.get_setting(store.connect(path), "customer_key_salt") == salt


def test_newer_database_is_refused(tmp_path):
    path = tmp_path / "k.duckdb"
    con = store.connect(path)
    con.execute("INSERT INTO schema_migrations VALUES (9999, 'from_the_future', now())")
    con.close()
    with pytest.raises(StoreError, match="schemaversie 9999"):
        store.connect(path)


def test_older_database_is_upgraded(tmp_path):
    path = tmp_path / "k.duckdb"
    con = duckdb.connect(str(path))
    first = store.migrations()[0]
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "applied_at TIMESTAMP NOT NULL)")
    con.execute(first.sql)
    con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [first.version, first.name])
    con.close()
    con = store.connect(path)
    assert store.schema_version(con) == store.migrations()[-1].version


def test_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "junk.duckdb"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="junk.duckdb"):
        store.connect(path)


def test_run_bookkeeping(con):
    with store.Run(con, "ingest", {"x": 1}) as run:
        run.counts["files"] = 3
    status, counts = con.execute("SELECT status, counts FROM runs").fetchone()
    assert status == "ok" and '"files": 3' in counts


def test_memory_limit_is_set_and_a_bad_one_is_a_config_error(tmp_path):
    con = store.connect(tmp_path / "k.duckdb", memory_limit="300MB")
    try:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        assert limit.endswith("MiB") and 270 < float(limit.split()[0]) < 300
    finally:
        con.close()
    with pytest.raises(ConfigError, match="duckdb_memory_limit 'veel'"):
        store.connect(tmp_path / "k.duckdb", memory_limit="veel")
    # the file was closed again: it opens fine afterwards
    store.connect(tmp_path / "k.duckdb").close()


def test_checkpoint_threshold_is_set_and_a_bad_one_is_a_config_error(tmp_path):
    con = store.connect(tmp_path / "k.duckdb", checkpoint_threshold="128MB")
    try:
        value = con.execute("SELECT current_setting('checkpoint_threshold')").fetchone()[0]
        assert value.endswith("MiB") and 120 < float(value.split()[0]) <= 128
    finally:
        con.close()
    with pytest.raises(ConfigError, match="duckdb_checkpoint_threshold 'groot'"):
        store.connect(tmp_path / "k.duckdb", checkpoint_threshold="groot")
    store.connect(tmp_path / "k.duckdb", read_only=True, checkpoint_threshold="128MB").close()
