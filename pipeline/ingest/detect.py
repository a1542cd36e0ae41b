"""Which format a file is: by extension first, confirmed or decided by its content."""

from __future__ import annotations

import re

from pipeline.errors import InputFileError
from pipeline.ingest import call, chat, email, sheet, vendors, whatsapp
from pipeline.ingest.limits import Limits, check_json_depth
from pipeline.ingest.records import Context, Parsed
from pipeline.ingest.text import bom_encoding, utf16_without_bom

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
}


def extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def guess_format(name: str) -> str:
    """A cheap format name from the extension only (for files that fail before detection)."""
    if extension(name) in sheet.SHEET_EXTENSIONS:
        return "sheet_" + extension(name).lstrip(".")
    kind = _EXT_KIND.get(extension(name))
    return FORMAT_OF_KIND.get(kind, kind) if kind else (extension(name).lstrip(".") or "unknown")


def _utf8_head(data: bytes) -> bytes:
    """The first 4 KiB as UTF-8 bytes when the file is UTF-16/32 text (Excel's 'Unicode-tekst'),
    so the checks below see its characters rather than its NUL bytes."""
    wide = bom_encoding(data) or utf16_without_bom(data)
    if wide in (None, "utf-8-sig"):
        return data[:4096]
    return data[:8192].decode(wide, errors="ignore")[:4096].encode("utf-8")


def _is_binary(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls > len(head) * 0.05


def detect(name: str, data: bytes, ctx: Context) -> str:
    """One of eml, mbox, json, jsonl, csv, sheet, whatsapp, transcript_txt, webvtt, srt."""
    if not data.strip():
        raise InputFileError("leeg bestand", path=ctx.path, hint="exporteer het opnieuw of haal het uit de export")
    if extension(name) in sheet.SHEET_EXTENSIONS:
        return "sheet"         # a workbook is binary (a zip of XML): read by calamine, not as text
    head = _utf8_head(data)
    if _is_binary(head):
        raise InputFileError("binaire gegevens, geen tekstexport", path=ctx.path, where="byte 0",
                             hint=UNSUPPORTED_HINTS.get(extension(name), "hoort dit bestand wel bij de export?"))
    ext = extension(name)
    kind = _EXT_KIND.get(ext)
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if kind in ("eml", "mbox"):
        return "mbox" if head.startswith(b"From ") and kind == "mbox" else kind
    if kind:
        return kind
    if ext in UNSUPPORTED_HINTS:
        raise InputFileError(f"bestandstype '{ext}' wordt niet gelezen", path=ctx.path, hint=UNSUPPORTED_HINTS[ext])
    text = head.decode("utf-8", errors="replace")
    if ext in ("", ".txt", ".tab") and _is_crm_table(text):
        return "csv"           # Excel's "Unicode-tekst" and "Tekst (tab)" are saved as .txt
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
                         hint="klantvraag leest .eml, .mbox, chat-.json/.jsonl/.csv, werkbladen "
                              "(.xlsx, .ods, CSV), WhatsApp-.txt, gesprekken als .txt/.vtt/.srt en "
                              "spraak-naar-tekst-.json")


def _is_crm_table(text: str) -> bool:
    cells = text.split("\n", 1)[0].rstrip("\r").split("\t")
    return len(cells) >= 3 and sheet.is_crm_sheet(sheet.recognise(cells, sheet.load_sheet_rules()))


def parse_file(data: bytes, ctx: Context) -> Parsed:
    """Detect and parse one file (pure: no database). Raises InputFileError with the location."""
    kind = detect(ctx.name, data, ctx)
    if kind in ("json", "jsonl"):
        check_json_depth(data, ctx.limits or Limits(), ctx.path)
    if kind == "eml":
        return Parsed(format="eml", mails=email.parse_eml(data, ctx))
    if kind == "mbox":
        return Parsed(format="mbox", mails=email.parse_mbox(data, ctx))
    if kind in ("json", "jsonl"):      # vendor exports, speech-to-text JSON, chat mappings
        return vendors.parse_json(data, kind, ctx)
    if kind == "sheet":
        return sheet.parse_workbook(data, ctx, guess_format(ctx.name))
    if kind == "csv":
        return parse_csv(data, ctx)
    if kind == "whatsapp":
        return whatsapp.parse_whatsapp(data, ctx)
    if kind == "webvtt":
        return call.parse_webvtt(data, ctx)
    if kind == "srt":
        return call.parse_srt(data, ctx)
    return call.parse_transcript_txt(data, ctx)


def parse_csv(data: bytes, ctx: Context) -> Parsed:
    """A chat mapping that fits (or the one configured) first; else a CRM sheet by its headers."""
    table = chat.read_csv_rows(data, ctx)
    columns, rows = chat.load_csv(data, ctx, table)
    if ctx.chat_mapping == "auto" and chat.fitting_mapping("csv", columns, ctx) is None:
        return sheet.parse_csv_table(table, ctx)
    return chat.parse_chat(data, "csv", ctx, (columns, rows))
