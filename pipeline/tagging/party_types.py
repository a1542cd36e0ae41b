"""The words a user may write as a party type in [[organisatie.partijen]], from party_types.yaml."""

from __future__ import annotations

from functools import lru_cache

from pipeline.errors import ResourceError
from pipeline.resources import parse_yaml
from pipeline.tagging.rules import THIRD_PARTY_TYPES, package_dir

_FILE = "pipeline/resources/tagging/party_types.yaml"


def _key(word: str) -> str:
    return " ".join(word.lower().replace("_", " ").replace("-", " ").split())


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    data = parse_yaml(package_dir().joinpath("party_types.yaml").read_text("utf-8"), _FILE)
    types = (data or {}).get("types") or {}
    if set(types) != set(THIRD_PARTY_TYPES):
        raise ResourceError(f"types must list exactly {', '.join(THIRD_PARTY_TYPES)}", path=_FILE)
    table = {}
    for kind, words in types.items():
        for word in words:
            if _key(word) in table and table[_key(word)] != kind:
                raise ResourceError(f"'{word}' is listed under two types", path=_FILE)
            table[_key(word)] = kind
    return table


def canonical_type(written: str) -> str | None:
    """'Network Operator' -> 'supplier'; None when the word is not known."""
    return _table().get(_key(written))


def known_types() -> str:
    return ", ".join(THIRD_PARTY_TYPES) + " (of een alias uit party_types.yaml, bv. 'network " \
        "operator', 'collection agency')"


def examples() -> list[dict]:
    data = parse_yaml(package_dir().joinpath("party_types.yaml").read_text("utf-8"), _FILE)
    return list(data.get("examples") or [])
