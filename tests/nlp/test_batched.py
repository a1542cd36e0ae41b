"""`prepare` streams in chunks: the chunk size does not change contact_text, and an interrupted
run keeps its finished parts and the next run goes on from there."""

from __future__ import annotations

import pytest

from pipeline import ingest, nlp, sample, store


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prepare-batched") / "export"
    sample.generate(folder, size=60, seed=9)
    return folder


def _text(con):
    return con.execute("SELECT * EXCLUDE (prepared_at) FROM contact_text ORDER BY ALL").fetchall()


def _prepared(tmp_path, export, config, name, **kwargs):
    con = store.connect(tmp_path / f"{name}.duckdb")
    ingest.run(con, [export], config.ingest)
    nlp.run(con, config.nlp, workers=1, **kwargs)
    return con


def test_chunk_size_does_not_change_contact_text(tmp_path, export, config, monkeypatch):
    small = _prepared(tmp_path, export, config, "small", chunk_size=7)
    monkeypatch.setattr(nlp, "LEMMA_PART", 11)
    tiny = _prepared(tmp_path, export, config, "tiny", chunk_size=3)
    monkeypatch.undo()
    large = _prepared(tmp_path, export, config, "large", chunk_size=10_000)
    try:
        assert len(_text(large)) == 60
        assert _text(small) == _text(large) == _text(tiny)
        assert not (tmp_path / "small.duckdb.work").exists(), "shards are removed after the run"
    finally:
        for con in (small, tiny, large):
            con.close()


def test_interrupted_run_keeps_finished_parts(tmp_path, export, config, monkeypatch):
    from pipeline.nlp import parallel

    real = parallel.lemma_frame
    calls = []

    def interrupted(frame, maker, workers=1):
        calls.append(len(frame))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(frame, maker, workers)

    con = store.connect(tmp_path / "stopped.duckdb")
    try:
        ingest.run(con, [export], config.ingest)
        monkeypatch.setattr(nlp, "LEMMA_PART", 10)
        monkeypatch.setattr(parallel, "lemma_frame", interrupted)
        with pytest.raises(KeyboardInterrupt):
            nlp.run(con, config.nlp, workers=1)
        assert con.execute("SELECT count(*) FROM contact_text").fetchone()[0] == 20
        monkeypatch.setattr(parallel, "lemma_frame", real)
        summary = nlp.run(con, config.nlp, workers=1)
        assert ["nu voorbereid (nieuw of gewijzigd)", 40] in summary.rows
        assert con.execute("SELECT count(*) FROM contact_text").fetchone()[0] == 60
        status = con.execute("SELECT status FROM runs WHERE command = 'prepare' "
                             "ORDER BY started_at").fetchall()
        assert status[-1] == ("ok",)
    finally:
        con.close()
