"""Chat and ticket exports (JSON, JSONL, CSV) through a field mapping (see mapping.py)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from pipeline.errors import InputFileError
from pipeline.ingest.identity import customer_key, stable_id
from pipeline.ingest.joined import joined_by, read_messages_file
from pipeline.ingest.mapping import Mapping, build_tables, get_path, matches, resolve, role_rule
from pipeline.ingest.records import Contact, Context, Message, Parsed, empty_customer_turn
from pipeline.ingest.text import (csv_dialect, file_text, html_to_text, in_zone, looks_like_html,
                                  parse_timestamp)

FORMAT_NAMES = {"json": "chat_json", "jsonl": "chat_jsonl", "csv": "chat_csv"}
BUILTIN_ORIGIN = "pipeline/resources/ingest/chat_mappings/"


def load_json(data: bytes, ctx: Context) -> Any:
    try:
        return json.loads(file_text(data, ctx.path))
    except json.JSONDecodeError as exc:
        raise InputFileError(f"ongeldige JSON: {exc.msg}", path=ctx.path,
                             where=f"regel {exc.lineno}, kolom {exc.colno}") from None
    except ValueError as exc:     # e.g. a number of more than 4,300 digits
        raise InputFileError(f"ongeldige JSON-waarde ({type(exc).__name__}): {str(exc)[:80]}",
                             path=ctx.path) from None


def load_jsonl(data: bytes, ctx: Context) -> list[tuple[int, Any]]:
    items = []
    text = file_text(data, ctx.path)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputFileError(f"ongeldige JSON: {exc.msg}", path=ctx.path,
                                 where=f"regel {number}, kolom {exc.colno}") from None
    return items


def read_csv_rows(data: bytes, ctx: Context) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every non-empty row, the header included."""
    # A cell may hold a whole pasted log: the csv module's 128 KiB cap would refuse the file;
    # any cell fits within the file, and the message is cut to max_message_chars afterwards.
    if len(data) > csv.field_size_limit():
        csv.field_size_limit(len(data))
    text = file_text(data, ctx.path)
    reader = csv.reader(io.StringIO(text), dialect=csv_dialect(text))
    rows = []
    try:
        for row in reader:
            if row:
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise InputFileError(f"ongeldige CSV: {exc}", path=ctx.path,
                             where=f"regel {reader.line_num}") from None
    return rows


def load_csv(data: bytes, ctx: Context, table: list[tuple[int, list[str]]] | None = None
             ) -> tuple[list[str], list[tuple[int, dict]]]:
    """The header (stripped) and each row as {header: cell}, like csv.DictReader: surplus cells
    under None, missing ones None. ``table``: :func:`read_csv_rows`' result when already read."""
    table = read_csv_rows(data, ctx) if table is None else table
    if not table:
        return [], []
    header = table[0][1]
    width = len(header)
    rows = []
    for line, cells in table[1:]:
        row: dict[Any, Any] = dict(zip(header, cells))
        if len(cells) > width:
            row[None] = cells[width:]
        for name in header[len(cells):]:
            row[name] = None
        rows.append((line, row))
    return [c.strip() for c in header], rows


def fitting_mapping(kind: str, shape: Any, ctx: Context) -> Mapping | None:
    """The first mapping whose detect rules fit (auto-detection), or None."""
    return next((m for m in ctx.mappings if kind in m.formats and _fits(m, kind, shape)), None)


def choose_mapping(kind: str, shape: Any, ctx: Context) -> Mapping:
    """The configured mapping, or the first whose detect rules fit the data's shape."""
    candidates = [m for m in ctx.mappings if kind in m.formats]
    if ctx.chat_mapping != "auto":
        named = [m for m in candidates if ctx.chat_mapping in (m.id, m.name)]
        if not named:
            known = sorted({m.name for m in ctx.mappings})
            raise InputFileError(f"chat-mapping '{ctx.chat_mapping}' heeft geen {kind}-variant",
                                 path=ctx.path, hint=f"bekende mappings: {', '.join(known)}")
        return named[0]
    for mapping in candidates:
        if _fits(mapping, kind, shape):
            return mapping
    raise InputFileError(
        f"geen chat-mapping past bij deze {kind}-opbouw ({_describe(shape, kind)})", path=ctx.path,
        where="kopregel" if kind == "csv" else "bovenste niveau",
        hint="schrijf een mappingbestand (docs/mapping.md; `klantvraag inspect` toont de vorm die er het "
             "dichtst bij komt) en zet het in [ingest] chat_mapping_files, of kies er een met "
             "[ingest] chat_mapping")


def _fits(mapping: Mapping, kind: str, shape: Any) -> bool:
    detect = mapping.detect
    if kind == "csv":
        return set(detect.get("csv_columns", [])) <= set(shape) and bool(detect.get("csv_columns"))
    if kind == "json":
        if mapping.document == "array":
            first = shape[0] if isinstance(shape, list) and shape else None
        elif not isinstance(shape, dict) or not set(detect.get("json_keys", [])) <= set(shape):
            return False
        elif mapping.document == "object":
            first = shape
        else:
            items = get_path(shape, mapping.conversations, default=[])
            first = items[0] if isinstance(items, list) and items else {}
    else:
        first = shape
    return isinstance(first, dict) and set(detect.get("item_keys", [])) <= set(first)


def analyst_mapping_fits(kind: str, shape: Any, ctx: Context) -> bool:
    """Whether one of the analyst's own mapping files (ingest.chat_mapping_files) fits: theirs
    win over the built-in vendor readers, as they win over the shipped mappings."""
    return any(kind in m.formats and not m.origin.startswith(BUILTIN_ORIGIN) and _fits(m, kind, shape)
               for m in ctx.mappings)


def _describe(shape: Any, kind: str = "json") -> str:
    """A short description of what was found, for the 'no mapping fits' error (any JSON value)."""
    if isinstance(shape, dict):
        return "sleutels: " + ", ".join(str(k) for k in list(shape)[:8])
    if isinstance(shape, list) and kind == "csv":
        return "kolommen: " + ", ".join(str(c) for c in shape[:8])
    if isinstance(shape, list):
        first = next((item for item in shape if isinstance(item, dict)), None)
        if first is None:       # say what its items are
            kinds = sorted({type(item).__name__ for item in shape[:50]})
            return f"een lijst van {', '.join(kinds) or 'niets'}"
        keys = ", ".join(str(k) for k in list(first)[:8])
        return f"een lijst van {len(shape)} item(s); sleutels van het eerste object: {keys}"
    return type(shape).__name__


def parse_chat(data: bytes, kind: str, ctx: Context, document: Any = None) -> Parsed:
    """``document``: the already loaded JSON document or, for CSV, ``load_csv``'s result."""
    tables: dict = {}
    part_of = joined_by(ctx)
    if part_of is not None and kind in ("json", "jsonl"):
        return Parsed(format=FORMAT_NAMES[kind] + "_messages")   # read with its conversations
    if kind == "json":
        document = load_json(data, ctx) if document is None else document
        listed = {"conversations": document} if isinstance(document, list) and document \
            and all(isinstance(i, dict) for i in document) else None
        if listed and any(_fits(m, "json", listed) for m in ctx.mappings if "json" in m.formats):
            document = listed                    # conversations saved as a top-level list
        mapping = choose_mapping("json", document, ctx)
        located = _conversations(document, mapping, ctx)
        tables = build_tables(mapping, document)
    elif kind == "jsonl":
        lines = load_jsonl(data, ctx)
        if not lines:
            raise InputFileError("geen JSON-regels", path=ctx.path)
        mapping = choose_mapping("jsonl", lines[0][1], ctx)
        located = [(f"regel {n}", item) for n, item in lines]
    else:
        columns, rows = load_csv(data, ctx) if document is None else document
        mapping = choose_mapping("csv", columns, ctx)
        located = [(f"regel {line}", row) for line, row in rows]
    if mapping.group_by:                  # one record per message: grouped into conversations
        grouped: dict[str, tuple[str, dict]] = {}
        for where, row in located:
            key = str(_field(row, mapping.group_by) or "") if isinstance(row, dict) else ""
            if key not in grouped:
                grouped[key] = (where, {**row, "rows": []} if isinstance(row, dict) else row)
            grouped[key][1]["rows"].append(row)
        located = list(grouped.values())
    joined = read_messages_file(mapping, ctx) if mapping.messages_file else None
    parsed = Parsed(format=FORMAT_NAMES[kind], recognised_as=f"mapping {mapping.id}",
                    fields=mapped_fields(mapping))
    for where, item in located:
        _conversation(item, mapping, tables, ctx, where, parsed, joined)
    return parsed


def mapped_fields(mapping: Mapping) -> dict[str, str]:
    """Our field -> where the mapping reads it (for `klantvraag inspect`)."""
    def show(spec: Any) -> str:
        if isinstance(spec, list):
            return " | ".join(show(s) for s in spec)
        if isinstance(spec, dict):
            if "const" in spec:
                return f"vast: {spec['const']}"
            if "if" in spec:
                return f"{spec['if']} ? {spec['then']} : {spec['else']}"
            if "lookup" in spec:
                return f"{spec['lookup']}[{spec['by']}].{spec['field']}"
            return ", ".join(f"{k}: {show(v)}" for k, v in spec.items() if k != "values")
        return str(spec)

    fields = {f"contact.{k}": show(v) for k, v in mapping.conversation.items()}
    fields.update({f"bericht.{k}": show(v) for k, v in mapping.message.items()})
    if isinstance(mapping.first_message, dict):
        fields["openingsbericht"] = show(mapping.first_message["text"])
    elif mapping.first_message:
        fields["openingsbericht"] = mapping.first_message
    if mapping.messages_file:
        fields["berichten"] = f"{mapping.messages_file['file']} ({mapping.messages_file['key']})"
    fields["kanaal"] = show(mapping.channel.get("field") or mapping.channel)
    return fields


def _conversations(document: Any, mapping: Mapping, ctx: Context) -> list[tuple[str, Any]]:
    if mapping.document == "object":
        return [("bovenste niveau", document)]
    items = document if mapping.document == "array" else \
        get_path(document, mapping.conversations, default=None)
    if not isinstance(items, list):
        wanted = "het document" if mapping.document == "array" else f"'{mapping.conversations}'"
        raise InputFileError(f"{wanted} is geen lijst", path=ctx.path, where="bovenste niveau",
                             hint=f"mapping {mapping.id} ({mapping.origin}) zegt document: "
                                  f"{mapping.document}")
    noun = "rij" if mapping.group_by else "gesprek"
    return [(f"{noun} {i + 1}", item) for i, item in enumerate(items)]


def _field(row: dict, path: str) -> Any:
    """A CSV column may contain dots ('Klant.nr'): the whole name first, then as a path."""
    return row[path] if path in row else get_path(row, path)


def _conversation(item: Any, mapping: Mapping, tables: dict, ctx: Context, where: str,
                  parsed: Parsed, joined: dict[str, list] | None = None) -> None:
    if not isinstance(item, dict):
        raise InputFileError("een gesprek moet een object zijn", path=ctx.path, where=where)
    conv_id = resolve(mapping.conversation["id"], item, tables)
    if conv_id in (None, ""):
        raise InputFileError(f"gesprek zonder id ('{mapping.conversation['id']}')",
                             path=ctx.path, where=where)
    external_id = str(conv_id)
    contact_id = stable_id("chat", mapping.name, external_id)
    started_at = _time(resolve(mapping.conversation.get("started_at"), item, tables), mapping,
                       ctx, where)
    raw_messages: list[Any] = []
    first = mapping.first_message
    if isinstance(first, dict):               # the opening message is a string field
        raw_messages.append(_Opening(first, item, tables))
    elif first:
        opening = get_path(item, first)
        if isinstance(opening, dict):
            raw_messages.append(opening)
    if joined is not None:
        on = mapping.messages_file.get("on") or mapping.conversation["id"]
        raw_messages.extend(joined.get(str(resolve(on, item, tables)), []))
    elif mapping.messages:
        listed = get_path(item, mapping.messages, default=[])
        if not isinstance(listed, list):
            raise InputFileError(f"'{mapping.messages}' is geen lijst", path=ctx.path, where=where)
        raw_messages.extend(listed)
    messages = []
    for index, raw in enumerate(raw_messages):
        spot = f"{where}, bericht {index + 1}"
        if isinstance(raw, _Opening):
            text, role, when, author, own_id = raw.text, raw.role, raw.sent_at, raw.author, "opening"
            when = _time(when, mapping, ctx, spot)
        else:
            if not isinstance(raw, dict):
                raise InputFileError("een bericht moet een object zijn", path=ctx.path, where=spot)
            if any(matches(c, raw) for c in mapping.skip_if):
                continue
            text = resolve(mapping.message["text"], raw, tables)
            role = _role(raw, item, mapping, tables, ctx, spot)
            if any(matches(c, raw) for c in mapping.system_if):
                role = "system"
            when = _time(resolve(mapping.message.get("sent_at"), raw, tables), mapping, ctx, spot)
            author = resolve(mapping.message.get("author"), raw, tables)
            own_id = resolve(mapping.message.get("id"), raw, tables)
        text = "" if text is None else str(text)
        if mapping.html or looks_like_html(text):
            text = html_to_text(text) if looks_like_html(text) else text.strip()
        if not text.strip():
            continue
        if when is None and index == 0 and first:
            when = started_at
        messages.append(Message(
            message_id=stable_id("chat", mapping.name, external_id, own_id if own_id is not None else f"#{index}"),
            contact_id=contact_id, seq=len(messages), role=role, sent_at=when,
            author=_str(author), text=text.strip(), source_id=ctx.source_id))
    if not messages:
        messages.append(empty_customer_turn(contact_id, ctx.source_id, started_at))
    times = [m.sent_at for m in messages if m.sent_at is not None]
    meta = {"mapping": mapping.id}
    for key, spec in mapping.conversation.items():
        if key not in ("id", "started_at", "subject", "customer"):
            value = resolve(spec, item, tables)
            if value is not None:
                meta[key] = value
    parsed.contacts.append(Contact(
        contact_id=contact_id, external_id=external_id,
        channel=_channel(item, mapping, tables, ctx, where, meta), format=parsed.format,
        started_at=started_at or (min(times) if times else None),
        ended_at=max(times) if times else started_at,
        customer_key=customer_key(ctx.salt, _str(resolve(mapping.conversation.get("customer"), item, tables))),
        subject=_str(resolve(mapping.conversation.get("subject"), item, tables)), meta=meta,
        source_id=ctx.source_id))
    parsed.messages.extend(messages)


class _Opening:
    """The opening message kept in a string field of the conversation (a ticket's description)."""

    def __init__(self, spec: dict, item: dict, tables: dict) -> None:
        self.text = resolve(spec["text"], item, tables)
        self.role = spec.get("role", "customer")
        self.sent_at = resolve(spec.get("sent_at"), item, tables)
        self.author = resolve(spec.get("author"), item, tables)


def _role(raw: dict, item: dict, mapping: Mapping, tables: dict, ctx: Context, spot: str) -> str:
    spec = mapping.message["role"]
    if isinstance(spec, dict) and "if" in spec:
        return role_rule(spec, raw, item)
    raw_role = resolve(spec, raw, tables)
    role = mapping.roles.get(str(raw_role).lower() if raw_role is not None else "")
    if role is None:
        raise InputFileError(f"onbekende rol '{raw_role}'", path=ctx.path, where=spot,
                             hint=f"voeg hem toe aan 'roles' in mapping {mapping.id} ({mapping.origin})")
    return role


def _channel(item: dict, mapping: Mapping, tables: dict, ctx: Context, where: str, meta: dict) -> str:
    spec = mapping.channel
    if "const" in spec:
        return spec["const"]
    value = resolve(spec["field"], item, tables)
    channel = spec["values"].get(str(value).lower()) if value is not None else None
    if channel is None:
        if "default" not in spec:
            raise InputFileError(f"unknown channel value '{value}'", path=ctx.path, where=where,
                                 hint=f"add it to channel.values in mapping {mapping.id} "
                                      f"({mapping.origin}), or give channel.default")
        meta["channel_value"] = value
        return spec["default"]
    return channel


def _str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _time(value: Any, mapping: Mapping, ctx: Context, where: str):
    try:
        if mapping.timestamp_format and value not in (None, ""):
            moment = datetime.strptime(str(value).strip(), mapping.timestamp_format)
        else:
            moment = parse_timestamp(value, mapping.timestamps, naive_zone=mapping.timezone)
            return moment
    except (ValueError, TypeError, OverflowError, OSError):
        expected = f"'{mapping.timestamp_format}'" if mapping.timestamp_format else mapping.timestamps
        raise InputFileError(f"onleesbaar tijdstip '{value}'", path=ctx.path, where=where,
                             hint=f"mapping {mapping.id} ({mapping.origin}) verwacht tijdstippen "
                                  f"als {expected} (timestamp_format)") from None
    return in_zone(moment, mapping.timezone)
