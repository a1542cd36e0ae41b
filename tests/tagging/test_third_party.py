"""A mention is not a cause; a cause near a named party takes the party."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("text, type_, party", [
    ("ik wil het via PostNL terugsturen", None, None),
    ("PostNL heeft het bij de buren afgeleverd", "carrier", "PostNL"),
    ("Ik heb met iDEAL betaald en wil weten wanneer het komt", None, None),
    ("De iDEAL betaling is mislukt maar het geld is weg", "payment", "iDEAL"),
    ("Ik heb de wasmachine in de winkel gekocht", None, None),
    ("De winkel in Utrecht stuurt me door naar jullie", "store", "winkel Utrecht"),
    ("de monteur is niet komen opdagen", "installer", "monteur"),
    ("de monteur was erg vriendelijk", None, None),
    ("Klarna stuurt een aanmaning terwijl ik al betaald heb", "payment", "Klarna"),
    ("mijn pakket is nooit aangekomen", "carrier", None),
    ("ik heb een verkeerde kleur ontvangen", "backoffice", None),
    ("de factuur klopt niet, er staat te veel op", "backoffice", None),
    ("mijn koffiemachine doet het niet meer", "supplier", None),
    ("als DHL het niet kan bezorgen, gaat het dan naar een servicepunt?", None, None),
])
def test_mention_versus_cause(tag_text, text, type_, party):
    result = tag_text(text)
    assert result.third_party_type == type_
    assert result.party == party


def test_mentions_are_evidence_but_not_tags(tag_text):
    result = tag_text("ik wil het via PostNL terugsturen")
    assert result.third_parties == []
    mentions = [e for e in result.evidence if e.get("kind") == "mention"]
    assert mentions and mentions[0]["party"] == "PostNL"


def test_planning_is_involvement_not_cause(tag_text):
    result = tag_text("Kan ik het bezorgmoment wijzigen naar vrijdag?")
    assert result.third_party_type == "carrier"
    assert {t.kind for t in result.third_parties} == {"involved"}
    assert result.avoidable_category == "automatiseren"


def test_cause_makes_contact_failure_demand(tag_text):
    result = tag_text("PostNL heeft het bij de buren afgeleverd")
    assert result.avoidable_category == "voorkomen"
    assert any(e["source"] == "third_party" for e in result.evidence)
