"""Label support: the share of a reason's typical questions that hold the label's content
words (pipeline/reasons/quality.py)."""

from __future__ import annotations

import pytest

from pipeline.reasons.quality import content_words, support

DELIVERY = ["Mijn pakket is nog niet bezorgd", "Het pakket is niet bezorgd, wat nu?",
            "Waar blijft de bezorging van mijn pakket?", "Ik wil mijn factuur"]


def test_a_label_word_is_found_as_the_word_a_compound_or_a_shared_stem():
    assert support("pakket niet bezorgd", DELIVERY[:2], "nl") == 1.0
    assert support("bezorging", ["het is niet bezorgd"], "nl") == 1.0        # shared stem
    assert support("retour", ["waar is mijn retourlabel"], "nl") == 1.0     # compound


def test_a_negation_counts_beside_a_content_word():
    assert content_words("pakket niet bezorgd", "nl") == ["pakket", "niet", "bezorgd"]
    # 'niet bezorgd' is not 'bezorgd': the third question does not say it was not delivered
    assert support("niet bezorgd", DELIVERY, "nl") == pytest.approx(0.5)


@pytest.mark.parametrize("label", ["nog", "niet", "Nog niet", "de"])
def test_a_label_of_function_words_alone_has_no_content_and_no_support(label):
    # every question holds 'nog' or 'niet' often enough: such a label must not score
    assert content_words(label, "nl") == []
    assert support(label, DELIVERY, "nl") == 0.0
