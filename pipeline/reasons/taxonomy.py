"""The taxonomy people own: ``models/<name>/taxonomy.yaml``, and the analyst's seed taxonomy.

Each reason: id, language, label, description, keywords, default_category, owner, merged_into,
size, examples and auto_label (what the model proposed). An analyst edits label, description,
default_category, owner or sets ``merged_into: <other id>``; on the next fit, reasons found
again keep their id and every edit (matched by which questions they hold), and merges stay.
New reasons get new ids; ids are never reused.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.atomic import write_text
from pipeline.errors import ResourceError
from pipeline.resources import read_yaml

CATEGORIES = ("voorkomen", "verschuiven", "automatiseren", "waardevol")
EDITABLE = ("label", "description", "default_category", "owner", "merged_into")
HEADER = """\
# Contact reasons of this model. You may edit: label, description, default_category
# (voorkomen | verschuiven | automatiseren | waardevol), owner, and merged_into (the id of the
# reason this one should be merged into). Edits survive the next `klantvraag reasons` run for
# every reason it finds again; `klantvraag reasons --apply` uses them at once.
# Do not change ids. keywords, size, examples, auto_label and sub_reasons (the groups a
# reason is made of where more were found than max_reasons allows) are rewritten by each fit,
# and so is theme (the theme a reason belongs to).
# themes: the level above the reasons, found by the fit; you may edit a theme's label, and it
# survives the next fit for the theme that holds most of the same reasons.
"""
_ID = re.compile(r"^[a-z]{2,8}-[A-Za-z0-9_]+$")


@dataclass
class Reason:
    id: str
    language: str
    label: str
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    default_category: str | None = None
    owner: str | None = None
    merged_into: str | None = None
    size: int = 0
    examples: list[str] = field(default_factory=list)
    auto_label: str = ""
    seeded: bool = False
    sub_reasons: list[dict] = field(default_factory=list)   # {id, label, size}; fit output
    theme: str | None = None                                 # theme id; fit output


@dataclass
class Theme:
    id: str                 # 'T01', 'T02', ... by size within the model
    label: str
    auto_label: str = ""
    size: int = 0
    reasons: list[str] = field(default_factory=list)


@dataclass
class Taxonomy:
    model_name: str
    model_version: str = ""
    reasons: list[Reason] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)

    def by_id(self) -> dict[str, Reason]:
        return {r.id: r for r in self.reasons}

    def resolve(self, reason_id: str | None) -> str | None:
        """Follow ``merged_into`` to the reason that survives (cycles stop where they close)."""
        index, seen = self.by_id(), set()
        while reason_id in index and index[reason_id].merged_into and reason_id not in seen:
            seen.add(reason_id)
            reason_id = index[reason_id].merged_into
        return reason_id

    def merged_groups(self) -> set[str]:
        """Ids of the reasons taking part in a merge: merged into another, or receiving one."""
        result: set[str] = set()
        for reason in self.reasons:
            target = self.resolve(reason.id)
            if reason.merged_into and target != reason.id:
                result |= {reason.id, target}
        return result

    def next_id(self, language: str, taken: set[str] = frozenset()) -> str:
        numbers = [int(m.group(1)) for r in self.reasons + [Reason(t, language, "") for t in taken]
                   if (m := re.fullmatch(rf"{language}-(\d+)", r.id))]
        return f"{language}-{max(numbers, default=0) + 1:03d}"


def load(path: Path, model_name: str) -> Taxonomy:
    """The saved taxonomy, validated; an empty one when the file does not exist."""
    if not path.exists():
        return Taxonomy(model_name)
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("reasons"), list):
        raise ResourceError("expected a mapping with a list 'reasons'", path=str(path))
    reasons, ids = [], set()
    for index, item in enumerate(data["reasons"]):
        where = f"reasons[{index}]"
        if not isinstance(item, dict):
            raise ResourceError("each reason must be a mapping", path=str(path), where=where)
        reason_id = item.get("id")
        if not isinstance(reason_id, str) or not _ID.match(reason_id) or reason_id in ids:
            raise ResourceError(f"reason id {reason_id!r} missing, malformed or repeated",
                                path=str(path), where=where, hint="ids look like 'nl-007'")
        ids.add(reason_id)
        known = {k: item[k] for k in Reason.__dataclass_fields__ if k in item}
        if not isinstance(known.get("label"), str) or not known["label"].strip():
            raise ResourceError("a reason needs a non-empty label", path=str(path),
                                where=f"reason {reason_id}")
        _check_category(known.get("default_category"), path, f"reason {reason_id}")
        subs = known.get("sub_reasons", [])
        if not isinstance(subs, list) or not all(
                isinstance(sub, dict) and isinstance(sub.get("id"), str)
                and sub["id"].startswith(f"{reason_id}.") and isinstance(sub.get("label"), str)
                for sub in subs):
            raise ResourceError("sub_reasons must list {id, label, size} with ids like "
                                f"'{reason_id}.1'", path=str(path), where=f"reason {reason_id}",
                                hint="leave sub_reasons as the fit wrote them")
        sub_ids = [sub["id"] for sub in subs]
        if len(set(sub_ids)) != len(sub_ids):
            raise ResourceError("a sub-reason id is repeated", path=str(path),
                                where=f"reason {reason_id}")
        reasons.append(Reason(**known))
    for reason in reasons:
        if reason.merged_into and reason.merged_into not in ids:
            raise ResourceError(f"merged_into {reason.merged_into!r} is not a reason id",
                                path=str(path), where=f"reason {reason.id}")
    return Taxonomy(data.get("model_name", model_name), str(data.get("model_version", "")),
                    reasons, _load_themes(data.get("themes") or [], path))


def _load_themes(items: Any, path: Path) -> list[Theme]:
    if not isinstance(items, list):
        raise ResourceError("'themes' must be a list", path=str(path))
    themes, ids = [], set()
    for index, item in enumerate(items):
        where = f"themes[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or \
                item["id"] in ids:
            raise ResourceError("each theme needs a unique id", path=str(path), where=where,
                                hint="leave theme ids as the fit wrote them ('T01')")
        ids.add(item["id"])
        if not isinstance(item.get("label"), str) or not item["label"].strip():
            raise ResourceError("a theme needs a non-empty label", path=str(path),
                                where=f"theme {item['id']}")
        known = {k: item[k] for k in Theme.__dataclass_fields__ if k in item}
        themes.append(Theme(**known))
    return themes


def save(taxonomy: Taxonomy, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"model_name": taxonomy.model_name, "model_version": taxonomy.model_version,
            "themes": [asdict(t) for t in taxonomy.themes],
            "reasons": [asdict(r) for r in taxonomy.reasons]}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    write_text(path, HEADER + text)


def match(new_members: dict[int, set[int]], old_members: dict[str, set[int]],
          min_overlap: float = 0.3) -> dict[int, str]:
    """One-to-one: new class -> old reason id, greedily by shared questions (most first);
    a pair counts when the shared questions are at least ``min_overlap`` of the smaller one."""
    pairs = []
    for cls, members in new_members.items():
        for reason_id, old in old_members.items():
            shared = len(members & old)
            if shared and shared >= min_overlap * min(len(members), len(old)):
                pairs.append((-shared, cls, reason_id))
    result, used = {}, set()
    for _, cls, reason_id in sorted(pairs):
        if cls not in result and reason_id not in used:
            result[cls] = reason_id
            used.add(reason_id)
    return result


# -- the analyst's seed taxonomy (guided mode) ----------------------------------------------------

@dataclass
class Seed:
    key: str
    language: str
    label: str
    examples: list[str]
    default_category: str | None = None
    owner: str | None = None
    description: str = ""


def load_seeds(path: str | Path) -> list[Seed]:
    """``reasons: [{id?, label, examples: [...], language?: nl, default_category?, owner?}]``."""
    path = Path(path)
    if not path.exists():
        raise ResourceError("seed taxonomy not found", path=str(path),
                            hint="give a YAML file with a list 'reasons' of label + examples")
    data = _read_yaml(path)
    items = data.get("reasons") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise ResourceError("expected a non-empty list 'reasons'", path=str(path))
    seeds, keys = [], set()
    for index, item in enumerate(items):
        where = f"reasons[{index}]"
        if not isinstance(item, dict):
            raise ResourceError("each reason must be a mapping", path=str(path), where=where)
        label = item.get("label")
        examples = item.get("examples")
        if not isinstance(label, str) or not label.strip():
            raise ResourceError("a seeded reason needs a label", path=str(path), where=where)
        if not isinstance(examples, list) or len(examples) < 2 or \
                not all(isinstance(e, str) and e.strip() for e in examples):
            raise ResourceError("a seeded reason needs 'examples': at least 2 phrases",
                                path=str(path), where=f"{where} ({label})")
        language = str(item.get("language", "nl"))
        key = str(item.get("id") or re.sub(r"\W+", "_", label.lower()).strip("_"))
        if key in keys:
            raise ResourceError(f"seeded reason id {key!r} repeated", path=str(path), where=where)
        keys.add(key)
        _check_category(item.get("default_category"), path, where)
        seeds.append(Seed(key, language, label.strip(), [e.strip() for e in examples],
                          item.get("default_category"), item.get("owner"),
                          str(item.get("description") or "")))
    return seeds


def _check_category(value: Any, path: Path, where: str) -> None:
    if value is not None and value not in CATEGORIES:
        raise ResourceError(f"default_category {value!r} is not valid", path=str(path),
                            where=where, hint=f"use one of {', '.join(CATEGORIES)} or leave empty")


def _read_yaml(path: Path) -> Any:
    return read_yaml(path)
