"""Outlook's TNEF attachment (winmail.dat, application/ms-tnef): the body and attachments that
Outlook packed into it, read with tnefparse (a body kept only as compressed RTF: pipeline/ingest/rtf.py).

Outlook often sends a message's real body only inside winmail.dat; reading the mail without it
would leave a contact with nothing but its subject. What cannot be read is raised as
:class:`TnefUnreadable` with the reason, so the caller records it instead of dropping it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pipeline.ingest.records import Attachment
from pipeline.ingest.rtf import RtfError, decompress, is_compressed_rtf, rtf_to_text
from pipeline.ingest.text import decode_text

TNEF_TYPES = ("application/ms-tnef", "application/vnd.ms-tnef")
TNEF_NAME = "winmail.dat"


class TnefUnreadable(Exception):
    """winmail.dat that gives no body: damaged, or its body is in a form not decoded."""


@dataclass
class TnefContent:
    text: str = ""
    html: bool = False
    attachments: list[Attachment] = field(default_factory=list)


def is_tnef(content_type: str, filename: str | None) -> bool:
    return content_type in TNEF_TYPES or (filename or "").strip().lower() == TNEF_NAME


def read_tnef(payload: bytes) -> TnefContent:
    """The body (plain, or HTML when that is all there is) and the attachments listed."""
    from tnefparse import TNEF

    # tnefparse logs damaged properties at ERROR level; the reason is raised here instead.
    logging.getLogger("tnefparse").setLevel(logging.CRITICAL)
    if len(payload) < 6:
        raise TnefUnreadable(f"winmail.dat is {len(payload)} bytes, too short to be TNEF")
    try:
        tnef = TNEF(payload, do_checksum=False)
    except ValueError as exc:
        raise TnefUnreadable(f"winmail.dat is not TNEF ({exc})") from None
    except Exception as exc:    # struct.error, IndexError: a truncated file
        raise TnefUnreadable(f"winmail.dat is damaged or cut off ({exc})") from None
    content = TnefContent(attachments=[
        Attachment(_name(a), None, len(a.data or b"")) for a in tnef.attachments])
    if tnef.body:
        content.text = _text(tnef.body).strip()
    elif tnef.htmlbody:
        content.text, content.html = _text(tnef.htmlbody), True
    if not content.text and tnef.rtfbody:
        content.text = _rtf_text(tnef.rtfbody)
    if not content.text:
        raise TnefUnreadable("winmail.dat holds no message body")
    return content


def _rtf_text(body: bytes) -> str:
    """tnefparse hands the RTF compressed unless the optional compressed_rtf is installed."""
    try:
        return rtf_to_text(decompress(body) if is_compressed_rtf(body) else body)
    except RtfError as exc:
        raise TnefUnreadable(f"winmail.dat's RTF body cannot be unpacked ({exc})") from None


def _text(value: str | bytes) -> str:
    if isinstance(value, str):
        return value.rstrip("\x00")
    decoded = decode_text(value.rstrip(b"\x00"))
    return decoded.text if decoded else ""


def _name(attachment) -> str | None:
    try:
        name = attachment.long_filename()
    except (UnicodeDecodeError, AttributeError):
        return None
    if isinstance(name, bytes):
        decoded = decode_text(name.rstrip(b"\x00"))
        name = decoded.text if decoded else None
    return (name or "").strip("\x00").strip() or None
