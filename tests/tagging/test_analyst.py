"""Learning from the analyst: the label sheet (.xlsx) out and in, labels in the tagging tables,
uncertainty sampling, calibrated confidence and the refit with labels."""

from __future__ import annotations

import json

import numpy as np
import pytest
from openpyxl import load_workbook

from pipeline import tagging
from pipeline.errors import InputFileError
from pipeline.tagging import analyst, label_sheet, labelling, training
from pipeline.tagging.confidence import apply_platt, fit_platt
from pipeline.tagging.tagger import ContactInput

from .test_run import _insert


def _fill(path, answers: dict[str, tuple]):
    """What the analyst does in Excel: fill in the three answer columns of some rows."""
    book = load_workbook(path)
    sheet = book[label_sheet.SHEET]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        contact_id = row[0].value
        if contact_id in answers:
            for name, value in zip(("categorie", "derde partij", "partij"), answers[contact_id]):
                row[header.index(name)].value = value
    book.save(path)


def test_sheet_round_trip_through_a_real_xlsx(con, config, tagger, tmp_path):
    _insert(con)
    tagging.run(con, config.tagging, tagger=tagger)
    sheet = tmp_path / "labelblad.xlsx"
    summary = labelling.write(con, config, sheet, count=4)
    assert summary.rows[0] == ["contacten op het blad", 4]
    book = load_workbook(sheet)
    rows = list(book[label_sheet.SHEET].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 4 and all(r[3] for r in rows)          # the question is shown
    lists = [v.formula1 for v in book[label_sheet.SHEET].data_validations.dataValidation]
    assert any("voorkomen" in f and "waardevol" in f for f in lists)
    assert any("carrier" in f and "none" in f for f in lists)
    assert "voorkomen" in str(book["Uitleg"]["B2"].value) or book["Uitleg"]["A2"].value == "voorkomen"
    chosen = [r[0] for r in rows]
    _fill(sheet, {chosen[0]: ("waardevol", "none", None),
                  chosen[1]: ("voorkomen", "vervoerder", "PostNL"),
                  chosen[2]: ("misschien", None, None)})
    labels, problems = label_sheet.read_sheet(sheet)
    assert [(x.contact_id, x.avoidable_category, x.third_party_type, x.party) for x in labels] == [
        (chosen[0], "waardevol", "none", None), (chosen[1], "voorkomen", "carrier", "PostNL")]
    assert len(problems) == 1 and "rij 4" in problems[0] and "misschien" in problems[0]

    labelling.read(con, config, sheet, refit=False)
    stored = con.execute("SELECT contact_id, avoidable_category, third_party_type, party, "
                         "source_file FROM analyst_labels ORDER BY contact_id").fetchall()
    assert {r[0] for r in stored} == {chosen[0], chosen[1]}
    assert all(r[4] == "labelblad.xlsx" for r in stored)
    # a re-run of tag keeps them, and the labelled contacts take the analyst's label
    summary = tagging.run(con, config.tagging, tagger=tagger)
    tags = {r[0]: r[1:] for r in con.execute(
        "SELECT contact_id, avoidable_category, third_party_type, party, decided_by, "
        "avoidable_unsure FROM contact_tags").fetchall()}
    assert tags[chosen[0]] == ("waardevol", None, None, "analyst", False)
    assert tags[chosen[1]] == ("voorkomen", "carrier", "PostNL", "analyst", False)
    assert sum(v[3] == "tagger" for v in tags.values()) == len(tags) - 2
    assert any("analistlabels: 2" in n for n in summary.notes)
    # the next sheet leaves labelled contacts out
    labelling.write(con, config, tmp_path / "twee.xlsx", count=10)
    again = [r[0] for r in load_workbook(tmp_path / "twee.xlsx")[label_sheet.SHEET].iter_rows(
        min_row=2, values_only=True)]
    assert chosen[0] not in again and chosen[1] not in again


def test_reading_a_file_that_is_not_a_sheet(tmp_path):
    bad = tmp_path / "labels.xlsx"
    bad.write_text("geen excel", encoding="utf-8")
    with pytest.raises(InputFileError, match="labels.xlsx"):
        label_sheet.read_sheet(bad)
    with pytest.raises(InputFileError, match="not found"):
        label_sheet.read_sheet(tmp_path / "weg.xlsx")


def test_unsure_flags_and_confidence_columns_are_written(con, config, tagger):
    _insert(con)
    summary = tagging.run(con, config.tagging, tagger=tagger)
    rows = con.execute("SELECT confidence, avoidable_unsure, third_party_confidence, "
                       "third_party_unsure, decided_by FROM contact_tags").fetchall()
    threshold = config.tagging.unsure_below
    for confidence, unsure, third_confidence, third_unsure, decided_by in rows:
        assert 0 <= confidence <= 1 and 0 <= third_confidence <= 1
        assert unsure == (confidence < threshold)
        assert third_unsure == (third_confidence < threshold)
        assert decided_by == "tagger"
    assert any(n.startswith("onzeker") for n in summary.notes)
    assert "waarvan onzeker" in summary.columns


def test_uncertainty_sampling_spreads_over_reasons():
    pool = [{"contact_id": f"a{i}", "reason": "a", "uncertainty": 0.9 - i / 100} for i in range(5)]
    pool += [{"contact_id": f"b{i}", "reason": "b", "uncertainty": 0.5 - i / 100} for i in range(5)]
    pool += [{"contact_id": "c0", "reason": "c", "uncertainty": 0.1}]
    chosen = [c["contact_id"] for c in analyst.select_uncertain(pool, 5)]
    assert chosen == ["a0", "b0", "c0", "a1", "b1"]
    assert analyst.uncertainty(0.9, 0.3) == pytest.approx(0.7)


def test_platt_scaling_is_monotone_and_falls_back():
    x = [[v] for v in np.linspace(0, 1, 40)]
    y = [v[0] > 0.5 for v in x]
    coefficients = fit_platt(x, y)
    assert apply_platt(coefficients, [0.9], 0.0) > 0.7 > 0.3 > apply_platt(coefficients, [0.1], 1.0)
    assert apply_platt(None, [0.3], 0.3) == 0.3
    constant = fit_platt([[0.2], [0.8]], [True, True])
    assert apply_platt(constant, [0.5], 0.0) > 0.9


def test_refit_with_analyst_labels_learns_them_and_saves(tmp_path, tagger, con, config):
    texts = [("mijn pakket is nog steeds niet bezorgd", "voorkomen", "carrier"),
             ("de monteur is niet gekomen", "voorkomen", "installer"),
             ("wat zijn de openingstijden", "verschuiven", "none"),
             ("ik wil mijn adres wijzigen", "automatiseren", "none"),
             ("graag advies over een nieuw contract", "waardevol", "none"),
             ("de afvalcontainer is weer niet geleegd", "voorkomen", "supplier")]
    examples = [training.Example(a, t, 1.0, "analyst", ContactInput(f"{i}-{k}", q, q))
                for k in range(6) for i, (q, a, t) in enumerate(texts)]
    model = training.fit(examples, folds=2)
    assert set(model.calibration_) == {"avoidable", "third_party"}
    path = model.save(tmp_path / "models" / "default" / labelling.MODEL_FILE)
    loaded = type(model).load(path)
    assert loaded.combiner_ is not None and loaded.combiner_.vocabulary_ == model.combiner_.vocabulary_
    assert np.allclose(loaded.calibration_["avoidable"], model.calibration_["avoidable"])
    probabilities = loaded.predict_proba(["graag advies over een nieuw contract"])
    classes, p = probabilities["avoidable"]
    assert classes[int(p[0].argmax())] == "waardevol"
    # `tag` uses the organisation's own model when it exists
    _insert(con)
    summary = tagging.run(con, config.tagging, model_path=path)
    assert any("eigen model" in n and str(path) in n for n in summary.notes)
    missing = tagging.run(con, config.tagging, tagger=tagger, model_path=tmp_path / "weg.npz")
    assert any("meegeleverd model" in n for n in missing.notes)


def test_evidence_of_an_analyst_label(con, config, tagger):
    _insert(con)
    analyst.store_labels(con, [analyst.Label("c3", "waardevol", None)], "blad.xlsx")
    tagging.run(con, config.tagging, tagger=tagger)
    category, third, evidence = con.execute(
        "SELECT avoidable_category, third_party_type, evidence FROM contact_tags "
        "WHERE contact_id = 'c3'").fetchone()
    assert category == "waardevol" and json.loads(evidence)[0]["rule"] == "analyst"
