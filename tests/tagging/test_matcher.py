"""Pattern syntax, negation, tense and hypotheticals."""

from __future__ import annotations

import pytest

from pipeline.tagging.matcher import active, expand_groups
from pipeline.tagging.rules import parse_rules


def rule_ids(matcher, text: str) -> set[str]:
    return {h.rule_id for h in active(matcher.match_doc(matcher.nlp(text)))}


def test_expand_groups():
    rule = parse_rules("""
avoidable:
  - id: x
    category: voorkomen
    patterns: ["a"]
    examples: {match: ["a"]}
""").rules[0]
    assert sorted(expand_groups("(al twee keer|dubbel) gebeld", rule)) == [
        "al twee keer gebeld", "dubbel gebeld"]


@pytest.mark.parametrize("text, rule, expected", [
    # negation: the failure is spelled with the negation, the positive statement is no failure
    ("Ik heb nog geen bevestiging gekregen", "vk.not_received", True),
    ("ik heb de bevestiging wel ontvangen", "vk.not_received", False),
    ("Het pakket is niet bezorgd", "tc.carrier_not_delivered", True),
    ("Het pakket is netjes bezorgd", "tc.carrier_not_delivered", False),
    # a negation before or inside a positive phrase cancels it
    ("ik heb geen advies nodig", "wv.advice", False),
    ("de kast past niet in de nis", "wv.advice", False),
    ("ik wil mijn bestelling niet annuleren", "au.cancel", False),
    # tense: intent (infinitive) versus something that already happened
    ("ik wil een koelkast kopen", "wv.purchase", True),
    ("ik heb vorige maand een koelkast gekocht", "wv.purchase", False),
    ("ik wil mijn bestelling annuleren", "au.cancel", True),
    ("mijn bestelling is geannuleerd", "au.cancel", False),
    ("ik wil dit retourneren", "vs.return", True),
    ("ik heb het al lang teruggestuurd", "vs.return", False),
    # hypothetical: 'als' / 'mocht' before a failure phrase
    ("als het pakket kwijt raakt, wat dan?", "tc.carrier_lost", False),
    ("mijn pakket is kwijt", "tc.carrier_lost", True),
    # spelling variants and typos from cues.yaml
    ("waar is mn pakket", "au.order_status", True),
    ("heb het nogsteeds nie", "vk.still_not", True),
    # ASR style: no punctuation, lower case
    ("ja hallo ik heb al drie keer gebeld over mijn wasmachine", "vk.stated_repeat", True),
])
def test_negation_tense_and_hypotheticals(matcher, text, rule, expected):
    assert (rule in rule_ids(matcher, text)) is expected


def test_hit_carries_span_and_sentence(matcher):
    hits = active(matcher.match_doc(matcher.nlp("Alles goed. PostNL heeft het bij de buren gelegd.")))
    neighbours = [h for h in hits if h.rule_id == "tc.carrier_neighbours"]
    assert neighbours and neighbours[0].span.startswith("bij de buren")
    assert neighbours[0].sentence == 1


def test_index_engine_equals_spacy_matcher(matcher):
    """The anchor-indexed executor finds exactly what spaCy's Matcher finds on real text."""
    from pathlib import Path

    from pipeline.tagging.evaluate import load_labelled
    from pipeline.tagging.matcher import PhraseMatcher

    reference = PhraseMatcher(matcher.ruleset, engine="spacy")
    contacts, _ = load_labelled(Path(__file__).parents[1] / "data" / "tagging" /
                                "handlabelled.jsonl")
    texts = [c.question_text for c in contacts[:80]] + [c.agent_text or "" for c in contacts[:80]]
    for text in texts:
        fast = {(h.rule_id, h.start, h.end, h.negated) for h in matcher.match_doc(matcher.nlp(text))}
        slow = {(h.rule_id, h.start, h.end, h.negated)
                for h in reference.match_doc(reference.nlp(text))}
        assert fast == slow, text


def test_parallel_matching_gives_the_same_tags(tagger):
    from pipeline.tagging import ContactInput, Tagger
    from pipeline.tagging import tagger as tagger_module

    texts = ["Mijn pakket is nog steeds niet bezorgd door PostNL", "Wat zijn de openingstijden?",
             "Ik wil mijn wachtwoord resetten", "Graag advies over een koelkast"] * 5
    contacts = [ContactInput(str(i), question_text=t) for i, t in enumerate(texts)]
    serial = [(r.avoidable_category, r.third_party_type) for r in tagger.tag(contacts)]
    parallel = Tagger(tagger.ruleset, workers=2)
    old = tagger_module.PARALLEL_MIN_TEXTS, tagger_module.CHUNK_TEXTS
    tagger_module.PARALLEL_MIN_TEXTS, tagger_module.CHUNK_TEXTS = 4, 7
    try:
        assert [(r.avoidable_category, r.third_party_type)
                for r in parallel.tag(contacts)] == serial
    finally:
        tagger_module.PARALLEL_MIN_TEXTS, tagger_module.CHUNK_TEXTS = old
