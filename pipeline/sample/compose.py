"""Compose one contact's content: labels (category, third party) and the customer's and agent's
words, drawn from independent phrasing pools so that the same sentence rarely repeats.

Channel shapes (an e-mail thread, a chat, a call) are built from these pieces in ``dialog.py``.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pipeline.sample import people as pii
from pipeline.sample import text as variation
from pipeline.sample.catalogue import Catalogue, Reason

_SLOT = re.compile(r"\{(\w+)\}")
_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december")
_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
_DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PARTY_SLOTS = {"carrier": "carrier", "supplier": "supplier", "payment": "payment", "installer": "installer",
               "store": "store"}


@dataclass
class Turn:
    role: str            # customer | agent | bot | system (internal note)
    text: str
    at: datetime
    name: str
    kind: str = "text"   # text | media | note | assignment


@dataclass
class Contact:
    """Everything the writers need about one generated contact, and its ground truth."""

    index: int
    channel: str
    format: str
    started_at: datetime
    person: pii.Person
    reason: str
    secondary: str
    category: str
    third_party_type: str
    party: str
    language: str
    is_auto_reply: bool
    formal: bool
    repeat: bool
    agent: str
    subject: str = ""
    turns: list[Turn] = field(default_factory=list)
    external_id: str = ""
    file: str = ""
    container: str = ""                               # "zip" when written into the archive
    extra: dict = field(default_factory=dict)


class Slots:
    """Per-contact slot values; remembers which were used (a party counts only when named)."""

    def __init__(self, rng: random.Random, cat: Catalogue, person: pii.Person, started_at: datetime,
                 reason: Reason, language: str, agent: str) -> None:
        self.rng = rng
        self.used: set[str] = set()
        pools = cat.people
        groups = sorted(pools["products"])
        if reason.product == "installable":
            groups = [g for g in groups if pools["products"][g].get("installable")]
        elif reason.product in ("small", "large"):
            groups = [g for g in groups if pools["products"][g]["size"] == reason.product]
        group = pools["products"][rng.choice(groups)]
        size = group["size"]
        product = rng.choice(group["en" if language == "en" else "items"])
        carrier = pools["large_item_carrier"] if size == "large" and rng.random() < 0.6 else rng.choice(pools["carriers"])
        ordered = started_at - timedelta(days=rng.randrange(2, 20))
        order = pii.order_number(rng)
        self.order = order
        self.values = {
            "order": pii.order_mention(order, rng), "product": product, "carrier": carrier,
            "tracking": pii.tracking_code(rng, carrier), "date": self._date(ordered, started_at, language),
            "weekday": (_DAYS_EN if language == "en" else _DAYS)[(started_at.weekday() + rng.randrange(1, 5)) % 7],
            "store": rng.choice(pools["stores"]), "supplier": rng.choice(group["suppliers"]),
            "payment": rng.choice(pools["payment_providers"]), "amount": pii.amount(rng),
            "invoice": pii.invoice_number(rng), "code": pii.discount_code(rng),
            "installer": rng.choice(pools["installer_names"]), "days": str(rng.randrange(5, 15)),
            "giftcard": pii.giftcard_number(rng), "time": f"{rng.randrange(9, 21)}:{rng.choice(('05', '12', '31', '47'))}",
            "address": person.address(rng), "phone": pii.format_mobile(person.phone_digits, rng)
            if rng.random() < 0.85 else pii.landline(rng),
            "name": person.name, "first": person.first, "last": person.last, "agent": agent,
            "dept": rng.choice(cat.conversation["agent"]["departments"]), "email": person.email,
            "iban": pii.format_iban(person.iban, rng), "dob": pii.format_dob(person.dob, rng),
            "bsn": person.bsn, "postcode": person.postcode, "housenumber": person.housenumber,
            "customer_id": person.customer_id, "subject": "",
            "return_date": self._return_date(started_at + timedelta(days=rng.randrange(3, 20)), language),
        }
        for slot, options in sorted(reason.values.items()):
            self.values[slot] = rng.choice(options)

    @staticmethod
    def _return_date(day: datetime, language: str) -> str:
        return f"{day.day} {day.strftime('%B')}" if language == "en" else f"{day.day} {_MONTHS[day.month - 1]}"

    @staticmethod
    def _date(day: datetime, now: datetime, language: str) -> str:
        if language == "en":
            return f"{day.day} {day.strftime('%B')}"
        delta = (now.date() - day.date()).days
        options = [f"{day.day} {_MONTHS[day.month - 1]}", f"{day.day}-{day.month}", f"{day.day:02d}-{day.month:02d}-{day.year}",
                   f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"]
        if delta < 7:
            options.append(f"afgelopen {_DAYS[day.weekday()]}")
        elif delta < 14:
            options.append("vorige week")
        return options[hash(day.toordinal()) % len(options)]

    def fill(self, template: str) -> str:
        def value(match: re.Match) -> str:
            key = match.group(1)
            self.used.add(key)
            return self.values[key]
        return _SLOT.sub(value, template)


@dataclass
class Pieces:
    """The customer's written question, in parts, plus what the agent answers."""

    open: str
    detail: str
    cause: str
    chase: str
    secondary: str
    ask: str
    pii: str
    answer: str

    def body(self) -> list[str]:
        return [p for p in (self.open, self.detail, self.cause, self.chase, self.secondary, self.ask) if p]


def choose_labels(rng: random.Random, reason: Reason, repeat: bool, slots: Slots) -> tuple[str, str, str, str]:
    """Category, third-party type, party template and an extra sentence (alt cause) for one contact."""
    category, tp_type, party, extra = reason.category, reason.third_party_type, reason.party, ""
    for alt in reason.alt:
        if rng.random() < alt.weight:
            tp_type, party = alt.type, alt.party
            category = alt.category or category
            extra = slots.fill(rng.choice(alt.text))
            break
    return category, tp_type, party, extra


def compose(rng: random.Random, cat: Catalogue, reason: Reason, secondary: Reason | None, slots: Slots,
            language: str, repeat: bool) -> tuple[Pieces, str, str, str]:
    """Build the question pieces and decide the labels. Returns (pieces, category, tp_type, party)."""
    cust = cat.conversation["customer"]
    category, tp_type, party_template, cause = choose_labels(rng, reason, repeat, slots)
    en = language == "en"
    pools = reason.en if en else reason.pools
    open_ = slots.fill(rng.choice(pools["open"]))
    detail = "" if en or rng.random() < 0.35 else slots.fill(rng.choice(pools["detail"]))
    if en and rng.random() < 0.4:
        detail = slots.fill(rng.choice(reason.en["open"]))
        detail = "" if detail == open_ else detail
    if not cause and reason.mention and not en and rng.random() < 0.3:
        cause = slots.fill(rng.choice(reason.mention))
    chase = ""
    if repeat or (category != "voorkomen" and category != "waardevol" and rng.random() < 0.07):
        category = "voorkomen"
        chase = rng.choice(cust["chase_en" if en else "chase"])
    elif category == "voorkomen" and rng.random() < 0.2:
        chase = rng.choice(cust["chase_en" if en else "chase"])
    sec_text = ""
    if secondary is not None:
        sp = secondary.en if en else secondary.pools
        connector = rng.choice(cust["secondary_connector_en" if en else "secondary_connector"])
        sec_open = slots.fill(rng.choice(sp["open"]))
        if connector.endswith("en"):
            sec_open = sec_open[:1].lower() + sec_open[1:]
        sec_text = f"{connector} {sec_open} {slots.fill(rng.choice(sp['ask']))}"
    ask = slots.fill(rng.choice(pools["ask"]))
    pii_line = ""
    if rng.random() < 0.5:
        pool = cust["pii_money"] if reason.money and rng.random() < 0.6 else cust["pii_line"]
        pii_line = slots.fill(rng.choice(pool))
        if rng.random() < 0.05:
            pii_line += " " + slots.fill(rng.choice(cust["pii_rare"]))
    answer = slots.fill(rng.choice(pools["agent"]))
    party = ""
    if tp_type != "none":
        keys = set(_SLOT.findall(party_template))
        if not keys:
            party = party_template
        elif keys <= slots.used:
            party = slots.fill(party_template)
    if not en:
        open_, detail, cause, chase, sec_text, ask = (
            variation.paraphrase(p, rng, cat.paraphrases) if p else p
            for p in (open_, detail, cause, chase, sec_text, ask))
    pieces = Pieces(open_, detail, cause, chase, sec_text, ask, pii_line, answer)
    return pieces, category, tp_type, party


def written(pieces: Pieces, rng: random.Random, formal: bool, en: bool) -> str:
    """One paragraph or two, as typed in an e-mail or a web form."""
    body = pieces.body()
    if pieces.pii:
        body.insert(rng.randrange(len(body) + 1), pieces.pii)
    if len(body) > 3 and rng.random() < 0.5:
        cut = rng.randrange(1, len(body))
        text = " ".join(body[:cut]) + "\n\n" + " ".join(body[cut:])
    else:
        text = " ".join(body)
    if not en:
        rate = 0.015 if formal else 0.05
        text = variation.dutch_typos(variation.typos(text, rng, rate), rng, 0.15 if formal else 0.35)
        if not formal:
            text = variation.informal(text, rng)
    return text
