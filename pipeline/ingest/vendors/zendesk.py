"""Zendesk Support: API ticket pages, their comment files, the Admin Center export, ticket events.

Shapes (Zendesk's own documented JSON):
- ``GET /api/v2/tickets.json`` and ``/api/v2/incremental/tickets/cursor.json`` pages:
  ``{"tickets": [...], "users": [...]?, "after_cursor", "end_of_stream", ...}``; tickets without
  comments. Their comments come from ``/api/v2/tickets/{id}/comments.json`` files
  (``{"comments": [...], "users"?}``), joined by the ticket id in the file's path after every file
  of the run is parsed (:mod:`pipeline.ingest.vendors.pieces`). Without them a ticket is read
  from its ``description``.
- The Admin Center JSON export: NDJSON, one ticket per line with its ``comments`` inside.
- ``/api/v2/incremental/ticket_events.json?include=comment_events``: read by
  :mod:`pipeline.ingest.vendors.zendesk_events`.

Roles: the ticket's requester is the customer, otherwise the sideloaded user's role (end-user /
agent / admin); Zendesk's system user (-1) is system; a comment with ``public: false`` is an
internal note (role ``note``). ``via.channel`` decides the channel (vendors.yaml).
"""

from __future__ import annotations

import re
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
    need_list,
    objects,
    when,
)
from pipeline.ingest.vendors.pieces import FileRef, Piece

NAME = "Zendesk"
VENDOR = "zendesk"
# A ticket page read in an earlier run is skipped as known, so it cannot complete a later file.
ORPHAN_HINT = (
    "lees het ticketbestand (de ticketpagina of export) in dezelfde run mee in; een "
    "ticketbestand dat al in de database staat telt niet mee, lees dan de hele export in een "
    "nieuwe database in"
)
_PAGE_KEYS = {"end_of_stream", "after_cursor", "next_page", "count", "meta", "users"}
_TICKET_IN_PATH = re.compile(r"(\d+)\D*comments[^/\\]*$|comments\D*(\d+)[^/\\]*$", re.IGNORECASE)


def _is_ticket(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and "requester_id" in item
        and "id" in item
        and isinstance(item.get("status", ""), str)
        and not isinstance(item.get("source"), int)
    )


def recognise(document: Any) -> str | None:
    if isinstance(document, list):
        first = document[0] if document else None
        return "export" if _is_ticket(first) and isinstance(first.get("comments"), list) else None
    if not isinstance(document, dict):
        return None
    if _is_ticket(document.get("ticket")):
        return "page"
    if _is_ticket(document) and isinstance(document.get("comments"), list):
        return "export"  # a one-line Admin Center export
    tickets = document.get("tickets")
    if isinstance(tickets, list):
        first = tickets[0] if tickets else None
        if first is None:
            return "page" if _PAGE_KEYS & set(document) else None
        if _is_ticket(first) and "comments" not in first:
            return "page"
        return None  # tickets with comments inside: the chat mapping 'zendesk' reads those
    found = document.get("comments")
    if isinstance(found, list) and (
        not found
        or (
            isinstance(found[0], dict)
            and "author_id" in found[0]
            and ("public" in found[0] or "plain_body" in found[0])
        )
    ):
        return "comments"
    return None


def parse(shape: str, document: Any, ctx: Any, fmt_note: str | None = None) -> Parsed:
    ref = FileRef(ctx.path, ctx.source_id, ctx.salt)
    if shape == "export":
        tickets = document if isinstance(document, list) else [document]
        parsed = Parsed(format="zendesk_export")
        for index, ticket in enumerate(objects(tickets, "ticket", ctx, "top level")):
            where = f"{'regel' if fmt_note else 'ticket'} {index + 1}"
            comments = need_list(ticket, "comments", "Zendesk-ticket", ctx, where)
            _check_comments(comments, ctx, where)
            build(
                ticket_conversation(
                    ticket, [(None, c) for c in comments], {}, ctx, where, "zendesk_export"
                ),
                ref,
                parsed,
            )
        return parsed
    users = sideloaded_users(document, ctx)
    if shape == "comments":
        comments = need_list(document, "comments", "Zendesk-comments", ctx, "top level")
        _check_comments(comments, ctx, "comments")
        ticket_id = _ticket_in_path(ctx.path)
        if ticket_id is None:
            raise fail(
                "Zendesk-comments zonder ticketnummer: de comments noemen hun ticket niet en de "
                "bestandsnaam ook niet",
                ctx,
                "bestandsnaam",
                "bewaar ze als tickets/{id}/comments.json (zoals het API-pad) "
                "of {id}_comments.json",
            )
        return Parsed(
            format="zendesk_api",
            pending=[Piece(VENDOR, "comments", ref, comments, users, ticket_id, "zendesk_api")],
        )
    tickets = (
        [document["ticket"]]
        if "ticket" in document
        else need_list(document, "tickets", "Zendesk-pagina", ctx, "top level")
    )
    for index, ticket in enumerate(objects(tickets, "ticket", ctx, "tickets")):
        need(ticket, "id", "Zendesk-ticket", ctx, f"ticket {index + 1}")
    parsed = Parsed(
        format="zendesk_api",
        pending=[Piece(VENDOR, "tickets", ref, tickets, users, None, "zendesk_api")],
    )
    if document.get("end_of_stream") is False:
        parsed.notes.append(
            "Zendesk: incrementele pagina met end_of_stream=false; lees ook de volgende "
            "pagina's (after_cursor) in"
        )
    return parsed


def ticket_key(ticket: dict) -> str:
    return str(ticket.get("id"))


def ticket_of(piece: Piece, item: dict) -> str:
    return str(piece.ticket_id)


def comment_file(ticket_id: str) -> str:
    return f"tickets/{ticket_id}/comments.json"


def orphan_message(ticket_ids: list[str]) -> str:
    return (
        f"Zendesk-comments zonder ticket: ticket {', '.join(ticket_ids[:10])} staat in geen "
        "ticketbestand van deze run"
    )


def joined(
    ticket: dict,
    found: list[tuple[Piece, dict]] | None,
    users: dict[str, dict],
    piece: Piece,
    where: str,
) -> Conversation:
    comments = [(p.ref.source_id, c) for p, c in found] if found else None
    return ticket_conversation(ticket, comments, users, piece.ref, where, "zendesk_api")


def _ticket_in_path(path: str) -> str | None:
    """The ticket id of a comments file: tickets/123/comments.json, 123_comments.json,
    comments-123.json."""
    folders = re.findall(r"(\d+)[/\\]comments[^/\\]*$", path)
    if folders:
        return folders[-1]
    match = _TICKET_IN_PATH.search(path)
    return (match.group(1) or match.group(2)) if match else None


def sideloaded_users(document: dict, ctx: Any) -> dict[str, dict]:
    users = document.get("users") or []
    if not isinstance(users, list):
        raise fail("Zendesk-pagina: 'users' is geen lijst", ctx, "users")
    return {str(u.get("id")): u for u in users if isinstance(u, dict)}


def _check_comments(comments: list, ctx: Any, where: str) -> None:
    for index, comment in enumerate(objects(comments, "comment", ctx, where)):
        need(comment, "created_at", "Zendesk-comment", ctx, f"{where}, comment {index + 1}")


def _channel(via: Any) -> tuple[str, str | None]:
    value = via.get("channel") if isinstance(via, dict) else via
    table = codes()["zendesk"]
    if value in (None, ""):
        return table["default_channel"], None
    key = str(value).strip().lower().replace(" ", "_")
    return lookup(table["via_channels"], key) or table["default_channel"], str(value)


def _role(author_id: Any, requester: str, users: dict[str, dict]) -> tuple[str, bool]:
    """(role, inferred): requester -> customer, else the user's role, system user -1 -> system,
    an unknown author -> agent (marked as inferred)."""
    author = str(author_id)
    if author == requester:
        return "customer", False
    if author == "-1":
        return "system", False
    role = lookup(codes()["zendesk"]["user_roles"], (users.get(author) or {}).get("role"))
    return (role, False) if role else ("agent", True)


def _logged_for_caller(turn: Turn) -> None:
    """A voice ticket is opened by the agent who took the call: its opening comment is the
    caller's question in the agent's words, so it counts as the customer's."""
    turn.role = "customer"
    turn.meta = {**(turn.meta or {}), "logged_by_agent": True}


def ticket_conversation(
    ticket: dict,
    comments: list[tuple[str | None, dict]] | None,
    users: dict[str, dict],
    ctx: Any,
    where: str,
    fmt: str,
) -> Conversation:
    ticket_id = str(need(ticket, "id", "Zendesk-ticket", ctx, where))
    where = f"ticket {ticket_id}"
    requester = str(ticket.get("requester_id"))
    channel, vendor_channel = _channel(ticket.get("via"))
    system_types = {t.lower() for t in codes()["zendesk"]["system_comment_types"]}
    turns = []
    if comments is not None:
        seen = set()
        for source_id, comment in comments:
            own = comment.get("id")
            if own is not None and own in seen:
                continue
            seen.add(own)
            role, inferred = _role(comment.get("author_id"), requester, users)
            if comment.get("public") is False:
                role = "note"
            elif str(comment.get("type", "")).lower() in system_types:
                role = "system"
            author = users.get(str(comment.get("author_id"))) or {}
            turns.append(
                Turn(
                    text=body(
                        comment.get("plain_body"), comment.get("body"), comment.get("html_body")
                    ),
                    role=role,
                    author=author.get("name"),
                    own_id=own,
                    source_id=source_id,
                    sent_at=when(comment.get("created_at"), ctx, f"{where}, comment {own}"),
                    meta={"role_inferred": True, "evidence": "auteur is niet de aanvrager"}
                    if inferred
                    else None,
                )
            )
        turns.sort(key=lambda t: (t.sent_at is None, t.sent_at))
        if channel == "call" and turns and turns[0].role == "agent":
            _logged_for_caller(turns[0])
    else:
        text = body(ticket.get("description"))
        if not text:
            raise fail(
                f"Zendesk-pagina zonder comments: ontbrekende bestanden {comment_file(ticket_id)}",
                ctx,
                where,
                "het ticket heeft geen description; lees de comments-bestanden mee in",
            )
        opener = ticket.get("submitter_id", ticket.get("requester_id"))
        role, _ = _role(opener, requester, users)
        turns.append(
            Turn(
                text=text,
                role=role,
                own_id="description",
                author=(users.get(str(opener)) or {}).get("name"),
                sent_at=when(ticket.get("created_at"), ctx, where),
                meta={"from": "description"},
            )
        )
        if channel == "call" and role == "agent":
            _logged_for_caller(turns[0])
    person = users.get(requester) or {}
    meta = {"vendor_channel": vendor_channel, "status": ticket.get("status")}
    if comments is None:
        meta["comments_missing"] = comment_file(ticket_id)
    return Conversation(
        vendor=VENDOR,
        external_id=ticket_id,
        channel=channel,
        fmt=fmt,
        turns=turns,
        started_at=when(ticket.get("created_at"), ctx, where),
        customer=person.get("email")
        or person.get("phone")
        or (requester if requester != "None" else None),
        subject=ticket.get("subject") or ticket.get("raw_subject"),
        meta={k: v for k, v in meta.items() if v is not None},
    )
