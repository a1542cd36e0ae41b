"""The plain records every parser produces and the writer stores.

Parsers are pure: bytes in, :class:`Parsed` out, no database. Ids are derived from content so that
ingesting the same export twice yields the same keys (see :mod:`pipeline.ingest.identity`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.ingest.identity import stable_id


@dataclass
class Attachment:
    filename: str | None
    content_type: str | None
    size_bytes: int | None


@dataclass
class Message:
    message_id: str
    contact_id: str
    seq: int
    role: str                      # customer | agent | bot | system | note (an internal note)
    sent_at: datetime | None
    author: str | None
    text: str
    external_id: str | None = None  # the source's own id (an e-mail's Message-ID without <>)
    meta: dict[str, Any] | None = None
    attachments: list[Attachment] = field(default_factory=list)
    source_id: str = ""


@dataclass
class Contact:
    contact_id: str
    external_id: str
    channel: str                   # email | chat | call
    format: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    customer_key: str | None = None
    subject: str | None = None
    thread_key: str | None = None
    meta: dict[str, Any] | None = None
    source_id: str = ""


@dataclass
class Parsed:
    """What one input file yields: its contacts and their messages (in order)."""

    format: str
    contacts: list[Contact] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    # E-mails are threaded across files after parsing; until then they wait here.
    mails: list[Any] = field(default_factory=list)
    # For `klantvraag inspect`: what the file was recognised as and which field fed what.
    recognised_as: str | None = None            # e.g. "mapping generic", "sheet 'Contacten'"
    fields: dict[str, str] = field(default_factory=dict)   # our field -> the export's field
    # Vendor ticket parts that other files of the run complete (pipeline.ingest.vendors.pieces).
    pending: list[Any] = field(default_factory=list)
    # What the user should know about a file that was read (stored with its sources row).
    notes: list[str] = field(default_factory=list)


ROLES = ("customer", "agent", "bot", "system", "note")


def empty_customer_turn(contact_id: str, source_id: str, sent_at: datetime | None) -> Message:
    """A contact that has no text left after reading keeps one empty customer turn, so it is
    stored, counted and named by `klantvraag status` instead of vanishing with no messages."""
    return Message(message_id=stable_id(contact_id, "empty"), contact_id=contact_id, seq=0,
                   role="customer", sent_at=sent_at, author=None, text="",
                   meta={"empty": "geen tekst na inlezen"}, source_id=source_id)


@dataclass
class Context:
    """What a parser needs besides the bytes: where they came from and the run's settings."""

    path: str                       # display path (zip members as 'archive.zip!/member')
    name: str                       # base name of the file (a transcript's external id)
    source_id: str
    salt: str = ""
    agent_domains: tuple[str, ...] = ()
    organisation_names: tuple[str, ...] = ()
    chat_mapping: str = "auto"
    mappings: tuple[Any, ...] = ()  # pipeline.ingest.mapping.Mapping, loaded once per run
    speakers: Any = None            # pipeline.ingest.speakers.SpeakerRules, loaded once per run
    limits: Any = None              # pipeline.ingest.limits.Limits (defaults when None)


@dataclass
class Batch:
    """Whole parsed files waiting to be written in one transaction."""

    sources: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    mails: list[Any] = field(default_factory=list)       # e-mail.Mail records, threaded when written
    supersede: set[str] = field(default_factory=set)     # old source ids of changed files
    replace: set[str] = field(default_factory=set)       # source rows re-read (error/superseded before)

    def __len__(self) -> int:
        return len(self.sources)


@dataclass
class Written:
    """What a flush added, per format: new contacts and messages; contacts dropped by supersede."""

    contacts: Counter = field(default_factory=Counter)
    messages: Counter = field(default_factory=Counter)
    removed_contacts: int = 0
    removed_messages: int = 0
