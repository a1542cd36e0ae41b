"""Prepare and tag give the same tables whether their batches run in this process or on a
local Dask cluster of two worker processes."""

from __future__ import annotations

import pytest

from pipeline import batches, ingest, nlp, sample, store, tagging

pytest.importorskip("dask.distributed")

TABLES = ("contact_text", "contact_tags", "contact_third_parties", "contact_symptoms")


def _tables(con):
    return {t: con.execute(f"SELECT * EXCLUDE (prepared_at) FROM {t} ORDER BY ALL").fetchall()
            if t == "contact_text" else con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in TABLES}


def _run(path, export, config, runner):
    con = store.connect(path)
    try:
        ingest.run(con, [export], config.ingest)
        nlp.run(con, config.nlp, workers=1, chunk_size=9, runner=runner)
        tagging.run(con, config.tagging, batch_size=13, runner=runner)
        return _tables(con)
    finally:
        con.close()


@pytest.mark.slow
def test_two_dask_workers_give_the_same_tables(tmp_path, config):
    sample.generate(tmp_path / "export", size=50, seed=4)
    here = _run(tmp_path / "here.duckdb", tmp_path / "export", config, batches.Runner())
    with batches.Runner(workers=2) as runner:
        assert runner.n_workers() == 2
        there = _run(tmp_path / "there.duckdb", tmp_path / "export", config, runner)
    assert len(here["contact_tags"]) > 40
    assert here == there
