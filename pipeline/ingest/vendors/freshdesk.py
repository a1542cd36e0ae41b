"""Freshdesk: tickets (API v2) with their conversations.

Shapes (Freshdesk API v2):
- ``GET /api/v2/tickets/{id}?include=conversations``: one ticket object with ``conversations``;
- ``GET /api/v2/tickets/{id}/conversations``: an array of conversations, each with ``ticket_id``;
- ``GET /api/v2/tickets`` list pages: an array of tickets (no conversations).
Conversations and tickets from different files are joined by ``ticket_id`` once every file of the
run is parsed (:mod:`pipeline.ingest.vendors.pieces`).

The ticket's ``description_text`` is the opening question (from the requester, or from the agent
for an outbound e-mail). A conversation is the customer's when ``incoming``, an internal note
when ``private`` (or its source is a note), the agent's otherwise. The numeric ``source`` decides
the channel (vendors.yaml).
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
from pipeline.ingest.vendors.pieces import FileRef, Piece

NAME = "Freshdesk"
VENDOR = "freshdesk"
# A ticket page read in an earlier run is skipped as known, so it cannot complete a later file.
ORPHAN_HINT = (
    "lees het ticketbestand (de ticketpagina of export) in dezelfde run mee in; een "
    "ticketbestand dat al in de database staat telt niet mee, lees dan de hele export in een "
    "nieuwe database in"
)


def _is_ticket(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and "requester_id" in item
        and "id" in item
        and isinstance(item.get("source"), int)
        and isinstance(item.get("status"), int)
    )


def _is_conversation(item: Any) -> bool:
    return (
        isinstance(item, dict) and "ticket_id" in item and "incoming" in item and "private" in item
    )


def recognise(document: Any) -> str | None:
    if isinstance(document, list) and document:
        if all(_is_conversation(item) for item in document[:3]):
            return "conversations"
        if all(_is_ticket(item) for item in document[:3]):
            return "tickets"
        return None
    return "ticket" if _is_ticket(document) else None


def parse(shape: str, document: Any, ctx: Any, fmt_note: str | None = None) -> Parsed:
    ref = FileRef(ctx.path, ctx.source_id, ctx.salt)
    label = "regel" if fmt_note else "item"
    items = document if isinstance(document, list) else [document]
    objects(items, label, ctx, "top level")
    parsed = Parsed(format="freshdesk_api")
    if shape == "conversations":
        for index, conv in enumerate(items):
            need(conv, "ticket_id", "Freshdesk-gesprek", ctx, f"{label} {index + 1}")
            need(conv, "created_at", "Freshdesk-gesprek", ctx, f"{label} {index + 1}")
        parsed.pending.append(Piece(VENDOR, "comments", ref, items, fmt="freshdesk_api"))
        return parsed
    complete, waiting = [], []
    for index, ticket in enumerate(items):
        need(ticket, "id", "Freshdesk-ticket", ctx, f"{label} {index + 1}")
        (complete if isinstance(ticket.get("conversations"), list) else waiting).append(ticket)
    for ticket in complete:
        convs = objects(ticket["conversations"], "gesprek", ctx, f"ticket {ticket['id']}")
        build(_conversation(ticket, [(None, c) for c in convs], ref), ref, parsed)
    if waiting:
        parsed.pending.append(Piece(VENDOR, "tickets", ref, waiting, fmt="freshdesk_api"))
    return parsed


def ticket_key(ticket: dict) -> str:
    return str(ticket.get("id"))


def ticket_of(piece: Piece, item: dict) -> str:
    return str(item.get("ticket_id"))


def comment_file(ticket_id: str) -> str:
    return f"tickets/{ticket_id}/conversations.json"


def orphan_message(ticket_ids: list[str]) -> str:
    return (
        f"Freshdesk-gesprekken zonder ticket: ticket {', '.join(ticket_ids[:10])} staat in geen "
        "ticketbestand van deze run"
    )


def joined(
    ticket: dict,
    found: list[tuple[Piece, dict]] | None,
    users: dict[str, dict],
    piece: Piece,
    where: str,
) -> Conversation:
    convs = [(p.ref.source_id, c) for p, c in found] if found else []
    conv = _conversation(ticket, convs, piece.ref)
    if not found:
        conv.meta["conversations_missing"] = comment_file(str(ticket["id"]))
    if not conv.turns:
        # A list page carries no description: the ticket is still a contact (subject, channel,
        # time), kept with an empty customer turn so `klantvraag status` counts and names it.
        conv.meta["empty"] = ("Freshdesk-ticket zonder description_text en zonder gesprekken: "
                              f"exporteer met include=description of lees "
                              f"{comment_file(str(ticket['id']))} mee in")
    return conv


def _conversation(ticket: dict, convs: list[tuple[str | None, dict]], ctx: Any) -> Conversation:
    table = codes()["freshdesk"]
    ticket_id = str(ticket["id"])
    where = f"ticket {ticket_id}"
    source = lookup(table["ticket_sources"], ticket.get("source")) or {}
    channel = source.get("channel") or table["default_channel"]
    requester = ticket.get("requester") if isinstance(ticket.get("requester"), dict) else {}
    turns = []
    opening = body(ticket.get("description_text"), ticket.get("description"))
    if opening:
        by_agent = ticket.get("source") in table["agent_opened_sources"]
        turns.append(
            Turn(
                text=opening,
                role="agent" if by_agent else "customer",
                own_id="description",
                author=None if by_agent else requester.get("name"),
                sent_at=when(ticket.get("created_at"), ctx, where),
                meta={"from": "description_text"},
            )
        )
    notes = set(table["note_conversation_sources"])
    seen = set()
    for source_id, conv in convs:
        if conv.get("id") in seen:
            continue
        seen.add(conv.get("id"))
        spot = f"{where}, gesprek {conv.get('id')}"
        if conv.get("private") or conv.get("source") in notes:
            role = "note"
        elif conv.get("incoming"):
            role = "customer"
        else:
            role = "agent"
        kind = lookup(table["conversation_sources"], conv.get("source"))
        turns.append(
            Turn(
                text=body(conv.get("body_text"), conv.get("body")),
                role=role,
                author=conv.get("from_email") if role == "customer" else None,
                own_id=conv.get("id"),
                source_id=source_id,
                sent_at=when(conv.get("created_at"), ctx, spot),
                meta={"conversation_source": kind} if kind else None,
            )
        )
    head = turns[:1] if opening else []  # the opening question stays first
    turns = head + sorted(turns[len(head) :], key=lambda t: (t.sent_at is None, t.sent_at))
    meta = {
        "vendor_channel": source.get("name")
        or (str(ticket.get("source")) if ticket.get("source") is not None else None),
        "source_code": ticket.get("source"),
        "status_code": ticket.get("status"),
    }
    return Conversation(
        vendor=VENDOR,
        external_id=ticket_id,
        channel=channel,
        fmt="freshdesk_api",
        turns=turns,
        started_at=when(ticket.get("created_at"), ctx, where),
        customer=requester.get("email")
        or requester.get("phone")
        or (str(ticket["requester_id"]) if ticket.get("requester_id") is not None else None),
        subject=ticket.get("subject"),
        meta={k: v for k, v in meta.items() if v is not None},
    )
