"""Words and number formats: the data files validate, formats follow the language."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigError, ResourceError
from pipeline.report.i18n import Texts, owners, validate_owners, validate_texts


@pytest.mark.parametrize("lang, value, decimals, expected", [
    ("nl", 1234.5, 1, "1.234,5"), ("en", 1234.5, 1, "1,234.5"),
    ("nl", 1234567, 0, "1.234.567"), ("en", 0.25, 2, "0.25"), ("nl", -3.5, 1, "-3,5"),
])
def test_numbers_per_language(lang, value, decimals, expected):
    assert Texts(lang).number(value, decimals) == expected


def test_percent_money_and_dates():
    nl, en = Texts("nl"), Texts("en")
    assert nl.percent(0.1234) == "12,3%"
    assert en.percent(0.1234) == "12.3%"
    assert nl.money(12345.6) == "€ 12.346"
    assert en.money(12345.6) == "€12,346"
    from datetime import datetime
    assert nl.date(datetime(2026, 10, 3)) == "3 okt 2026"
    assert en.date(datetime(2026, 10, 3)) == "Oct 3, 2026"
    assert nl.number(None) == "–" and nl.percent(float("nan")) == "–"


def test_unknown_language_is_a_config_error():
    with pytest.raises(ConfigError, match="niet ondersteund"):
        Texts("de")


def test_every_text_exists_in_both_languages():
    nl, en = Texts("nl"), Texts("en")
    assert nl.t("title") != en.t("title")
    assert nl.label("channel", "call") == "telefoon"
    assert en.label("third_party_type", "carrier") == "carrier"
    assert nl.label("third_party_type", None) == "geen derde partij"
    assert nl.label("channel", "fax") == "fax"  # unknown codes pass through
    assert "12" in nl.t("sum_repeat", share="12%")


@pytest.mark.parametrize("data, message", [
    ({"title": {"nl": "x"}}, "exactly the keys nl and en"),
    ({"title": {"nl": "{n} x", "en": "{m} x"}}, "different placeholders"),
    ({"channel": {"email": {"nl": "", "en": "mail"}}}, "non-empty strings"),
    ([1, 2], "top level"),
])
def test_texts_validation_names_the_problem(data, message):
    with pytest.raises(ResourceError, match=message):
        validate_texts(data, "texts.yaml")


@pytest.mark.parametrize("data, message", [
    ({"third_party_type": []}, "exactly the sections"),
    ({"third_party_type": [{"id": "a", "match": "carrier", "owner": {"nl": "x"},
                            "examples": ["r"]}], "category": []}, "nl and en"),
    ({"third_party_type": [{"id": "a", "match": "carrier", "owner": {"nl": "x", "en": "y"},
                            "examples": []}], "category": []}, "examples"),
    ({"third_party_type": [{"id": "a", "match": "carrier", "owner": {"nl": "x", "en": "y"},
                            "examples": ["r"]}],
      "category": [{"id": "a", "match": "voorkomen", "owner": {"nl": "x", "en": "y"},
                    "examples": ["r"]}]}, "duplicate id"),
])
def test_owners_validation_names_the_problem(data, message):
    with pytest.raises(ResourceError, match=message):
        validate_owners(data, "owners.yaml")


def test_owner_rules_and_their_examples():
    """Every owner rule decides the owner of a project of its type or category."""
    nl = Texts("nl")
    table = owners()
    for section in ("third_party_type", "category"):
        for match, owner in table[section].items():
            if section == "third_party_type":
                assert nl.owner(None, match, "voorkomen") == owner["nl"]
            else:
                assert nl.owner(None, None, match) == owner["nl"]
    # The reason's own owner (from the taxonomy) wins.
    assert nl.owner("Team Bezorging", "carrier", "voorkomen") == "Team Bezorging"
    assert set(table["third_party_type"]) == {"carrier", "store", "supplier", "installer",
                                              "payment", "backoffice"}
