"""Zendesk's incremental ticket event export with comment events.

Shape: ``GET /api/v2/incremental/ticket_events.json?include=comment_events``:
``{"ticket_events": [{"ticket_id", "created_at", "updater_id", "via", "child_events": [...]}],
"end_of_stream", ...}``. The ``child_events`` of type Comment hold the messages (author, body,
``public``); a Create event with ``requester_id`` names the customer. An incremental export
spreads a ticket's events over pages (later pages often start with an agent's reply), so every
page is checked when read and the tickets are built from all pages of the run at the end
(:mod:`pipeline.ingest.vendors.pieces`). Roles and channel as for tickets
(:func:`pipeline.ingest.vendors.zendesk.ticket_conversation`).
"""

from __future__ import annotations

from typing import Any

from pipeline.ingest.records import Parsed
from pipeline.ingest.vendors.common import Conversation, fail, need, need_list, objects, when
from pipeline.ingest.vendors.pieces import FileRef, Piece
from pipeline.ingest.vendors.zendesk import sideloaded_users, ticket_conversation

VENDOR = "zendesk_events"


def recognise(document: Any) -> str | None:
    if isinstance(document, dict) and isinstance(document.get("ticket_events"), list):
        return "events"
    return None


def parse(shape: str, document: dict, ctx: Any, fmt_note: str | None = None) -> Parsed:
    """A ticket_events page, checked; its tickets are built once every page of the run is read
    (an incremental export splits a ticket's events over pages: the requester is set in the
    first, later pages often start with an agent's reply)."""
    events = objects(
        need_list(document, "ticket_events", "Zendesk-ticket_events", ctx, "top level"),
        "ticket event",
        ctx,
        "ticket_events",
    )
    found = 0
    for index, event in enumerate(events):
        where = f"ticket event {index + 1}"
        need(event, "ticket_id", "Zendesk-ticket_event", ctx, where)
        comments = [c for c in _children(event) if _is_comment(c)]
        if comments:
            need(event, "created_at", "Zendesk-ticket_event", ctx, where)
            when(event["created_at"], ctx, where)
        found += len(comments)
    if not found:
        raise fail(
            "Zendesk-ticket_events zonder comments (child_events van type Comment)",
            ctx,
            "ticket_events",
            "exporteer met include=comment_events",
        )
    ref = FileRef(ctx.path, ctx.source_id, ctx.salt)
    piece = Piece(
        VENDOR, "events", ref, events, sideloaded_users(document, ctx), fmt="zendesk_events"
    )
    return Parsed(format="zendesk_events", pending=[piece])


def _children(event: dict) -> list[dict]:
    return [c for c in event.get("child_events") or [] if isinstance(c, dict)]


def _is_comment(child: dict) -> bool:
    return (child.get("event_type") or child.get("type")) in ("Comment", "VoiceComment")


def from_events(
    pieces: list[tuple[int, Piece]], users: dict[str, dict]
) -> list[tuple[int, FileRef, Conversation]]:
    """Every ticket of the run's ticket_events pages: (index of the file with its first event,
    that file, the conversation). Messages keep the file they came from."""
    tickets: dict[str, dict[str, Any]] = {}
    for owner, piece in pieces:
        for event in piece.items:
            moment = when(event.get("created_at"), piece.ref, "ticket event")
            ticket = tickets.setdefault(
                str(event["ticket_id"]),
                {"comments": [], "via": None, "requester": None, "first": None, "owner": None},
            )
            if moment is not None and (ticket["first"] is None or moment < ticket["first"][0]):
                ticket["first"] = (moment, event.get("created_at"))
                ticket["owner"] = (owner, piece.ref)
                ticket["via"] = event.get("via") or ticket["via"]
            for child in _children(event):
                if child.get("event_type") == "Create" and (
                    child.get("field_name") == "requester_id" or "requester_id" in child
                ):
                    ticket["requester"] = child.get("value", child.get("requester_id"))
                if _is_comment(child):
                    comment = {
                        **child,
                        "created_at": child.get("created_at") or event.get("created_at"),
                        "author_id": child.get("author_id", event.get("updater_id")),
                    }
                    spot = f"ticket {event['ticket_id']}"
                    at = when(comment["created_at"], piece.ref, spot) or moment
                    ticket["comments"].append((at, piece.ref.source_id, comment))
    built = []
    for ticket_id, ticket in tickets.items():
        if not ticket["comments"] or ticket["owner"] is None:
            continue
        ticket["comments"].sort(key=lambda found: found[0])
        comments = [(source_id, comment) for _, source_id, comment in ticket["comments"]]
        requester = ticket["requester"]
        if requester is None:  # no Create event in this run: the first comment's author
            requester = comments[0][1].get("author_id")
        owner, ref = ticket["owner"]
        synthetic = {
            "id": ticket_id,
            "requester_id": requester,
            "via": ticket["via"],
            "created_at": ticket["first"][1],
        }
        conv = ticket_conversation(
            synthetic, comments, users, ref, f"ticket {ticket_id}", "zendesk_events"
        )
        if ticket["requester"] is None:
            conv.meta["requester_from"] = "eerste comment"
        built.append((owner, ref, conv))
    return built
