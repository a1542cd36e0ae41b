"""Every rule's own examples, and clear errors for broken rule files."""

from __future__ import annotations

import pytest

from pipeline.errors import ResourceError
from pipeline.tagging.matcher import PhraseMatcher, active
from pipeline.tagging.rules import load_rules, parse_rules

RULES = load_rules().rules


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_examples(matcher, rule):
    for text in rule.match_examples:
        hits = active(matcher.match_doc(matcher.nlp(text)))
        assert any(h.rule_id == rule.id for h in hits), f"{rule.id} should match {text!r}"
    for text in rule.no_match_examples:
        hits = active(matcher.match_doc(matcher.nlp(text)))
        assert not any(h.rule_id == rule.id for h in hits), f"{rule.id} should not match {text!r}"


def test_every_rule_has_an_example_both_ways():
    without_no_match = [r.id for r in RULES if not r.no_match_examples]
    assert without_no_match == []


GOOD = """
avoidable:
  - id: my.rule
    category: voorkomen
    patterns: ["nog steeds niet"]
    examples: {match: ["nog steeds niet binnen"], no_match: ["wel binnen"]}
"""


def _error(text: str, tmp_path) -> str:
    path = tmp_path / "mijn_regels.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ResourceError) as info:
        PhraseMatcher(load_rules([str(path)]))
    return str(info.value)


def test_extra_rule_file_adds_rules(tmp_path):
    path = tmp_path / "extra.yaml"
    path.write_text(GOOD.replace("my.rule", "analist.regel"), encoding="utf-8")
    ruleset = load_rules([str(path)])
    assert "analist.regel" in ruleset.by_id()
    assert str(path) in ruleset.files


@pytest.mark.parametrize("bad, expected", [
    (GOOD.replace("voorkomen", "misschien"), "'category' is 'misschien'"),
    (GOOD.replace('    examples: {match: ["nog steeds niet binnen"], no_match: ["wel binnen"]}\n', ""),
     "every rule needs examples"),
    (GOOD.replace("patterns:", "patroon:"), "unknown key(s) ['patroon']"),
    (GOOD.replace('["nog steeds niet"]', '["=nog|steeds niet"]'), "mixes =exact and lemma"),
    (GOOD.replace('["nog steeds niet"]', '["... ..."]'), "can match nothing"),
    (GOOD.replace('["nog steeds niet"]', '["(nog steeds niet"]'), "unbalanced parentheses"),
    (GOOD.replace("weight", "w").replace("category: voorkomen",
                                         "category: voorkomen\n    weight: veel"),
     "'weight' must be a number"),
    (GOOD.replace("my.rule", "vk.still_not"), "duplicate rule id 'vk.still_not'"),
])
def test_bad_rule_file_names_file_and_rule(tmp_path, bad, expected):
    message = _error(bad, tmp_path)
    assert "mijn_regels.yaml" in message
    assert expected in message
    assert "rule " in message


def test_invalid_yaml_and_missing_file(tmp_path):
    assert "not valid YAML" in _error("avoidable: [\n  - id: x", tmp_path)
    with pytest.raises(ResourceError, match="rule file not found"):
        load_rules([str(tmp_path / "bestaat_niet.yaml")])


def test_unknown_section(tmp_path):
    message = _error("regels: []\n", tmp_path)
    assert "unknown section" in message and "mijn_regels.yaml" in message


def test_parse_rules_on_its_own():
    ruleset = parse_rules(GOOD, "inline.yaml")
    assert [r.id for r in ruleset.rules] == ["my.rule"]
    assert ruleset.rules[0].sources == ("question", "customer")


def test_unknown_fill_skips_mode_names_the_file_and_the_options(tmp_path):
    message = _error("weights:\n  learned: {fill_skips: failed}\n", tmp_path)
    assert "mijn_regels.yaml" in message and "fill_skips is 'failed'" in message
    assert "named, failure, ruled_out" in message
