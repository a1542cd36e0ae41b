"""Chat/ticket export mappings: YAML files that say where a conversation's id, times, roles and
texts live. Shipped ones are in pipeline/resources/ingest/chat_mappings/; an analyst adds their own
with ``ingest.chat_mapping_files``. Every file is validated on load.

A field spec is a dotted path ("customer.email"), a list of paths (first non-empty wins),
``{lookup: NAME, by: PATH, field: PATH}`` (join with a list elsewhere in the document) or
``{const: VALUE}``. A condition is ``{path: PATH, equals: VALUE}`` or ``{path: PATH, in: [..]}``.
The user's guide with a worked example per construct is docs/mapping.md: the document's shape
(``document``), ``channel``, ``timestamp_format``/``timezone``, an opening message from a string
field (``first_message: {text: ..}``), a role by comparing two fields
(``role: {if: "author_id == conversation.requester_id", then: customer, else: agent}``) and
messages in another file (``messages_file``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.errors import ResourceError
from pipeline.resources import parse_yaml

FORMATS = ("json", "jsonl", "csv")
ROLES = ("customer", "agent", "bot", "system")
CHANNELS = ("email", "chat", "call")
# document shape -> the file format it is read from
DOCUMENTS = {"wrapper": "json", "array": "json", "object": "json", "ndjson": "jsonl"}
CONVERSATION = "conversation."     # in a role rule: a field of the conversation, not the message
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
    first_message: str | dict[str, Any] | None
    messages: str
    message: dict[str, Any]
    system_if: tuple[dict[str, Any], ...]
    skip_if: tuple[dict[str, Any], ...]
    roles: dict[str, str]
    timestamps: str
    html: bool
    document: str = "wrapper"
    channel: dict[str, Any] = field(default_factory=lambda: {"const": "chat"})
    timestamp_format: str | None = None
    timezone: str | None = None
    messages_file: dict[str, Any] | None = None
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


def role_rule(spec: dict[str, Any], message: Any, conversation: Any) -> str:
    """``{if: "A == B", then: ROLE, else: ROLE}``: A and B are message fields, or conversation
    fields when they start with 'conversation.'."""
    left, op, right = spec["if"].split()

    def value(path: str) -> Any:
        if path.startswith(CONVERSATION):
            return get_path(conversation, path[len(CONVERSATION):])
        return get_path(message, path)

    a, b = value(left), value(right)
    equal = a is not None and b is not None and str(a) == str(b)
    return spec["then"] if equal == (op == "==") else spec["else"]


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

    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key '{unknown[0]}'; valid keys: {', '.join(sorted(KEYS))}")
    document = data.get("document", "wrapper")
    if document not in DOCUMENTS:
        raise fail("document", f"document is one of {', '.join(DOCUMENTS)} (got '{document}')")
    if "formats" not in data and "document" in data:
        data["formats"] = [DOCUMENTS[document]]
    required = ["id", "formats", "message"]
    if not data.get("messages_file") and not (isinstance(data.get("first_message"), dict)
                                              and not data.get("messages")):
        required.append("messages")
    for key in required:
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
    role = message["role"]
    if isinstance(role, dict) and "if" in role:
        _check_role_rule(role, lambda msg: fail("message.role", msg))
    first = data.get("first_message")
    specs = [*((f"message.{k}", v) for k, v in message.items() if not (k == "role" and "if" in (v or {}))),
             *((f"conversation.{k}", v) for k, v in conversation.items())]
    if isinstance(first, dict):
        if "text" not in first:
            raise fail("first_message", "first_message is a path to a message object, or "
                                        "{text: FIELD, role: ROLE, sent_at: FIELD, author: FIELD}")
        if first.get("role", "customer") not in ROLES:
            raise fail("first_message.role", f"role is one of {', '.join(ROLES)}")
        specs += [(f"first_message.{k}", v) for k, v in first.items() if k != "role"]
    for where, spec in specs:
        _check_spec(spec, lookups, lambda msg, w=where: fail(w, msg))
    roles = data.get("roles") or {}
    if not isinstance(roles, dict) or any(v not in ROLES for v in roles.values()):
        raise fail("roles", f"roles maps export values to one of {', '.join(ROLES)}")
    if not roles and not (isinstance(role, dict) and "if" in role):
        raise fail("roles", "roles (export value -> role) is required unless message.role is a "
                            "rule {if: ..., then: ..., else: ...}")
    conditions = []
    for key in ("system_if", "skip_if"):
        items = data.get(key) or []
        for item in items:
            if not isinstance(item, dict) or "path" not in item or not ({"equals", "in"} & set(item)):
                raise fail(key, "a condition is {path: ..., equals: ...} or {path: ..., in: [...]}")
        conditions.append(tuple(items))
    if document == "wrapper" and "json" in formats and not data.get("conversations") \
            and not data.get("group_by"):
        raise fail("conversations", "a wrapped document needs 'conversations' (the key of the "
                                    "list), or say document: array / object")
    if "csv" in formats and not data.get("group_by"):
        raise fail("group_by", "a CSV mapping needs group_by (the conversation id column)")
    timestamps = data.get("timestamps", "iso")
    if timestamps not in ("iso", "unix"):
        raise fail("timestamps", "timestamps is 'iso' or 'unix'")
    timestamp_format = data.get("timestamp_format")
    if timestamp_format is not None:
        _check_strptime(str(timestamp_format), lambda msg: fail("timestamp_format", msg))
    timezone = data.get("timezone")
    if timezone is not None:
        try:
            ZoneInfo(str(timezone))
        except (ZoneInfoNotFoundError, ValueError):
            raise fail("timezone", f"unknown time zone '{timezone}'; use an IANA name such as "
                                   "Europe/Amsterdam or UTC") from None
    return Mapping(
        id=str(data["id"]), name=str(data.get("name", data["id"])), origin=origin,
        formats=formats, detect=dict(data.get("detect") or {}),
        conversations=data.get("conversations"), group_by=data.get("group_by"), lookups=lookups,
        conversation=conversation, first_message=first, messages=str(data.get("messages") or ""),
        message=message, system_if=conditions[0], skip_if=conditions[1],
        roles={str(k).lower(): v for k, v in roles.items()},
        timestamps=timestamps, html=bool(data.get("html", False)), example=data.get("example"),
        example_format=data.get("example_format", formats[0]),
        example_expect=data.get("example_expect") or {}, document=document,
        channel=_channel(data.get("channel", "chat"), lambda msg: fail("channel", msg)),
        timestamp_format=timestamp_format, timezone=timezone,
        messages_file=_messages_file(data.get("messages_file"), lambda msg: fail("messages_file", msg)))


KEYS = {"id", "name", "description", "formats", "document", "detect", "conversations", "group_by",
        "lookups", "conversation", "first_message", "messages", "message", "system_if", "skip_if",
        "roles", "timestamps", "timestamp_format", "timezone", "html", "channel", "messages_file",
        "example", "example_format", "example_expect"}


def _check_role_rule(rule: dict, fail) -> None:
    parts = str(rule.get("if", "")).split()
    if len(parts) != 3 or parts[1] not in ("==", "!="):
        raise fail("a role rule is {if: \"FIELD == FIELD\", then: ROLE, else: ROLE}; a field "
                   "starting with 'conversation.' is read from the conversation")
    for key in ("then", "else"):
        if rule.get(key) not in ROLES:
            raise fail(f"'{key}' must be one of {', '.join(ROLES)}")


def _check_strptime(fmt: str, fail) -> None:
    if "%" not in fmt:
        raise fail(f"'{fmt}' has no % codes; write it like '%d-%m-%Y %H:%M' (Python strptime)")
    try:
        datetime.strptime(datetime(2026, 9, 3, 14, 5, 6).strftime(fmt), fmt)
    except ValueError as exc:
        raise fail(f"'{fmt}' is not a valid strptime format ({exc})") from None


def _channel(spec: Any, fail) -> dict[str, Any]:
    if isinstance(spec, str):
        spec = {"const": spec}
    if not isinstance(spec, dict) or not ({"const"} <= set(spec) or {"field", "values"} <= set(spec)):
        raise fail("channel is a constant (email, chat or call) or {field: PATH, values: "
                   "{export value: channel}, default: channel}")
    wanted = [spec["const"]] if "const" in spec else [*spec["values"].values(),
                                                      *([spec["default"]] if "default" in spec else [])]
    bad = [str(v) for v in wanted if v not in CHANNELS]
    if bad:
        raise fail(f"'{bad[0]}' is not a channel; valid: {', '.join(CHANNELS)}")
    if "values" in spec:
        spec = {**spec, "values": {str(k).lower(): v for k, v in spec["values"].items()}}
    return spec


def _messages_file(spec: Any, fail) -> dict[str, Any] | None:
    if spec is None:
        return None
    if not isinstance(spec, dict) or not {"file", "key"} <= set(spec):
        raise fail("messages_file needs 'file' (a name or glob next to the conversations file) and "
                   "'key' (the message field holding the conversation id); optional: 'on' "
                   "(conversation field, default its id), 'document' (array, wrapper, ndjson), "
                   "'list' (the wrapper key)")
    document = spec.get("document", "array")
    if document not in ("array", "wrapper", "ndjson"):
        raise fail(f"messages_file.document is array, wrapper or ndjson (got '{document}')")
    if document == "wrapper" and not spec.get("list"):
        raise fail("a wrapped messages file needs 'list' (the key of the message list)")
    return {**spec, "document": document}


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
