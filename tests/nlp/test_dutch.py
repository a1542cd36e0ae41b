"""Lemmas for topic words: stop words, negations, compounds, spelling, names and placeholders."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.nlp import dutch
from pipeline.nlp.frame import lemma_maker, lemma_strings
from pipeline.nlp.spelling import SpellingNormaliser, osa_distance


def lemmas(text: str, corpus=()) -> list[str]:
    texts = [text, *corpus]
    maker = lemma_maker(texts, ["nl"] * len(texts))
    return lemma_strings(maker, [text], ["nl"])[0].split()


def test_negations_kept_greetings_and_closings_dropped():
    words = lemmas("Hallo, ik heb mijn pakket nog niet ontvangen en geen mail gekregen. "
                   "Alvast bedankt, met vriendelijke groet")
    assert {"pakket", "nog", "niet", "geen", "ontvangen"} <= set(words)
    assert not {"hallo", "bedankt", "vriendelijk", "vriendelijke", "groet", "ik", "mijn"} & set(words)


@pytest.mark.parametrize("compound, parts", [
    ("bezorgkosten", {"bezorgen", "kosten"}),
    ("retourlabel", {"retour", "label"}),
    ("terugbetaling", {"terug", "betaling"}),
    ("betaalherinnering", {"betalen", "herinnering"}),
])
def test_compounds_meet_their_parts(compound, parts):
    words = lemmas(f"De {compound} klopt niet")
    assert compound in words and parts <= set(words)


@pytest.mark.parametrize("word", ["bestelling", "verzending", "wachtwoord", "bezorgers"])
def test_ordinary_words_are_not_split(word):
    assert dutch.split_compound(dutch.lemma(word)) == ()


@pytest.mark.parametrize("typo, right", [
    ("ontvnagen", "ontvangen"), ("bestleling", "bestelling"), ("geboortedarum", "geboortedatum"),
    ("elekttrische", "elektrisch"),
])
def test_typos_are_normalised(typo, right):
    assert right in lemmas(f"ik heb de {typo} nog niet")
    assert typo not in lemmas(f"ik heb de {typo} nog niet")


@pytest.mark.parametrize("form, lemma", [
    ("bestellingen", "bestelling"), ("bezorgd", "bezorgen"), ("betaalde", "betalen"),
    ("opgezegd", "opzeggen"), ("teruggebeld", "terugbellen"), ("krijg", "krijgen"),
    ("werkt", "werken"), ("deur", "deur"), ("winkel", "winkel"),
])
def test_lemmas_of_contact_centre_words(form, lemma):
    assert dutch.lemma(form) == lemma


def test_names_and_placeholders_never_reach_the_lemmas():
    words = lemmas("Mijn buurman Pietersen heeft het pakket aangenomen, bel [TELEFOON] of mail "
                   "[EMAIL]. Groet [NAAM]")
    assert not {"pietersen", "telefoon", "email", "naam"} & set(words)
    assert "pakket" in words


def test_brands_written_capitalised_in_the_corpus_are_kept_whole():
    corpus = ["Ik betaal met Afterpay"] * 3
    words = lemmas("De herinnering van Afterpay klopt niet", corpus)
    assert "afterpay" in words and "after" not in words


def test_english_contacts_get_english_lemmas():
    maker = lemma_maker(["x"], ["nl"])
    out = lemma_strings(maker, ["Hello, my parcels were never delivered. Kind regards"], ["en"])[0]
    assert out.split() == ["parcel", "deliver"]


def test_osa_distance():
    assert osa_distance("ontvnagen", "ontvangen") == 1
    assert osa_distance("bestelling", "bestelling") == 0
    assert osa_distance("pakket", "paket") == 1
    assert osa_distance("abc", "xyzw", limit=2) == 3


def test_speller_keeps_known_and_corpus_words_and_uses_corpus_forms():
    vocabulary = {"bestelling": 4.2, "pakket": 4.5, "retour": 3.7}
    speller = SpellingNormaliser(vocabulary, Counter({"airfryer": 40, "airfrier": 1}))
    assert speller.correct("bestleling") == "bestelling"
    assert speller.correct("airfrier") == "airfryer"      # the corpus's frequent form
    assert speller.correct("airfryer") == "airfryer"
    assert speller.correct("xyzzy") == "xyzzy"            # nothing near: unchanged


def test_speller_breaks_ties_the_same_way_in_every_process():
    """Two equally near, equally frequent words: the choice may not depend on the order of a
    set, which changes with each process's string hashing (PYTHONHASHSEED)."""
    import subprocess
    import sys

    code = ("from pipeline.nlp.spelling import SpellingNormaliser as S;"
            "print(S({'kaartje': 3.5, 'kaartjes': 3.5, 'gaartje': 3.5}).correct('kaartjs'))")
    chosen = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)},
                             check=True).stdout.strip() for seed in range(8)}
    assert len(chosen) == 1
