"""The organisation's own world ([organisatie] in klantvraag.toml) as tagging rules.

Each named partner and each department becomes a ``parties`` rule (ids ``org.party.<name>`` and
``org.dept.<name>``), matched like the package's gazetteer: on every alias, in any case, and at the
start of a compound ("HVC-container", "postnlbezorger") unless that compound is an ordinary Dutch
word ("Vesting" must not match "vestingen"). The organisation's own names are never a third
party: a gazetteer hit on one of them is dropped, and so is a gazetteer hit that overlaps a
configured party (the user's word wins over the package's guess).
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.config import OrganisationConfig
from pipeline.tagging.matcher import Hit, make_nlp
from pipeline.tagging.rules import Rule

PREFIX = "org."
# A configured party counts a little more than a package gazetteer entry of the same type.
PARTY_WEIGHT = 1.5
_SAFE = re.compile(r"[|()~?=*#]")
MIN_COMPOUND_PREFIX = 3


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "x"


def _tokens(alias: str) -> list[str]:
    text = _SAFE.sub(" ", alias)
    return [t.text.lower() for t in make_nlp().tokenizer(text) if t.text.strip()]


def _patterns(names: list[str]) -> tuple[str, ...]:
    """Exact word forms for every alias (also written together: 'post nl' -> 'postnl'), plus a
    compound prefix for one-word aliases."""
    out: list[str] = []
    for name in names:
        tokens = _tokens(name)
        if not tokens:
            continue
        out.append(" ".join(f"={t}" for t in tokens))
        joined = "".join(tokens)
        if len(tokens) > 1 and joined.isalnum():
            out.append(f"={joined}")
        single = joined if (len(tokens) == 1 or joined.isalnum()) else ""
        if len(single) >= MIN_COMPOUND_PREFIX and single.isalnum():
            out.append(f"{single}~")
    return tuple(dict.fromkeys(out))


def rules(org: OrganisationConfig) -> list[Rule]:
    """Parties rules for the configured partners and departments (none when nothing is set)."""
    out: list[Rule] = []
    seen: set[str] = set()
    entries = [(f"{PREFIX}party.{_slug(p.naam)}", p.type, p.naam, [p.naam, *p.aliassen])
               for p in org.partijen]
    entries += [(f"{PREFIX}dept.{_slug(d)}", "backoffice", d, [d]) for d in org.afdelingen]
    for rule_id, kind, name, aliases in entries:
        patterns = _patterns(aliases)
        if not patterns or rule_id in seen:
            continue
        seen.add(rule_id)
        out.append(Rule(id=rule_id, kind="parties", label=kind, weight=PARTY_WEIGHT,
                        patterns=patterns, sources=("question", "customer", "agent"),
                        party=name, match_examples=(name,), origin="[organisatie]"))
    return out


@lru_cache(maxsize=1)
def _lookup():
    """spaCy's Dutch lookup table (word form -> lemma) and the set of its lemmas."""
    table = make_nlp().get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    return table, frozenset(str(v).lower() for v in table.values())


def is_dutch_word(word: str) -> bool:
    """A word form or lemma in spaCy's Dutch lookup table."""
    table, lemmas = _lookup()
    return word in table or word in lemmas


class OrganisationFilter:
    """Drops hits that the organisation's config rules out (see module docstring)."""

    def __init__(self, org: OrganisationConfig, rules_by_id: dict[str, Rule]) -> None:
        self.own = {" ".join(_tokens(n)) for n in org.own_names()} - {""}
        self.own_joined = {n.replace(" ", "") for n in self.own}
        self.aliases = {" ".join(_tokens(a)) for r in rules_by_id.values()
                        if r.id.startswith(PREFIX) for a in [r.party or ""]}
        self.aliases |= {p.lstrip("=").replace(" =", " ") for r in rules_by_id.values()
                         if r.id.startswith(PREFIX) for p in r.patterns if not p.endswith("~")}
        self.singles = {a for a in self.aliases if " " not in a}
        self.rules = rules_by_id
        self.active = bool(self.own or any(r.startswith(PREFIX) for r in rules_by_id))

    def __call__(self, hits: list[Hit]) -> list[Hit]:
        if not self.active or not hits:
            return hits
        kept = [h for h in hits if not self._is_false_compound(h) and not self._is_own(h)]
        org_spans = [(h.start, h.end) for h in kept if h.rule_id.startswith(PREFIX)]
        if not org_spans:
            return kept
        return [h for h in kept if h.rule_id.startswith(PREFIX)
                or self.rules[h.rule_id].kind != "parties"
                or not any(h.start < e and s < h.end for s, e in org_spans)]

    def _is_false_compound(self, hit: Hit) -> bool:
        if not hit.rule_id.startswith(PREFIX) or hit.end - hit.start != 1:
            return False
        word = hit.span.lower()
        if word in self.aliases or "-" in word or not is_dutch_word(word):
            return False
        # An ordinary word that starts with a name: a match only when the name is a word too
        # ('planningen' for the department Planning), never for a made-up name ('essentieel').
        return not any(word.startswith(a) and is_dutch_word(a) for a in self.singles)

    def _is_own(self, hit: Hit) -> bool:
        if hit.rule_id.startswith(PREFIX) or self.rules[hit.rule_id].kind != "parties":
            return False
        word = hit.span.lower()
        return word in self.own or word.replace(" ", "") in self.own_joined
