"""Contact-centre tools' own JSON exports, read as they come out of the tool (no mapping to write).

One module per vendor family, each with ``recognise(document) -> shape | None`` (strict: the
vendor's documented keys) and ``parse(shape, document, ctx, fmt_note) -> Parsed``. Their code
tables (channels, roles, source codes) are in pipeline/resources/ingest/vendors.yaml.

:func:`parse_json` is the one entry from :mod:`pipeline.ingest.detect` for ``.json`` and
``.jsonl``/``.ndjson`` files: an analyst's own mapping that fits wins (as does a forced
``ingest.chat_mapping``), then the vendor readers, then speech-to-text JSON and the shipped chat
mappings. NDJSON saved as ``.json`` (Zendesk's Admin Center export) is read, with a note.
"""

from __future__ import annotations

import json
from typing import Any

from pipeline.ingest import call, chat
from pipeline.ingest.records import Context, Parsed
from pipeline.ingest.vendors import (
    amazon,
    freshdesk,
    genesys,
    intercom,
    twilio,
    zendesk,
    zendesk_events,
)

READERS = (zendesk, zendesk_events, freshdesk, intercom, genesys, amazon, twilio)
NDJSON_NOTE = "NDJSON (één JSON-object per regel) in een .json-bestand: per regel gelezen"


def recognise(document: Any) -> tuple[Any, str] | None:
    """(reader module, shape) of the first vendor whose documented shape ``document`` has."""
    for module in READERS:
        shape = module.recognise(document)
        if shape:
            return module, shape
    return None


def _mapping_first(shape: Any, kind: str, ctx: Context) -> bool:
    """The analyst forced a mapping, or one of their own mapping files fits: theirs win."""
    return ctx.chat_mapping != "auto" or chat.analyst_mapping_fits(kind, shape, ctx)


def _vendor(document: Any, kind: str, ctx: Context) -> tuple[Any, str] | None:
    return None if _mapping_first(document, kind, ctx) else recognise(document)


def parse_json(data: bytes, kind: str, ctx: Context) -> Parsed:
    if kind == "jsonl":  # the first line decides, so a chat JSONL file is not read twice
        first = _first_line(data)
        if (
            isinstance(first, dict)
            and not _mapping_first(first, "jsonl", ctx)
            and recognise([first])
        ):
            lines = [obj for _, obj in chat.load_jsonl(data, ctx)]
            module, shape = recognise(lines) or recognise([first])
            return module.parse(shape, lines, ctx, "ndjson")
        return chat.parse_chat(data, "jsonl", ctx)
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            chat.load_json(data, ctx)  # raises the located error
            raise  # pragma: no cover - load_json always raises here
        return _ndjson_in_json(data, ctx)
    except (UnicodeDecodeError, ValueError):  # another encoding, or a number of 4,300+ digits
        document = chat.load_json(data, ctx)  # decodes by detection, or raises the located error
    found = _vendor(document, "json", ctx)
    if found:
        module, shape = found
        return module.parse(shape, document, ctx)
    if call.is_stt_json(document):
        return call.parse_stt_json(document, ctx)
    return chat.parse_chat(data, "json", ctx, document)


def _first_line(data: bytes) -> Any:
    """The first non-empty line of a JSON-lines file, decoded (without reading the rest)."""
    start = 0
    while start <= len(data):
        end = data.find(b"\n", start)
        line = data[start:] if end < 0 else data[start:end]
        if line.strip():
            try:
                return json.loads(line.decode("utf-8-sig", errors="replace"))
            except json.JSONDecodeError:
                return None
        if end < 0:
            return None
        start = end + 1
    return None


def _ndjson_in_json(data: bytes, ctx: Context) -> Parsed:
    lines = [obj for _, obj in chat.load_jsonl(data, ctx)]
    found = _vendor(lines, "json", ctx)
    if found:
        module, shape = found
        parsed = module.parse(shape, lines, ctx, "ndjson")
    else:
        parsed = chat.parse_chat(data, "jsonl", ctx)
    parsed.notes.append(NDJSON_NOTE)
    return parsed
