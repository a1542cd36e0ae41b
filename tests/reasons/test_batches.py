"""The reason fit embeds its texts per batch (the sample and every other question): the tables
come out the same whatever the batch size, so memory can stay that of one batch."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline import store
from pipeline.config import ReasonsConfig
from pipeline.reasons import core, model, run
from tests.reasons.synthetic import load, questions

pytestmark = pytest.mark.slow
TABLES = {"reasons": "reason_id", "sub_reasons": "sub_reason_id", "themes": "theme_id",
          "contact_reasons": "contact_id"}


def _tables(frame, models_dir):
    con = store.connect(":memory:")
    load(con, frame)
    # a sample smaller than the export: most questions are placed outside the fit
    run(con, ReasonsConfig(min_reasons=3, max_reasons=6, fit_sample_size=100),
        models_dir=models_dir)
    tables = {t: con.execute(f"SELECT * FROM {t} ORDER BY {key}").df() for t, key in TABLES.items()}
    con.close()
    return tables


def test_fit_gives_the_same_tables_whatever_the_batch_size(tmp_path, monkeypatch):
    frame = questions(50, seed=3)
    extra = frame.head(5).copy()          # a language without a model: mapped in batches too
    extra["contact_id"] = [f"d{i}" for i in range(5)]
    extra["language"] = "de"
    frame = pd.concat([frame, extra], ignore_index=True)
    assert len(frame) > 2 * 100      # two thirds of the questions outside the sample
    whole = _tables(frame, tmp_path / "whole")
    monkeypatch.setattr(model, "EMBED_BATCH", 7)
    monkeypatch.setattr(core, "APPLY_BATCH", 3)
    batched = _tables(frame, tmp_path / "batched")
    assert len(whole["contact_reasons"]) == len(frame)
    assert (whole["contact_reasons"]["how"] == "mapped").sum() == 5
    for name in TABLES:   # ids and labels exactly; a mapped question's similarity comes from
        # the multilingual encoder, whose last digits depend on the texts padded with it
        pd.testing.assert_frame_equal(whole[name], batched[name], check_exact=False, rtol=1e-5)


def test_a_sample_smaller_than_the_export_describes_and_every_question_counts(monkeypatch):
    """Labels, keywords, examples, typical questions and sub-reason labels come from at most
    DESCRIBE_ROWS questions (a uniform sample of a larger export: memory and time bounded);
    sizes count every question and the typical questions are rows of the whole input."""
    from pipeline.reasons import model as model_module, representation
    from pipeline.reasons.model import ReasonModel

    monkeypatch.setattr(model_module, "DESCRIBE_ROWS", 150)
    frame = questions(50, seed=3)
    texts, lemmas = frame["question_text"].tolist(), frame["question_lemmas"].tolist()
    described: list[int] = []
    for name in ("labels", "keywords"):
        original = getattr(representation, name)
        monkeypatch.setattr(representation, name, lambda docs, *a, _f=original, **k:
                            described.append(len(docs)) or _f(docs, *a, **k))
    fitted = ReasonModel(language="nl", max_reasons=6, fit_sample_size=100).fit(texts, lemmas)
    assert len(texts) > 200 and len(fitted.sample_) == 100
    assert described and max(described) <= 150, "described from a sample"
    placed = fitted.labels_ >= 0
    assert sum(r["size"] for r in fitted.reasons_) == int(placed.sum())
    for cls, rows in fitted.central_.items():
        assert (fitted.labels_[rows] == cls).all()
    if fitted.sub_reasons_:
        assert sum(s["size"] for s in fitted.sub_reasons_) == int((fitted.sub_labels_ >= 0).sum())
    for info in fitted.reasons_:      # an example is a question of the input, as written
        assert all(example in {" ".join(t.split()) for t in texts} for example in info["examples"])


def test_a_fit_interrupted_with_ctrl_c_embeds_only_what_it_had_not(tmp_path, monkeypatch):
    """The fit keeps each batch's embeddings beside the database until the tables are written:
    the same command after Ctrl-C embeds only the batches not done, and the tables come out as
    those of a fit that was never interrupted."""
    monkeypatch.setattr(model, "EMBED_BATCH", 40)
    config = ReasonsConfig(min_reasons=3, max_reasons=6)
    work = tmp_path / "store.duckdb.work" / "reasons-fit"
    con = store.connect(tmp_path / "store.duckdb")
    load(con, questions(25, seed=3))

    def fit(interrupt_at: int | None = None):
        """Fit; Ctrl-C when the ``interrupt_at``-th batch of embeddings is to be kept. Returns
        how many batches were embedded (and kept), the tables and the summary."""
        real, kept = model._EmbeddingCache.put, []

        def put(self, number, batch):
            kept.append(number)
            if len(kept) == interrupt_at:
                raise KeyboardInterrupt
            return real(self, number, batch)

        with monkeypatch.context() as patch:
            patch.setattr(model._EmbeddingCache, "put", put)
            summary = run(con, config, models_dir=tmp_path / "models")
        tables = {t: con.execute(f"SELECT * FROM {t} ORDER BY {key}").df()
                  for t, key in TABLES.items()}
        return len(kept), tables, summary

    batches, complete, _ = fit()
    assert batches > 3
    with pytest.raises(KeyboardInterrupt):
        fit(interrupt_at=3)
    assert len(list((work / "nl").glob("embeddings-*.npy"))) == 2
    embedded, tables, summary = fit()
    assert embedded == batches - 2, "the two batches kept are not embedded again"
    for name in TABLES:
        pd.testing.assert_frame_equal(tables[name], complete[name])
    assert any("hervat: 2 batch(es) embeddings" in note for note in summary.notes)
    assert not work.exists(), "a finished fit removes its work folder"
    con.close()
