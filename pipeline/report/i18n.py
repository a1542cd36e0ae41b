"""The report's words and number formats, nl (default) and en.

The words live in ``pipeline/resources/report/texts.yaml`` and the project owners in
``owners.yaml``; both are validated on load and a broken file is named in a one-line error.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import pandas as pd

from pipeline.errors import ConfigError, ResourceError
from pipeline.resources import package_file, read_yaml

LANGUAGES = ("nl", "en")
_TEXTS = "texts.yaml"
_OWNERS = "owners.yaml"


def _read(name: str) -> Any:
    return read_yaml(package_file("report", name), f"pipeline/resources/report/{name}")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def validate_texts(data: Any, path: str = "texts.yaml") -> dict[str, Any]:
    """Every entry has nl and en strings with the same placeholders (groups one level deep)."""
    if not isinstance(data, dict):
        raise ResourceError("top level must be a mapping of id -> {nl, en}", path=path)

    def check_entry(key: str, entry: Any) -> None:
        if not isinstance(entry, dict) or set(entry) != set(LANGUAGES):
            raise ResourceError(f"entry '{key}' must have exactly the keys nl and en", path=path)
        if isinstance(entry["nl"], list):  # month names
            if any(len(entry[lang]) != 12 for lang in LANGUAGES):
                raise ResourceError(f"entry '{key}' needs 12 names per language", path=path)
            return
        if not all(isinstance(entry[lang], str) and entry[lang] for lang in LANGUAGES):
            raise ResourceError(f"entry '{key}' must have non-empty strings", path=path)
        if _fields(entry["nl"]) != _fields(entry["en"]):
            raise ResourceError(f"entry '{key}': nl and en use different placeholders "
                                f"{sorted(_fields(entry['nl']))} vs {sorted(_fields(entry['en']))}",
                                path=path)

    for key, entry in data.items():
        if isinstance(entry, dict) and set(entry) != set(LANGUAGES):
            for sub, item in entry.items():  # a group such as channel: {email: {nl, en}}
                check_entry(f"{key}.{sub}", item)
        else:
            check_entry(key, entry)
    return data


def validate_owners(data: Any, path: str = "owners.yaml") -> dict[str, dict[str, dict[str, str]]]:
    """Return {section: {match: {nl, en}}}; each rule needs id, match, owner {nl, en}, examples."""
    if not isinstance(data, dict) or set(data) != {"third_party_type", "category"}:
        raise ResourceError("needs exactly the sections third_party_type and category", path=path)
    out: dict[str, dict[str, dict[str, str]]] = {}
    seen: set[str] = set()
    for section, rules in data.items():
        out[section] = {}
        for i, rule in enumerate(rules or []):
            where = f"{section} rule {i + 1}"
            if not isinstance(rule, dict) or not {"id", "match", "owner", "examples"} <= set(rule):
                raise ResourceError("each rule needs id, match, owner and examples", path=path,
                                    where=where)
            if rule["id"] in seen:
                raise ResourceError(f"duplicate id '{rule['id']}'", path=path, where=where)
            seen.add(rule["id"])
            owner = rule["owner"]
            if not isinstance(owner, dict) or not all(isinstance(owner.get(l), str) for l in LANGUAGES):
                raise ResourceError("owner must have nl and en strings", path=path, where=where)
            if not isinstance(rule["examples"], list) or not rule["examples"]:
                raise ResourceError("examples must be a non-empty list of reason ids", path=path,
                                    where=where)
            out[section][str(rule["match"])] = owner
    return out


@lru_cache(maxsize=1)
def _texts() -> dict[str, Any]:
    return validate_texts(_read(_TEXTS), "pipeline/resources/report/texts.yaml")


@lru_cache(maxsize=1)
def owners() -> dict[str, dict[str, dict[str, str]]]:
    return validate_owners(_read(_OWNERS), "pipeline/resources/report/owners.yaml")


@dataclass
class Texts:
    """Words and formats for one language. ``t('key', n=...)`` formats a sentence."""

    lang: str = "nl"
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ConfigError(f"rapporttaal '{self.lang}' wordt niet ondersteund",
                              hint=f"kies een van: {', '.join(LANGUAGES)}")
        self._data = _texts()

    def t(self, key: str, **values: Any) -> str:
        entry = self._data.get(key)
        if entry is None:
            raise KeyError(f"no text '{key}' in texts.yaml")
        text = entry[self.lang]
        return text.format(**values) if values else text

    def label(self, group: str, key: Any) -> str:
        """A coded value (channel, category, ...) in words; unknown codes are shown as they are."""
        if key is None or (isinstance(key, float) and math.isnan(key)):
            key = "none" if group == "third_party_type" else "unknown"
        entry = self._data.get(group, {}).get(str(key))
        return entry[self.lang] if entry else str(key)

    def owner(self, reason_owner: Any, third_party_type: Any, category: Any) -> str:
        if isinstance(reason_owner, str) and reason_owner.strip():
            return reason_owner
        table = owners()
        for section, key in (("third_party_type", third_party_type), ("category", category)):
            if isinstance(key, str) and key in table[section]:
                return table[section][key][self.lang]
        return ""

    # -- numbers ---------------------------------------------------------------------------------
    def number(self, value: Any, decimals: int = 0) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "–"
        text = f"{float(value):,.{decimals}f}"
        if self.lang == "nl":
            text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return text

    def percent(self, fraction: Any, decimals: int = 1) -> str:
        if fraction is None or (isinstance(fraction, float) and not math.isfinite(fraction)):
            return "–"
        return f"{self.number(float(fraction) * 100, decimals)}%"

    def money(self, value: Any, decimals: int = 0) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "–"
        symbol = {"EUR": "€", "USD": "$", "GBP": "£"}.get(self.currency, self.currency)
        return f"{symbol} {self.number(value, decimals)}" if self.lang == "nl" \
            else f"{symbol}{self.number(value, decimals)}"

    def date(self, value: Any) -> str:
        if value is None or pd.isna(value):  # NaT
            return "–"
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            return str(value)
        month = self._data["months"][self.lang][value.month - 1]
        return f"{value.day} {month} {value.year}" if self.lang == "nl" \
            else f"{month} {value.day}, {value.year}"

    def day_month(self, value: Any) -> str:
        """'3 aug' / 'Aug 3': a week's Monday on a chart axis."""
        month = self._data["months"][self.lang][value.month - 1]
        return f"{value.day} {month}" if self.lang == "nl" else f"{month} {value.day}"

    def short_date(self, value: Any) -> str:
        if value is None or pd.isna(value):
            return "–"
        return f"{value:%d-%m-%Y}" if self.lang == "nl" else f"{value:%Y-%m-%d}"
