"""Tickets whose messages live in other files of the same run (a Zendesk ticket page and its
``tickets/{id}/comments.json`` files, Freshdesk tickets and their conversations, a Twilio
Sentences page and its Transcript resource), joined once every file of the run is parsed.

A file with such a part is parsed like any other, but its :class:`Parsed` carries ``pending``
pieces instead of contacts; ``pipeline.ingest.run`` holds those files back and hands them to
:func:`resolve` after the last window. Files are joined in any order; a ticket whose comment files
are absent is read from its own description, and its file's note names the missing files.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import InputFileError
from pipeline.ingest.records import Parsed


@dataclass(frozen=True)
class FileRef:
    """What a joined contact needs of the file it came from (a Context without the run's rules)."""

    path: str
    source_id: str
    salt: str = ""
    organisation_names: tuple[str, ...] = ()


@dataclass
class Piece:
    vendor: str  # zendesk | freshdesk
    kind: str  # tickets | comments
    ref: FileRef
    items: list[dict]  # tickets, or comments / conversations
    users: dict[str, dict] = field(default_factory=dict)
    ticket_id: str | None = None  # comments: the ticket they belong to (Zendesk: from the path)
    fmt: str = ""


def _module(vendor: str) -> Any:
    from pipeline.ingest.vendors import freshdesk, twilio, zendesk, zendesk_events

    modules = {
        "zendesk": zendesk,
        "zendesk_events": zendesk_events,
        "freshdesk": freshdesk,
        "twilio": twilio,
    }
    return modules[vendor]


def resolve(held: list[Parsed]) -> list[tuple[Any, ...]]:
    """Join the held files; one outcome per file, in order: ("ok", Parsed) or ("error", message,
    where, hint) as :func:`pipeline.ingest.parallel.parse_job` returns them."""
    comments: dict[tuple[str, str], list[tuple[Piece, dict]]] = defaultdict(list)
    users: dict[str, dict[str, dict]] = defaultdict(dict)
    for parsed in held:
        for piece in parsed.pending:
            users[piece.vendor].update(piece.users)
            if piece.kind == "comments":
                module = _module(piece.vendor)
                for item in piece.items:
                    comments[(piece.vendor, module.ticket_of(piece, item))].append((piece, item))
    used: set[tuple[str, str]] = set()
    outcomes: list[tuple[Any, ...] | None] = []
    for parsed in held:
        out = Parsed(format=parsed.format, notes=list(parsed.notes))
        try:
            for piece in parsed.pending:
                if piece.kind == "tickets":
                    used |= _tickets(piece, comments, users[piece.vendor], out)
        except InputFileError as exc:
            outcomes.append(("error", exc.message, exc.where, exc.hint))
            continue
        outcomes.append(("ok", out))
    _events(held, users, outcomes)
    for index, parsed in enumerate(held):
        if outcomes[index][0] != "ok":
            continue
        for piece in parsed.pending:
            if piece.kind != "comments":
                continue
            keys = {_module(piece.vendor).ticket_of(piece, item) for item in piece.items}
            orphans = sorted(k for k in keys if (piece.vendor, k) not in used)
            if orphans and len(orphans) == len(keys):
                outcomes[index] = (
                    "error",
                    _module(piece.vendor).orphan_message(orphans),
                    None,
                    _module(piece.vendor).ORPHAN_HINT,
                )
            elif orphans:
                outcomes[index][1].notes.append(_module(piece.vendor).orphan_message(orphans))
    return outcomes


def _events(held: list[Parsed], users: dict, outcomes: list) -> None:
    """Tickets told by event pages (Zendesk ticket_events): built from every page of the run."""
    from pipeline.ingest.vendors.common import build

    by_vendor: dict[str, list[tuple[int, Piece]]] = defaultdict(list)
    for index, parsed in enumerate(held):
        for piece in parsed.pending:
            if piece.kind == "events" and outcomes[index][0] == "ok":
                by_vendor[piece.vendor].append((index, piece))
    for vendor, pieces in by_vendor.items():
        for owner, ref, conv in _module(vendor).from_events(pieces, users[vendor]):
            build(conv, ref, outcomes[owner][1])


def _tickets(
    piece: Piece, comments: dict, users: dict[str, dict], out: Parsed
) -> set[tuple[str, str]]:
    from pipeline.ingest.vendors.common import build

    module = _module(piece.vendor)
    used, missing = set(), []
    for index, ticket in enumerate(piece.items):
        key = module.ticket_key(ticket)
        found = comments.get((piece.vendor, key))
        if found:
            used.add((piece.vendor, key))
        elif module.comment_file(key):
            missing.append(module.comment_file(key))
        build(module.joined(ticket, found, users, piece, f"ticket {index + 1}"), piece.ref, out)
    if missing:
        shown = ", ".join(missing[:10]) + (
            f" en nog {len(missing) - 10}" if len(missing) > 10 else ""
        )
        out.notes.append(
            f"{module.NAME}: {len(missing)} ticket(s) alleen uit de beschrijving gelezen, "
            f"ontbrekende bestanden {shown}"
        )
    return used
