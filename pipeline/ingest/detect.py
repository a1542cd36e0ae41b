"""Which format a file is: by extension first, confirmed or decided by its content."""

from __future__ import annotations

import re
from typing import Any

from pipeline.errors import InputFileError
from pipeline.ingest import call, chat, email, whatsapp
from pipeline.ingest.limits import Limits, check_json_depth
from pipeline.ingest.records import Context, Parsed

_SRT = re.compile(r"^\s*\d+\s*\r?\n\s*\d{1,2}:\d{2}:\d{2},\d{3}\s*-->", re.MULTILINE)
_CONTROL = bytes([*range(9), *range(14, 32)])
_EXT_KIND = {".eml": "eml", ".mbox": "mbox", ".mbx": "mbox", ".vtt": "webvtt", ".srt": "srt",
             ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "csv"}
# Format names as they appear in sources.format and the summary.
FORMAT_OF_KIND = {"json": "json", "jsonl": "chat_jsonl", "csv": "chat_csv", "txt": "txt"}
UNSUPPORTED_HINTS = {
    ".msg": "sla Outlook-.msg-bestanden op als .eml (of exporteer de map als .mbox)",
    ".pdf": "PDF is geen exportformaat dat klantvraag leest",
    ".docx": "Word-documenten worden niet gelezen; exporteer gesprekken als .txt, .vtt of .srt",
    ".xlsx": "sla het werkblad op als CSV en voeg zo nodig een chat-mapping toe",
}


def extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def guess_format(name: str) -> str:
    """A cheap format name from the extension only (for files that fail before detection)."""
    kind = _EXT_KIND.get(extension(name))
    return FORMAT_OF_KIND.get(kind, kind) if kind else (extension(name).lstrip(".") or "unknown")


def _is_binary(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls > len(head) * 0.05


def detect(name: str, data: bytes, ctx: Context) -> str:
    """One of eml, mbox, json, jsonl, csv, whatsapp, transcript_txt, webvtt, srt."""
    if not data.strip():
        raise InputFileError("leeg bestand", path=ctx.path, hint="exporteer het opnieuw of haal het uit de export")
    if _is_binary(data):
        raise InputFileError("binaire gegevens, geen tekstexport", path=ctx.path, where="byte 0",
                             hint=UNSUPPORTED_HINTS.get(extension(name), "hoort dit bestand wel bij de export?"))
    ext = extension(name)
    kind = _EXT_KIND.get(ext)
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if kind in ("eml", "mbox"):
        return "mbox" if head.startswith(b"From ") and kind == "mbox" else kind
    if kind:
        return kind
    if ext in UNSUPPORTED_HINTS:
        raise InputFileError(f"bestandstype '{ext}' wordt niet gelezen", path=ctx.path, hint=UNSUPPORTED_HINTS[ext])
    text = head.decode("utf-8", errors="replace")
    if whatsapp.is_whatsapp(text):
        return "whatsapp"
    if head.startswith(b"WEBVTT"):
        return "webvtt"
    if head.startswith(b"From ") and email.looks_like_mail(head.split(b"\n", 1)[-1]):
        return "mbox"
    if email.looks_like_mail(head):
        return "eml"
    if head[:1] in (b"{", b"["):
        lines = [line for line in head.splitlines()[:3] if line.strip()]
        return "jsonl" if len(lines) > 1 and all(line.rstrip().endswith(b"}") for line in lines[:2]) \
            and lines[1].lstrip().startswith(b"{") else "json"
    if _SRT.match(text):
        return "srt"
    if ext in ("", ".txt", ".text", ".transcript"):
        return "transcript_txt"
    raise InputFileError(f"onbekend bestandstype '{ext}'", path=ctx.path,
                         hint="klantvraag leest .eml, .mbox, chat-.json/.jsonl/.csv, WhatsApp-.txt, "
                              "gesprekken als .txt/.vtt/.srt en spraak-naar-tekst-.json")


def parse_file(data: bytes, ctx: Context) -> Parsed:
    """Detect and parse one file (pure: no database). Raises InputFileError with the location."""
    kind = detect(ctx.name, data, ctx)
    if kind in ("json", "jsonl"):
        check_json_depth(data, ctx.limits or Limits(), ctx.path)
    if kind == "eml":
        return Parsed(format="eml", mails=email.parse_eml(data, ctx))
    if kind == "mbox":
        return Parsed(format="mbox", mails=email.parse_mbox(data, ctx))
    if kind == "json":
        document: Any = chat.load_json(data, ctx)
        if call.is_stt_json(document):
            return call.parse_stt_json(document, ctx)
        return chat.parse_chat(data, "json", ctx, document)
    if kind in ("jsonl", "csv"):
        return chat.parse_chat(data, kind, ctx)
    if kind == "whatsapp":
        return whatsapp.parse_whatsapp(data, ctx)
    if kind == "webvtt":
        return call.parse_webvtt(data, ctx)
    if kind == "srt":
        return call.parse_srt(data, ctx)
    return call.parse_transcript_txt(data, ctx)
