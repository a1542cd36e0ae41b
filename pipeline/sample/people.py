"""Fictional customers and their personal data: names, addresses, Dutch phone numbers in several
notations, valid IBANs (mod-97), BSN-like numbers (11-proef), dates of birth, e-mail addresses, and
the retailer's order, tracking, invoice and gift-card numbers.

Everything is drawn from a ``random.Random`` passed in, so the same seed gives the same people.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

_PHONE_STYLES = ("06-{a}{b}", "06 {a}{b}", "06{a}{b}", "+31 6 {a}{b}", "+316{a}{b}", "06 - {a3} {b3} {c2}",
                 "(06) {a} {b}", "0031 6 {a}{b}", "06-{a} {b}")
_LANDLINE_AREAS = ("010", "020", "030", "040", "050", "070", "024", "026", "033", "035", "038", "043",
                   "045", "053", "055", "058", "071", "072", "073", "076", "078", "079")


@dataclass(frozen=True)
class Person:
    customer_id: str
    first: str
    last: str
    email: str
    mobile: str          # E.164, e.g. +31612345678 (what a telephony system records)
    phone_digits: str    # national digits after the 0, e.g. 612345678
    street: str
    housenumber: str
    postcode: str
    city: str
    iban: str            # compact, e.g. NL91ABNA0417164300
    dob: date
    bsn: str
    gender: str          # "m" | "v" (only for "heer/mevrouw" forms)

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def surname_cap(self) -> str:
        """'de Vries' -> 'De Vries' as used after 'heer/mevrouw'."""
        return self.last[:1].upper() + self.last[1:]

    def address(self, rng: random.Random) -> str:
        postcode = self.postcode if rng.random() < 0.6 else self.postcode.replace(" ", "")
        sep = rng.choice((", ", " ", "\n")) if rng.random() < 0.3 else ", "
        return f"{self.street} {self.housenumber}{sep}{postcode} {self.city}"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def iban_check_digits(bank: str, account: str) -> str:
    digits = "".join(str(int(ch, 36)) for ch in f"{bank}{account}NL00")
    return f"{98 - int(digits) % 97:02d}"


def make_iban(rng: random.Random, banks: list[str]) -> str:
    bank = rng.choice(banks)
    account = f"{rng.randrange(10**9, 10**10):010d}"
    return f"NL{iban_check_digits(bank, account)}{bank}{account}"


def iban_is_valid(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def format_iban(iban: str, rng: random.Random) -> str:
    """Compact, grouped by four, or lower-case: customers write it every way."""
    roll = rng.random()
    if roll < 0.45:
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    if roll < 0.9:
        return iban
    return iban.lower()


def make_bsn(rng: random.Random) -> str:
    """A nine-digit number that passes the 11-proef (fictional)."""
    while True:
        digits = [rng.randrange(10) for _ in range(8)]
        if digits[0] == 0:
            continue
        total = sum(d * w for d, w in zip(digits, range(9, 1, -1)))
        last = total % 11
        if last < 10:
            return "".join(map(str, digits)) + str(last)


def format_mobile(digits: str, rng: random.Random) -> str:
    """digits = '612345678' -> one of the notations Dutch customers use."""
    a, b = digits[1:5], digits[5:]
    rest = digits[1:]
    return rng.choice(_PHONE_STYLES).format(a=a, b=b, a3=rest[:3], b3=rest[3:6], c2=rest[6:])


def landline(rng: random.Random) -> str:
    area = rng.choice(_LANDLINE_AREAS)
    number = f"{rng.randrange(10**6, 10**7):07d}"
    return rng.choice((f"{area}-{number}", f"{area} {number[:3]} {number[3:]}", f"{area}{number}"))


def make_person(rng: random.Random, pools: dict, customer_id: str) -> Person:
    first = rng.choice(pools["first_names"])
    last = rng.choice(pools["last_names"])
    city = rng.choice(sorted(pools["cities"]))
    prefix = rng.choice(pools["cities"][city])
    postcode = f"{prefix}{rng.randrange(10, 100)} {rng.choice('ABCDEGHJKLMNPRSTVWXZ')}{rng.choice('ABCDEGHJKLMNPRSTVWXZ')}"
    house = str(rng.randrange(1, 240)) + (rng.choice(("", "", "", "", "a", "b", "-2", " bis", "A")))
    digits = "6" + f"{rng.randrange(10**7, 10**8):08d}"
    local_last = _ascii(last.replace(" ", "")).lower()
    local_first = _ascii(first).lower()
    style = rng.randrange(6)
    local = (f"{local_first}.{local_last}", f"{local_first}{local_last}{rng.randrange(1, 99)}",
             f"{local_first[0]}.{local_last}", f"{local_first}_{local_last}", f"{local_first}{rng.randrange(1960, 2006)}",
             f"{local_last}.{local_first[0]}")[style]
    domain = rng.choice(pools["mail_domains"])
    dob = date(1945, 1, 1) + timedelta(days=rng.randrange(0, 365 * 60))
    return Person(
        customer_id=customer_id, first=first, last=last, email=f"{local}@{domain}",
        mobile=f"+31{digits}", phone_digits=digits, street=rng.choice(pools["streets"]),
        housenumber=house, postcode=postcode, city=city, iban=make_iban(rng, pools["banks"]),
        dob=dob, bsn=make_bsn(rng), gender=rng.choice("mv"),
    )


def format_dob(dob: date, rng: random.Random) -> str:
    months = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
              "oktober", "november", "december")
    return rng.choice((f"{dob.day:02d}-{dob.month:02d}-{dob.year}", f"{dob.day}-{dob.month}-{dob.year}",
                       f"{dob.day} {months[dob.month - 1]} {dob.year}", f"{dob.day:02d}/{dob.month:02d}/{dob.year}"))


def order_number(rng: random.Random) -> str:
    return f"VW-2026-{rng.randrange(10**6, 10**7):07d}"


def order_mention(order: str, rng: random.Random) -> str:
    """Customers drop the prefix or the dashes now and then."""
    roll = rng.random()
    if roll < 0.75:
        return order
    if roll < 0.88:
        return order.split("-")[-1]
    return order.replace("-", "")


def tracking_code(rng: random.Random, carrier: str) -> str:
    n = rng.randrange(10**6, 10**7)
    if carrier == "PostNL":
        return f"3SVWK{n:07d}"
    if carrier == "DHL":
        return f"JVGL{rng.randrange(10**9, 10**10):010d}"
    if carrier == "DPD":
        return f"0{rng.randrange(10**12, 10**13)}"
    if carrier == "UPS":
        return f"1Z{rng.randrange(10**5, 10**6)}VW{rng.randrange(10**7, 10**8)}"
    if carrier == "GLS":
        return f"{rng.randrange(10**10, 10**11)}"
    return f"VWB{n:07d}"


def invoice_number(rng: random.Random) -> str:
    return f"F2026-{rng.randrange(10**5, 10**6)}"


def giftcard_number(rng: random.Random) -> str:
    n = f"{rng.randrange(10**11, 10**12)}"
    return f"6064 {n[:4]} {n[4:8]} {n[8:]}"


def discount_code(rng: random.Random) -> str:
    return rng.choice(("HERFST", "WELKOM", "NIEUWSBRIEF", "VW", "KORTING", "BTS")) + str(rng.choice((10, 15, 20, 25, 5)))


def amount(rng: random.Random) -> str:
    euros = rng.choice((19, 24, 29, 39, 49, 59, 79, 89, 99, 129, 149, 199, 249, 349, 499, 649, 799))
    cents = rng.choice((0, 95, 99, 50))
    value = f"{euros},{cents:02d}" if cents else str(euros)
    return rng.choice((f"€ {value}", f"€{value}", f"{value} euro", f"EUR {value}", f"€ {euros},-"))
