"""Twilio Voice Intelligence: a transcript's sentences.

Shape: the Sentences list (``GET /v2/Transcripts/{sid}/Sentences``): ``{"sentences":
[{"media_channel", "sentence_index", "start_time", "transcript", ...}], "meta": {"url": ...}}``,
and the Transcript resource (``GET /v2/Transcripts/{sid}``), saved in the same file (its fields
at the top level, or under ``"transcript"``) or as its own file of the run (joined by the sid,
:mod:`pipeline.ingest.vendors.pieces`): ``channel.participants[]`` (``channel_participant``,
``role``) says which media channel is the customer, ``media_start_time`` when the call began.
Without participants the agent's channel is inferred from what is said, never assumed to be
channel 1.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pipeline.ingest.records import Parsed
from pipeline.ingest.speakers import load_speaker_rules
from pipeline.ingest.vendors.common import (
    Conversation,
    Turn,
    build,
    codes,
    fail,
    infer_roles,
    lookup,
    objects,
    seconds,
    when,
)
from pipeline.ingest.vendors.pieces import FileRef, Piece

VENDOR = "twilio"
ORPHAN_HINT = "lees de zinnen (GET /v2/Transcripts/{sid}/Sentences) in dezelfde run mee in"
_SID = re.compile(r"/Transcripts/(GT[0-9a-fA-F]{32})")


def _sid_of(sentences: dict) -> str | None:
    resource = sentences.get("transcript") if isinstance(sentences.get("transcript"), dict) else {}
    found = _SID.search(str((sentences.get("meta") or {}).get("url") or ""))
    return resource.get("sid") or (found.group(1) if found else None)


def _is_resource(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and str(document.get("sid", "")).startswith("GT")
        and isinstance(document.get("channel"), dict)
    )


def recognise(document: Any) -> str | None:
    if _is_resource(document) and "sentences" not in document:
        return "resource"
    if not isinstance(document, dict) or not isinstance(document.get("sentences"), list):
        return None
    first = document["sentences"][0] if document["sentences"] else None
    if not (isinstance(first, dict) and "media_channel" in first and "transcript" in first):
        return None
    return "sentences"


def parse(shape: str, document: dict, ctx: Any, fmt_note: str | None = None) -> Parsed:
    ref = FileRef(ctx.path, ctx.source_id, ctx.salt, ctx.organisation_names)
    if shape == "resource":  # participants and start time for a Sentences file of this run
        return Parsed(
            format="twilio_intelligence",
            pending=[Piece(VENDOR, "comments", ref, [document], fmt="twilio_intelligence")],
        )
    if _is_resource(document.get("transcript")) or _is_resource(document):
        parsed = Parsed(format="twilio_intelligence")
        resource = document["transcript"] if _is_resource(document.get("transcript")) else document
        build(_conversation(document, resource, ctx, ctx.speakers), ctx, parsed)
        return parsed
    _check(document, ctx)  # a Sentences page alone: its Transcript may be another file
    return Parsed(
        format="twilio_intelligence",
        pending=[Piece(VENDOR, "tickets", ref, [document], fmt="twilio_intelligence")],
    )


def ticket_key(sentences: dict) -> str:
    return str(_sid_of(sentences))


def ticket_of(piece: Piece, item: dict) -> str:
    return str(item.get("sid"))


def comment_file(ticket_id: str) -> None:
    return None  # without its Transcript resource the agent is inferred


def orphan_message(ticket_ids: list[str]) -> str:
    return (
        f"Twilio-transcript zonder zinnen: {', '.join(ticket_ids[:10])} heeft geen "
        "Sentences-bestand in deze run (GET /v2/Transcripts/{sid}/Sentences)"
    )


def joined(
    sentences: dict, found: list[tuple[Piece, dict]] | None, users: dict, piece: Piece, where: str
) -> Conversation:
    resource = found[0][1] if found else {}
    return _conversation(sentences, resource, piece.ref, load_speaker_rules())


def _check(document: dict, ctx: Any) -> None:
    for index, sentence in enumerate(objects(document["sentences"], "sentence", ctx, "sentences")):
        if sentence.get("media_channel") is None:
            raise fail("Twilio-zin zonder 'media_channel'", ctx, f"sentence {index + 1}")
        seconds(sentence.get("start_time"), ctx, f"sentence {index + 1}")


def _conversation(document: dict, resource: dict, ctx: Any, rules: Any) -> Conversation:
    table = codes()["twilio"]
    _check(document, ctx)
    channel = resource.get("channel") if isinstance(resource.get("channel"), dict) else {}
    participants = [p for p in channel.get("participants") or [] if isinstance(p, dict)]
    roles = {
        str(p["channel_participant"]): lookup(table["participant_roles"], p.get("role"))
        for p in participants
        if p.get("channel_participant") is not None
    }
    turns = [
        Turn(
            text=str(sentence.get("transcript") or ""),
            role=roles.get(str(sentence["media_channel"])),
            author=f"kanaal {sentence['media_channel']}",
            offset=seconds(sentence.get("start_time"), ctx, f"sentence {index + 1}"),
            own_id=sentence.get("sid") or sentence.get("sentence_index", index),
        )
        for index, sentence in enumerate(document["sentences"])
    ]
    if not turns:
        raise fail("Twilio-transcript zonder zinnen", ctx, "sentences")
    evidence = infer_roles(turns, ctx.organisation_names, rules)
    sid = resource.get("sid") or _sid_of(document) or Path(ctx.path).name.removesuffix(".json")
    meta = {
        "language": resource.get("language_code"),
        "customer_key_twilio": resource.get("customer_key"),
    }
    if evidence:
        meta.update(role_inferred=True, evidence=evidence)
    customer = next(
        (
            p.get("media_participant_id")
            for p in participants
            if roles.get(str(p.get("channel_participant"))) == "customer"
        ),
        None,
    )
    started = when(
        resource.get("media_start_time") or resource.get("date_created"), ctx, "transcript"
    )
    return Conversation(
        VENDOR,
        str(sid),
        "call",
        "twilio_intelligence",
        turns,
        customer=customer,
        started_at=started,
        merge_turns=True,
        meta={k: v for k, v in meta.items() if v is not None},
    )
