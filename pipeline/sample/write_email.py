"""Write e-mail contacts: one .eml per mail (folder email/eml/) or appended to .mbox files
(email/mbox/), as real mail clients and servers produce them: multipart/alternative, HTML-only,
quoted-printable/base64, windows-1252/iso-8859-1, attachments, quoted replies, threads via
Message-ID / In-Reply-To / References."""

from __future__ import annotations

import html
import random
from email.charset import BASE64, QP, Charset
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path

from pipeline.sample.compose import Contact, Turn
from pipeline.sample.sink import Sink

_DAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
_LONG_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
_MONTHS = ("jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.")
_LONG_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                "oktober", "november", "december")
AGENT_ADDRESSES = ("klantenservice@voorbeeldwinkel.nl", "service@service.voorbeeldwinkel.nl",
                   "noreply@voorbeeldwinkel.nl")
# Tiny but well-formed attachment payloads (a JPEG header and a one-page PDF skeleton).
_JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300") + bytes(range(64)) + b"\xff\xd9"
_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
MBOX_CONTACTS = 2000
_CRLF = compat32.clone(linesep="\r\n")


def _message_id(rng: random.Random, role: str, c: Contact, n: int) -> str:
    token = f"{rng.getrandbits(40):010x}{c.index:06x}{n}"
    if role == "agent":
        return f"<{token}@service.voorbeeldwinkel.nl>"
    domain = c.person.email.split("@")[1]
    if domain == "gmail.com":
        return f"<CAK{token.upper()}x{rng.getrandbits(32):08x}@mail.gmail.com>"
    if domain in ("hotmail.com", "outlook.com", "live.nl"):
        return f"<AM{rng.randrange(1, 9)}PR0{rng.randrange(1, 9)}MB{token.upper()}@AM{rng.randrange(1, 9)}PR0{rng.randrange(1, 9)}MB.eurprd0{rng.randrange(1, 9)}.prod.outlook.com>"
    return f"<{token}.{rng.getrandbits(24):06x}@{domain}>"


def _quote(rng: random.Random, prev: dict[str, str], prev_turn: Turn, prev_text: str, en: bool) -> str:
    at = prev_turn.at
    who = prev["From"]
    style = rng.randrange(5) if not en else 5
    if style == 0:
        head = f"Op {_DAYS[at.weekday()]} {at.day} {_MONTHS[at.month - 1]} {at.year} om {at:%H:%M} schreef {who}:"
        return head + "\n" + "\n".join("> " + line if line else ">" for line in prev_text.split("\n"))
    if style in (1, 2):
        rule = "-----Oorspronkelijk bericht-----" if style == 1 else "_" * 32
        return (f"{rule}\nVan: {who}\nVerzonden: {_LONG_DAYS[at.weekday()]} {at.day} {_LONG_MONTHS[at.month - 1]} "
                f"{at.year} {at:%H:%M}\nAan: {prev['To']}\nOnderwerp: {prev['Subject']}\n\n{prev_text}")
    if style == 3:
        head = f"> Op {at.day} {_MONTHS[at.month - 1]} {at.year} om {at:%H:%M} heeft {who} het volgende geschreven:\n>"
        return head + "\n" + "\n".join("> " + line for line in prev_text.split("\n"))
    if style == 4:
        return (f"Van: {who}\nDatum: {at.day} {_LONG_MONTHS[at.month - 1]} {at.year} om {at:%H:%M:%S} CEST\n"
                f"Aan: {prev['To']}\nOnderwerp: {prev['Subject']}\n\n{prev_text}")
    head = f"On {at:%a}, {at.day} {at:%b} {at.year} at {at:%H:%M}, {who} wrote:"
    return head + "\n" + "\n".join("> " + line for line in prev_text.split("\n"))


def _to_html(text: str) -> str:
    out, quote = [], []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if all(line.startswith(">") for line in lines):
            quote.append("<br>".join(html.escape(line.lstrip("> ")) for line in lines))
            continue
        out.append("<p>" + "<br>".join(html.escape(line) for line in lines) + "</p>")
    if quote:
        out.append('<blockquote style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">'
                   + "<br>".join(quote) + "</blockquote>")
    return ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>'
            '<body><div style="font-family:Calibri,Arial,sans-serif;font-size:11pt">' + "\n".join(out)
            + "</div></body></html>")


def _charset(rng: random.Random, text: str) -> str:
    roll = rng.random()
    for name, threshold in (("windows-1252", 0.12), ("iso-8859-1", 0.18)):
        if roll < threshold:
            try:
                text.encode(name)
                return name
            except UnicodeEncodeError:
                return "utf-8"
    return "utf-8"


def _text_part(text: str, subtype: str, charset: str, cte: str) -> MIMEText:
    spec = Charset(charset)
    spec.body_encoding = {"quoted-printable": QP, "base64": BASE64}.get(cte)  # None: 8bit
    return MIMEText(text, subtype, spec)


def _boundary(rng: random.Random, c: Contact, n: int, k: int) -> str:
    # fixed boundaries: the email package would draw random ones
    return (rng.choice(("----=_Part_", "=-=-=", "000000000000", "_NextPart_"))
            + f"{rng.getrandbits(48):012x}_{c.index}_{n}{k}")


def _body(rng: random.Random, text: str, role: str, c: Contact, n: int) -> Message:
    charset = _charset(rng, text)
    cte = rng.choice(("quoted-printable", "base64", "8bit" if charset == "utf-8" else "quoted-printable"))
    roll = rng.random()
    shape = ("alternative" if roll < 0.85 else "plain") if role == "agent" else \
        ("plain" if roll < 0.5 else "alternative" if roll < 0.8 else "html")
    if shape == "html":
        return _text_part(_to_html(text), "html", charset, cte)
    plain = _text_part(text, "plain", charset, cte)
    if shape == "plain":
        return plain
    return MIMEMultipart("alternative", _boundary(rng, c, n, 0),
                         [plain, _text_part(_to_html(text), "html", "utf-8", "quoted-printable")])


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def _address(name: str, addr: str, rng: random.Random) -> tuple[str, str]:
    """(display form used in quotes, header form)."""
    return f"{name} <{addr}>", formataddr((name, addr), charset="utf-8")


def thread_messages(c: Contact, rng: random.Random) -> list[Message]:
    """The mails of one contact, oldest first; sets ``c.external_id`` to the root's Message-ID."""
    en = c.language == "en"
    customer = _address(c.person.name, c.person.email, rng) if rng.random() < 0.8 else (c.person.email,) * 2
    agent = rng.choice((("Klantenservice Voorbeeldwinkel", AGENT_ADDRESSES[0]),
                        (f"{c.agent} | Voorbeeldwinkel", AGENT_ADDRESSES[1])))
    if c.is_auto_reply:
        agent = ("Voorbeeldwinkel", AGENT_ADDRESSES[2])
    agent = _address(*agent, rng)
    messages: list[Message] = []
    shown: list[dict[str, str]] = []
    texts: list[str] = []
    ids: list[str] = []
    for n, turn in enumerate(c.turns):
        sender, receiver = (customer, agent) if turn.role == "customer" else (agent, customer)
        if turn.name == "Mail Delivery System":
            sender = _address("Mail Delivery System", "MAILER-DAEMON@mx1.mailprovider.net", rng)
        if n == 0:
            subject = c.subject
        elif c.is_auto_reply:
            subject = c.extra["auto_subject"]
        else:
            subject = rng.choice(("Re: ", "RE: ", "Antw: ", "Re: ", "Re: ")) + c.subject
        text = turn.text
        if messages and not c.is_auto_reply and rng.random() < 0.9:
            text = text + "\n\n" + _quote(rng, shown[-1], c.turns[n - 1], texts[-1], en)
        msg = _body(rng, text, turn.role, c, n)
        attachments = []
        if n == 0 and turn.role == "customer" and rng.random() < (0.5 if c.reason == "beschadigd_geleverd" else 0.06):
            attachments.append(MIMEImage(_JPEG, "jpeg"))
            attachments[-1].add_header("Content-Disposition", "attachment", filename=f"IMG_{rng.randrange(1000, 9999)}.jpg")
        if turn.role == "agent" and c.reason == "factuur_kopie" and n == 1:
            attachments.append(MIMEApplication(_PDF, "pdf"))
            attachments[-1].add_header("Content-Disposition", "attachment",
                                       filename=f"Factuur_{c.extra.get('invoice', 'VW')}.pdf")
        if attachments:
            msg = MIMEMultipart("mixed", _boundary(rng, c, n, 1), [msg, *attachments])
        mid = _message_id(rng, turn.role, c, n)
        msg["From"] = sender[1]
        msg["To"] = receiver[1]
        msg["Subject"] = _header(subject)
        msg["Date"] = format_datetime(turn.at)
        msg["Message-ID"] = mid
        if ids:
            msg["In-Reply-To"] = ids[-1]
            msg["References"] = " ".join(ids)
        if c.is_auto_reply and n == 1 and not c.extra.get("bounce"):
            msg["Auto-Submitted"] = "auto-replied"
            msg["X-Auto-Response-Suppress"] = "All"
        messages.append(msg)
        shown.append({"From": sender[0], "To": receiver[0], "Subject": subject})
        texts.append(text)
        ids.append(mid)
    c.external_id = ids[0].strip("<>")
    return messages


class EmailWriter:
    """Streams e-mail contacts to .eml files and rotating .mbox files."""

    def __init__(self, out: Path, sink: Sink) -> None:
        self.out = out
        self.sink = sink
        self.mbox_part = 0
        self.mbox_count = 0
        self.mbox = None
        self.mbox_name = ""

    def add(self, c: Contact, rng: random.Random) -> None:
        messages = thread_messages(c, rng)
        crlf = rng.random() < 0.3
        if c.format == "eml":
            names = []
            for n, (msg, turn) in enumerate(zip(messages, c.turns)):
                name = f"email/eml/{turn.at:%Y-%m-%d_%H%M%S}_{c.index:06d}-{n}.eml"
                data = msg.as_bytes(policy=_CRLF if crlf else compat32)
                self.sink.write(name, data, turn.at, c.container, "eml")
                names.append(name)
            c.file = self.sink.display(names[0], c.container)
        else:
            if self.mbox is None or self.mbox_count >= MBOX_CONTACTS:
                self._rotate()
            for msg, turn in zip(messages, c.turns):
                sender = parseaddr(str(msg["From"]))[1] or "unknown"
                data = msg.as_bytes(policy=compat32)
                data = b"\n".join(b">" + line if line.startswith(b"From ") else line for line in data.split(b"\n"))
                self.mbox.write(f"From {sender} {turn.at:%a %b %d %H:%M:%S %Y}\n".encode() + data.rstrip(b"\n") + b"\n\n")
            self.mbox_count += 1
            c.file = self.mbox_name

    def _rotate(self) -> None:
        if self.mbox is not None:
            self.mbox.close()
        self.mbox_part += 1
        self.mbox_count = 0
        self.mbox_name = f"email/mbox/klantenservice_{self.mbox_part:03d}.mbox"
        self.mbox = self.sink.open(self.mbox_name, "mbox")

    def close(self) -> None:
        if self.mbox is not None:
            self.mbox.close()
