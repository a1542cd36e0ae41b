"""E-mail: .eml (one message) and .mbox (many) to :class:`Mail` records.

Threading into contacts happens later, across files (see :mod:`pipeline.ingest.thread`).
MIME is read with the standard library; a part's charset is honoured, unknown charsets and
truncated multiparts are errors naming the MIME part, mislabelled 8-bit text is decoded by
detection. Outlook's winmail.dat (TNEF) is unpacked: its body and attachments (pipeline/ingest/tnef.py).
"""

from __future__ import annotations

import email
import email.errors
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message as MimeMessage
from email.utils import parseaddr, parsedate_to_datetime

from pipeline.errors import InputFileError
from pipeline.ingest.identity import stable_id
from pipeline.ingest.limits import Limits, check_mime_depth
from pipeline.ingest.records import Attachment, Context
from pipeline.ingest.text import decode_bytes, html_to_text, to_local
from pipeline.ingest.tnef import TnefUnreadable, is_tnef, read_tnef

_MSGID = re.compile(r"<([^<>\s]+)>")
_PREFIX = re.compile(r"^\s*((re|fw|fwd|antw|antwoord|doorst|wg|aw|sv|tr)\s*(\[\d+\])?\s*:\s*)+",
                     re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_FATAL_DEFECTS = (email.errors.StartBoundaryNotFoundDefect,
                  email.errors.CloseBoundaryNotFoundDefect,
                  email.errors.MultipartInvariantViolationDefect)
_MBOX_FROM = re.compile(rb"(?:\A|\n)From [^\n]*\n")
_MBOX_ESCAPED = re.compile(rb"(?m)^>(>*From )")
_HEADER_LINE = re.compile(rb"^(from|to|cc|subject|date|message-id|received|return-path|mime-version|"
                          rb"content-type|reply-to|in-reply-to|references|delivered-to|sender|"
                          rb"x-[a-z0-9-]+):", re.IGNORECASE)


@dataclass
class Mail:
    message_id: str
    in_reply_to: str | None
    references: list[str]
    subject: str | None
    subject_key: str
    had_prefix: bool
    from_addr: str | None
    from_name: str | None
    to_addrs: list[str]
    sent_at: object
    text: str
    role: str
    customer: str | None            # the customer's address: sender, or first outside recipient
    source_id: str
    order: int
    attachments: list[Attachment] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    format: str = "eml"


def normalise_subject(subject: str | None) -> tuple[str, bool]:
    """Strip Re:/Fw:/Antw:/Doorst:/WG: (repeated) and spacing; lowercase. Returns (key, had_prefix)."""
    if not subject:
        return "", False
    stripped = _PREFIX.sub("", subject)
    return _SPACES.sub(" ", stripped).strip().lower(), stripped != subject


def looks_like_mail(data: bytes) -> bool:
    head = data[:4096].lstrip()
    lines = head.splitlines()[:12]
    hits = sum(1 for line in lines if _HEADER_LINE.match(line))
    return hits >= 2 or head.startswith(b"From ") and hits >= 1


def parse_eml(data: bytes, ctx: Context) -> list[Mail]:
    if not looks_like_mail(data):
        raise InputFileError("geen e-mail: bovenaan staan geen kopregels", path=ctx.path,
                             where="regel 1", hint="is dit echt een .eml-bestand?")
    return [_parse_one(data, ctx, 0, "", "eml")]


def parse_mbox(data: bytes, ctx: Context) -> list[Mail]:
    seps = list(_MBOX_FROM.finditer(data))
    if not seps or data[:1024].lstrip()[:5] != b"From ":
        raise InputFileError("geen mbox: geen scheidingsregel 'From '", path=ctx.path,
                             where="regel 1")
    mails = []
    line, counted = 1, 0
    for index, sep in enumerate(seps):
        start = sep.end()
        end = seps[index + 1].start() if index + 1 < len(seps) else len(data)
        chunk = _MBOX_ESCAPED.sub(rb"\1", data[start:end])
        line += data.count(b"\n", counted, start)
        counted = start
        mails.append(_parse_one(chunk, ctx, index, f"bericht {index + 1} (regel {line}), ", "mbox"))
    return mails


def _decode(raw: object) -> str | None:
    if raw is None:
        return None
    text = str(raw)
    if "=?" not in text:                     # no RFC 2047 encoded words: nothing to decode
        return " ".join(text.split())
    try:
        return str(make_header(decode_header(text))).strip()
    except (LookupError, UnicodeDecodeError, email.errors.HeaderParseError):
        return text.strip()


def _addresses(value: str | None) -> list[str]:
    return [a.lower() for a in _ADDRESS.findall(value or "")]


def _ids(value: str | None) -> list[str]:
    return _MSGID.findall(value or "")


def _parse_one(data: bytes, ctx: Context, order: int, where: str, fmt: str) -> Mail:
    check_mime_depth(data, ctx.limits or Limits(), ctx.path, where)
    msg = email.message_from_bytes(data)
    for part_no, part in _numbered_parts(msg):
        for defect in part.defects:
            if isinstance(defect, _FATAL_DEFECTS):
                raise InputFileError(
                    f"afgebroken of kapotte MIME: {type(defect).__name__}", path=ctx.path,
                    where=f"{where}MIME-deel {part_no}", hint="het bestand lijkt afgebroken; exporteer het opnieuw")
    headers: dict[str, object] = {}
    for key, value in msg.items():
        headers.setdefault(key.lower(), value)
    if not (headers.get("from") or headers.get("message-id") or headers.get("date")):
        raise InputFileError("geen e-mail: geen kopregel From, Message-ID of Date", path=ctx.path,
                             where=f"{where}kopregels")
    subject = _decode(headers.get("subject"))
    text, attachments, meta = _body(msg, ctx, where)
    from_name, from_addr = parseaddr(_decode(headers.get("from")) or "")
    from_addr = from_addr.lower() or None
    recipients = _addresses(_decode(headers.get("to"))) + _addresses(_decode(headers.get("cc")))
    sent_at = None
    date = headers.get("date")
    if date:
        try:
            sent_at = to_local(parsedate_to_datetime(str(date)))
        except (TypeError, ValueError, IndexError):
            meta["bad_date"] = str(date)[:80]
    role = "agent" if _is_agent(from_addr, ctx.agent_domains) else "customer"
    if role == "customer":
        customer = from_addr
    else:
        customer = next((a for a in recipients if not _is_agent(a, ctx.agent_domains)), None)
    ids = _ids(str(headers.get("message-id") or ""))
    message_id = ids[0] if ids else "generated-" + stable_id(from_addr, date, subject, text)
    if not ids:
        meta["message_id_generated"] = True
    parents = _ids(str(headers.get("in-reply-to") or ""))
    key, had_prefix = normalise_subject(subject)
    meta["subject"] = subject
    return Mail(message_id=message_id, in_reply_to=parents[-1] if parents else None,
                references=_ids(str(headers.get("references") or "")), subject=subject, subject_key=key,
                had_prefix=had_prefix, from_addr=from_addr, from_name=from_name or None,
                to_addrs=recipients, sent_at=sent_at, text=text, role=role, customer=customer,
                source_id=ctx.source_id, order=order, attachments=attachments, meta=meta,
                format=fmt)


def _is_agent(address: str | None, domains: tuple[str, ...]) -> bool:
    if not address or "@" not in address:
        return False
    domain = address.rsplit("@", 1)[1]
    return any(domain == d or domain.endswith("." + d) for d in domains)


def _numbered_parts(msg: MimeMessage, prefix: str = ""):
    yield prefix or "1", msg
    if msg.is_multipart():
        for index, sub in enumerate(msg.get_payload() or [], start=1):
            if isinstance(sub, MimeMessage):
                yield from _numbered_parts(sub, f"{prefix}.{index}" if prefix else str(index))


def _body(msg: MimeMessage, ctx: Context, where: str) -> tuple[str, list[Attachment], dict]:
    plain, html, attachments, meta = [], [], [], {}
    tnef_plain, tnef_html, tnef_problem = [], [], None
    for part_no, part in _numbered_parts(msg):
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = part.get_filename()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        payload = part.get_payload(decode=True) or b""
        if filename or disposition == "attachment" or not ctype.startswith("text/"):
            if ctype.startswith("multipart/") or ctype == "message/rfc822":
                continue
            try:
                name = str(make_header(decode_header(filename))) if filename else None
            except (LookupError, UnicodeDecodeError, email.errors.HeaderParseError):
                name = filename
            attachments.append(Attachment(name, ctype, len(payload)))
            if is_tnef(ctype, name):
                try:
                    packed = read_tnef(payload)
                except TnefUnreadable as exc:
                    tnef_problem = (part_no, str(exc))
                    continue
                attachments.extend(packed.attachments)
                (tnef_html if packed.html else tnef_plain).append(packed.text)
            continue
        charset = part.get_content_charset()
        try:
            text, fell_back = decode_bytes(payload, charset)
        except LookupError:
            raise InputFileError(f"onbekende tekenset '{charset}'", path=ctx.path,
                                 where=f"{where}MIME-deel {part_no}",
                                 hint="verbeter de charset in de kopregel Content-Type") from None
        if fell_back:
            meta.setdefault("charset_fallback", []).append(f"part {part_no}: declared {charset}")
        (html if ctype == "text/html" else plain).append(text)
    if not plain and not html and (tnef_plain or tnef_html):
        plain, html = tnef_plain, tnef_html      # Outlook put the whole body in winmail.dat
        meta["body_from_tnef"] = True
    if tnef_problem and not plain and not html:
        raise InputFileError(tnef_problem[1], path=ctx.path, where=f"{where}MIME part {tnef_problem[0]}",
                             hint="ask for the export as .eml/.mbox from a client that sends HTML or "
                                  "plain text (Outlook: Options > Mail > compose in HTML)")
    if tnef_problem:
        meta["tnef_unreadable"] = tnef_problem[1]
    if plain:
        body = "\n\n".join(t.strip() for t in plain)
    elif html:
        body = "\n\n".join(html_to_text(t) for t in html)
        meta["body_from_html"] = True
    else:
        body = ""
    return body.replace("\r\n", "\n").strip(), attachments, meta
