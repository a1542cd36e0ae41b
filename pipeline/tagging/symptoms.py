"""Process symptoms in agent turns: transfers, callback requests, internal consultation."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.tagging.matcher import Hit, active
from pipeline.tagging.rules import Rule


@dataclass(frozen=True)
class Symptom:
    symptom: str      # transfer | callback | consultation
    rule_id: str
    span: str


def find(hits_by_source: dict[str, list[Hit]], rules: dict[str, Rule]) -> list[Symptom]:
    """One row per symptom kind and rule (the first span found), for one contact."""
    found: dict[tuple[str, str], Symptom] = {}
    for source, hits in hits_by_source.items():
        for hit in active(hits):
            rule = rules[hit.rule_id]
            if rule.kind != "symptoms" or source not in rule.sources:
                continue
            found.setdefault((rule.label, rule.id), Symptom(rule.label, rule.id, hit.span))
    return list(found.values())
