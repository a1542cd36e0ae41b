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
          AND g.avoidable_category = 'voorkomen'""").fetchone()
    # Vermijdbaar is 'voorkomen' only; its saving uses the removal rate (0.5 by default).
    assert key["avoidable"] == avoidable == key["voorkomen_contacts"]
    assert key["avoidable_cost"] == pytest.approx(cost * 0.5)
    expected = truth[~truth.auto & (truth.category == "voorkomen")]
    assert avoidable == len(expected)
    for category in ("verschuiven", "automatiseren", "waardevol"):
        assert key[f"{category}_contacts"] == int((~truth.auto & (truth.category == category)).sum())
    assert sum(key[f"{c}_share"] for c in figures.CATEGORIES) == pytest.approx(1.0)
    assert key["third_party"] == int((~truth.auto & (truth.third_party_type != "none")).sum())
    assert key["unassigned"] == int((~truth.auto & truth.unassigned).sum())
    assert key["repeats"] == int((~truth.auto & truth.is_repeat).sum())
    assert key["avoidable_cost_year"] == pytest.approx(
        cost * 0.5 / (key["days"] / (365.25 / 12)) * 12)
    assert key["unsure"] == int((~truth.auto & truth.unsure).sum())
    assert key["analyst_labels"] == key["by_analyst"] == int((~truth.auto & truth.analyst).sum())


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


def test_projects_are_prevent_groups_of_a_minimum_size(filled):
    con, _ = filled
    report = _report(con, project_min_contacts=8, project_scale_below=0)
    backlog, key = report.backlog, report.figures.key
    projects = backlog.projects
    assert backlog.min_contacts == 8 and len(projects) > 0
    assert (projects.contacts >= 8).all()
    # The backlog is not all avoidable contact cut into pieces: small groups stay out, counted.
    assert projects.contacts.sum() == backlog.in_projects < key["avoidable"]
    assert backlog.small_groups > 0
    assert list(projects["rank"]) == list(range(1, len(projects) + 1))
    assert projects.saving_year.is_monotonic_decreasing
    months = key["days"] / (365.25 / 12)
    for top in projects.head(3).itertuples():
        where = f"""{ANALYSED.replace('WHERE', '''JOIN contact_tags g USING (contact_id)
            JOIN contact_reasons r USING (contact_id) WHERE''')}
              AND g.avoidable_category = 'voorkomen' AND r.reason_id = ?
              AND coalesce(g.third_party_type, 'process') = ?"""
        n, cost = con.execute(f"""SELECT count(*), sum(CASE c.channel WHEN 'email' THEN 8.0
            WHEN 'chat' THEN 6.0 ELSE 7.5 END * 0.85 * 0.5)::DOUBLE {where}""",
                              [top.reason_key, top.cause]).fetchone()
        assert top.contacts == n
        assert top.saving_year == pytest.approx(cost / months * 12)
        assert top.per_month == pytest.approx(n / months)
        assert top.owner and "×" not in top.project and top.reason_label in top.project
        # Evidence and drill-down come from the project's own contacts.
        own = {t for (t,) in con.execute(f"SELECT t.question_text {where}",
                                         [top.reason_key, top.cause]).fetchall()}
        ids = {i for (i,) in con.execute(f"SELECT c.contact_id {where}",
                                         [top.reason_key, top.cause]).fetchall()}
        assert top.evidence and all(any(t.startswith(q) for t in own) for q in top.evidence)
        assert top.drill_ids and set(top.drill_ids) <= ids
        assert 0 <= top.repeat_rate <= 1 and 0 <= top.transfer_rate <= 1


def test_project_threshold_scales_only_for_small_exports():
    from pipeline.report.projects import threshold

    assert threshold(20, 2000, 100_000) == 20
    assert threshold(20, 2000, 1_000) == 10
    assert threshold(20, 2000, 50) == 5
    assert threshold(20, 0, 50) == 20


def test_removal_rate_scales_the_saving(filled):
    con, _ = filled
    half = _report(con).figures.key
    quarter = _report(con, removal_rate={"voorkomen": 0.25, "verschuiven": 0.0}).figures.key
    assert quarter["voorkomen_saving_year"] == pytest.approx(half["voorkomen_saving_year"] / 2)
    assert quarter["verschuiven_saving_year"] == 0
    assert quarter["automatiseren_saving_year"] == pytest.approx(half["automatiseren_saving_year"])


def test_themes_and_their_fallback(con):
    synthesise(con, 300, seed=4)
    report = _report(con)
    themes = report.figures.tables["themes"]
    assert report.figures.stages["themes"]
    assert {"Bezorging", "Retour en geld"} <= set(themes.label)
    assert themes.contacts.sum() == report.figures.key["contacts"]
    con.execute("UPDATE contact_reasons SET theme_id = NULL")
    con.execute("UPDATE reasons SET theme_id = NULL")
    con.execute("DELETE FROM themes")
    report = _report(con)
    assert not report.figures.stages["themes"]
    assert set(report.figures.tables["themes"].theme_key) <= {"_no_theme", "_unassigned"}


def test_quality_adds_up_without_paths(filled):
    con, truth = filled
    con.execute("UPDATE sources SET path = '/home/anna/exports/2026/chat/kapot.json', "
                "error = 'line 5 in /home/anna/exports/2026/chat/kapot.json: invalid JSON' "
                "WHERE status = 'error' AND format = 'chat_json'")
    con.execute("UPDATE reasons SET reason_id = 'geen-vraag' WHERE reason_id = 'factuur_kopie'")
    con.execute("UPDATE contact_reasons SET reason_id = 'geen-vraag' "
                "WHERE reason_id = 'factuur_kopie'")
    tables = _report(con).figures.tables
    q = dict(zip(tables["quality"].measure, tables["quality"].contacts))
    assert q["q_contacts_total"] == q["q_auto_replies"] + q["q_analysed"]
    empty = con.execute(f"""SELECT count(*) {ANALYSED} AND NOT EXISTS (SELECT 1 FROM messages m
        WHERE m.contact_id = c.contact_id AND m.role = 'customer' AND trim(m.text) <> '')"""
                        ).fetchone()[0]
    assert q["q_no_customer_text"] == empty > 0
    assert q["q_geen_vraag"] == int((~truth.auto & ~truth.unassigned
                                     & (truth.reason == "factuur_kopie")).sum())
    errors = tables["source_errors"]
    assert "kapot.json" in set(errors.path)
    assert not any("/home" in str(v) for v in [*errors.path, *errors.error])
    shares = tables["quality"].set_index("measure")["share"]
    assert shares["q_contacts_total"] == 1.0


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
    assert {k: report.figures.stages[k] for k in stages} == stages
    text = " ".join(report.sentences)
    assert ("klantvraag reasons" in text) == (not stages["reasons"])
    assert ("klantvraag tag" in text) == (not stages["tags"])
    assert ("klantvraag prepare" in text) == (not stages["text"])
    if not stages["text"]:
        assert report.figures.key["contacts"] == 120  # nothing removed as auto-reply


def test_no_contacts_is_a_stage_input_error(con):
    with pytest.raises(StageInputMissing, match="klantvraag ingest"):
        _report(con)
