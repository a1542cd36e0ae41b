"""What the vendor readers share: the code tables (pipeline/resources/ingest/vendors.yaml),
Dutch errors that name the file, timestamps, and one contact built from its turns.

A turn with a known role keeps it; when speakers are only numbered (Amazon Transcribe's spk_0,
a Twilio media channel without participants) the agent among them is inferred with the call
ingester's cues (:mod:`pipeline.ingest.speakers`), never assumed to be speaker 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from pipeline.errors import InputFileError, ResourceError
from pipeline.ingest.identity import customer_key, stable_id
from pipeline.ingest.records import ROLES, Contact, Message, Parsed, empty_customer_turn
from pipeline.ingest.speakers import infer_agent
from pipeline.ingest.text import maybe_html, parse_timestamp, to_local
from pipeline.resources import package_file, read_yaml

ORIGIN = "pipeline/resources/ingest/vendors.yaml"
CHANNELS = ("email", "chat", "call")


@lru_cache(maxsize=1)
def codes() -> dict[str, Any]:
    """The vendor code tables, validated (keys lower-cased for lookups)."""
    data = read_yaml(package_file("ingest", "vendors.yaml"), ORIGIN)
    if not isinstance(data, dict):
        raise ResourceError("expected a mapping per vendor at the top", path=ORIGIN)
    return validate_codes(data)


def validate_codes(data: dict[str, Any], origin: str = ORIGIN) -> dict[str, Any]:
    def check(value: Any, allowed: tuple[str, ...], where: str) -> None:
        if value not in allowed:
            raise ResourceError(
                f"'{value}' is not one of {', '.join(allowed)}", path=origin, where=where
            )

    out: dict[str, Any] = {}
    for vendor, tables in data.items():
        if not isinstance(tables, dict):
            raise ResourceError("expected a mapping of tables", path=origin, where=vendor)
        fixed: dict[str, Any] = {}
        for name, table in tables.items():
            where = f"{vendor}.{name}"
            if isinstance(table, dict):
                table = {str(k).lower(): v for k, v in table.items()}
                for key, value in table.items():
                    target = value.get("channel") if isinstance(value, dict) else value
                    if (
                        name.endswith(("channels", "types", "sources"))
                        and name != "conversation_sources"
                    ):
                        check(target, CHANNELS, f"{where}.{key}")
                    elif name.endswith(("roles", "purposes")):
                        check(target, ROLES, f"{where}.{key}")
            elif name == "default_channel":
                check(table, CHANNELS, where)
            fixed[name] = table
        out[vendor] = fixed
    return out


def lookup(table: dict[str, Any], value: Any) -> Any:
    return table.get(str(value).lower()) if value is not None else None


def fail(
    message: str, ctx: Any, where: str | None = None, hint: str | None = None
) -> InputFileError:
    return InputFileError(message, path=ctx.path, where=where, hint=hint)


def need(obj: dict, key: str, what: str, ctx: Any, where: str) -> Any:
    """``obj[key]``, or a Dutch error naming the vendor shape, the missing field and the place."""
    value = obj.get(key)
    if value in (None, ""):
        raise fail(
            f"{what} zonder '{key}'",
            ctx,
            where,
            "is het bestand ingekort of met de hand bewerkt? Exporteer het opnieuw uit het systeem",
        )
    return value


def need_list(obj: dict, key: str, what: str, ctx: Any, where: str) -> list:
    value = obj.get(key)
    if not isinstance(value, list):
        raise fail(f"{what}: '{key}' is geen lijst", ctx, where)
    return value


def objects(items: list, what: str, ctx: Any, where: str) -> list[dict]:
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise fail(f"{what} {index + 1} is geen object", ctx, where)
    return items


def when(value: Any, ctx: Any, where: str) -> datetime | None:
    """ISO 8601 (UTC-aware or local), unix seconds or milliseconds -> local naive."""
    try:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        return parse_timestamp(value)
    except (ValueError, TypeError, OverflowError, OSError):
        raise fail(f"onleesbare tijd '{value}'", ctx, where) from None


def from_epoch_ms(value: Any) -> datetime | None:
    return (
        to_local(datetime.fromtimestamp(float(value) / 1000.0, tz=UTC))
        if value is not None
        else None
    )


def seconds(value: Any, ctx: Any, where: str) -> float | None:
    """An offset in seconds given as a number or a string ("12.48")."""
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise fail(f"onleesbare tijd '{value}' (seconden verwacht)", ctx, where) from None


def body(*values: Any) -> str:
    """The first non-empty text among ``values``, HTML converted to text."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return maybe_html(value)
    return ""


@dataclass
class Turn:
    """One message before it becomes a :class:`Message`."""

    text: str
    role: str | None  # None: a numbered speaker whose role is inferred
    author: str | None = None
    sent_at: datetime | None = None
    offset: float | None = None  # seconds from the call's start
    own_id: Any = None
    source_id: str | None = None  # the file it came from, when not the contact's own
    meta: dict[str, Any] | None = None


@dataclass
class Conversation:
    vendor: str
    external_id: str
    channel: str
    fmt: str
    turns: list[Turn]
    started_at: datetime | None = None
    customer: str | None = None
    subject: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    merge_turns: bool = False  # calls: consecutive phrases of one speaker become one turn


def infer_roles(turns: list[Turn], organisation_names: tuple[str, ...], rules: Any) -> str | None:
    """Give numbered speakers a role: the one the agent cues point at is the agent, the rest
    customers. Returns the evidence (None when every turn had a role)."""
    open_turns = [t for t in turns if t.role is None]
    if not open_turns:
        return None
    if any(t.role == "agent" for t in turns):
        agent, evidence = (
            None,
            "een spreker is als medewerker bekend; de andere sprekers zijn klant",
        )
    else:
        agent, evidence = infer_agent(
            [(t.author or "?", t.text) for t in open_turns], rules, organisation_names
        )
    for turn in open_turns:
        turn.role = "agent" if turn.author == agent else "customer"
        turn.meta = {**(turn.meta or {}), "role_inferred": True, "evidence": evidence}
    return evidence


def build(conv: Conversation, ctx: Any, parsed: Parsed) -> None:
    """Append one contact and its messages to ``parsed`` (turns without text are dropped)."""
    contact_id = stable_id(conv.vendor, conv.external_id)
    turns = [t for t in conv.turns if t.text and t.text.strip()]
    if conv.merge_turns:
        merged: list[Turn] = []
        for turn in turns:
            last = merged[-1] if merged else None
            if last and last.author == turn.author and last.role == turn.role:
                last.text += " " + turn.text
            else:
                merged.append(replace(turn))
        turns = merged
    messages = []
    for index, turn in enumerate(turns):
        sent_at = turn.sent_at
        if sent_at is None and turn.offset is not None and conv.started_at is not None:
            sent_at = conv.started_at + timedelta(seconds=turn.offset)
        meta = dict(turn.meta or {})
        if turn.offset is not None:
            meta["offset_s"] = round(turn.offset, 3)
        own = turn.own_id if turn.own_id not in (None, "") else f"#{index}"
        messages.append(
            Message(
                message_id=stable_id(conv.vendor, conv.external_id, own),
                contact_id=contact_id,
                seq=index,
                role=turn.role or "customer",
                sent_at=sent_at,
                author=turn.author,
                text=turn.text.strip(),
                meta=meta or None,
                source_id=turn.source_id or ctx.source_id,
            )
        )
    if not messages:      # no text left: kept and counted, never dropped without a trace
        messages.append(empty_customer_turn(contact_id, ctx.source_id, conv.started_at))
    times = [m.sent_at for m in messages if m.sent_at is not None]
    started = conv.started_at or (min(times) if times else None)
    parsed.contacts.append(
        Contact(
            contact_id=contact_id,
            external_id=conv.external_id,
            channel=conv.channel,
            format=conv.fmt,
            started_at=started,
            ended_at=max(times) if times else started,
            customer_key=customer_key(ctx.salt, conv.customer),
            subject=conv.subject or None,
            meta={"vendor": conv.vendor, **conv.meta},
            source_id=ctx.source_id,
        )
    )
    parsed.messages.extend(messages)
