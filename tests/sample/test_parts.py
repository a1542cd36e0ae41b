"""The generator's parts: its data files, the people and PII it makes, and the text variation."""

from __future__ import annotations

import random
import re
import shutil
from importlib import resources
from pathlib import Path

import pytest

from pipeline.errors import ResourceError
from pipeline.sample import people, text
from pipeline.sample.catalogue import default_catalogue, load_catalogue

SAMPLE_RESOURCES = Path(str(resources.files("pipeline") / "resources" / "sample"))


def test_catalogue_has_every_reason_with_many_phrasings():
    cat = default_catalogue()
    assert len(cat.reasons) == 27
    for reason in cat.reasons.values():
        combos = len(reason.pools["open"]) * len(reason.pools["detail"]) * len(reason.pools["ask"])
        assert combos >= 12, reason.id


@pytest.mark.parametrize("rule", default_catalogue().paraphrases, ids=lambda r: r.id)
def test_paraphrase_examples(rule):
    rewritten = text.paraphrase(rule.example, random.Random(1), [rule], share=1.0)
    assert any(option in rewritten for option in rule.options)


@pytest.mark.parametrize("file, old, new, message", [
    ("reasons.yaml", "category: automatiseren", "category: misschien", "is not a label"),
    ("reasons.yaml", "Status bestelling {order}", "Status bestelling {ordernr}", "unknown slot"),
    ("paraphrase.yaml", "example: \"Kunt u dat bevestigen?\"", "example: \"Nee.\"", "does not match"),
    ("people.yaml", "Utrecht: [35]", "Utrecht: [5]", "postcode prefixes"),
])
def test_a_broken_data_file_names_file_rule_and_fix(tmp_path, file, old, new, message):
    for name in ("reasons.yaml", "conversation.yaml", "people.yaml", "paraphrase.yaml"):
        shutil.copy(SAMPLE_RESOURCES / name, tmp_path / name)
    target = tmp_path / file
    content = target.read_text(encoding="utf-8")
    assert old in content
    target.write_text(content.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ResourceError) as info:
        load_catalogue(tmp_path)
    assert file in str(info.value) and message in str(info.value)


def test_ibans_bsns_and_phone_notations():
    rng = random.Random(3)
    pools = default_catalogue().people
    for i in range(200):
        person = people.make_person(rng, pools, f"K{i}")
        assert people.iban_is_valid(person.iban)
        assert people.iban_is_valid(people.format_iban(person.iban, rng))
        digits = [int(d) for d in person.bsn]
        assert sum(d * w for d, w in zip(digits, [9, 8, 7, 6, 5, 4, 3, 2, -1])) % 11 == 0
        shown = people.format_mobile(person.phone_digits, rng)
        national = re.sub(r"\D", "", shown)
        assert national.endswith(person.phone_digits[1:]) and national[-9] == "6"
        assert re.fullmatch(r"\d{4} [A-Z]{2}", person.postcode)
    assert not people.iban_is_valid("NL00INGB0001234567")
    assert re.fullmatch(r"VW-2026-\d{7}", people.order_number(rng))
    assert re.fullmatch(r"3SVWK\d{7}", people.tracking_code(rng, "PostNL"))


def test_typos_leave_numbers_and_addresses_alone():
    line = "Mijn bestelling VW-2026-1234567 is verstuurd naar jan.devries@gmail.com op 06-12345678 vandaag"
    damaged = text.typos(line, random.Random(5), rate=1.0)
    assert damaged != line
    for token in ("VW-2026-1234567", "jan.devries@gmail.com", "06-12345678"):
        assert token in damaged


def test_asr_has_no_case_or_punctuation_and_adds_fillers():
    fillers = ("eh", "uhm", "ja nee", "nou")
    sentence = "Goedemorgen, u spreekt met Sanne van Voorbeeldwinkel. Waarmee kan ik u helpen? " * 5
    out = [text.asr(sentence, random.Random(seed), fillers) for seed in range(20)]
    assert all(o == o.lower() and not re.search(r"[,.?!]", o) for o in out)
    assert any(re.search(r"\b(eh|uhm|nou)\b", o) for o in out)
