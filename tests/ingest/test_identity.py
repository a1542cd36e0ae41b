import pytest

from pipeline.ingest.identity import customer_key, normalise_identifier, normalise_phone


@pytest.mark.parametrize("raw, expected", [
    ("06-12345678", "+31612345678"),
    ("+31 6 12345678", "+31612345678"),
    ("0031612345678", "+31612345678"),
    ("+31 (0)6 1234 5678", "+31612345678"),
    ("31612345678", "+31612345678"),
    ("020 123 4567", "+31201234567"),
])
def test_phone_numbers_are_normalised(raw, expected):
    assert normalise_phone(raw) == expected


def test_identifiers_normalise_by_kind():
    assert normalise_identifier(" Jan.deVries@Example.NL ") == "jan.devries@example.nl"
    assert normalise_identifier("K123") == "K123"
    assert normalise_identifier("") is None


def test_customer_key_is_salted_and_matches_across_spellings():
    a = customer_key("salt-a", "Jan@Example.nl")
    assert a == customer_key("salt-a", "jan@example.nl")
    assert a != customer_key("salt-b", "jan@example.nl")
    assert customer_key("s", "06 12345678") == customer_key("s", "+31612345678")
    assert customer_key("s", None) is None
    assert len(a) == 64 and "jan" not in a
