"""Amazon: Connect Contact Lens analysis output and Amazon Transcribe results.

Contact Lens (post-contact analysis, ``Analysis/Voice/.../{ContactId}_analysis_{time}.json``):
``{"Channel": "VOICE", "Participants": [{"ParticipantId", "ParticipantRole"}], "Transcript":
[{"ParticipantId", "Content", "BeginOffsetMillis", "EndOffsetMillis"}], "CustomerMetadata":
{"ContactId", "InstanceId", "InputS3Uri"}}``. Roles from ParticipantRole / ParticipantId; the
call's start from the file name's time (UTC), offsets added to it.

Transcribe (``{"jobName", "results": {"transcripts", "items", "speaker_labels": {"segments"},
"audio_segments"?}}``): the newer ``audio_segments`` give turns directly; otherwise words from
``items`` are grouped by their speaker (``speaker_label`` on the item, or the segment whose items
hold its start time; with channel identification, ``channel_labels``). Speakers are only numbered (spk_0, spk_1): the agent is inferred from what
they say, never assumed to be spk_0.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pipeline.ingest.call import time_in_name
from pipeline.ingest.records import Parsed
from pipeline.ingest.text import to_local
from pipeline.ingest.vendors.common import (
    Conversation,
    Turn,
    build,
    codes,
    fail,
    infer_roles,
    lookup,
    need_list,
    objects,
    seconds,
)

_ANALYSIS_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2})[:_-]?(\d{2})[:_-]?(\d{2})(?:\.\d+)?Z")


def recognise(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    if isinstance(document.get("Transcript"), list) and (
        {"Participants", "CustomerMetadata", "Channel"} & set(document)
    ):
        return "contact_lens"
    results = document.get("results")
    if isinstance(results, dict) and (
        isinstance(results.get("items"), list) or isinstance(results.get("audio_segments"), list)
    ):
        return "transcribe"
    return None


def parse(shape: str, document: dict, ctx: Any, fmt_note: str | None = None) -> Parsed:
    return _contact_lens(document, ctx) if shape == "contact_lens" else _transcribe(document, ctx)


def _utc_in_name(name: str) -> datetime | None:
    match = _ANALYSIS_TIME.search(name)
    if not match:
        return time_in_name(name)
    day, h, m, s = match.groups()
    return to_local(datetime.fromisoformat(f"{day}T{h}:{m}:{s}").replace(tzinfo=UTC))


def _contact_lens(document: dict, ctx: Any) -> Parsed:
    table = codes()["contact_lens"]
    metadata = (
        document.get("CustomerMetadata")
        if isinstance(document.get("CustomerMetadata"), dict)
        else {}
    )
    roles = {
        str(p.get("ParticipantId")): p.get("ParticipantRole")
        for p in document.get("Participants") or []
        if isinstance(p, dict)
    }
    turns = []
    for index, item in enumerate(
        objects(
            need_list(document, "Transcript", "Contact Lens-uitvoer", ctx, "top level"),
            "Transcript-regel",
            ctx,
            "Transcript",
        )
    ):
        spot = f"Transcript {index + 1}"
        participant = item.get("ParticipantId")
        role = lookup(table["participant_roles"], roles.get(str(participant), participant))
        if role is None:
            raise fail(
                f"Contact Lens-regel met onbekende deelnemer '{participant}'",
                ctx,
                spot,
                "bekend: " + ", ".join(table["participant_roles"]),
            )
        if item.get("BeginOffsetMillis") is None:
            raise fail("Contact Lens-regel zonder 'BeginOffsetMillis'", ctx, spot)
        turns.append(
            Turn(
                text=str(item.get("Content") or ""),
                role=role,
                author=str(participant),
                offset=seconds(item["BeginOffsetMillis"], ctx, spot) / 1000.0,
                own_id=item.get("Id") or index,
            )
        )
    if not turns:
        raise fail("Contact Lens-uitvoer zonder Transcript-regels", ctx, "Transcript")
    contact_id = metadata.get("ContactId") or ctx.name.split("_analysis_")[0].removesuffix(".json")
    meta = {
        "vendor_channel": document.get("Channel"),
        "language": document.get("LanguageCode"),
        "instance_id": metadata.get("InstanceId"),
    }
    parsed = Parsed(format="contact_lens")
    build(
        Conversation(
            "contact_lens",
            str(contact_id),
            lookup(table["channels"], document.get("Channel")) or table["default_channel"],
            "contact_lens",
            turns,
            started_at=_utc_in_name(ctx.name),
            merge_turns=True,
            meta={k: v for k, v in meta.items() if v is not None},
        ),
        ctx,
        parsed,
    )
    return parsed


def _transcribe(document: dict, ctx: Any) -> Parsed:
    results = document["results"]
    turns = _audio_segments(results, ctx) if results.get("audio_segments") else _items(results, ctx)
    if not turns:
        raise fail("Amazon Transcribe-uitvoer zonder tekst", ctx, "results")
    if all(t.author is None for t in turns):
        raise fail(
            "Amazon Transcribe-uitvoer zonder sprekers (speaker_labels)",
            ctx,
            "results",
            "start de transcriptie met ShowSpeakerLabels (of kanaalidentificatie)",
        )
    evidence = infer_roles(turns, ctx.organisation_names, ctx.speakers)
    name = str(document.get("jobName") or ctx.name.removesuffix(".json"))
    meta = {
        "language": document.get("results", {}).get("language_code")
        or document.get("languageCode"),
        "role_inferred": True,
        "evidence": evidence,
    }
    parsed = Parsed(format="aws_transcribe")
    build(
        Conversation(
            "aws_transcribe",
            name,
            "call",
            "aws_transcribe",
            turns,
            started_at=time_in_name(name) or time_in_name(ctx.name),
            merge_turns=True,
            meta={k: v for k, v in meta.items() if v is not None},
        ),
        ctx,
        parsed,
    )
    return parsed


def _audio_segments(results: dict, ctx: Any) -> list[Turn]:
    turns = []
    for index, segment in enumerate(
        objects(results["audio_segments"], "audio_segment", ctx, "audio_segments")
    ):
        spot = f"audio_segment {index + 1}"
        turns.append(
            Turn(
                text=str(segment.get("transcript") or ""),
                role=None,
                author=segment.get("speaker_label") or segment.get("channel_label"),
                offset=seconds(segment.get("start_time"), ctx, spot),
                own_id=segment.get("id", index),
            )
        )
    return turns


def _items(results: dict, ctx: Any) -> list[Turn]:
    """Words -> turns: consecutive words of one speaker, punctuation attached to the word before."""
    speaker_at: dict[str, str] = {}
    labels = (
        results.get("speaker_labels") if isinstance(results.get("speaker_labels"), dict) else {}
    )
    for segment in labels.get("segments") or []:
        for item in segment.get("items") or []:
            if isinstance(item, dict) and item.get("start_time") is not None:
                speaker_at[str(item["start_time"])] = item.get("speaker_label") or segment.get(
                    "speaker_label"
                )
    items = objects(results["items"], "item", ctx, "results.items")
    channels = (
        results.get("channel_labels") if isinstance(results.get("channel_labels"), dict) else {}
    )
    if channels.get("channels") and not speaker_at and not any("speaker_label" in i for i in items):
        items = _channel_items(channels["channels"], ctx)
    turns: list[Turn] = []
    for index, item in enumerate(items):
        alternatives = item.get("alternatives") or [{}]
        word = str(alternatives[0].get("content") or "")
        if item.get("type") == "punctuation":
            if turns:
                turns[-1].text += word
            continue
        speaker = item.get("speaker_label") or speaker_at.get(str(item.get("start_time")))
        if turns and turns[-1].author == speaker:
            turns[-1].text += " " + word
        else:
            turns.append(
                Turn(
                    text=word,
                    role=None,
                    author=speaker,
                    own_id=index,
                    offset=seconds(item.get("start_time"), ctx, f"item {index + 1}"),
                )
            )
    return turns


def _channel_items(channels: list, ctx: Any) -> list[dict]:
    """Channel identification: each channel's words (ch_0, ch_1 ...) in one list by start time,
    punctuation kept behind the word it follows."""
    words: list[tuple[float, int, dict]] = []
    for channel in objects(channels, "channel", ctx, "results.channel_labels"):
        label = channel.get("channel_label")
        for item in objects(channel.get("items") or [], "item", ctx, f"channel {label}"):
            if (
                item.get("type") == "punctuation"
                and words
                and words[-1][2]["speaker_label"] == label
            ):
                last = words[-1][2]
                content = last["alternatives"][0]["content"] + str(
                    item["alternatives"][0]["content"]
                )
                last["alternatives"] = [{"content": content}]
                continue
            start = seconds(item.get("start_time"), ctx, f"channel {label}")
            words.append((start or 0.0, len(words), {**item, "speaker_label": label}))
    return [item for _, _, item in sorted(words, key=lambda w: (w[0], w[1]))]
