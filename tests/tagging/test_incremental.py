"""`tag` after a run re-tags only the customers with a new, re-prepared or re-assigned contact,
with the votes of every contact; the tables still hold one row per tagged contact, and
match a full run."""

from __future__ import annotations

import json
import re

import pytest

from pipeline import ingest, nlp, sample, store, tagging
from pipeline.config import load_config

pytestmark = pytest.mark.slow
COLUMNS = ("contact_id, avoidable_category, third_party_type, party, is_repeat, repeat_of, "
           "avoidable_unsure, third_party_unsure, vote, vote_reason_id, round(confidence, 9), "
           "round(third_party_confidence, 9), evidence::VARCHAR, tagged_reason_id")


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """A store tagged once, then given a second export (a new month) and prepared."""
    folder = tmp_path_factory.mktemp("incremental")
    sample.generate(folder / "first", size=120, seed=5)
    sample.generate(folder / "second", size=60, seed=11)
    config = load_config(None)
    con = store.connect(folder / "store.duckdb")
    ingest.run(con, [folder / "first"], config.ingest)
    nlp.run(con, config.nlp, workers=1)
    con.execute("INSERT INTO reasons (reason_id, model_name, model_version, language, label, "
                "size) SELECT 'nl-00' || i, 'm', '1', 'nl', 'reden ' || i, 1 FROM range(3) t(i)")
    _give_reasons(con)        # learned defaults count votes per reason
    tagging.run(con, config.tagging)
    first = _rows(con)
    again = tagging.run(con, config.tagging)
    unchanged = (_rows(con), _last_counts(con), again)
    ingest.run(con, [folder / "second"], config.ingest)
    nlp.run(con, config.nlp, workers=1)
    _give_reasons(con)        # what `reasons --apply` does for the new month
    yield con, config, first, unchanged
    con.close()


def _give_reasons(con):
    con.execute("INSERT INTO contact_reasons (contact_id, reason_id, probability, how, "
                "model_name) SELECT contact_id, 'nl-00' || (hash(contact_id) % 3), 0.9, "
                "'applied', 'm' FROM contacts WHERE hash(contact_id) % 2 = 0 "
                "AND contact_id NOT IN (SELECT contact_id FROM contact_reasons)")


def _rows(con):
    return con.execute(f"SELECT {COLUMNS} FROM contact_tags ORDER BY contact_id").fetchall()


def _without_counts(row):
    return row[:12] + (re.sub(r"\d+( contacten|%)", r"N\1", row[12]),) + row[13:]


def _last_counts(con):
    return json.loads(con.execute("SELECT counts FROM runs WHERE command = 'tag' "
                                  "ORDER BY started_at DESC LIMIT 1").fetchone()[0])


def test_a_second_run_without_changes_tags_nothing(grown):
    _, _, first, (rows, counts, summary) = grown
    assert counts["tagged"] == 0 and counts["kept"] == len(first) > 100
    assert rows == first
    assert "ongewijzigd" in summary.notes[0]


def test_a_new_month_tags_its_customers_and_matches_a_full_run(grown):
    con, config, first, _ = grown
    tagging.run(con, config.tagging)
    counts = _last_counts(con)
    incremental = _rows(con)
    tagged = {row[0] for row in incremental}
    expected = {row[0] for row in con.execute(
        "SELECT contact_id FROM contact_text WHERE NOT coalesce(is_auto_reply, false) "
        "INTERSECT SELECT contact_id FROM contacts").fetchall()}
    assert tagged == expected, "one row per tagged contact, none for contacts gone"
    assert 0 < counts["tagged"] < len(expected) and counts["kept"] > 0
    assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                           "'tag_todo'").fetchone()[0], "the list to tag is dropped after the run"
    tagging.run(con, config.tagging, everything=True)
    assert _last_counts(con)["tagged"] == len(expected)
    # The same tags; a kept contact's evidence quotes the votes of the run that tagged it
    # ('15 contacten van reden nl-000 ..., 60% voorkomen'), where a full run quotes today's.
    assert [_without_counts(row) for row in _rows(con)] == \
        [_without_counts(row) for row in incremental]


def test_a_contact_whose_reason_changed_is_tagged_again_with_its_customer(grown):
    con, config, _, _ = grown
    tagging.run(con, config.tagging)                     # up to date
    contact_id, customer = con.execute(
        "SELECT contact_id, customer_key FROM contacts WHERE customer_key IN (SELECT "
        "customer_key FROM contacts GROUP BY 1 HAVING count(*) > 1) ORDER BY 1 LIMIT 1"
    ).fetchone()
    con.execute("DELETE FROM contact_reasons WHERE contact_id = ?", [contact_id])
    con.execute("INSERT INTO contact_reasons (contact_id, reason_id, probability, how, "
                "model_name) VALUES (?, 'nl-002', 0.9, 'applied', 'm')", [contact_id])
    tagging.run(con, config.tagging)
    siblings = con.execute("SELECT count(*) FROM contacts c JOIN contact_text t "
                           "USING (contact_id) WHERE customer_key = ? "
                           "AND NOT coalesce(t.is_auto_reply, false)", [customer]).fetchone()[0]
    assert _last_counts(con)["tagged"] == siblings >= 2
    assert con.execute("SELECT tagged_reason_id FROM contact_tags WHERE contact_id = ?",
                       [contact_id]).fetchone()[0] == "nl-002"


def test_a_changed_setting_tags_everything(grown):
    con, config, _, _ = grown
    tagging.run(con, config.tagging)                     # up to date
    changed = load_config(None).tagging
    changed.repeat_window_days = config.tagging.repeat_window_days + 3
    tagging.run(con, changed)
    total = con.execute("SELECT count(*) FROM contact_tags").fetchone()[0]
    assert _last_counts(con)["tagged"] == total
