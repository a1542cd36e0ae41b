"""Avoidable category: weighted votes from phrases and other signals, highest score wins."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.tagging.matcher import Hit, active
from pipeline.tagging.rules import CATEGORIES, Rule


@dataclass(frozen=True)
class Signal:
    category: str
    weight: float
    rule: str
    source: str      # question | customer | agent | repeat | reason | symptom | third_party
    span: str


def phrase_signals(hits_by_source: dict[str, list[Hit]], rules: dict[str, Rule],
                   factors: dict[str, float]) -> list[Signal]:
    """One signal per avoidable rule: the strongest source it was found in."""
    best: dict[str, Signal] = {}
    for source, hits in hits_by_source.items():
        factor = float(factors.get(source, 1.0))
        for hit in active(hits):
            rule = rules[hit.rule_id]
            if rule.kind != "avoidable" or source not in rule.sources:
                continue
            signal = Signal(rule.label, rule.weight * factor, rule.id, source, hit.span)
            if rule.id not in best or signal.weight > best[rule.id].weight:
                best[rule.id] = signal
    return list(best.values())


def scores(signals: list[Signal]) -> dict[str, float]:
    totals = {category: 0.0 for category in CATEGORIES}
    for signal in signals:
        totals[signal.category] += signal.weight
    return totals


def decide(signals: list[Signal], weights: dict) -> tuple[str, float]:
    """The category with the highest score and a confidence in [0, 1]."""
    totals = scores(signals)
    ranked = sorted(CATEGORIES, key=lambda c: (-totals[c], CATEGORIES.index(c)))
    top, runner_up = totals[ranked[0]], totals[ranked[1]]
    if top <= 0:
        fallback = weights.get("fallback", {})
        return fallback.get("category", "waardevol"), float(fallback.get("confidence", 0.2))
    damping = float(weights.get("damping", 1.0))
    return ranked[0], round(top / (top + runner_up + damping), 3)


def evidence(signals: list[Signal], category: str) -> list[dict]:
    """The signals as JSON-ready evidence, the deciding category's first, strongest first."""
    ordered = sorted(signals, key=lambda s: (s.category != category, -s.weight, s.rule))
    return [{"rule": s.rule, "source": s.source, "span": s.span, "weight": round(s.weight, 3),
             "category": s.category} for s in ordered]
