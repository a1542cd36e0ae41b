"""Chat/ticket export mappings: YAML files that say where a conversation's id, times, roles and
texts live. Shipped ones are in pipeline/resources/ingest/chat_mappings/; an analyst adds their own
with ``ingest.chat_mapping_files``. Every file is validated on load.

A field spec is a dotted path ("customer.email"), a list of paths (first non-empty wins),
``{lookup: NAME, by: PATH, field: PATH}`` (join with a list elsewhere in the document) or
``{const: VALUE}``. A condition is ``{path: PATH, equals: VALUE}`` or ``{path: PATH, in: [..]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.errors import ResourceError
from pipeline.resources import parse_yaml

FORMATS = ("json", "jsonl", "csv")
ROLES = ("customer", "agent", "bot", "system")
_MISSING = object()


@dataclass(frozen=True)
class Mapping:
    id: str
    name: str
    origin: str
    formats: tuple[str, ...]
    detect: dict[str, Any]
    conversations: str | None
    group_by: str | None
    lookups: dict[str, dict[str, str]]
    conversation: dict[str, Any]
    first_message: str | None
    messages: str
    message: dict[str, Any]
    system_if: tuple[dict[str, Any], ...]
    skip_if: tuple[dict[str, Any], ...]
    roles: dict[str, str]
    timestamps: str
    html: bool
    example: Any = None
    example_format: str = "json"
    example_expect: dict[str, Any] = field(default_factory=dict)


def get_path(obj: Any, path: str | None, default: Any = None) -> Any:
    if path is None:
        return default
    current = obj
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part, _MISSING)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return default
        if current is _MISSING or current is None:
            return default
    return current


def resolve(spec: Any, obj: Any, tables: dict[str, dict[Any, Any]]) -> Any:
    """Evaluate a field spec against ``obj`` (see the module doc)."""
    if spec is None:
        return None
    if isinstance(spec, str):
        return get_path(obj, spec)
    if isinstance(spec, list):
        for item in spec:
            value = resolve(item, obj, tables)
            if value not in (None, ""):
                return value
        return None
    if "const" in spec:
        return spec["const"]
    key = get_path(obj, spec["by"])
    row = tables.get(spec["lookup"], {}).get(_table_key(key))
    return get_path(row, spec["field"]) if row is not None else None


def matches(condition: dict[str, Any], obj: Any) -> bool:
    value = get_path(obj, condition["path"], default=_MISSING)
    if "equals" in condition:
        return value == condition["equals"]
    return value in condition["in"]


def _table_key(value: Any) -> Any:
    return str(value) if value is not None else None


def build_tables(mapping: Mapping, document: Any) -> dict[str, dict[Any, Any]]:
    tables = {}
    for name, spec in mapping.lookups.items():
        rows = get_path(document, spec["list"], default=[]) or []
        tables[name] = {_table_key(get_path(r, spec["key"])): r for r in rows if isinstance(r, dict)}
    return tables


# -- loading and validation -----------------------------------------------------------------------

def builtin_mapping_files() -> list[Any]:
    folder = resources.files("pipeline.resources").joinpath("ingest").joinpath("chat_mappings")
    return sorted((f for f in folder.iterdir() if f.name.endswith((".yaml", ".yml"))),
                  key=lambda f: f.name)


def load_mappings(extra_files: list[str] | tuple[str, ...] = ()) -> list[Mapping]:
    """The shipped mappings plus the analyst's own (theirs first: they win auto-detection)."""
    found: list[Mapping] = []
    for file in extra_files:
        path = Path(file)
        if not path.exists():
            raise ResourceError("chat mapping file not found", path=str(path),
                                hint="check ingest.chat_mapping_files in your config")
        found.append(load_mapping(path.read_text("utf-8"), str(path)))
    found.extend(load_mapping(f.read_text("utf-8"), f"pipeline/resources/ingest/chat_mappings/{f.name}")
                 for f in builtin_mapping_files())
    ids = [m.id for m in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ResourceError(f"duplicate chat mapping id(s): {', '.join(duplicates)}",
                            path=", ".join(extra_files) or "chat_mappings")
    return found


def load_mapping(text: str, origin: str) -> Mapping:
    data = parse_yaml(text, origin)
    if not isinstance(data, dict):
        raise ResourceError("a chat mapping must be a YAML mapping", path=origin)

    def fail(rule: str, message: str) -> ResourceError:
        return ResourceError(message, path=origin, where=f"mapping {data.get('id', '?')}, {rule}")

    for key in ("id", "formats", "detect", "messages", "message", "roles"):
        if key not in data:
            raise fail(key, f"missing required key '{key}'")
    formats = tuple(data["formats"])
    if not formats or any(f not in FORMATS for f in formats):
        raise fail("formats", f"formats must be a non-empty list of {', '.join(FORMATS)}")
    message = data["message"]
    if not isinstance(message, dict) or "text" not in message or "role" not in message:
        raise fail("message", "message needs at least 'text' and 'role'")
    conversation = data.get("conversation") or {}
    if "id" not in conversation:
        raise fail("conversation", "conversation needs 'id' (the export's conversation id)")
    lookups = data.get("lookups") or {}
    for name, spec in lookups.items():
        if not isinstance(spec, dict) or not {"list", "key"} <= set(spec):
            raise fail(f"lookups.{name}", "a lookup needs 'list' and 'key'")
    for where, spec in [*((f"message.{k}", v) for k, v in message.items()),
                        *((f"conversation.{k}", v) for k, v in conversation.items())]:
        _check_spec(spec, lookups, lambda msg, w=where: fail(w, msg))
    roles = data["roles"]
    if not isinstance(roles, dict) or any(v not in ROLES for v in roles.values()):
        raise fail("roles", f"roles maps export values to one of {', '.join(ROLES)}")
    conditions = []
    for key in ("system_if", "skip_if"):
        items = data.get(key) or []
        for item in items:
            if not isinstance(item, dict) or "path" not in item or not ({"equals", "in"} & set(item)):
                raise fail(key, "a condition is {path: ..., equals: ...} or {path: ..., in: [...]}")
        conditions.append(tuple(items))
    if "csv" in formats and not data.get("group_by"):
        raise fail("group_by", "a CSV mapping needs group_by (the conversation id column)")
    timestamps = data.get("timestamps", "iso")
    if timestamps not in ("iso", "unix"):
        raise fail("timestamps", "timestamps is 'iso' or 'unix'")
    return Mapping(
        id=str(data["id"]), name=str(data.get("name", data["id"])), origin=origin,
        formats=formats, detect=dict(data["detect"] or {}),
        conversations=data.get("conversations"), group_by=data.get("group_by"), lookups=lookups,
        conversation=conversation, first_message=data.get("first_message"),
        messages=str(data["messages"]), message=message, system_if=conditions[0],
        skip_if=conditions[1], roles={str(k): v for k, v in roles.items()},
        timestamps=timestamps, html=bool(data.get("html", False)), example=data.get("example"),
        example_format=data.get("example_format", formats[0]),
        example_expect=data.get("example_expect") or {})


def _check_spec(spec: Any, lookups: dict, fail) -> None:
    if spec is None or isinstance(spec, str):
        return
    if isinstance(spec, list):
        for item in spec:
            _check_spec(item, lookups, fail)
        return
    if isinstance(spec, dict) and "const" in spec:
        return
    if isinstance(spec, dict) and {"lookup", "by", "field"} <= set(spec):
        if spec["lookup"] not in lookups:
            raise fail(f"unknown lookup '{spec['lookup']}'")
        return
    raise fail("a field is a path, a list of paths, {const: ...} or {lookup:, by:, field:}")
