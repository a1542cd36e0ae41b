"""Third-party causes: a party named in the text is a cause only next to a cause phrase.

Pure functions over matcher hits; no database. See pipeline/resources/tagging/third_party.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.tagging.matcher import Hit, active
from pipeline.tagging.rules import Rule

CONFIGURED_ORIGIN = "[organisatie]"     # Rule.origin of the rules made from the config


@dataclass(frozen=True)
class ThirdPartyTag:
    third_party_type: str
    party: str | None
    confidence: float
    rule_id: str
    span: str
    kind: str            # cause | involved
    source: str
    score: float         # for choosing the main one: rule weight x source factor x confidence
    # How it was found: party (a cause phrase next to a named party), standalone (a cause phrase
    # that implies its type), involved, context (the failure contact's party), model, combiner.
    basis: str = ""


@dataclass(frozen=True)
class Mention:
    rule_id: str
    third_party_type: str
    party: str | None
    span: str
    source: str
    topic: bool = False
    means: bool = False
    configured: bool = False     # a party of the organisation's own config ([organisatie])


def _party_name(rule: Rule, hit: Hit) -> str | None:
    if rule.topic:
        return None
    name = rule.party or rule.id
    if rule.append_place and hit.next_word:
        name = f"{name} {hit.next_word}"
    return name


def find(hits_by_source: dict[str, list[Hit]], rules: dict[str, Rule],
         weights: dict, failure: bool = False) -> tuple[list[ThirdPartyTag], list[Mention]]:
    """Third-party tags (causes and involvement) and the bare mentions, for one contact.

    ``failure``: the contact has a strong failure signal. When no cause was found next to a
    party, the party (or topic) the contact is about becomes the cause, with low confidence."""
    factors = weights.get("sources", {})
    conf = weights.get("third_party_confidence", {})
    window = int(weights.get("third_party_window", 12))
    tags: list[ThirdPartyTag] = []
    mentions: list[Mention] = []
    per_source_parties: dict[str, list[tuple[Hit, Rule]]] = {}
    for source, hits in hits_by_source.items():
        parties = []
        for hit in active(hits):
            rule = rules[hit.rule_id]
            if rule.kind == "parties" and source in rule.sources:
                if not rule.topic:
                    parties.append((hit, rule))
                mentions.append(Mention(rule.id, rule.label, _party_name(rule, hit), hit.span,
                                        source, rule.topic, hit.means,
                                        rule.origin == CONFIGURED_ORIGIN))
        per_source_parties[source] = parties
    # The heavier party first, so that a configured partner names the type before a generic word.
    mentions.sort(key=lambda m: -rules[m.rule_id].weight)

    for source, hits in hits_by_source.items():
        factor = float(factors.get(source, 1.0))
        parties = per_source_parties[source]
        for hit in active(hits):
            rule = rules[hit.rule_id]
            if rule.kind not in ("causes", "involved"):
                continue
            # The agent's words name a cause only as an attribution to a configured party
            # ("door een fout bij onze afdeling Facturatie"), never on their own.
            attribution = source == "agent" and rule.kind == "causes" and rule.label == "any"
            if source not in rule.sources and not attribution:
                continue
            near = [(p, r) for p, r in parties
                    if p.sentence == hit.sentence and not p.means
                    and (rule.label in ("any", r.label))
                    and (source in rule.sources or r.origin == CONFIGURED_ORIGIN)
                    and _distance(p, hit) <= window]
            if source not in rule.sources and not near:
                continue
            if rule.kind == "involved":
                party = same_type_party(mentions, rule.label)
                c = float(conf.get("involved", 0.5))
                tags.append(ThirdPartyTag(rule.label, party, c, rule.id, hit.span, "involved",
                                          source, rule.weight * factor * c, "involved"))
            elif near:
                p, r = min(near, key=lambda pr: _distance(pr[0], hit))
                c = float(conf.get("party_cause", 0.9))
                span = _joined_span(p, hit)
                tags.append(ThirdPartyTag(r.label, _party_name(r, p), c, rule.id, span, "cause",
                                          source, (rule.weight + r.weight) * factor * c,
                                          "party"))
            elif rule.standalone and rule.label != "any":
                party = same_type_party(mentions, rule.label)
                c = float(conf.get("standalone", 0.7))
                tags.append(ThirdPartyTag(rule.label, party, c, rule.id, hit.span, "cause",
                                          source, rule.weight * factor * c, "standalone"))
    if failure and not any(t.kind == "cause" for t in tags):
        tags += failure_context(mentions, factors, float(conf.get("failure_context", 0.5)))
    return _dedupe(tags), mentions


def failure_context(mentions: list[Mention], factors: dict, confidence: float
                     ) -> list[ThirdPartyTag]:
    """A failure contact about one party: named parties first, then topics; never a means.
    The agent's words count only for a party of the organisation's own config: an agent who
    names the department or partner where it went wrong ("dat is bij Declaraties fout
    verwerkt") says what the cause was; a transfer ("ik verbind u door met ...") is a means."""
    usable = [m for m in mentions if not m.means and (m.source != "agent" or m.configured)]
    named = [m for m in usable if not m.topic] or usable
    if not named:
        return []
    counts: dict[str, int] = {}
    for mention in named:
        counts[mention.third_party_type] = counts.get(mention.third_party_type, 0) + 1
    best = max(counts, key=lambda k: (counts[k], -_TYPE_ORDER.get(k, 9)))
    mention = next(m for m in named if m.third_party_type == best)
    party = same_type_party(mentions, best)
    score = confidence * float(factors.get(mention.source, 1.0))
    return [ThirdPartyTag(best, party, confidence, f"context:{mention.rule_id}", mention.span,
                          "cause", mention.source, score, "context")]


def main_tag(tags: list[ThirdPartyTag]) -> ThirdPartyTag | None:
    """The main third party: causes before involvement, then the highest summed score per type."""
    if not tags:
        return None
    causes = [t for t in tags if t.kind == "cause"] or tags
    totals: dict[str, float] = {}
    for tag in causes:
        totals[tag.third_party_type] = totals.get(tag.third_party_type, 0.0) + tag.score
    best_type = max(totals, key=lambda k: (totals[k], -_TYPE_ORDER.get(k, 9)))
    candidates = [t for t in causes if t.third_party_type == best_type]
    named = [t for t in candidates if t.party]
    return max(named or candidates, key=lambda t: t.score)


_TYPE_ORDER = {"carrier": 0, "installer": 1, "payment": 2, "store": 3, "backoffice": 4,
               "supplier": 5}


def _distance(a: Hit, b: Hit) -> int:
    if a.end <= b.start:
        return b.start - a.end
    if b.end <= a.start:
        return a.start - b.end
    return 0


def _joined_span(a: Hit, b: Hit) -> str:
    first, second = (a, b) if a.start <= b.start else (b, a)
    if first.end >= second.start:
        return first.span if first.end >= second.end else f"{first.span} {second.span}"
    return f"{first.span} … {second.span}"


def same_type_party(mentions: list[Mention], type_: str) -> str | None:
    for mention in mentions:
        if mention.third_party_type == type_ and mention.party:
            return mention.party
    return None


def _dedupe(tags: list[ThirdPartyTag]) -> list[ThirdPartyTag]:
    best: dict[tuple, ThirdPartyTag] = {}
    for tag in tags:
        key = (tag.third_party_type, tag.party, tag.rule_id, tag.kind)
        if key not in best or tag.score > best[key].score:
            best[key] = tag
    return list(best.values())
