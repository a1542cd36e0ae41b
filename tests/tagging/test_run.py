"""The stage on the in-memory store: tables written, idempotent, auto-replies skipped."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pytest

from pipeline import tagging
from pipeline.errors import StageInputMissing

ROWS = [
    # contact_id, customer, started_at, question, agent, auto_reply
    ("c1", "k1", "2026-09-01 10:00", "Waar blijft mijn pakket? PostNL zegt bezorgd maar ik heb niks.",
     "Ik verbind u door met de afdeling bezorging.", False),
    ("c2", "k1", "2026-09-03 09:00", "Mijn pakket is er nog steeds niet!", None, False),
    ("c3", "k2", "2026-09-02 12:00", "Wat zijn de openingstijden van de winkel in Delft?", None, False),
    ("c4", "k3", "2026-09-02 13:00", "Ik ben afwezig tot maandag.", None, True),
    ("c5", "k4", "2026-09-04 08:00", "Graag advies over een stille vaatwasser.", None, False),
    ("c6", "k5", "2026-09-05 08:00", "Ik heb een vraag.", None, False),
]


def _insert(con, rows=ROWS):
    contacts = pd.DataFrame({
        "contact_id": [r[0] for r in rows], "external_id": [f"ext-{r[0]}" for r in rows],
        "channel": "chat", "format": "chat_json", "source_id": "s1",
        "started_at": [datetime.fromisoformat(r[2]) for r in rows],
        "customer_key": [r[1] for r in rows], "n_messages": 2})
    text = pd.DataFrame({
        "contact_id": [r[0] for r in rows], "language": "nl",
        "is_auto_reply": [r[5] for r in rows],
        "question_text": [r[3] for r in rows], "customer_text": [r[3] for r in rows],
        "agent_text": [r[4] for r in rows],
        "question_lemmas": ["pakket bezorgen" if r[0] in ("c1", "c2") else r[3].lower()
                            for r in rows],
        "input_hash": "h", "prepared_at": datetime(2026, 11, 1)})
    con.register("contacts_df", contacts)
    con.register("text_df", text)
    con.execute("INSERT INTO contacts (contact_id, external_id, channel, format, source_id, "
                "started_at, customer_key, n_messages) SELECT contact_id, external_id, channel, "
                "format, source_id, started_at, customer_key, n_messages FROM contacts_df")
    con.execute("INSERT INTO contact_text (contact_id, language, is_auto_reply, question_text, "
                "customer_text, agent_text, question_lemmas, input_hash, prepared_at) "
                "SELECT contact_id, language, is_auto_reply, question_text, customer_text, "
                "agent_text, question_lemmas, input_hash, prepared_at FROM text_df")


def _tables(con):
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("contact_tags", "contact_third_parties", "contact_symptoms")}


def test_run_writes_tags_with_evidence(con, config, tagger):
    _insert(con)
    summary = tagging.run(con, config.tagging, tagger=tagger)
    tags = con.execute("SELECT contact_id, avoidable_category, third_party_type, party, "
                       "is_repeat, repeat_of, evidence FROM contact_tags ORDER BY contact_id"
                       ).fetchall()
    by_id = {row[0]: row for row in tags}
    assert "c4" not in by_id                       # auto-reply: no row
    assert by_id["c1"][1:4] == ("voorkomen", "carrier", "PostNL")
    assert by_id["c2"][4:6] == (True, "c1")       # same customer, same subject, 2 days later
    assert by_id["c3"][1] == "verschuiven"
    assert by_id["c5"][1] == "waardevol"
    evidence = json.loads(by_id["c1"][6])
    assert {"rule", "source", "span", "weight"} <= set(evidence[0])
    repeat = json.loads(by_id["c2"][6])
    assert any(e["source"] == "repeat" and "herhaalcontact na 2 dagen" in e["span"]
               for e in repeat)
    symptoms = con.execute("SELECT contact_id, symptom FROM contact_symptoms").fetchall()
    assert ("c1", "transfer") in symptoms
    parties = con.execute("SELECT contact_id, third_party_type, party, kind "
                          "FROM contact_third_parties WHERE contact_id = 'c1'").fetchall()
    assert ("c1", "carrier", "PostNL", "cause") in parties
    assert any("automatische antwoorden overgeslagen: 1" in n for n in summary.notes)
    assert any(n.startswith("derde partij als oorzaak: vervoerder") for n in summary.notes)
    run = con.execute("SELECT command, status, counts FROM runs").fetchall()
    assert run[0][:2] == ("tag", "ok") and json.loads(run[0][2])["tagged"] == 5


def test_run_is_idempotent(con, config, tagger):
    _insert(con)
    tagging.run(con, config.tagging, tagger=tagger)
    first = _tables(con)
    tagging.run(con, config.tagging, tagger=tagger)
    assert _tables(con) == first


def test_reason_default_and_repeat_window(con, config, tagger):
    _insert(con)
    con.execute("INSERT INTO reasons (reason_id, model_name, model_version, language, label, "
                "size, default_category) VALUES ('nl-001', 'm', '1', 'nl', 'vraag', 1, "
                "'automatiseren')")
    con.execute("INSERT INTO contact_reasons (contact_id, reason_id, probability, how, model_name) "
                "VALUES ('c6', 'nl-001', 0.9, 'assigned', 'm')")
    config.tagging.repeat_window_days = 1
    tagging.run(con, config.tagging, tagger=tagger)
    rows = dict(con.execute("SELECT contact_id, avoidable_category FROM contact_tags").fetchall())
    assert rows["c6"] == "automatiseren"
    assert con.execute("SELECT count(*) FROM contact_tags WHERE is_repeat").fetchone()[0] == 0


def test_run_without_prepared_text(con, config, tagger):
    with pytest.raises(StageInputMissing, match="klantvraag prepare"):
        tagging.run(con, config.tagging, tagger=tagger)


def test_run_with_extra_rule_file(con, config, tmp_path):
    _insert(con)
    extra = tmp_path / "eigen.yaml"
    extra.write_text("""
avoidable:
  - id: eigen.vraag
    category: automatiseren
    weight: 5
    patterns: ["een vraag"]
    examples: {match: ["ik heb een vraag"], no_match: ["geen idee"]}
""", encoding="utf-8")
    config.tagging.extra_rule_files = [str(extra)]
    tagging.run(con, config.tagging)
    row = con.execute("SELECT avoidable_category, evidence FROM contact_tags "
                      "WHERE contact_id = 'c6'").fetchone()
    assert row[0] == "automatiseren" and "eigen.vraag" in row[1]
