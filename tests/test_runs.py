"""Runs killed halfway are shown as interrupted, with what to do; the next run marks them."""

from __future__ import annotations

import json

from pipeline import status, store


def _stale_row(con, run_id="20260101T000000-dead01", pid=2**22 + 7, host=None):
    process = {"pid": pid, "host": host or store.this_process()["host"]}
    con.execute("INSERT INTO runs (run_id, command, started_at, status, counts) "
                "VALUES (?, 'ingest', now(), 'running', ?)", [run_id, json.dumps({"process": process})])


def test_run_records_its_process_while_running(con):
    with store.Run(con, "ingest", {}) as run:
        counts = con.execute("SELECT counts FROM runs WHERE run_id = ?", [run.run_id]).fetchone()[0]
        assert json.loads(counts)["process"] == store.this_process()
        run.counts = {"files": 1}
    assert con.execute("SELECT status, counts FROM runs").fetchone() == ("ok", '{"files": 1}')


def test_status_shows_a_killed_run_as_interrupted_with_advice(con):
    _stale_row(con)
    summary = status.runs(con)
    assert summary.rows[0][1] == "ingest" and summary.rows[0][4] == "onderbroken"
    assert "klantvraag run" in summary.warnings[0]


def test_ctrl_c_ends_a_run_as_interrupted_and_an_error_as_failed(con):
    import pytest

    with pytest.raises(KeyboardInterrupt), store.Run(con, "tag", {}):
        raise KeyboardInterrupt
    with pytest.raises(ValueError), store.Run(con, "report", {}):
        raise ValueError("kapot")
    assert dict(con.execute("SELECT command, status FROM runs").fetchall()) == {
        "tag": "interrupted", "report": "failed"}
    summary = status.runs(con)
    assert [row[4] for row in summary.rows] == ["mislukt", "onderbroken"]
    assert "gaat verder waar hij stopte" in summary.warnings[0]


def test_the_next_run_marks_stale_rows_interrupted(con):
    _stale_row(con)
    _stale_row(con, "20260101T000001-other1", pid=1, host="een-andere-machine")
    with store.Run(con, "prepare", {}):
        pass
    rows = dict(con.execute("SELECT run_id, status FROM runs").fetchall())
    assert rows["20260101T000000-dead01"] == "interrupted"
    assert rows["20260101T000001-other1"] == "interrupted"


def test_an_open_run_of_this_process_is_left_alone(con):
    with store.Run(con, "run", {}) as outer:
        with store.Run(con, "ingest", {}):
            state = con.execute("SELECT status FROM runs WHERE run_id = ?", [outer.run_id]).fetchone()
            assert state == ("running",)


def test_source_errors_for_the_report_are_masked(con):
    con.execute("INSERT INTO sources (source_id, path, size_bytes, format, status, error, "
                "n_contacts, n_messages, first_seen_at) VALUES ('s1', "
                "'/export/WhatsApp Chat met +31 6 12345678.txt', 0, 'txt', 'error', "
                "'leeg bestand', 0, 0, now())")
    assert status.source_errors(con) == [
        ("/export/WhatsApp Chat met [TELEFOON].txt", "txt", "leeg bestand")]


def test_status_names_what_an_unfinished_stage_left_beside_the_database(tmp_path):
    import pytest

    from pipeline import batches

    con = store.connect(str(tmp_path / "k.duckdb"))
    try:
        assert batches.leftovers(con) == {}
        with pytest.raises(KeyboardInterrupt), store.Run(con, "reasons", {}), \
                batches.work_dir(con, "reasons-fit", "sleutel") as folder:
            (folder / "embeddings-0.npy").write_bytes(b"\0" * 3 * 2**20)
            raise KeyboardInterrupt
        kept = batches.leftovers(con)
        assert list(kept) == ["reasons-fit"] and kept["reasons-fit"] >= 3 * 2**20
        warning = status.runs(con).warnings[-1]
        assert "k.duckdb.work" in warning and "reasons-fit 3,0 MB" in warning
        assert "mag de map weg" in warning
        with batches.work_dir(con, "reasons-fit", "sleutel"):    # the stage run again, to the end
            pass
        assert batches.leftovers(con) == {}
        assert not any("tussenresultaten" in w for w in status.runs(con).warnings)
    finally:
        con.close()
