"""Reason labels: phrases as the customers wrote them, shaped by the label word file."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import ResourceError
from pipeline.reasons import representation
from pipeline.reasons.resources import PHRASE_ROLES, load_label_groups


@pytest.mark.parametrize("group", [g for g in load_label_groups() if g.position in PHRASE_ROLES],
                         ids=lambda g: g.id)
def test_phrase_role_examples(group):
    languages = ["nl", "en"] if group.language == "any" else [group.language]
    for language in languages:
        for text, (phrase, ok) in zip(group.texts, group.examples):
            readings = set(representation.candidates(text, language).values())
            assert (phrase in readings) is ok, (group.id, text, phrase, sorted(readings))


def _label(groups: list[list[str]], language: str = "nl") -> list[str]:
    texts = [t for g in groups for t in g]
    labels = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    names = representation.labels(texts, labels, list(range(len(groups))), language)
    return [names[i] for i in range(len(groups))]


RETURN = ["Ik heb per ongeluk iets besteld en wil het terugsturen, hoe werkt dat?",
          "Hallo, ik wil mijn bestelling retourneren. Mvg",
          "Per ongeluk de verkeerde maat besteld, kan ik de bestelling retourneren?",
          "Hoe kan ik mijn bestelling retourneren?",
          "Ik wil de bestelling retourneren want hij past niet",
          "Beste, bestelling retourneren graag, groet [NAAM]"]
NEIGHBOURS = ["Volgens track en trace is mijn pakket bij de buren afgeleverd, maar daar is niets",
              "Het pakket is bij de buren afgeleverd maar de buren hebben niks",
              "PostNL zegt dat het pakket bij de buren is afgeleverd?",
              "Mijn pakket zou bij de buren afgeleverd zijn, ik kan het niet vinden",
              "track & trace: pakket bij de buren afgeleverd. Welke buren?",
              "Hoi, het pakket is bij de buren afgeleverd volgens de bezorger"]
GIFT_CARD = ["Op de achterkant van mijn cadeaukaart staat een code, wat is het saldo?",
             "Hoeveel cadeaukaart saldo heb ik nog?",
             "Kan ik het cadeaukaart saldo online bekijken?",
             "Mijn cadeaukaart saldo klopt niet, op de achterkant staat code 1234",
             "Wat is het cadeaukaart saldo? Alvast bedankt",
             "Graag wil ik weten wat het cadeaukaart saldo is"]


def test_labels_are_contiguous_phrases_without_incidental_words():
    assert _label([RETURN, NEIGHBOURS, GIFT_CARD]) == [
        "bestelling retourneren", "pakket bij buren afgeleverd", "cadeaukaart saldo"]


def test_a_single_word_gives_way_to_a_phrase_around_it():
    gift = (["Mijn cadeaubon wordt niet geaccepteerd bij het afrekenen"] * 3
            + ["Ik heb een cadeaubon gekregen, hoe gebruik ik die?"] * 3
            + ["Waarom is mijn cadeaubon niet geaccepteerd in de winkel?"] * 2)
    invoice = ["Kunt u mij een kopie van de factuur sturen?"] * 8
    assert _label([gift, invoice]) == ["cadeaubon niet geaccepteerd", "kopie factuur sturen"]


def test_compound_names_stay_whole_and_clause_words_split():
    status = ["Ik heb nog geen track en trace gekregen",
              "Geen track & trace gekregen, waar is mijn pakket?",
              "Ik heb geen track en trace gekregen van jullie",
              "Waarom heb ik geen track and trace gekregen?"] * 2
    nobody = ["Er staat bezorgd maar ik was thuis en er is niemand geweest"] * 4 + \
        ["Ik was thuis en niemand heeft aangebeld"] * 4
    assert _label([status, nobody])[0] == "geen track en trace gekregen"


def test_english_labels_keep_working():
    refund = ["I want a refund for my order", "Can I get a refund for my order?",
              "Please process a refund for my order"] * 2
    invoice = ["Could you send me a copy of the invoice?"] * 6
    assert _label([refund, invoice], "en") == ["refund for order", "send copy of invoice"]


def test_labels_are_unique_and_fall_back_to_keywords():
    delivery = ["Mijn pakket is niet bezorgd"] * 6
    other = ["Mijn pakket is niet bezorgd hoor"] * 6          # no word of its own
    texts, labels = delivery + other, np.array([0] * 6 + [1] * 6)
    names = representation.labels(texts, labels, [0, 1], "nl",
                                  fallback={0: ["pakket niet bezorgd"],
                                            1: ["pakket niet bezorgd", "levering"]})
    assert names == {0: "pakket niet bezorgd", 1: "levering"}


def test_a_fallback_keyword_obeys_the_label_word_rules():
    # a group that differs from its sibling only by a particle has that particle as its top
    # keyword; it is skipped as a label like any phrase the word rules refuse
    delivery = ["Mijn pakket is niet bezorgd"] * 6
    other = ["Mijn pakket is niet bezorgd hoor"] * 6
    texts, labels = delivery + other, np.array([0] * 6 + [1] * 6)
    names = representation.labels(texts, labels, [0, 1], "nl",
                                  fallback={0: ["pakket niet bezorgd"],
                                            1: ["nog", "niet", "nergens", "levering"]})
    assert names[1] == "levering"


def test_phrase_role_examples_are_validated(tmp_path):
    path = tmp_path / "label_words.yaml"
    path.write_text("groups:\n  - {id: a, language: nl, position: bridge, words: [bij],"
                    " examples: [{phrase: x, ok: false}]}\n")
    with pytest.raises(ResourceError, match="text: str"):
        load_label_groups(path)
