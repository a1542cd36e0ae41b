"""Load and validate the sample generator's data files (pipeline/resources/sample/*.yaml).

The generator's Dutch lives in data: reasons with their phrasings, conversation pools (greetings,
signatures, disclaimers, agent lines, process symptoms) and people pools. Every file is checked on
load; a broken rule raises :class:`ResourceError` naming the file, the rule and what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.errors import ResourceError
from pipeline.resources import read_yaml

CATEGORIES = ("voorkomen", "verschuiven", "automatiseren", "waardevol")
THIRD_PARTY_TYPES = ("carrier", "store", "supplier", "installer", "payment", "backoffice", "none")
SLOTS = frozenset({
    "order", "product", "carrier", "tracking", "date", "weekday", "store", "supplier", "payment",
    "amount", "invoice", "code", "installer", "days", "giftcard", "time", "address", "phone", "name",
    "first", "last", "agent", "dept", "email", "iban", "dob", "bsn", "postcode", "housenumber",
    "customer_id", "subject", "return_date",
})
_SLOT = re.compile(r"\{(\w+)\}")
REASON_POOLS = ("subject", "open", "detail", "ask", "agent")
EN_POOLS = ("subject", "open", "ask", "agent")


@dataclass(frozen=True)
class Alternative:
    """Another third-party cause (or category) a contact of a reason sometimes has."""

    type: str
    party: str
    weight: float
    category: str | None
    text: tuple[str, ...]


@dataclass(frozen=True)
class Reason:
    id: str
    category: str
    third_party_type: str
    party: str
    weight: float
    product: str
    pools: dict[str, tuple[str, ...]]
    en: dict[str, tuple[str, ...]]
    mention: tuple[str, ...] = ()
    alt: tuple[Alternative, ...] = ()
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    money: bool = False


@dataclass(frozen=True)
class Paraphrase:
    """A swap applied to customers' sentences: ``pattern`` is replaced by one of ``options``."""

    id: str
    pattern: re.Pattern
    options: tuple[str, ...]
    example: str


@dataclass(frozen=True)
class Catalogue:
    reasons: dict[str, Reason]
    conversation: dict[str, dict[str, tuple[str, ...]]]
    people: dict[str, Any] = field(default_factory=dict)
    paraphrases: tuple[Paraphrase, ...] = ()

    @property
    def reason_ids(self) -> list[str]:
        return sorted(self.reasons)


def _fail(path: str, where: str, message: str, hint: str) -> None:
    raise ResourceError(message, path=path, where=where, hint=hint)


def _strings(path: str, where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        _fail(path, where, "expected a non-empty list of phrasings", "add at least one string")
    for item in value:
        if not isinstance(item, str):
            _fail(path, where, f"not a string: {item!r}", "quote the phrasing")
        unknown = set(_SLOT.findall(item)) - SLOTS
        if unknown:
            _fail(path, where, f"unknown slot(s) {sorted(unknown)} in {item!r}",
                  f"use one of {sorted(SLOTS)}")
    return tuple(value)


def _reason(path: str, rid: str, raw: Any) -> Reason:
    where = f"reasons.{rid}"
    if not isinstance(raw, dict):
        _fail(path, where, "a reason must be a mapping", "see the other reasons for the shape")
    category = raw.get("category")
    if category not in CATEGORIES:
        _fail(path, where, f"category {category!r} is not a label", f"use one of {CATEGORIES}")
    tp = raw.get("third_party") or {}
    if tp.get("type") not in THIRD_PARTY_TYPES:
        _fail(path, where, f"third_party.type {tp.get('type')!r} is not a label",
              f"use one of {THIRD_PARTY_TYPES}")
    weight = float(raw.get("weight", 1))
    if weight <= 0:
        _fail(path, where, "weight must be > 0", "give a relative frequency such as 5")
    product = raw.get("product", "any")
    if product not in ("small", "large", "installable", "any"):
        _fail(path, where, f"product {product!r}", "use small, large, installable or any")
    values = {}
    for slot, options in (raw.get("values") or {}).items():
        if slot not in SLOTS:
            _fail(path, f"{where}.values", f"unknown slot {slot!r}", f"use one of {sorted(SLOTS)}")
        values[slot] = _strings(path, f"{where}.values.{slot}", options)
    pools = {name: _strings(path, f"{where}.{name}", raw.get(name)) for name in REASON_POOLS}
    en_raw = raw.get("en") or {}
    en = {name: _strings(path, f"{where}.en.{name}", en_raw.get(name)) for name in EN_POOLS}
    mention = _strings(path, f"{where}.mention", raw["mention"]) if "mention" in raw else ()
    alts = []
    for i, alt in enumerate(raw.get("alt") or []):
        awhere = f"{where}.alt[{i}]"
        if alt.get("type") not in THIRD_PARTY_TYPES:
            _fail(path, awhere, f"type {alt.get('type')!r}", f"use one of {THIRD_PARTY_TYPES}")
        if alt.get("category") not in (None, *CATEGORIES):
            _fail(path, awhere, f"category {alt.get('category')!r}", f"use one of {CATEGORIES}")
        alts.append(Alternative(alt["type"], str(alt.get("party", "")), float(alt.get("weight", 0.1)),
                                alt.get("category"), _strings(path, f"{awhere}.text", alt.get("text"))))
    party = str(tp.get("party", ""))
    if tp["type"] == "none" and party:
        _fail(path, where, "third_party type none cannot name a party", "remove party")
    return Reason(rid, category, tp["type"], party, weight, product, pools, en, mention, tuple(alts), values,
                  bool(raw.get("money", False)))


def _paraphrases(path: Path, raw: Any) -> tuple[Paraphrase, ...]:
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        _fail(str(path), "top level", "expected a list 'rules:'", "see the file header")
    rules, seen = [], set()
    for i, rule in enumerate(raw["rules"]):
        where = f"rules[{i}]"
        if not isinstance(rule, dict) or not rule.get("id") or rule["id"] in seen:
            _fail(str(path), where, "every rule needs a unique id", "add id: some_name")
        seen.add(rule["id"])
        where = f"rules.{rule['id']}"
        try:
            pattern = re.compile(rule.get("pattern", ""))
        except re.error as exc:
            raise ResourceError(f"bad regex: {exc}", path=str(path), where=where, hint="fix the pattern") from exc
        options = _strings(str(path), f"{where}.options", rule.get("options"))
        example = rule.get("example")
        if not isinstance(example, str) or not pattern.search(example):
            _fail(str(path), where, f"the example {example!r} does not match the pattern",
                  "give an example sentence the pattern finds")
        rules.append(Paraphrase(rule["id"], pattern, options, example))
    return tuple(rules)


def _load_yaml(path: Path) -> Any:
    return read_yaml(path)


def load_catalogue(folder: Path | None = None) -> Catalogue:
    """Read reasons.yaml, conversation.yaml, people.yaml and paraphrase.yaml from ``folder``
    (default: the package's own)."""
    base = Path(folder) if folder else Path(str(resources.files("pipeline") / "resources" / "sample"))
    reasons_path, conv_path, people_path = (base / n for n in
                                            ("reasons.yaml", "conversation.yaml", "people.yaml"))
    raw = _load_yaml(reasons_path)
    if not isinstance(raw, dict) or not isinstance(raw.get("reasons"), dict) or not raw["reasons"]:
        _fail(str(reasons_path), "top level", "expected a mapping 'reasons:'", "see the file header")
    reasons = {rid: _reason(str(reasons_path), rid, r) for rid, r in raw["reasons"].items()}
    conv_raw = _load_yaml(conv_path)
    if not isinstance(conv_raw, dict):
        _fail(str(conv_path), "top level", "expected a mapping of sections", "see the file header")
    conversation = {
        section: {name: _strings(str(conv_path), f"{section}.{name}", pool)
                  for name, pool in (pools or {}).items()}
        for section, pools in conv_raw.items()
    }
    people = _load_yaml(people_path)
    for key in ("first_names", "last_names", "streets", "cities", "mail_domains", "agent_first_names",
                "banks", "stores", "carriers", "payment_providers", "installer_names",
                "products"):
        if not people or not people.get(key):
            _fail(str(people_path), key, "missing or empty pool", "add a non-empty list")
    for group, spec in people["products"].items():
        if not isinstance(spec, dict) or spec.get("size") not in ("small", "large") or not all(
                spec.get(k) for k in ("items", "en", "suppliers")):
            _fail(str(people_path), f"products.{group}", "a product group needs size (small|large), items, en "
                  "and suppliers", "see the other groups")
    for city, prefixes in people["cities"].items():
        if not prefixes or not all(isinstance(p, int) and 10 <= p <= 99 for p in prefixes):
            _fail(str(people_path), f"cities.{city}", "postcode prefixes must be 10..99",
                  "give the first two digits of the city's postcodes")
    paraphrase_path = base / "paraphrase.yaml"
    return Catalogue(reasons, conversation, people, _paraphrases(paraphrase_path, _load_yaml(paraphrase_path)))


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    return load_catalogue()
