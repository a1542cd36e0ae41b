"""`reasons --apply` on a store that grows: only new and re-prepared contacts are assigned, the
others keep their reasons, and the tables still add up to every contact."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

from pipeline import store
from pipeline.config import ReasonsConfig
from pipeline.reasons import core, run
from tests.reasons.synthetic import load, questions

pytestmark = pytest.mark.slow
CONFIG = ReasonsConfig(min_reasons=3, max_reasons=12)


def _add(con, frame) -> None:
    """New contacts beside the ones already in contact_text (load() replaces them)."""
    con.register("month_frame", frame)
    con.execute(
        "INSERT INTO contact_text (contact_id, language, language_confidence, is_auto_reply, "
        "question_text, question_lemmas, input_hash, prepared_at) SELECT contact_id, language, "
        "1.0, false, question_text, question_lemmas, 'h', now() FROM month_frame")
    con.unregister("month_frame")


def _rows(con):
    return con.execute("SELECT contact_id, reason_id, sub_reason_id, probability, how, theme_id "
                       "FROM contact_reasons ORDER BY contact_id").df().set_index("contact_id")


@pytest.fixture
def grown(tmp_path, monkeypatch):
    """A store fitted on one month, applied once, then given a second month and one contact
    prepared again with another question. Records how many questions each apply assigned."""
    first = questions(25, seed=1)
    con = store.connect(":memory:")
    load(con, first)
    run(con, CONFIG, models_dir=tmp_path)
    seen = []
    real = core.apply

    def counting(frame, *args, **kwargs):
        seen.append(len(frame))
        return real(frame, *args, **kwargs)

    monkeypatch.setattr(core, "apply", counting)
    time.sleep(0.01)
    summary = run(con, CONFIG, models_dir=tmp_path, apply=True)
    before = _rows(con)
    second = questions(10, seed=7)
    second["contact_id"] = [f"m2-{i}" for i in range(len(second))]
    _add(con, second)
    changed = first["contact_id"].iloc[0]
    other = first[first["truth"] != first["truth"].iloc[0]].iloc[0]
    con.execute("UPDATE contact_text SET question_text = ?, question_lemmas = ?, prepared_at = "
                "now() WHERE contact_id = ?",
                [other["question_text"], other["question_lemmas"], changed])
    yield con, tmp_path, seen, summary, before, second, changed
    con.close()


def test_apply_after_a_fit_keeps_every_reason(grown):
    _, _, seen, summary, before, _, _ = grown
    assert seen == [0]
    assert any("0 contacten ingedeeld" in n and "ongewijzigd overgenomen" in n
               for n in summary.notes)
    assert before["reason_id"].notna().all()


def test_only_new_and_reprepared_contacts_are_assigned(grown):
    con, models, seen, _, before, second, changed = grown
    summary = run(con, CONFIG, models_dir=models, apply=True)
    assert seen[-1] == len(second) + 1
    after = _rows(con)
    unchanged = before.index.drop(changed)
    assert after.loc[unchanged].equals(before.loc[unchanged])
    assert set(after.index) == set(before.index) | set(second["contact_id"])
    assert after.loc[second["contact_id"], "how"].isin(["applied", "outlier"]).all()
    assert after.loc[changed, "how"] == "applied"
    # the tables add up to every contact, old and new
    sizes = con.execute("SELECT sum(size) FROM reasons").fetchone()[0]
    assert sizes == len(after) == con.execute("SELECT count(*) FROM contact_text").fetchone()[0]
    assert any(f"{len(second) + 1} contacten ingedeeld" in n for n in summary.notes)


def test_all_and_an_edited_taxonomy_assign_everything(grown):
    con, models, seen, _, before, second, _ = grown
    n = len(before) + len(second)
    run(con, CONFIG, models_dir=models, apply=True, everything=True)
    assert seen[-1] == n
    run(con, CONFIG, models_dir=models, apply=True)
    assert seen[-1] == 0
    taxonomy = models / CONFIG.model_name / "taxonomy.yaml"
    future = time.time() + 5
    os.utime(taxonomy, (future, future))     # an analyst renamed or merged a reason
    run(con, CONFIG, models_dir=models, apply=True)
    assert seen[-1] == n


def test_apply_interrupted_with_ctrl_c_goes_on_where_it_stopped(tmp_path, monkeypatch):
    """`reasons --apply` keeps each finished batch beside the database until the tables are
    written: the same command after Ctrl-C assigns only the batches not done, and the tables
    come out as those of a run that was never interrupted."""
    models, work = tmp_path / "models", tmp_path / "store.duckdb.work" / "reasons-apply"
    con = store.connect(tmp_path / "store.duckdb")
    load(con, questions(25, seed=1))
    run(con, CONFIG, models_dir=models)
    monkeypatch.setattr(core, "APPLY_BATCH", 40)

    def apply(interrupt_at: int | None = None) -> tuple[int, object]:
        """Run `--apply --all`; Ctrl-C at the ``interrupt_at``-th batch the model assigns.
        Returns how many batches the model assigned, and the summary."""
        real, placed = core._place, []

        def placing(*args):
            placed.append(1)
            if len(placed) == interrupt_at:
                raise KeyboardInterrupt
            return real(*args)

        with monkeypatch.context() as patch:
            patch.setattr(core, "_place", placing)
            summary = run(con, CONFIG, models_dir=models, apply=True, everything=True)
        return len(placed), summary

    batches, _ = apply()
    complete = _rows(con)
    assert batches > 3
    with pytest.raises(KeyboardInterrupt):
        apply(interrupt_at=3)
    assert len(list(work.glob("apply-nl-*.pkl"))) == 2
    pd.testing.assert_frame_equal(_rows(con), complete)   # untouched until the run ends

    assigned, summary = apply()
    assert assigned == batches - 2, "the two finished batches are not assigned again"
    pd.testing.assert_frame_equal(_rows(con), complete)
    assert any(note.startswith("hervat: 2 batch") for note in summary.notes)
    assert not work.exists(), "a finished run removes its work folder"

    # a refit after the interruption: the folder belongs to another model, and is not used
    with pytest.raises(KeyboardInterrupt):
        apply(interrupt_at=3)
    time.sleep(0.01)
    run(con, CONFIG, models_dir=models)
    assigned, summary = apply()
    assert assigned == batches
    assert not any(note.startswith("hervat") for note in summary.notes)
    con.close()
