"""The learned third-party decision (pipeline/tagging/party_combiner.py)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.config import OrganisationConfig, PartyConfig
from pipeline.tagging import ContactInput, Tagger, training
from pipeline.tagging import party_combiner as pc
from pipeline.tagging.third_party import Mention, ThirdPartyTag


def _tag(kind, basis, source="question", rule="tc.x"):
    return ThirdPartyTag(kind, None, 0.7, rule, "span", "cause", source, 1.0, basis)


def _mention(kind, source="question", configured=False, topic=False, means=False):
    return Mention("tp.x", kind, None if topic else "X", "x", source, topic, means, configured)


def _feature(row, type_, name):
    return row[0][pc.THIRD_PARTY_TYPES.index(type_)][pc.TYPE_FEATURES.index(name)]


def test_row_says_how_each_type_was_found():
    row = pc.row([_tag("payment", "standalone", rule="tc.payment_reminder"),
                  _tag("backoffice", "party", source="agent")],
                 [_mention("backoffice", "agent", configured=True),
                  _mention("installer"), _mention("carrier", means=True),
                  _mention("payment", topic=True)],
                 {"none": 0.5, "payment": 0.3}, "payment", "voorkomen")
    assert _feature(row, "payment", "standalone_customer") == 1.0
    assert _feature(row, "payment", "rule_choice") == 1.0
    assert _feature(row, "payment", "topic") == 1.0
    assert _feature(row, "backoffice", "party_cause_agent") == 1.0
    assert _feature(row, "backoffice", "configured_agent") == 1.0
    assert _feature(row, "installer", "gazetteer_customer") == 1.0
    assert _feature(row, "carrier", "means") == 1.0
    assert _feature(row, "carrier", "gazetteer_customer") == 0.0
    assert _feature(row, "payment", "model_log_probability") == pytest.approx(np.log(0.301))
    assert row[1][pc.THIRD_PARTY_TYPES.index("payment")] == {"tc.payment_reminder"}
    none = dict(zip(pc.NONE_FEATURES, row[2]))
    assert none["rule_choice"] == 0.0 and none["category_voorkomen"] == 1.0
    assert none["parties_named"] == 1.0        # the installer; a means and a topic do not count
    assert pc.rule_cause(row, "payment") and not pc.rule_cause(row, "installer")
    assert pc.rule_choice(row) == "payment"
    assert pc.named(row, "installer") and not pc.named(row, "payment")


def _rows(types, evidence_type_of, n=12):
    """Contacts where the gold type is the one a customer names as the cause; 'none' contacts
    have only a topic word."""
    rows, gold = [], []
    for i in range(n):
        for gold_type in types:
            found = evidence_type_of(gold_type, i)
            tags = [_tag(found, "party")] if found else []
            mentions = [_mention(found)] if found else [_mention("payment", topic=True)]
            rows.append(pc.row(tags, mentions, None, found, "voorkomen"))
            gold.append(gold_type)
    return rows, gold


def test_fitted_combiner_follows_the_cause_and_carries_it_to_a_rare_type():
    rows, gold = _rows(("carrier", "payment", "none"),
                       lambda t, i: None if t == "none" else t)
    # Two installer contacts, one of them without any evidence: on its own weights the type
    # could not be learned; the weights shared with the other types carry the cause.
    few, few_gold = _rows(("installer",), lambda t, i: t if i == 0 else None, 2)
    combiner = pc.PartyCombiner().fit(rows + few, gold + few_gold)
    test, _ = _rows(("installer", "carrier", "none"), lambda t, i: None if t == "none" else t, 1)
    chosen = [pc.decide(p)[0] for p in combiner.predict_proba(test)]
    assert chosen == ["installer", "carrier", None]
    assert np.allclose([combiner.predict_one(r) for r in test], combiner.predict_proba(test))


def test_decide_keeps_the_rules_choice_unless_the_combiner_is_clearly_surer():
    p = [0.1, 0.5, 0.0, 0.0, 0.0, 0.4, 0.0]     # none, carrier, store, supplier, installer, ...
    assert pc.decide(p) == ("carrier", 0.5)
    assert pc.decide(p, "payment", margin=0.2) == ("payment", 0.4)
    assert pc.decide(p, "payment", margin=0.05) == ("carrier", 0.5)
    assert pc.decide(p, None, margin=0.6) == (None, 0.1)
    assert pc.decide(p, None, allowed=frozenset({"payment"})) == ("payment", 0.4)


def test_a_party_named_where_nothing_failed_may_not_be_chosen():
    mentions = [_mention("installer")]
    assert pc.row([], mentions, None, None, "waardevol")[3] == frozenset()
    assert pc.row([], mentions, None, None, "voorkomen")[3] == {"installer"}
    # voorkomen by an unsure text model alone is no failure that makes a mention a cause
    assert pc.row([], mentions, None, None, "voorkomen", failure=False)[3] == frozenset()
    assert pc.row([_tag("payment", "standalone")], [], None, "payment", "automatiseren")[3] == \
        {"payment"}


def test_party_combiner_survives_save_and_load(tmp_path):
    from pipeline.tagging.learned import TextModel
    rows, gold = _rows(("carrier", "backoffice", "none"),
                       lambda t, i: None if t == "none" else t)
    texts = ["pakket kwijt bij de bezorger", "de afdeling heeft het fout gedaan",
             "hoe laat zijn jullie open"] * 4
    model = TextModel(min_df=1).fit(texts, ["voorkomen", "voorkomen", "verschuiven"] * 4,
                                    ["carrier", "backoffice", "none"] * 4)
    model.party_combiner_ = pc.PartyCombiner().fit(rows, gold)
    loaded = TextModel.load(model.save(tmp_path / "m.npz"))
    assert np.allclose(loaded.party_combiner_.predict_proba(rows[:3]),
                       model.party_combiner_.predict_proba(rows[:3]))


def test_training_set_rows_carry_their_sectors_organisation():
    data = {"naam": "Stroom BV", "aliassen": ["Stroom"], "afdelingen": ["Facturatie"],
            "partijen": [{"naam": "Liander", "type": "supplier", "aliassen": ["Liander NB"]}]}
    org = training.organisation_of(data)
    assert org == OrganisationConfig("Stroom BV", ["Stroom"], ["Facturatie"],
                                     [PartyConfig("Liander", "supplier", ["Liander NB"])])
    assert training.organisation_of(None) is None
    sectors = [e for e in training.shipped() if e.group.startswith("sector:")]
    assert sectors and all(e.organisation and e.organisation.partijen for e in sectors)


@pytest.fixture(scope="module")
def shipped():
    return Tagger(workers=1)


def test_shipped_model_decides_the_third_party_with_its_combiner(shipped):
    assert shipped.text_model.party_combiner_ is not None
    result = shipped.tag([ContactInput(
        "c1", "mijn pakket is nooit aangekomen, PostNL zegt dat het bezorgd is maar ik heb niks",
        agent_text="Ik heb een onderzoek bij PostNL gestart.")])[0]
    assert (result.third_party_type, result.party) == ("carrier", "PostNL")
    assert result.party_row and 0.0 <= result.third_party_confidence <= 1.0
