"""Intercom: conversations from the REST API.

Shapes: ``GET /conversations/{id}`` (one ``{"type": "conversation", "source": {...},
"conversation_parts": {"conversation_parts": [...]}}``), list pages (``{"type":
"conversation.list", "conversations": [...]}``; the list endpoint leaves the parts out, so only
the opening ``source`` is read and the note says so), and such conversations one per line.

The opening message is ``source`` (its ``type`` decides the channel); each part with a body is a
message whose role follows ``author.type``; ``note`` parts are internal notes; parts without a
body (assignment, open, close, snoozed, ...) are skipped. Times are unix seconds.
"""

from __future__ import annotations

from typing import Any

from pipeline.ingest.records import Parsed
from pipeline.ingest.vendors.common import (
    Conversation,
    Turn,
    body,
    build,
    codes,
    fail,
    lookup,
    need,
    objects,
    when,
)

VENDOR = "intercom"


def _is_conversation(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and item.get("type") == "conversation"
        and isinstance(item.get("source"), dict)
    )


def recognise(document: Any) -> str | None:
    if isinstance(document, list):
        return "list" if document and _is_conversation(document[0]) else None
    if not isinstance(document, dict):
        return None
    if _is_conversation(document):
        return "conversation"
    found = document.get("conversations")
    if document.get("type") == "conversation.list" and isinstance(found, list):
        return "list"
    return None


def parse(shape: str, document: Any, ctx: Any, fmt_note: str | None = None) -> Parsed:
    if shape == "conversation":
        items, label = [document], "conversation"
    elif isinstance(document, list):
        items, label = document, "regel" if fmt_note else "conversation"
    else:
        items, label = document["conversations"], "conversation"
    parsed = Parsed(format="intercom_api")
    without_parts = 0
    for index, item in enumerate(objects(items, label, ctx, "conversations")):
        where = f"{label} {index + 1}"
        if not isinstance(item.get("conversation_parts"), dict):
            without_parts += 1
        build(_conversation(item, ctx, where), ctx, parsed)
    if without_parts:
        parsed.notes.append(
            f"Intercom: {without_parts} gesprek(ken) zonder conversation_parts (de lijst-API "
            "geeft alleen het openingsbericht); haal ze op met GET /conversations/{id}"
        )
    return parsed


def _conversation(item: dict, ctx: Any, where: str) -> Conversation:
    table = codes()["intercom"]
    conv_id = str(need(item, "id", "Intercom-gesprek", ctx, where))
    where = f"conversation {conv_id}"
    source = item["source"]
    source_type = source.get("type")
    channel = lookup(table["source_types"], source_type) or table["default_channel"]
    started = when(item.get("created_at"), ctx, where)
    turns = [_turn(source, body(source.get("body")), table, ctx, where, started, "source")]
    parts = (item.get("conversation_parts") or {}).get("conversation_parts") or []
    notes = {t.lower() for t in table["note_part_types"]}
    for index, part in enumerate(objects(parts, "conversation part", ctx, where)):
        text = body(part.get("body"))
        if not text:
            continue  # assignment, open, close, snoozed, ... without a message
        turn = _turn(part, text, table, ctx, f"{where}, part {index + 1}", None, part.get("id"))
        if str(part.get("part_type", "")).lower() in notes:
            turn.role = "note"
        turns.append(turn)
    author = source.get("author") or {}
    listed = (
        (item.get("contacts") or {}).get("contacts")
        if isinstance(item.get("contacts"), dict)
        else None
    )
    first_contact = listed[0] if listed and isinstance(listed[0], dict) else {}
    customer = author.get("email") if turns[0].role == "customer" else None
    meta = {
        "vendor_channel": source_type,
        "delivered_as": source.get("delivered_as"),
        "state": item.get("state"),
    }
    return Conversation(
        vendor=VENDOR,
        external_id=conv_id,
        channel=channel,
        fmt="intercom_api",
        turns=turns,
        started_at=started,
        customer=customer or first_contact.get("external_id") or first_contact.get("id"),
        subject=body(source.get("subject"), item.get("title")) or None,
        meta={k: v for k, v in meta.items() if v is not None},
    )


def _turn(part: dict, text: str, table: dict, ctx: Any, where: str, default_time, own_id) -> Turn:
    author = part.get("author") if isinstance(part.get("author"), dict) else {}
    role = lookup(table["author_roles"], author.get("type"))
    if role is None:
        raise fail(
            f"Intercom-bericht met onbekend author.type '{author.get('type')}'",
            ctx,
            where,
            "bekende types: " + ", ".join(table["author_roles"]),
        )
    return Turn(
        text=text,
        role=role,
        author=author.get("name") or author.get("email"),
        sent_at=when(part.get("created_at"), ctx, where) or default_time,
        own_id=own_id,
    )
