"""Loading and validating the nlp stage's data files under ``pipeline/resources/nlp/``.

Every rule has an ``id``, a regex ``pattern`` and ``examples``; a file that is malformed, a regex
that does not compile or an example its rule does not find raises :class:`ResourceError` naming the
file and the rule.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from pipeline.errors import ResourceError
from pipeline.resources import parse_yaml

PACKAGE_DIR = "pipeline/resources/nlp"
FILES = ("clean.yaml", "autoreply.yaml", "pii.yaml", "names.yaml", "dutch.yaml")
_FLAGS = {"ignorecase": re.IGNORECASE, "multiline": re.MULTILINE}


@dataclass(frozen=True)
class Rule:
    id: str
    regex: re.Pattern
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def read_text(name: str) -> str:
    return resources.files("pipeline.resources").joinpath("nlp").joinpath(name).read_text("utf-8")


@lru_cache(maxsize=None)
def load(name: str) -> dict[str, Any]:
    """The parsed YAML file ``name`` (a mapping), cached."""
    path = f"{PACKAGE_DIR}/{name}"
    try:
        text = read_text(name)
    except FileNotFoundError as exc:
        raise ResourceError("data file missing", path=path,
                            hint="reinstall klantvraag; the package is incomplete") from exc
    data = parse_yaml(text, path)
    if not isinstance(data, dict):
        raise ResourceError("must be a mapping of sections", path=path)
    return data


def resources_version() -> str:
    """A short hash of every nlp data file: part of each contact's input hash, so changing a rule
    re-prepares the contacts it may affect."""
    digest = hashlib.sha256()
    for name in FILES:
        digest.update(read_text(name).encode("utf-8"))
    return digest.hexdigest()[:12]


def compile_rules(name: str, section: str, *, default_flags: int = 0,
                  check_examples: bool = True, required: tuple[str, ...] = ()) -> list[Rule]:
    """Compile the list of rules in ``section`` of file ``name``."""
    path = f"{PACKAGE_DIR}/{name}"
    items = load(name).get(section)
    if not isinstance(items, list) or not items:
        raise ResourceError(f"section '{section}' must be a non-empty list of rules", path=path)
    rules, seen = [], set()
    for number, item in enumerate(items, 1):
        where = f"{section} #{number}"
        if not isinstance(item, dict):
            raise ResourceError("a rule must be a mapping with id, pattern, examples",
                                path=path, where=where)
        rule_id = item.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            raise ResourceError("rule without an 'id'", path=path, where=where)
        where = f"{section}/{rule_id}"
        if rule_id in seen:
            raise ResourceError("duplicate rule id", path=path, where=where)
        seen.add(rule_id)
        for key in ("pattern", *required):
            if key not in item:
                raise ResourceError(f"rule has no '{key}'", path=path, where=where)
        examples = item.get("examples")
        if not isinstance(examples, list) or not examples or not all(isinstance(e, str) for e in examples):
            raise ResourceError("rule needs a non-empty list of example strings", path=path,
                                where=where, hint="add examples: [\"...\"] that the pattern finds")
        flags = default_flags
        for flag in str(item.get("flags", "")).split():
            if flag not in _FLAGS:
                raise ResourceError(f"unknown flag '{flag}'", path=path, where=where,
                                    hint=f"valid flags: {', '.join(_FLAGS)}")
            flags |= _FLAGS[flag]
        try:
            regex = re.compile(str(item["pattern"]), flags)
        except re.error as exc:
            raise ResourceError(f"pattern does not compile: {exc}", path=path, where=where) from exc
        if check_examples:
            for example in examples:
                if not regex.search(example):
                    raise ResourceError(f"pattern does not find its example {example!r}",
                                        path=path, where=where)
        extra = {k: v for k, v in item.items()
                 if k not in ("id", "pattern", "examples", "counter_examples", "flags")}
        rules.append(Rule(rule_id, regex, tuple(examples),
                          tuple(item.get("counter_examples") or ()), extra))
    return rules


def word_list(name: str, section: str) -> list[str]:
    """A list of words (or a mapping of named lists, flattened) from ``section``."""
    path = f"{PACKAGE_DIR}/{name}"
    value = load(name).get(section)
    if isinstance(value, dict):
        words = [w for group in value.values() for w in (group or [])]
    else:
        words = value
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ResourceError(f"section '{section}' must be a list of words", path=path)
    return words


def mapping(name: str, section: str) -> dict[str, str]:
    path = f"{PACKAGE_DIR}/{name}"
    value = load(name).get(section) or {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                              for k, v in value.items()):
        raise ResourceError(f"section '{section}' must map words to words", path=path)
    return value
