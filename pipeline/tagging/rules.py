"""Load and validate the tagging rule files (YAML) that hold all Dutch domain knowledge.

A rule file may hold any of these top-level sections; the package's own files live in
``pipeline/resources/tagging/`` and an analyst adds more via ``config.tagging.extra_rule_files``:

- ``avoidable``: phrase rules that vote for an avoidable category, with a weight.
- ``parties``: the third-party gazetteer (names of carriers, stores, payment providers, ...).
- ``causes``: phrases that make a nearby party the cause of the contact (or imply a type alone).
- ``involved``: phrases that show a third party's process is the subject (planning, rescheduling).
- ``symptoms``: process symptoms in agent turns (transfer, callback, consultation).
- ``cues``: negation, hypothetical and "by means of" cue words.
- ``weights``: how the signals are combined (source factors, repeat, reason default, ...).

Every rule has an ``id``, one or more ``patterns`` and ``examples`` (``match`` and ``no_match``
texts) that the test suite runs. A wrong rule raises :class:`ResourceError` naming file and rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.errors import ResourceError
from pipeline.resources import parse_yaml

CATEGORIES = ("voorkomen", "verschuiven", "automatiseren", "waardevol")
THIRD_PARTY_TYPES = ("carrier", "store", "supplier", "installer", "payment", "backoffice")
SYMPTOMS = ("transfer", "callback", "consultation")
SOURCES = ("question", "customer", "agent")
KINDS = ("avoidable", "parties", "causes", "involved", "symptoms")
FILL_SKIPS = ("named", "failure", "ruled_out")   # weights.learned.fill_skips, see weights.yaml
PACKAGE_FILES = ("cues.yaml", "weights.yaml", "avoidable.yaml", "third_party.yaml", "symptoms.yaml")

_RULE_KEYS = {
    "avoidable": {"id", "category", "weight", "patterns", "sources", "negation", "hypothetical",
                  "examples", "description", "language"},
    "parties": {"id", "type", "party", "patterns", "append_place", "weight", "examples",
                "description", "language", "sources", "topic"},
    "causes": {"id", "type", "standalone", "weight", "patterns", "sources", "negation",
               "hypothetical", "examples", "description", "language"},
    "involved": {"id", "type", "weight", "patterns", "sources", "negation", "hypothetical",
                 "examples", "description", "language"},
    "symptoms": {"id", "symptom", "weight", "patterns", "sources", "negation", "hypothetical",
                 "examples", "description", "language"},
}
_DEFAULT_SOURCES = {
    "avoidable": ("question", "customer"),
    "parties": ("question", "customer", "agent"),
    "causes": ("question", "customer"),
    "involved": ("question", "customer"),
    "symptoms": ("agent",),
}


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str                      # avoidable | parties | causes | involved | symptoms
    label: str                     # category, third-party type ('any' for generic causes) or symptom
    weight: float
    patterns: tuple[str, ...]
    sources: tuple[str, ...]
    negation: str = "cancel"       # cancel: a negation cue just before the match drops it
    hypothetical: str = "cancel"   # cancel: 'als', 'mocht', ... before the match drops it
    standalone: bool = False       # causes only: implies the type without a party nearby
    party: str | None = None       # parties only: the name written to contact_tags.party
    append_place: bool = False     # parties only: 'winkel Utrecht' from 'de winkel in Utrecht'
    topic: bool = False            # parties only: a subject that points at a type, no party
    match_examples: tuple[str, ...] = ()
    no_match_examples: tuple[str, ...] = ()
    origin: str = ""


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    cues: dict[str, list[str]] = field(default_factory=dict)
    weights: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}

    def of_kind(self, kind: str) -> list[Rule]:
        return [rule for rule in self.rules if rule.kind == kind]


def package_dir():
    return resources.files("pipeline.resources").joinpath("tagging")


def load_rules(extra_files: list[str] | tuple[str, ...] = ()) -> RuleSet:
    """The package's rule files plus an analyst's extra files, validated."""
    ruleset = RuleSet()
    for name in PACKAGE_FILES:
        entry = package_dir().joinpath(name)
        _add_file(ruleset, entry.read_text("utf-8"), f"pipeline/resources/tagging/{name}")
    for extra in extra_files:
        path = Path(extra)
        if not path.is_file():
            raise ResourceError("rule file not found", path=str(path),
                                hint="check config.tagging.extra_rule_files")
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError as exc:
            raise ResourceError(f"not UTF-8 text: {exc}", path=str(path)) from exc
        _add_file(ruleset, text, str(path))
    _check_complete(ruleset)
    return ruleset


def parse_rules(text: str, origin: str = "<rules>") -> RuleSet:
    """Parse one rule file's text on its own (used by tests and by analysts checking a file)."""
    ruleset = RuleSet()
    _add_file(ruleset, text, origin)
    return ruleset


def _add_file(ruleset: RuleSet, text: str, origin: str) -> None:
    data = parse_yaml(text, origin)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ResourceError("a rule file must be a mapping of sections", path=origin,
                            hint=f"valid sections: {', '.join(KINDS + ('cues', 'weights'))}")
    unknown = set(data) - set(KINDS) - {"cues", "weights"}
    if unknown:
        raise ResourceError(f"unknown section(s) {sorted(unknown)}", path=origin,
                            hint=f"valid sections: {', '.join(KINDS + ('cues', 'weights'))}")
    known_ids = {rule.id: rule.origin for rule in ruleset.rules}
    for kind in KINDS:
        items = data.get(kind) or []
        if not isinstance(items, list):
            raise ResourceError(f"section '{kind}' must be a list of rules", path=origin)
        for index, item in enumerate(items):
            rule = _parse_rule(kind, item, origin, index)
            if rule.id in known_ids:
                raise ResourceError(f"duplicate rule id '{rule.id}'", path=origin,
                                    where=f"rule {rule.id}",
                                    hint=f"already defined in {known_ids[rule.id]}; pick a new id")
            known_ids[rule.id] = origin
            ruleset.rules.append(rule)
    cues = data.get("cues") or {}
    if not isinstance(cues, dict) or not all(
            isinstance(v, list) and all(isinstance(w, str) for w in v) for v in cues.values()):
        raise ResourceError("'cues' must map a cue kind to a list of words", path=origin)
    for name, words in cues.items():
        ruleset.cues.setdefault(name, []).extend(w.lower() for w in words)
    weights = data.get("weights") or {}
    if not isinstance(weights, dict):
        raise ResourceError("'weights' must be a mapping", path=origin)
    learned = weights.get("learned") or {}
    mode = learned.get("fill_skips", "named") if isinstance(learned, dict) else None
    if mode not in FILL_SKIPS:
        raise ResourceError(f"weights.learned.fill_skips is '{mode}'", path=origin,
                            hint=f"use one of {', '.join(FILL_SKIPS)} (see weights.yaml)")
    ruleset.weights.update(weights)
    ruleset.files.append(origin)


def _parse_rule(kind: str, item: Any, origin: str, index: int) -> Rule:
    where = f"{kind} #{index + 1}"
    if not isinstance(item, dict):
        raise ResourceError("a rule must be a mapping with id, patterns and examples",
                            path=origin, where=where)
    rule_id = item.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise ResourceError("rule without an 'id'", path=origin, where=where)
    where = f"rule {rule_id}"

    def fail(message: str, hint: str | None = None) -> ResourceError:
        return ResourceError(message, path=origin, where=where, hint=hint)

    extra = set(item) - _RULE_KEYS[kind]
    if extra:
        raise fail(f"unknown key(s) {sorted(extra)}",
                   hint=f"valid keys: {', '.join(sorted(_RULE_KEYS[kind]))}")
    patterns = item.get("patterns")
    if not isinstance(patterns, list) or not patterns or not all(
            isinstance(p, str) and p.strip() for p in patterns):
        raise fail("'patterns' must be a non-empty list of phrases")
    label = _label(kind, item, fail)
    weight = item.get("weight", 1.0)
    if not isinstance(weight, (int, float)) or isinstance(weight, bool):
        raise fail(f"'weight' must be a number, got {weight!r}")
    sources = item.get("sources", list(_DEFAULT_SOURCES[kind]))
    if not isinstance(sources, list) or not sources or any(s not in SOURCES for s in sources):
        raise fail(f"'sources' must be a list out of {', '.join(SOURCES)}")
    for key in ("negation", "hypothetical"):
        if item.get(key, "cancel") not in ("cancel", "ignore"):
            raise fail(f"'{key}' must be 'cancel' or 'ignore'")
    examples = item.get("examples")
    if not isinstance(examples, dict) or not examples.get("match"):
        raise fail("every rule needs examples: {match: [...], no_match: [...]}",
                   hint="at least one text the rule must match")
    match = examples.get("match") or []
    no_match = examples.get("no_match") or []
    if set(examples) - {"match", "no_match"} or not all(
            isinstance(t, str) for t in list(match) + list(no_match)):
        raise fail("examples must be {match: [texts], no_match: [texts]}")
    return Rule(
        id=rule_id, kind=kind, label=label, weight=float(weight),
        patterns=tuple(p.strip() for p in patterns), sources=tuple(sources),
        negation=item.get("negation", "cancel"), hypothetical=item.get("hypothetical", "cancel"),
        standalone=bool(item.get("standalone", False)), party=item.get("party"),
        append_place=bool(item.get("append_place", False)),
        topic=bool(item.get("topic", False)),
        match_examples=tuple(match), no_match_examples=tuple(no_match), origin=origin,
    )


def _label(kind: str, item: dict, fail) -> str:
    if kind == "avoidable":
        value, valid = item.get("category"), CATEGORIES
        key = "category"
    elif kind == "symptoms":
        value, valid = item.get("symptom"), SYMPTOMS
        key = "symptom"
    else:
        value = item.get("type")
        valid = THIRD_PARTY_TYPES + (("any",) if kind == "causes" else ())
        key = "type"
    if value not in valid:
        raise fail(f"'{key}' is {value!r}", hint=f"valid: {', '.join(valid)}")
    return value


def _check_complete(ruleset: RuleSet) -> None:
    for name in ("negation", "hypothetical", "means"):
        if name not in ruleset.cues:
            raise ResourceError(f"cue list '{name}' is missing",
                                path="pipeline/resources/tagging/cues.yaml")
