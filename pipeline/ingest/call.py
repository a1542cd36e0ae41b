"""Call transcripts: labelled plain text, WebVTT, SRT and speech-to-text JSON (Whisper-style
segments, diarised segments with speaker labels) -> one contact per file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pipeline.errors import InputFileError
from pipeline.ingest.identity import customer_key, stable_id
from pipeline.ingest.records import Contact, Context, Message, Parsed
from pipeline.ingest.speakers import SpeakerRules, infer_agent, score_text
from pipeline.ingest.text import file_text, parse_timestamp

_NAME_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[_T ](\d{2})[-:.h](\d{2})(?:[-:.m](\d{2}))?")
_HEADER = re.compile(r"^\s*#\s*([\w ]+?)\s*:\s*(.*)$")
_LINE_LABEL = re.compile(r"^\s*(?:[\[(]?(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)[\])]?\s*)?"
                         r"([A-Za-zÀ-ÿ][\w .'-]{0,30}?)\s*:\s*(.*)$")
_OFFSET = re.compile(r"^\s*[\[(]?(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)[\])]?\s+(.*)$")
_TIMING = re.compile(r"^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})")
_VOICE = re.compile(r"<v(?:\.[\w.]+)?\s+([^>]+)>")
_TAGS = re.compile(r"</?[a-z][^>]*>|<\d[\d:.]*>")


@dataclass
class Segment:
    speaker: str | None
    text: str
    offset: float | None = None


def _text(data: bytes, ctx: Context) -> str:
    return file_text(data, ctx.path)


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


def _header_value(headers: dict[str, str], rules: SpeakerRules, kind: str) -> str | None:
    for key in rules.header_keys.get(kind, ()):
        if headers.get(key):
            return headers[key]
    return None


def split_label(line: str, rules: SpeakerRules) -> tuple[str | None, str, float | None]:
    """'Klant: tekst' -> ('Klant', 'tekst'); a known or numbered label only, else (None, line)."""
    match = _LINE_LABEL.match(line)
    if match and (rules.role_of(match.group(2)) or rules.is_numbered(match.group(2))):
        offset = _seconds(match.group(1)) if match.group(1) else None
        return match.group(2).strip(), match.group(3).strip(), offset
    return None, line.strip(), None


def parse_transcript_txt(data: bytes, ctx: Context) -> Parsed:
    rules: SpeakerRules = ctx.speakers
    headers: dict[str, str] = {}
    segments: list[Segment] = []
    for number, line in enumerate(_text(data, ctx).splitlines(), start=1):
        if not line.strip():
            continue
        header = _HEADER.match(line)
        if header and not segments:
            headers[header.group(1).strip().lower()] = header.group(2).strip()
            continue
        speaker, text, offset = split_label(line, rules)
        if speaker is None and segments and segments[-1].speaker is not None:
            segments[-1].text += "\n" + text   # continuation of a labelled turn
            continue
        if speaker is None:
            timed = _OFFSET.match(line)
            if timed:
                offset, text = _seconds(timed.group(1)), timed.group(2).strip()
        segments.append(Segment(speaker, text, offset))
    return build_call(segments, headers, ctx, "transcript_txt")


def parse_webvtt(data: bytes, ctx: Context) -> Parsed:
    return _parse_cues(_text(data, ctx), ctx, "webvtt")


def parse_srt(data: bytes, ctx: Context) -> Parsed:
    return _parse_cues(_text(data, ctx), ctx, "srt")


def _parse_cues(text: str, ctx: Context, fmt: str) -> Parsed:
    rules: SpeakerRules = ctx.speakers
    lines = text.splitlines()
    headers: dict[str, str] = {}
    segments: list[Segment] = []
    index = 0
    if fmt == "webvtt":
        if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
            raise InputFileError("geen WebVTT: de eerste regel moet 'WEBVTT' zijn", path=ctx.path, where="regel 1")
        index = 1
    while index < len(lines):
        while index < len(lines) and not lines[index].strip():
            index += 1
        if index >= len(lines):
            break
        start = index
        block = []
        while index < len(lines) and lines[index].strip():
            block.append(lines[index])
            index += 1
        if fmt == "webvtt" and block[0].startswith(("NOTE", "STYLE", "REGION")):
            for note in block:
                key, sep, value = note.removeprefix("NOTE").strip().partition(":")
                if sep:
                    headers[key.strip().lower()] = value.strip()
            continue
        timing_at = next((i for i, b in enumerate(block[:3]) if "-->" in b), None)
        if timing_at is None:
            raise InputFileError("hier hoort een tijdregel ('00:00:01.000 --> 00:00:04.000')",
                                 path=ctx.path, where=f"regel {start + 1}")
        timing = _TIMING.match(block[timing_at])
        if not timing:
            raise InputFileError(f"onleesbare tijdregel '{block[timing_at].strip()[:60]}'",
                                 path=ctx.path, where=f"regel {start + timing_at + 1}")
        body = " ".join(b.strip() for b in block[timing_at + 1:])
        voice = _VOICE.search(body)
        speaker = voice.group(1).strip() if voice else None
        body = _TAGS.sub("", body).strip()
        if speaker is None:
            speaker, body, _ = split_label(body, rules)
        if body:
            segments.append(Segment(speaker, body, _seconds(timing.group(1))))
    return build_call(segments, headers, ctx, fmt)


def is_stt_json(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("segments"), list)


def parse_stt_json(document: dict, ctx: Context) -> Parsed:
    segments = []
    for number, raw in enumerate(document["segments"], start=1):
        if not isinstance(raw, dict) or "text" not in raw:
            raise InputFileError("een segment heeft 'text' nodig", path=ctx.path, where=f"segment {number}")
        text = str(raw["text"] or "").strip()
        if not text:
            continue
        try:
            offset = float(raw["start"]) if raw.get("start") is not None else None
        except (TypeError, ValueError):
            raise InputFileError(f"begintijd '{raw.get('start')}' van het segment is geen getal",
                                 path=ctx.path, where=f"segment {number}") from None
        speaker = raw.get("speaker")
        segments.append(Segment(str(speaker) if speaker not in (None, "") else None, text, offset))
    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    headers = {str(k).lower(): str(v) for k, v in metadata.items() if v is not None}
    parsed = build_call(segments, headers, ctx, "stt_json")
    if document.get("language"):
        parsed.contacts[0].meta = {**(parsed.contacts[0].meta or {}), "stt_language": document["language"]}
    return parsed


def _started_at(headers: dict[str, str], ctx: Context) -> datetime | None:
    value = _header_value(headers, ctx.speakers, "started_at")
    if value:
        try:
            return parse_timestamp(value.replace(" ", "T", 1) if "T" not in value else value)
        except ValueError:
            raise InputFileError(f"onleesbare datum '{value}' in de kop", path=ctx.path,
                                 where="kop") from None
    return time_in_name(ctx.name)


def time_in_name(name: str) -> datetime | None:
    """A call's start written in its file name ('gesprek_2026-08-01_09-46-21.txt'), local time."""
    match = _NAME_TIME.search(name)
    if match:
        y, mo, d, h, mi, s = match.groups()
        try:
            return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
        except ValueError:
            return None
    return None


def build_call(segments: list[Segment], headers: dict[str, str], ctx: Context, fmt: str) -> Parsed:
    """Segments -> one contact: roles from labels, inferred for numbered speakers, turns merged."""
    if not segments:
        raise InputFileError("geen tekst van het gesprek gevonden", path=ctx.path)
    rules: SpeakerRules = ctx.speakers
    names = ctx.organisation_names
    roles: dict[str | None, str] = {}
    evidence = None
    labelled = [s for s in segments if s.speaker is not None]
    unknown = []
    for seg in labelled:
        if seg.speaker not in roles and seg.speaker not in unknown:
            role = rules.role_of(seg.speaker)
            if role:
                roles[seg.speaker] = role
            else:
                unknown.append(seg.speaker)
    if unknown:
        if "agent" in roles.values():
            agent, evidence = None, "an explicitly labelled agent exists; other speakers are customers"
        else:
            turns = [(s.speaker, s.text) for s in labelled if s.speaker in unknown]
            agent, evidence = infer_agent(turns, rules, names)
        for speaker in unknown:
            roles[speaker] = "agent" if speaker == agent else "customer"
    merged: list[Segment] = []
    for seg in segments:
        if merged and seg.speaker is not None and merged[-1].speaker == seg.speaker:
            merged[-1].text += " " + seg.text
        else:
            merged.append(Segment(seg.speaker, seg.text, seg.offset))
    started_at = _started_at(headers, ctx)
    contact_id = stable_id("call", ctx.name)
    messages = []
    inferred_any = bool(unknown)
    for seg in merged:
        meta = None
        if seg.speaker is None:
            score, fired = score_text(seg.text, rules, names)
            role = "agent" if score > 0 else "customer"
            meta = {"role_inferred": True, "evidence": "no speaker label; " + (
                f"cues {', '.join(fired)}" if fired else "no agent cue -> customer")}
            inferred_any = True
        else:
            role = roles[seg.speaker]
            if seg.speaker in unknown:
                meta = {"role_inferred": True, "evidence": evidence}
        sent_at = started_at + timedelta(seconds=seg.offset) if started_at and seg.offset is not None \
            else started_at
        messages.append(Message(
            message_id=stable_id("call", ctx.name, len(messages)), contact_id=contact_id,
            seq=len(messages), role=role, sent_at=sent_at, author=seg.speaker, text=seg.text,
            meta=meta, source_id=ctx.source_id))
    meta: dict[str, Any] = {"speaker_labels": "none" if not labelled else
                            ("numbered" if unknown else "named")}
    if inferred_any:
        meta.update(role_inferred=True, evidence=evidence or "no speaker labels; roles per segment by cues")
    caller = _header_value(headers, rules, "caller")
    times = [m.sent_at for m in messages if m.sent_at]
    contact = Contact(
        contact_id=contact_id, external_id=ctx.name, channel="call", format=fmt,
        started_at=started_at, ended_at=max(times) if times else started_at,
        customer_key=customer_key(ctx.salt, caller), meta=meta, source_id=ctx.source_id)
    return Parsed(format=fmt, contacts=[contact], messages=messages)
