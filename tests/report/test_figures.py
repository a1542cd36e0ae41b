"""The figures reconcile with the stage tables: recomputed here by independent SQL."""

from __future__ import annotations

import pytest

from pipeline.config import ReportConfig
from pipeline.errors import StageInputMissing
from pipeline.report import build, figures
from tests.report.synth import synthesise

ANALYSED = """FROM contacts c LEFT JOIN contact_text t USING (contact_id)
              WHERE NOT coalesce(t.is_auto_reply, false)"""


def _report(con, **kwargs):
    config = ReportConfig(handling_minutes={"email": 8.0, "chat": 6.0, "call": 7.5},
                          cost_per_minute=0.85, **kwargs)
    try:
        return build(con, config)
    finally:
        figures.drop_base(con)


def test_key_figures_match_sql(filled):
    con, truth = filled
    report = _report(con)
    key = report.figures.key
    analysed = con.execute(f"SELECT count(*) {ANALYSED}").fetchone()[0]
    assert key["contacts"] == analysed == int((~truth.auto).sum())
    assert key["auto_replies"] == int(truth.auto.sum())
    avoidable, cost = con.execute(f"""
        SELECT count(*), sum(CASE c.channel WHEN 'email' THEN 8.0 WHEN 'chat' THEN 6.0
                                            ELSE 7.5 END * 0.85)::DOUBLE
        {ANALYSED.replace('WHERE', 'JOIN contact_tags g USING (contact_id) WHERE')}
          AND g.avoidable_category <> 'waardevol'""").fetchone()
    assert key["avoidable"] == avoidable
    assert key["avoidable_cost"] == pytest.approx(cost)
    expected = truth[~truth.auto & (truth.category != "waardevol")]
    assert avoidable == len(expected)
    assert key["third_party"] == int((~truth.auto & (truth.third_party_type != "none")).sum())
    assert key["unassigned"] == int((~truth.auto & truth.unassigned).sum())
    assert key["repeats"] == int((~truth.auto & truth.is_repeat).sum())
    assert key["avoidable_cost_year"] == pytest.approx(cost / (key["days"] / (365.25 / 12)) * 12)


def test_reason_and_channel_tables_match_sql(filled):
    con, _ = filled
    tables = _report(con).figures.tables
    per_reason = dict(con.execute(f"""
        SELECT coalesce(r.reason_id, '_unassigned'), count(*)
        {ANALYSED.replace('WHERE', 'LEFT JOIN contact_reasons r USING (contact_id) WHERE')}
        GROUP BY 1""").fetchall())
    assert dict(zip(tables["reasons"].reason_key, tables["reasons"].contacts)) == per_reason
    assert tables["reasons"]["share"].sum() == pytest.approx(1.0)
    # The unassigned reason is listed last, whatever its size.
    assert tables["reasons"].reason_key.iloc[-1] == "_unassigned"
    per_channel = dict(con.execute(f"SELECT channel, count(*) {ANALYSED} GROUP BY 1").fetchall())
    assert dict(zip(tables["channels"].channel, tables["channels"].contacts)) == per_channel
    assert tables["channel_week"].contacts.sum() == sum(per_channel.values())
    assert tables["reason_week"].contacts.sum() == sum(per_channel.values())
    split = tables["reasons"][["voorkomen", "verschuiven", "automatiseren", "waardevol"]]
    assert (split.sum(axis=1) == tables["reasons"]["tagged"]).all()


def test_third_parties_and_symptoms_match_sql(filled):
    con, _ = filled
    tables = _report(con).figures.tables
    per_type = dict(con.execute(f"""
        SELECT coalesce(g.third_party_type, 'none'), count(*)
        {ANALYSED.replace('WHERE', 'JOIN contact_tags g USING (contact_id) WHERE')}
        GROUP BY 1""").fetchall())
    types = tables["third_party_types"]
    assert dict(zip(types.third_party_type, types.contacts)) == per_type
    symptoms = dict(con.execute(f"""
        SELECT s.symptom, count(DISTINCT s.contact_id) FROM contact_symptoms s
        WHERE s.contact_id IN (SELECT c.contact_id {ANALYSED}) GROUP BY 1""").fetchall())
    assert dict(zip(tables["symptoms"].symptom, tables["symptoms"].contacts)) == symptoms
    assert tables["parties"].contacts.sum() == sum(v for k, v in per_type.items() if k != "none")


def test_projects_add_up_to_the_avoidable_contacts(filled):
    con, _ = filled
    report = _report(con)
    projects, key = report.projects, report.figures.key
    # Every avoidable contact is in one project, except unassigned ones without a third party.
    left_out = con.execute(f"""
        SELECT count(*) {ANALYSED.replace('WHERE', '''JOIN contact_tags g USING (contact_id)
            LEFT JOIN contact_reasons r USING (contact_id) WHERE''')}
          AND g.avoidable_category <> 'waardevol' AND r.reason_id IS NULL
          AND g.third_party_type IS NULL""").fetchone()[0]
    assert projects.contacts.sum() == key["avoidable"] - left_out
    assert list(projects["rank"]) == list(range(1, len(projects) + 1))
    assert projects.saving_year.is_monotonic_decreasing
    months = key["days"] / (365.25 / 12)
    top = projects.iloc[0]
    cost = con.execute(f"""
        SELECT sum(CASE c.channel WHEN 'email' THEN 8.0 WHEN 'chat' THEN 6.0 ELSE 7.5 END * 0.85)::DOUBLE
        {ANALYSED.replace('WHERE', '''JOIN contact_tags g USING (contact_id)
            JOIN contact_reasons r USING (contact_id) WHERE''')}
          AND g.avoidable_category <> 'waardevol' AND r.reason_id = ?
          AND coalesce(g.third_party_type, 'none') = ?""",
        [top.reason_key, top.cause]).fetchone()[0]
    assert top.saving_year == pytest.approx(cost / months * 12)
    assert top.per_year == pytest.approx(top.contacts / months * 12)
    assert top.owner  # every project has an owner
    label = con.execute("SELECT label FROM reasons WHERE reason_id = ?", [top.reason_key]).fetchone()[0]
    assert top.project == (label if top.cause == "none" else f"{label} × {top.cause_label}")


def test_handling_minutes_change_the_saving(filled):
    con, _ = filled
    base = _report(con).figures.key["avoidable_cost"]
    config = ReportConfig(handling_minutes={"email": 16.0, "chat": 12.0, "call": 15.0},
                          cost_per_minute=0.85)
    try:
        doubled = build(con, config).figures.key["avoidable_cost"]
    finally:
        figures.drop_base(con)
    assert doubled == pytest.approx(2 * base)


@pytest.mark.parametrize("stages", [
    {"text": False, "reasons": False, "tags": False},
    {"text": True, "reasons": False, "tags": False},
    {"text": True, "reasons": True, "tags": False},
    {"text": True, "reasons": False, "tags": True},
])
def test_missing_stages_are_named_not_fatal(con, stages):
    synthesise(con, 120, seed=5, **stages)
    report = _report(con)
    assert report.figures.stages == stages
    text = " ".join(report.sentences)
    assert ("klantvraag reasons" in text) == (not stages["reasons"])
    assert ("klantvraag tag" in text) == (not stages["tags"])
    assert ("klantvraag prepare" in text) == (not stages["text"])
    if not stages["text"]:
        assert report.figures.key["contacts"] == 120  # nothing removed as auto-reply


def test_no_contacts_is_a_stage_input_error(con):
    with pytest.raises(StageInputMissing, match="klantvraag ingest"):
        _report(con)
