"""Stable keys: content-derived ids and the salted customer key."""

from __future__ import annotations

import hashlib
import re

_NON_DIGIT = re.compile(r"\D")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stable_id(*parts: object) -> str:
    """A short deterministic id from its parts (32 hex chars of a sha256)."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def normalise_email(value: str) -> str:
    return value.strip().strip("<>").lower()


def normalise_phone(value: str) -> str | None:
    """Dutch-first phone normalisation to +<country><number> digits: 06-12345678 -> +31612345678."""
    text = value.strip().replace("(0)", "")
    plus = text.startswith("+")
    digits = _NON_DIGIT.sub("", text)
    if not digits or len(digits) < 9:
        return None
    if plus:
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("0"):
        return "+31" + digits[1:]
    if digits.startswith("31") and len(digits) == 11:
        return "+" + digits
    return "+" + digits


def looks_like_phone(value: str) -> bool:
    stripped = value.strip()
    return bool(stripped) and bool(re.fullmatch(r"[+()\d\s.\-]{9,20}", stripped)) \
        and sum(c.isdigit() for c in stripped) >= 9


def normalise_identifier(value: str | None) -> str | None:
    """E-mail lowercased, phone to +31..., anything else (a customer id) as is."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if _EMAIL.match(text.strip("<>")):
        return normalise_email(text)
    if looks_like_phone(text):
        return normalise_phone(text)
    return text


def customer_key(salt: str, identifier: str | None) -> str | None:
    normalised = normalise_identifier(identifier)
    if normalised is None:
        return None
    return hashlib.sha256((salt + normalised).encode("utf-8")).hexdigest()
