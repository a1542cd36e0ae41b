"""The learned text model (pipeline/tagging/learned.py) and how the tagger combines it with rules."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.errors import NotFittedError, ResourceError
from pipeline.tagging import ContactInput, Tagger
from pipeline.tagging.learned import DEFAULT_MODEL, TextModel, WordCharGrams

TEXTS = [
    "waar blijft mijn pakket, de bezorger is nog steeds niet geweest",
    "de koerier heeft de doos bij de verkeerde buren neergezet",
    "hoe laat gaat de winkel in Utrecht open op zaterdag",
    "wat zijn de openingstijden van het filiaal in Breda",
    "ik wil graag mijn wachtwoord opnieuw instellen",
    "kan ik mijn afleveradres wijzigen naar mijn nieuwe huis",
    "ik twijfel tussen twee wasmachines, welke raadt u aan",
    "graag advies over een koelkast voor een groot gezin",
] * 3
AVOIDABLE = ["voorkomen", "voorkomen", "verschuiven", "verschuiven", "automatiseren",
             "automatiseren", "waardevol", "waardevol"] * 3
THIRD = ["carrier", "carrier", "none", "none", "none", "none", "none", "none"] * 3


@pytest.fixture(scope="module")
def small_model():
    return TextModel(min_df=1, max_char_features=2000, max_word_features=500,
                     c_avoidable=10.0, c_third_party=10.0).fit(TEXTS, AVOIDABLE, THIRD)


def test_word_char_grams_equal_scikit_learns_char_wb():
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    ours = WordCharGrams(2, 5)
    for text in ["Hé  daar\tJA  x", "a", "", "De monteur is NIET gekomen!", *TEXTS[:8]]:
        assert ours(text) == reference(text)
        assert ours(text) == reference(text)       # second call: from the cache


def test_fast_character_features_equal_the_vectorizer(small_model):
    texts = TEXTS[:8] + ["", "onbekende woorden zonder overlap", "PAKKET pakket pakket"]
    small_model._features(texts[:1])
    char, _ = small_model._compiled
    expected = char.transform(texts).toarray()
    assert np.allclose(small_model._char_features(char, texts).toarray(), expected, atol=1e-6)


def test_fit_predicts_the_training_labels(small_model):
    probabilities = small_model.predict_proba(TEXTS[:8])
    classes, avoidable = probabilities["avoidable"]
    assert avoidable.shape == (8, 4)
    assert np.allclose(avoidable.sum(axis=1), 1.0)
    assert [classes[i] for i in avoidable.argmax(axis=1)] == AVOIDABLE[:8]
    classes, third = probabilities["third_party"]
    assert [classes[i] for i in third.argmax(axis=1)] == THIRD[:8]


def test_save_and_load_round_trip(small_model, tmp_path):
    path = small_model.save(tmp_path / "model.npz")
    loaded = TextModel.load(path)
    assert loaded.c_avoidable == small_model.c_avoidable
    texts = ["mijn pakket is niet bezorgd", "wat zijn de openingstijden"]
    for head in ("avoidable", "third_party"):
        assert loaded.predict_proba(texts)[head][0] == small_model.predict_proba(texts)[head][0]
        assert np.allclose(loaded.predict_proba(texts)[head][1],
                           small_model.predict_proba(texts)[head][1], atol=1e-6)


def test_unfitted_and_broken_models_raise_clear_errors(tmp_path):
    with pytest.raises(NotFittedError):
        TextModel().predict_proba(["tekst"])
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    with pytest.raises(ResourceError) as info:
        TextModel.load(broken)
    assert "broken.npz" in str(info.value.path)


def test_shipped_model_is_small_and_loads():
    assert DEFAULT_MODEL.exists()
    assert DEFAULT_MODEL.stat().st_size < 2_000_000
    model = TextModel.load(DEFAULT_MODEL)
    classes, _ = model.predict_proba(["mijn pakket is kwijt"])["third_party"]
    assert set(classes) == {"backoffice", "carrier", "installer", "none", "payment", "store",
                            "supplier"}


def test_without_a_model_the_tagger_uses_rules_only():
    rules_only = Tagger(text_model=None)
    result = rules_only.tag([ContactInput("c1", "Goedemiddag, een vraag.")])[0]
    assert all(e["rule"] != "model" for e in result.evidence)
    assert result.evidence[0]["rule"] == "fallback"


def test_model_votes_are_evidence_and_fill_a_missing_third_party(small_model):
    tagger = Tagger(text_model=small_model)
    # No rule fires on this wording and no party is named; the small model knows "buren" as
    # carrier.
    result = tagger.tag([ContactInput("c1", "de doos en de buren")])[0]
    assert any(e["rule"] == "model" for e in result.evidence)
    assert result.third_party_type == "carrier"
    assert result.third_parties[0].kind in ("model", "cause")


def test_a_strong_rule_outweighs_the_model(small_model):
    tagger = Tagger(text_model=small_model)
    result = tagger.tag([ContactInput("c1", "Ik wil mijn wachtwoord resetten, ik kan niet "
                                            "inloggen.")])[0]
    assert result.avoidable_category == "automatiseren"


def test_a_named_party_without_a_cause_stays_a_mention(small_model):
    tagger = Tagger(text_model=small_model)
    result = tagger.tag([ContactInput("c1", "de koerier en de buren")])[0]
    assert result.third_party_type is None


def test_sample_weight_decides_between_contradicting_labels():
    texts = ["mijn pakket is kwijt", "wat zijn de openingstijden"] * 4
    third = ["carrier", "none"] * 4
    avoidable = ["voorkomen", "verschuiven"] * 4
    # the same text once more with another label: it wins only when it weighs more
    texts, avoidable, third = texts + ["mijn pakket is kwijt"], avoidable + ["waardevol"], \
        third + ["none"]
    # class weights off: "balanced" would already make the lone label count 4 times
    plain = TextModel(min_df=1, balanced_avoidable=False).fit(texts, avoidable, third)
    heavy = TextModel(min_df=1, balanced_avoidable=False).fit(
        texts, avoidable, third, sample_weight=[1.0] * 8 + [20.0])
    classes, light_probs = plain.predict_proba(["mijn pakket is kwijt"])["avoidable"]
    _, heavy_probs = heavy.predict_proba(["mijn pakket is kwijt"])["avoidable"]
    assert classes[int(light_probs.argmax())] == "voorkomen"
    assert classes[int(heavy_probs.argmax())] == "waardevol"
    with pytest.raises(ValueError, match="sample_weight"):
        TextModel(min_df=1).fit(texts, avoidable, third, sample_weight=[1.0])


def test_tagger_loads_a_model_from_a_path(small_model, tmp_path):
    path = small_model.save(tmp_path / "model.npz")
    for given in (path, str(path)):
        tagger = Tagger(text_model=given)
        assert isinstance(tagger.text_model, TextModel)
        assert tagger.text_model.avoidable_classes_ == small_model.avoidable_classes_
    with pytest.raises(ResourceError):
        Tagger(text_model=tmp_path / "missing.npz")
