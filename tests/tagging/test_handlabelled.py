"""The hand-labelled file (tests/data/tagging/, see its README) against the issue's targets.

The issue's targets are macro-F1 >= 0.80 (avoidable) and >= 0.85 (third-party type); they are NOT
met yet (measured 0.770 / 0.776, see bench/tagging.py). This test guards the level reached so a
rule change cannot silently make it worse; raise the floors as the rules improve."""

from __future__ import annotations

from pathlib import Path

from pipeline.tagging.evaluate import load_labelled, scores

DATA = Path(__file__).parents[1] / "data" / "tagging" / "handlabelled.jsonl"


def test_file_is_large_and_complete():
    contacts, gold = load_labelled(DATA)
    assert len(contacts) >= 200
    assert len({g["id"] for g in gold}) == len(gold)
    assert {g["avoidable_category"] for g in gold} == {
        "voorkomen", "verschuiven", "automatiseren", "waardevol"}


AVOIDABLE_FLOOR = 0.76
THIRD_PARTY_FLOOR = 0.76


def test_scores_do_not_fall_below_the_level_reached(tagger):
    contacts, gold = load_labelled(DATA)
    results = tagger.tag(contacts)
    avoidable = scores([g["avoidable_category"] for g in gold],
                       [r.avoidable_category for r in results])
    third = scores([g["third_party_type"] for g in gold],
                   [r.third_party_type or "none" for r in results])
    assert avoidable["macro_f1"] >= AVOIDABLE_FLOOR, avoidable["macro_f1"]
    assert third["macro_f1"] >= THIRD_PARTY_FLOOR, third["macro_f1"]
