"""Process symptoms in agent turns and repeat contacts within a window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pipeline.tagging import ContactInput
from pipeline.tagging.repeat import RepeatInput, evidence_text, find


@pytest.mark.parametrize("agent, symptom", [
    ("Ik verbind u door met de afdeling facturatie.", "transfer"),
    ("Ik zet een terugbelverzoek voor u uit.", "callback"),
    ("ik moet even navragen bij het magazijn", "consultation"),
])
def test_symptoms_in_agent_turns(tag_text, agent, symptom):
    result = tag_text("Ik heb een vraag over mijn bestelling.", agent=agent)
    assert symptom in {s.symptom for s in result.symptoms}


def test_symptoms_only_in_agent_turns(tag_text):
    result = tag_text("Kunt u mij doorverbinden met de afdeling facturatie?")
    assert result.symptoms == []


T0 = datetime(2026, 9, 1, 10, 0)


def _c(cid, customer, days, reason=None, lemmas="pakket bezorgen"):
    return RepeatInput(cid, customer, T0 + timedelta(days=days), reason,
                       frozenset(lemmas.split()))


def test_repeat_within_window_same_reason():
    repeats = find([_c("a", "k1", 0, "r1"), _c("b", "k1", 3, "r1"), _c("c", "k1", 20, "r1"),
                    _c("d", "k2", 1, "r1")], window_days=7)
    assert set(repeats) == {"b"}
    assert repeats["b"].repeat_of == "a" and repeats["b"].gap_days == 3.0
    assert evidence_text(repeats["b"]).startswith("herhaalcontact na 3 dagen")


def test_repeat_needs_same_reason_and_window_is_configurable():
    contacts = [_c("a", "k1", 0, "r1"), _c("b", "k1", 3, "r2"), _c("c", "k1", 9, "r1")]
    assert find(contacts, window_days=7) == {}
    assert set(find(contacts, window_days=10)) == {"c"}


def test_repeat_without_reasons_uses_lemma_overlap():
    contacts = [_c("a", "k1", 0, None, "pakket bezorgen buren"),
                _c("b", "k1", 2, None, "pakket bezorgen buren kwijt"),
                _c("c", "k1", 4, None, "wachtwoord vergeten inloggen")]
    repeats = find(contacts, window_days=7)
    assert set(repeats) == {"b"} and repeats["b"].basis == "lemmas"


def test_repeat_makes_later_contact_failure_demand(tagger):
    contacts = [ContactInput("a", question_text="Wat zijn de openingstijden?", customer_key="k",
                             started_at=T0, reason_id="r"),
                ContactInput("b", question_text="Wat zijn de openingstijden?", customer_key="k",
                             started_at=T0 + timedelta(days=2), reason_id="r")]
    first, second = tagger.tag(contacts)
    assert not first.is_repeat and first.avoidable_category == "verschuiven"
    assert second.is_repeat and second.repeat_of == "a"
    assert second.avoidable_category == "voorkomen"
    assert second.evidence[0]["source"] == "repeat"


def test_two_contacts_without_a_question_are_no_repeat():
    from datetime import datetime

    from pipeline.tagging.repeat import RepeatInput, find

    first = RepeatInput("a", "klant-1", datetime(2026, 9, 1), "geen-vraag", frozenset())
    second = RepeatInput("b", "klant-1", datetime(2026, 9, 2), "geen-vraag", frozenset())
    assert find([first, second], window_days=7) == {}
