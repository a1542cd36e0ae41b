"""WhatsApp's .txt chat export (Dutch phone locale, iOS and Android line formats)."""

from __future__ import annotations

import re
from datetime import datetime

from pipeline.errors import InputFileError
from pipeline.ingest.identity import customer_key, looks_like_phone, stable_id
from pipeline.ingest.records import Contact, Context, Message, Parsed
from pipeline.ingest.text import file_text

# iOS:     [12-08-2026 14:05:12] Naam: tekst       Android: 12-08-2026 14:05 - Naam: tekst
_IOS = re.compile(r"^\u200e?\[(\d{1,2})[-/.](\d{1,2})[-/.](\d{2,4}),? (\d{1,2}):(\d{2})(?::(\d{2}))?\] (.*)$")
_ANDROID = re.compile(r"^\u200e?(\d{1,2})[-/.](\d{1,2})[-/.](\d{2,4}),? (\d{1,2}):(\d{2})(?::(\d{2}))? - (.*)$")
_MEDIA = re.compile(r"^\u200e?<?(Media weggelaten|Media omitted|afbeelding weggelaten|"
                    r"video weggelaten|audio weggelaten|sticker weggelaten|document weggelaten)>?$",
                    re.IGNORECASE)
_MARKS = str.maketrans("", "", "\u200e\u200f\u202a\u202c\ufeff")


def is_whatsapp(text: str) -> bool:
    lines = [line for line in text.splitlines()[:10] if line.strip()]
    hits = sum(1 for line in lines if _IOS.match(line) or _ANDROID.match(line))
    return bool(lines) and hits >= max(1, len(lines) // 2)


def parse_whatsapp(data: bytes, ctx: Context) -> Parsed:
    text = file_text(data, ctx.path)
    turns: list[list] = []      # [line, when, author, text]
    for number, line in enumerate(text.splitlines(), start=1):
        match = _IOS.match(line) or _ANDROID.match(line)
        if match:
            day, month, year, hour, minute, second, rest = match.groups()
            year_n = int(year) + (2000 if len(year) == 2 else 0)
            try:
                when = datetime(year_n, int(month), int(day), int(hour), int(minute), int(second or 0))
            except ValueError:
                raise InputFileError(f"onmogelijke datum {day}-{month}-{year}", path=ctx.path,
                                     where=f"regel {number}") from None
            author, sep, body = rest.partition(": ")
            if not sep:
                author, body = None, rest   # system line ("Berichten zijn end-to-end versleuteld")
            turns.append([number, when, author, body])
        elif turns:
            turns[-1][3] += "\n" + line
        elif line.strip():
            raise InputFileError("geen WhatsApp-export: de regel begint niet met een datum", path=ctx.path,
                                 where=f"regel {number}")
    if not turns:
        raise InputFileError("geen WhatsApp-berichten gevonden", path=ctx.path)
    contact_id = stable_id("whatsapp", ctx.name)
    names = tuple(n.lower() for n in ctx.organisation_names)
    messages, customer = [], None
    for number, when, author, body in turns:
        author = author.translate(_MARKS).strip() if author else None
        body = body.translate(_MARKS).strip()
        meta = None
        if author is None:
            role = "system"
        elif any(n in author.lower() for n in names):
            role = "agent"
        else:
            role = "customer"
            customer = customer or author
        if _MEDIA.match(body):
            meta = {"media_omitted": True}
        messages.append(Message(
            message_id=stable_id("whatsapp", ctx.name, len(messages), when.isoformat()),
            contact_id=contact_id, seq=len(messages), role=role, sent_at=when, author=author,
            text=body, meta=meta, source_id=ctx.source_id))
    identifier = customer if customer and looks_like_phone(customer) else None
    contact = Contact(
        contact_id=contact_id, external_id=ctx.name, channel="chat", format="whatsapp",
        started_at=messages[0].sent_at, ended_at=messages[-1].sent_at,
        customer_key=customer_key(ctx.salt, identifier),
        meta={"customer_name_only": identifier is None} if customer else None,
        source_id=ctx.source_id)
    return Parsed(format="whatsapp", contacts=[contact], messages=messages)
