"""Chat and ticket exports (JSON, JSONL, CSV) through a field mapping (see mapping.py)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from pipeline.errors import InputFileError
from pipeline.ingest.identity import customer_key, stable_id
from pipeline.ingest.mapping import Mapping, build_tables, get_path, matches, resolve
from pipeline.ingest.records import Contact, Context, Message, Parsed
from pipeline.ingest.text import html_to_text, looks_like_html, parse_timestamp

FORMAT_NAMES = {"json": "chat_json", "jsonl": "chat_jsonl", "csv": "chat_csv"}


def load_json(data: bytes, ctx: Context) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputFileError(f"geen UTF-8-tekst (byte {exc.start})", path=ctx.path,
                             where=f"byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise InputFileError(f"ongeldige JSON: {exc.msg}", path=ctx.path,
                             where=f"regel {exc.lineno}, kolom {exc.colno}") from None
    except ValueError as exc:     # e.g. a number of more than 4,300 digits
        raise InputFileError(f"ongeldige JSON-waarde ({type(exc).__name__}): {str(exc)[:80]}",
                             path=ctx.path) from None


def load_jsonl(data: bytes, ctx: Context) -> list[tuple[int, Any]]:
    items = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"geen UTF-8-tekst (byte {exc.start})", path=ctx.path,
                             where=f"byte {exc.start}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputFileError(f"ongeldige JSON: {exc.msg}", path=ctx.path,
                                 where=f"regel {number}, kolom {exc.colno}") from None
    return items


def load_csv(data: bytes, ctx: Context) -> tuple[list[str], list[tuple[int, dict]]]:
    # A cell may hold a whole pasted log: the csv module's 128 KiB cap would refuse the file;
    # any cell fits within the file, and the message is cut to max_message_chars afterwards.
    if len(data) > csv.field_size_limit():
        csv.field_size_limit(len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    rows = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise InputFileError(f"ongeldige CSV: {exc}", path=ctx.path,
                             where=f"regel {reader.line_num}") from None
    return [c.strip() for c in reader.fieldnames or []], rows


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
        f"geen chat-mapping past bij deze {kind}-opbouw ({_describe(shape)})", path=ctx.path,
        where="kopregel" if kind == "csv" else "bovenste niveau",
        hint="schrijf een mappingbestand (zie pipeline/resources/ingest/chat_mappings) en zet het in "
             "[ingest] chat_mapping_files, of kies er een met [ingest] chat_mapping")


def _fits(mapping: Mapping, kind: str, shape: Any) -> bool:
    detect = mapping.detect
    if kind == "csv":
        return set(detect.get("csv_columns", [])) <= set(shape) and bool(detect.get("csv_columns"))
    if kind == "json":
        if not isinstance(shape, dict) or not set(detect.get("json_keys", [])) <= set(shape):
            return False
        items = get_path(shape, mapping.conversations, default=[])
        first = items[0] if isinstance(items, list) and items else {}
    else:
        first = shape
    return isinstance(first, dict) and set(detect.get("item_keys", [])) <= set(first)


def _describe(shape: Any) -> str:
    if isinstance(shape, dict):
        return "sleutels: " + ", ".join(list(shape)[:8])
    if isinstance(shape, list) and all(isinstance(c, str) for c in shape):
        return "kolommen: " + ", ".join(shape[:8])
    if isinstance(shape, list):     # a top-level JSON list: say what its items are
        kinds = sorted({type(item).__name__ for item in shape[:50]})
        return f"een lijst van {', '.join(kinds) or 'niets'}"
    return type(shape).__name__


def parse_chat(data: bytes, kind: str, ctx: Context, document: Any = None) -> Parsed:
    if kind == "json":
        document = load_json(data, ctx) if document is None else document
        mapping = choose_mapping("json", document, ctx)
        items = get_path(document, mapping.conversations, default=None)
        if not isinstance(items, list):
            raise InputFileError(f"'{mapping.conversations}' is geen lijst", path=ctx.path,
                                 where="bovenste niveau")
        located = [(f"gesprek {i + 1}", item) for i, item in enumerate(items)]
        tables = build_tables(mapping, document)
    elif kind == "jsonl":
        lines = load_jsonl(data, ctx)
        if not lines:
            raise InputFileError("geen JSON-regels", path=ctx.path)
        mapping = choose_mapping("jsonl", lines[0][1], ctx)
        located = [(f"regel {n}", item) for n, item in lines]
        tables = {}
    else:
        columns, rows = load_csv(data, ctx)
        mapping = choose_mapping("csv", columns, ctx)
        grouped: dict[str, tuple[int, dict]] = {}
        for line, row in rows:
            key = row.get(mapping.group_by) or ""
            if key not in grouped:
                grouped[key] = (line, {**row, "rows": []})
            grouped[key][1]["rows"].append(row)
        located = [(f"regel {line}", conv) for line, conv in grouped.values()]
        tables = {}
    parsed = Parsed(format=FORMAT_NAMES[kind])
    for where, item in located:
        _conversation(item, mapping, tables, ctx, where, parsed)
    return parsed


def _conversation(item: Any, mapping: Mapping, tables: dict, ctx: Context, where: str,
                  parsed: Parsed) -> None:
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
    raw_messages = []
    if mapping.first_message:
        first = get_path(item, mapping.first_message)
        if isinstance(first, dict):
            raw_messages.append(first)
    listed = get_path(item, mapping.messages, default=[])
    if not isinstance(listed, list):
        raise InputFileError(f"'{mapping.messages}' is geen lijst", path=ctx.path, where=where)
    raw_messages.extend(listed)
    messages = []
    for index, raw in enumerate(raw_messages):
        spot = f"{where}, bericht {index + 1}"
        if not isinstance(raw, dict):
            raise InputFileError("een bericht moet een object zijn", path=ctx.path, where=spot)
        if any(matches(c, raw) for c in mapping.skip_if):
            continue
        text = resolve(mapping.message["text"], raw, tables)
        text = "" if text is None else str(text)
        if mapping.html or looks_like_html(text):
            text = html_to_text(text) if looks_like_html(text) else text.strip()
        if not text.strip():
            continue
        raw_role = resolve(mapping.message["role"], raw, tables)
        role = mapping.roles.get(str(raw_role).lower() if raw_role is not None else "")
        if role is None:
            raise InputFileError(f"onbekende rol '{raw_role}'", path=ctx.path, where=spot,
                                 hint=f"voeg hem toe aan 'roles' in mapping {mapping.id} ({mapping.origin})")
        if any(matches(c, raw) for c in mapping.system_if):
            role = "system"
        sent_at = _time(resolve(mapping.message.get("sent_at"), raw, tables), mapping, ctx, spot)
        if sent_at is None and index == 0 and mapping.first_message:
            sent_at = started_at
        own_id = resolve(mapping.message.get("id"), raw, tables)
        messages.append(Message(
            message_id=stable_id("chat", mapping.name, external_id, own_id if own_id is not None else f"#{index}"),
            contact_id=contact_id, seq=len(messages), role=role, sent_at=sent_at,
            author=_str(resolve(mapping.message.get("author"), raw, tables)), text=text.strip(),
            source_id=ctx.source_id))
    times = [m.sent_at for m in messages if m.sent_at is not None]
    meta = {"mapping": mapping.id}
    for key, spec in mapping.conversation.items():
        if key not in ("id", "started_at", "subject", "customer"):
            value = resolve(spec, item, tables)
            if value is not None:
                meta[key] = value
    parsed.contacts.append(Contact(
        contact_id=contact_id, external_id=external_id, channel="chat", format=parsed.format,
        started_at=started_at or (min(times) if times else None),
        ended_at=max(times) if times else started_at,
        customer_key=customer_key(ctx.salt, _str(resolve(mapping.conversation.get("customer"), item, tables))),
        subject=_str(resolve(mapping.conversation.get("subject"), item, tables)), meta=meta,
        source_id=ctx.source_id))
    parsed.messages.extend(messages)


def _str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _time(value: Any, mapping: Mapping, ctx: Context, where: str):
    try:
        return parse_timestamp(value, mapping.timestamps)
    except (ValueError, TypeError, OverflowError, OSError):
        raise InputFileError(f"onleesbaar tijdstip '{value}'", path=ctx.path, where=where,
                             hint=f"mapping {mapping.id} verwacht tijdstippen als {mapping.timestamps}") from None
