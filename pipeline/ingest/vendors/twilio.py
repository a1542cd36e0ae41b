"""Twilio Voice Intelligence: a transcript's sentences.

Shape: the Sentences list (``GET /v2/Transcripts/{sid}/Sentences``): ``{"sentences":
[{"media_channel", "sentence_index", "start_time", "transcript", ...}], "meta": {"url": ...}}``,
optionally saved together with the Transcript resource (its fields at the top level, or under
``"transcript"``): ``channel.participants[]`` (``channel_participant``, ``role``) says which media
channel is the customer, ``media_start_time`` / ``date_created`` when the call began. Without
participants the agent's channel is inferred from what is said, never assumed to be channel 1.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.ingest.records import Parsed
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

_SID = re.compile(r"/Transcripts/(GT[0-9a-fA-F]{32})")


def recognise(document: Any) -> str | None:
    if not isinstance(document, dict) or not isinstance(document.get("sentences"), list):
        return None
    first = document["sentences"][0] if document["sentences"] else None
    return (
        "sentences"
        if isinstance(first, dict) and "media_channel" in first and "transcript" in first
        else None
    )


def parse(shape: str, document: dict, ctx: Any, fmt_note: str | None = None) -> Parsed:
    table = codes()["twilio"]
    resource = (
        document.get("transcript") if isinstance(document.get("transcript"), dict) else document
    )
    channel = resource.get("channel") if isinstance(resource.get("channel"), dict) else {}
    roles = {}
    for participant in channel.get("participants") or []:
        if isinstance(participant, dict) and participant.get("channel_participant") is not None:
            roles[str(participant["channel_participant"])] = lookup(
                table["participant_roles"], participant.get("role")
            )
    turns = []
    for index, sentence in enumerate(objects(document["sentences"], "sentence", ctx, "sentences")):
        spot = f"sentence {index + 1}"
        media = sentence.get("media_channel")
        if media is None:
            raise fail("Twilio-zin zonder 'media_channel'", ctx, spot)
        turns.append(
            Turn(
                text=str(sentence.get("transcript") or ""),
                role=roles.get(str(media)),
                author=f"kanaal {media}",
                offset=seconds(sentence.get("start_time"), ctx, spot),
                own_id=sentence.get("sid") or sentence.get("sentence_index", index),
            )
        )
    if not turns:
        raise fail("Twilio-transcript zonder zinnen", ctx, "sentences")
    evidence = infer_roles(turns, ctx.organisation_names, ctx.speakers)
    url = str((document.get("meta") or {}).get("url") or "")
    found = _SID.search(url)
    sid = (
        resource.get("sid") or (found.group(1) if found else None) or ctx.name.removesuffix(".json")
    )
    meta = {
        "language": resource.get("language_code"),
        "customer_key_twilio": resource.get("customer_key"),
    }
    if evidence:
        meta.update(role_inferred=True, evidence=evidence)
    customer = next(
        (
            p.get("media_participant_id")
            for p in channel.get("participants") or []
            if isinstance(p, dict) and roles.get(str(p.get("channel_participant"))) == "customer"
        ),
        None,
    )
    parsed = Parsed(format="twilio_intelligence")
    build(
        Conversation(
            "twilio",
            str(sid),
            "call",
            "twilio_intelligence",
            turns,
            customer=customer,
            started_at=when(
                resource.get("media_start_time") or resource.get("date_created"), ctx, "transcript"
            ),
            merge_turns=True,
            meta={k: v for k, v in meta.items() if v is not None},
        ),
        ctx,
        parsed,
    )
    return parsed
