"""The tagging stage in batches gives the same tables whatever the batch size, and the same as
tagging all contacts at once with the pure core."""

from __future__ import annotations

import pytest

from pipeline import batches, ingest, nlp, sample, store, tagging
from pipeline.tagging.batched import contact, QUERY


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A small generated export, ingested and prepared, with every third contact given one of
    three reasons (so learned defaults count votes across batches)."""
    from pipeline.config import load_config

    folder = tmp_path_factory.mktemp("batched")
    sample.generate(folder / "export", size=120, seed=5)
    con = store.connect(folder / "store.duckdb")
    config = load_config(None)
    ingest.run(con, [folder / "export"], config.ingest)
    nlp.run(con, config.nlp, workers=1)
    con.execute("INSERT INTO reasons (reason_id, model_name, model_version, language, label, size) "
                "SELECT 'nl-00' || i, 'm', '1', 'nl', 'reden ' || i, 1 FROM range(3) t(i)")
    con.execute("INSERT INTO contact_reasons (contact_id, reason_id, probability, how, model_name) "
                "SELECT contact_id, 'nl-00' || (hash(contact_id) % 3), 0.9, 'assigned', 'm' "
                "FROM contacts WHERE hash(contact_id) % 2 = 0")
    con.close()
    return folder / "store.duckdb", config


def _tables(con):
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("contact_tags", "contact_third_parties", "contact_symptoms")}


def test_batch_size_does_not_change_the_tables(prepared, tagger):
    path, config = prepared
    con = store.connect(path)
    try:
        tagging.run(con, config.tagging, tagger=tagger, batch_size=7)
        small = _tables(con)
        tagging.run(con, config.tagging, tagger=tagger, batch_size=10_000)
        large = _tables(con)
        rows = con.sql(QUERY).to_arrow_table().to_pylist()
    finally:
        con.close()
    assert len(small["contact_tags"]) > 100 and small["contact_third_parties"]
    assert small == large
    # The same as the pure core over all contacts in one batch.
    whole = tagger.tag([contact(row) for row in rows], config.tagging.repeat_window_days)
    assert sorted((r.contact_id, r.avoidable_category, r.is_repeat) for r in whole) == \
        [(row[0], row[1], row[5]) for row in large["contact_tags"]]
    assert not path.with_name(path.name + ".work").exists(), "shards are removed after the run"


def test_partitions_of_the_store_do_not_change_the_tables(prepared, tagger, monkeypatch):
    """A large store is read in partitions by customer, each sorted on its own (DuckDB's
    memory stays that of one partition): the same tables, repeats included."""
    from pipeline.tagging import batched

    path, config = prepared
    con = store.connect(path)
    try:
        tagging.run(con, config.tagging, tagger=tagger, batch_size=50)
        whole = _tables(con)
        monkeypatch.setattr(batched, "PARTITION_ROWS", 13)
        assert len(batched.partitions(120)) == 10
        tagging.run(con, config.tagging, tagger=tagger, batch_size=50)
        parted = _tables(con)
        # every contact is in exactly one partition
        ids = [row["contact_id"] for sql, params in batched.partitions(120)
               for row in con.sql(sql, params=params or None).to_arrow_table().to_pylist()]
    finally:
        con.close()
    assert parted == whole
    assert sum(row[5] for row in whole["contact_tags"]) > 0, "the sample holds repeats"
    assert len(ids) == len(set(ids)) == len(whole["contact_tags"])


def test_stream_keeps_a_group_in_one_batch(con):
    con.execute("CREATE TABLE t AS SELECT i, i // 3 AS k FROM range(20) r(i)")
    parts = list(batches.stream(con, "SELECT i, k FROM t ORDER BY k, i", size=4, key="k"))
    assert [row["i"] for part in parts for row in part] == list(range(20))
    groups = [{row["k"] for row in part} for part in parts]
    assert all(not (a & b) for a, b in zip(groups, groups[1:]))
    assert all(len(part) >= 4 for part in parts[:-1])


def test_interrupted_run_keeps_the_previous_tags(prepared, tagger, monkeypatch):
    from pipeline.tagging import batched

    path, config = prepared
    con = store.connect(path)
    try:
        tagging.run(con, config.tagging, tagger=tagger, batch_size=50)
        before = _tables(con)
        real, calls = batched.tag_batch, []

        def interrupted(*args):
            calls.append(1)
            if len(calls) == 2:
                raise KeyboardInterrupt
            return real(*args)

        monkeypatch.setattr(batched, "tag_batch", interrupted)
        with pytest.raises(KeyboardInterrupt):
            tagging.run(con, config.tagging, tagger=tagger, batch_size=50)
        assert _tables(con) == before
        assert not path.with_name(path.name + ".work").exists()
    finally:
        con.close()


def _interrupt_at(monkeypatch, module, name: str, call: int):
    """Make ``module.name`` raise KeyboardInterrupt (Ctrl-C) at its ``call``-th call."""
    real, calls = getattr(module, name), []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == call:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(module, name, interrupted)


def _count_calls(monkeypatch, cls, name: str) -> list:
    real, calls = getattr(cls, name), []

    def counted(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, counted)
    return calls


def test_a_run_interrupted_with_ctrl_c_goes_on_where_it_stopped(prepared, monkeypatch):
    from pipeline.tagging import batched
    from pipeline.tagging.tagger import Tagger

    path, config = prepared
    work = path.with_name(path.name + ".work") / "tag"
    con = store.connect(path)
    try:
        tagging.run(con, config.tagging, batch_size=20, everything=True)
        complete = _tables(con)
        with monkeypatch.context() as patch:
            _interrupt_at(patch, batched, "tag_batch", 4)      # three batches were tagged
            with pytest.raises(KeyboardInterrupt):
                tagging.run(con, config.tagging, batch_size=20, everything=True)
        assert _tables(con) == complete, "the previous tags stay until the run finishes"
        assert len(list(work.glob("tally-*.pkl"))) == 3
        steps = len(list(work.glob("votes-*.pkl")))
        assert steps > 4

        matched = _count_calls(monkeypatch, Tagger, "hits")
        tagged = _count_calls(monkeypatch, Tagger, "tag")
        summary = tagging.run(con, config.tagging, batch_size=20, everything=True)
        assert len(matched) == 0, "every batch had its rules matched before the interruption"
        assert len(tagged) == steps - 3, "only the batches not tagged yet are tagged"
        assert _tables(con) == complete
        assert any(note.startswith(f"hervat: {steps} van {steps} batches")
                   for note in summary.notes)
        assert not work.exists(), "a finished run removes its work folder"
    finally:
        con.close()


def test_an_interrupted_run_is_not_continued_over_other_rows_or_settings(prepared, monkeypatch):
    from pipeline.tagging import batched
    from pipeline.tagging.tagger import Tagger

    path, config = prepared
    con = store.connect(path)
    try:
        with monkeypatch.context() as patch:
            _interrupt_at(patch, batched, "tag_batch", 2)
            with pytest.raises(KeyboardInterrupt):
                tagging.run(con, config.tagging, batch_size=20, everything=True)
        matched = _count_calls(monkeypatch, Tagger, "hits")
        tagged = _count_calls(monkeypatch, Tagger, "tag")
        summary = tagging.run(con, config.tagging, batch_size=30, everything=True)  # other size
        assert len(matched) == len(tagged) > 0, "every batch matched and tagged anew"
        assert not any(note.startswith("hervat") for note in summary.notes)
        assert not path.with_name(path.name + ".work").exists()
    finally:
        con.close()


def test_a_replaced_model_file_makes_a_new_spec_with_absolute_paths(tmp_path, monkeypatch):
    import os

    from pipeline.config import TaggingConfig
    from pipeline.tagging.batched import TaggerSpec

    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.npz").write_bytes(b"one")
    first = TaggerSpec.of(TaggingConfig(), None, "m.npz")
    assert first.text_model == str(tmp_path / "m.npz")        # a worker may run elsewhere
    (tmp_path / "m.npz").write_bytes(b"two, longer")
    os.utime(tmp_path / "m.npz", ns=(1, 1))
    assert TaggerSpec.of(TaggingConfig(), None, "m.npz") != first   # a refit is seen


def test_a_batch_whose_hits_file_is_gone_is_matched_again(prepared, tagger, tmp_path):
    """A hits file that could not be read back (removed, damaged) does not stop the batch: its
    rules are matched again and it is tagged as usual."""
    from pipeline.tagging import batched
    from pipeline.tagging.tagger import Votes

    path, config = prepared
    con = store.connect(path)
    try:
        rows = con.sql(QUERY).to_arrow_table().to_pylist()[:30]
    finally:
        con.close()
    batch = batched.Batch(0, rows)
    votes = batched.find_hits(batch, tagger, tmp_path)
    batches.done(tmp_path, "hits", 0).unlink()
    tally = batched.tag_batch(batch, tagger, tmp_path, Votes().add(votes),
                              config.tagging.repeat_window_days)
    assert tally.tagged == len(rows)
    assert batches.load_done(batches.done(tmp_path, "tally", 0)).tagged == len(rows)
