"""Every rule in pipeline/resources/nlp finds its own examples; broken files fail with context."""

from __future__ import annotations

import re

import pytest

from pipeline.errors import ResourceError
from pipeline.nlp import autoreply, clean, names, pii, rules


def _clean_rules():
    loaded = clean.load_rules()
    return [(section, rule) for section in loaded.__dataclass_fields__
            for rule in getattr(loaded, section)]


@pytest.mark.parametrize("section, rule", _clean_rules(), ids=lambda x: getattr(x, "id", x))
def test_clean_rule_examples(section, rule):
    for example in rule.examples:
        assert rule.regex.search(example), f"{section}/{rule.id}: {example!r}"


@pytest.mark.parametrize("rec", pii.recognizers(), ids=lambda r: r.id)
def test_pii_recognizer_examples_are_masked_and_counter_examples_not(rec):
    for example in rec.examples:
        out = pii.mask(example)
        assert f"[{rec.type}]" in out, f"{rec.id}: {example!r} -> {out!r}"
    for example in rec.counter_examples:
        assert f"[{rec.type}]" not in pii.mask(example), f"{rec.id}: {example!r}"


@pytest.mark.parametrize("cue", names.load_rules().cues, ids=lambda c: c.id)
def test_name_cue_examples_are_masked(cue):
    for example in cue.examples:
        assert "[NAAM]" in pii.mask(example), f"{cue.id}: {example!r}"


@pytest.mark.parametrize("rule", autoreply.load_rules(), ids=lambda r: r.id)
def test_autoreply_examples(rule):
    for example in rule.examples:
        subject, body = (example, "") if rule.extra["where"] == "subject" else ("", example)
        assert autoreply.classify(subject, body)[0] == rule.extra["kind"]


@pytest.fixture
def broken_file(monkeypatch):
    """Serve a different text for one data file, with the caches cleared around the test."""
    def serve(name: str, text: str):
        original = rules.read_text
        monkeypatch.setattr(rules, "read_text", lambda n: text if n == name else original(n))
        rules.load.cache_clear()
    yield serve
    rules.load.cache_clear()


def test_a_rule_that_misses_its_example_names_file_and_rule(broken_file):
    broken_file("clean.yaml", "greetings:\n  - id: hallo\n    pattern: 'hallo'\n"
                              "    examples: ['goedemiddag']\n")
    with pytest.raises(ResourceError, match=re.escape("clean.yaml (greetings/hallo)")):
        rules.compile_rules("clean.yaml", "greetings")


@pytest.mark.parametrize("text, message", [
    ("greetings: [", "not valid YAML"),
    ("greetings:\n  - id: x\n    pattern: '('\n    examples: ['x']\n", "does not compile"),
    ("greetings:\n  - id: x\n    pattern: 'x'\n", "examples"),
    ("greetings:\n  - pattern: 'x'\n    examples: ['x']\n", "without an 'id'"),
    ("greetings:\n  - {id: x, pattern: x, examples: [x]}\n  - {id: x, pattern: x, examples: [x]}\n",
     "duplicate"),
    ("greetings:\n  - {id: x, pattern: x, examples: [x], flags: loud}\n", "unknown flag"),
])
def test_invalid_rule_files_raise_resource_error(broken_file, text, message):
    broken_file("clean.yaml", text)
    with pytest.raises(ResourceError, match=message):
        rules.compile_rules("clean.yaml", "greetings")


def test_resources_version_changes_with_the_data(broken_file):
    before = rules.resources_version()
    broken_file("dutch.yaml", rules.read_text("dutch.yaml") + "\n# analyst's note\n")
    assert rules.resources_version() != before
