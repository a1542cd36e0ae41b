"""The hand-labelled file (tests/data/tagging/, see its README) against the issue's targets.

The issue's targets are macro-F1 >= 0.80 (avoidable) and >= 0.85 (third-party type); they are NOT
met yet (rules + shipped text model: 0.792 / 0.827 on the full file, see bench/tagging.py). This
test guards the level reached so a change cannot silently make it worse; raise the floors as the
tagger improves. The fresh file heldout.jsonl (65 contacts, written before the second round of
changes and never used to adjust them) has its own floors."""

from __future__ import annotations

from pathlib import Path

from pipeline.tagging.evaluate import load_labelled, scores

DATA = Path(__file__).parents[1] / "data" / "tagging" / "handlabelled.jsonl"
HELDOUT = Path(__file__).parents[1] / "data" / "tagging" / "heldout.jsonl"


def test_file_is_large_and_complete():
    contacts, gold = load_labelled(DATA)
    assert len(contacts) >= 200
    assert len({g["id"] for g in gold}) == len(gold)
    assert {g["avoidable_category"] for g in gold} == {
        "voorkomen", "verschuiven", "automatiseren", "waardevol"}


AVOIDABLE_FLOOR = 0.78
THIRD_PARTY_FLOOR = 0.81
HELDOUT_AVOIDABLE_FLOOR = 0.92
HELDOUT_THIRD_PARTY_FLOOR = 0.76


def _macro(tagger, path):
    contacts, gold = load_labelled(path)
    results = tagger.tag(contacts)
    avoidable = scores([g["avoidable_category"] for g in gold],
                       [r.avoidable_category for r in results])
    third = scores([g["third_party_type"] or "none" for g in gold],
                   [r.third_party_type or "none" for r in results])
    return avoidable["macro_f1"], third["macro_f1"]


def test_heldout_file_is_complete():
    contacts, gold = load_labelled(HELDOUT)
    assert len(contacts) >= 60
    assert {g["avoidable_category"] for g in gold} == {
        "voorkomen", "verschuiven", "automatiseren", "waardevol"}
    assert {g["third_party_type"] for g in gold} == {
        "carrier", "store", "supplier", "installer", "payment", "backoffice", "none"}


def test_heldout_scores_do_not_fall_below_the_level_reached(tagger):
    avoidable, third = _macro(tagger, HELDOUT)
    assert avoidable >= HELDOUT_AVOIDABLE_FLOOR, avoidable
    assert third >= HELDOUT_THIRD_PARTY_FLOOR, third


def test_scores_do_not_fall_below_the_level_reached(tagger):
    contacts, gold = load_labelled(DATA)
    results = tagger.tag(contacts)
    avoidable = scores([g["avoidable_category"] for g in gold],
                       [r.avoidable_category for r in results])
    third = scores([g["third_party_type"] for g in gold],
                   [r.third_party_type or "none" for r in results])
    assert avoidable["macro_f1"] >= AVOIDABLE_FLOOR, avoidable["macro_f1"]
    assert third["macro_f1"] >= THIRD_PARTY_FLOOR, third["macro_f1"]
