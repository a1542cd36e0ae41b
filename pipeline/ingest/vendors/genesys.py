"""Genesys Cloud: a conversation's speech-and-text-analytics transcript.

Shape: ``{"conversationId", "mediaType"?, "transcripts": [{"phrases": [{"text",
"participantPurpose", "startTimeMs", "duration": {"milliseconds"}}]}]}``. Every transcript of the
conversation (one per communication) becomes one contact; the phrase's ``participantPurpose``
(customer / external / agent / internal / ivr / acd, vendors.yaml) is its role, and
``startTimeMs`` its time (epoch milliseconds; a small value is an offset from the start).
"""

from __future__ import annotations

from typing import Any

from pipeline.ingest.records import Parsed
from pipeline.ingest.vendors.common import (
    Conversation,
    Turn,
    build,
    codes,
    fail,
    from_epoch_ms,
    infer_roles,
    lookup,
    need,
    need_list,
    objects,
)

VENDOR = "genesys"
_EPOCH_MS = 1e11  # below this a startTimeMs is an offset, not a moment


def recognise(document: Any) -> str | None:
    if not isinstance(document, dict) or not isinstance(document.get("transcripts"), list):
        return None
    first = document["transcripts"][0] if document["transcripts"] else None
    return "transcript" if isinstance(first, dict) and "phrases" in first else None


def parse(shape: str, document: dict, ctx: Any, fmt_note: str | None = None) -> Parsed:
    table = codes()["genesys"]
    conv_id = str(need(document, "conversationId", "Genesys-transcript", ctx, "top level"))
    start_ms = document.get("conversationStartTime") or document.get("startTime")
    turns: list[tuple[float, Turn]] = []
    for t_index, transcript in enumerate(
        objects(document["transcripts"], "transcript", ctx, "transcripts")
    ):
        start_ms = start_ms or transcript.get("startTime")
        where = f"transcript {t_index + 1}"
        for index, phrase in enumerate(
            objects(
                need_list(transcript, "phrases", "Genesys-transcript", ctx, where),
                "phrase",
                ctx,
                where,
            )
        ):
            spot = f"{where}, phrase {index + 1}"
            purpose = phrase.get("participantPurpose")
            role = lookup(table["purposes"], purpose)
            if purpose is not None and role is None:
                raise fail(
                    f"Genesys-phrase met onbekende participantPurpose '{purpose}'",
                    ctx,
                    spot,
                    "bekend: " + ", ".join(table["purposes"]),
                )
            moment = phrase.get("startTimeMs")
            if not isinstance(moment, (int, float)):
                raise fail("Genesys-phrase zonder 'startTimeMs'", ctx, spot)
            turns.append(
                (
                    float(moment),
                    Turn(
                        text=str(phrase.get("text") or ""),
                        role=role,
                        author=purpose or f"kanaal {phrase.get('channelId')}",
                        own_id=f"{t_index}.{index}",
                    ),
                )
            )
    if not turns:
        raise fail("Genesys-transcript zonder phrases", ctx, "transcripts")
    turns.sort(key=lambda pair: pair[0])
    absolute = turns[0][0] >= _EPOCH_MS
    started = (
        from_epoch_ms(start_ms) if start_ms else (from_epoch_ms(turns[0][0]) if absolute else None)
    )
    begin = float(start_ms) if start_ms else (turns[0][0] if absolute else 0.0)
    for moment, turn in turns:
        if absolute:
            turn.sent_at, turn.offset = from_epoch_ms(moment), (moment - begin) / 1000.0
        else:
            turn.offset = moment / 1000.0
    ordered = [turn for _, turn in turns]
    evidence = infer_roles(ordered, ctx.organisation_names, ctx.speakers)
    media = document.get("mediaType")
    meta = {"vendor_channel": media, "language": document["transcripts"][0].get("language")}
    if evidence:
        meta.update(role_inferred=True, evidence=evidence)
    parsed = Parsed(format="genesys_transcript")
    build(
        Conversation(
            VENDOR,
            conv_id,
            lookup(table["media_types"], media) or table["default_channel"],
            "genesys_transcript",
            ordered,
            started_at=started,
            merge_turns=True,
            meta={k: v for k, v in meta.items() if v is not None},
        ),
        ctx,
        parsed,
    )
    return parsed
