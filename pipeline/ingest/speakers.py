"""Speaker roles for call transcripts: labels from a lexicon, and for numbered speakers an inferred
agent, with the evidence recorded. The knowledge lives in pipeline/resources/ingest/speakers.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from pipeline.errors import ResourceError
from pipeline.resources import parse_yaml

ORIGIN = "pipeline/resources/ingest/speakers.yaml"


@dataclass(frozen=True)
class Cue:
    id: str
    description: str
    pattern: re.Pattern
    weight: float
    examples: tuple[str, ...]


@dataclass(frozen=True)
class SpeakerRules:
    labels: dict[str, str]                 # normalised label -> role
    numbered: tuple[re.Pattern, ...]
    agent_cues: tuple[Cue, ...]
    customer_cues: tuple[Cue, ...]
    opening_turns: int
    organisation_name_weight: float
    label_examples: tuple[tuple[str, str], ...]
    numbered_examples: tuple[str, ...]
    header_keys: dict[str, tuple[str, ...]]

    def role_of(self, label: str | None) -> str | None:
        """customer/agent/bot for a known label; None for a numbered or unknown one."""
        if not label:
            return None
        return self.labels.get(normalise_label(label))

    def is_numbered(self, label: str | None) -> bool:
        return bool(label) and any(p.match(normalise_label(label)) for p in self.numbered)


def normalise_label(label: str) -> str:
    return re.sub(r"\s+", " ", label.strip().lower())


def load_speaker_rules(text: str | None = None, origin: str = ORIGIN) -> SpeakerRules:
    if text is None:
        text = resources.files("pipeline.resources").joinpath("ingest").joinpath("speakers.yaml").read_text("utf-8")
    data = parse_yaml(text, origin)
    if not isinstance(data, dict):
        raise ResourceError("expected a mapping at the top", path=origin)

    def need(rule: dict, key: str, where: str):
        if key not in rule:
            raise ResourceError(f"missing '{key}'", path=origin, where=where)
        return rule[key]

    labels, label_examples = {}, []
    for rule in data.get("labels") or []:
        rid = need(rule, "id", "labels")
        role = need(rule, "role", rid)
        if role not in ("customer", "agent", "bot"):
            raise ResourceError(f"role '{role}' is not customer, agent or bot", path=origin, where=rid)
        for name in need(rule, "names", rid):
            labels[normalise_label(name)] = role
        label_examples.extend((ex, role) for ex in need(rule, "examples", rid))
    numbered, numbered_examples = [], []
    for rule in data.get("numbered") or []:
        rid = need(rule, "id", "numbered")
        numbered.append(_compile(need(rule, "pattern", rid), rid, origin))
        numbered_examples.extend(need(rule, "examples", rid))

    def cues(key: str) -> tuple[Cue, ...]:
        found = []
        for rule in data.get(key) or []:
            rid = need(rule, "id", key)
            found.append(Cue(rid, rule.get("description", rid), _compile(need(rule, "pattern", rid), rid, origin),
                             float(need(rule, "weight", rid)), tuple(need(rule, "examples", rid))))
        return tuple(found)

    return SpeakerRules(labels=labels, numbered=tuple(numbered), agent_cues=cues("agent_cues"),
                        customer_cues=cues("customer_cues"),
                        opening_turns=int(data.get("opening_turns", 4)),
                        organisation_name_weight=float(data.get("organisation_name_weight", 3)),
                        label_examples=tuple(label_examples),
                        numbered_examples=tuple(numbered_examples),
                        header_keys={k: tuple(str(x).lower() for x in v)
                                     for k, v in (data.get("header_keys") or {}).items()})


def _compile(pattern: str, rid: str, origin: str = ORIGIN) -> re.Pattern:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ResourceError(f"invalid pattern: {exc}", path=origin, where=rid) from exc


def score_text(text: str, rules: SpeakerRules, organisation_names: tuple[str, ...]) -> tuple[float, list[str]]:
    """Agent score of one text and the ids of the cues that fired (customer cues count negative)."""
    score, fired = 0.0, []
    lowered = text.lower()
    for name in organisation_names:
        if name and name.lower() in lowered:
            score += rules.organisation_name_weight
            fired.append(f"organisation_name:{name}")
            break
    for cue in rules.agent_cues:
        if cue.pattern.search(text):
            score += cue.weight
            fired.append(cue.id)
    for cue in rules.customer_cues:
        if cue.pattern.search(text):
            score -= cue.weight
            fired.append(f"-{cue.id}")
    return score, fired


def infer_agent(turns: list[tuple[str, str]], rules: SpeakerRules,
                organisation_names: tuple[str, ...]) -> tuple[str | None, str]:
    """Which numbered speaker is the agent. ``turns`` = [(speaker, text), ...] in order.

    Each speaker's opening turns are scored with the cues; the highest positive score wins; with no
    cue at all the speaker who spoke first (agents pick up and greet) is taken. Returns the
    speaker and a human-readable evidence string.
    """
    speakers: list[str] = []
    opening: dict[str, list[str]] = {}
    for speaker, text in turns:
        if speaker not in opening:
            speakers.append(speaker)
            opening[speaker] = []
        if len(opening[speaker]) < rules.opening_turns:
            opening[speaker].append(text)
    if not speakers:
        return None, "no speakers"
    scored = {}
    for speaker in speakers:
        scored[speaker] = score_text(" ".join(opening[speaker]), rules, organisation_names)
    best = max(speakers, key=lambda s: (scored[s][0], -speakers.index(s)))
    if scored[best][0] > 0:
        others = sorted(s for s in speakers if s != best and scored[s][0] == scored[best][0])
        tie = f"; tie with {', '.join(others)}, first speaker kept" if others else ""
        return best, f"{best}: cues {', '.join(scored[best][1])} (score {scored[best][0]:g}){tie}"
    return speakers[0], f"{speakers[0]}: no agent cue found, first speaker taken as agent"
