"""Repeat contacts: the same customer again within N days about the same reason.

The later contact is failure demand ('voorkomen') with evidence "herhaalcontact na X dagen".
"The same reason" is the same reason_id when both contacts have one; when either has none (the
reasons stage has not run, or the contact is an outlier), the two questions must share at least
``min_overlap`` of their lemmas (Jaccard), and the evidence says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RepeatInput:
    contact_id: str
    customer_key: str | None
    started_at: datetime | None
    reason_id: str | None
    lemmas: frozenset[str]


@dataclass(frozen=True)
class Repeat:
    contact_id: str
    repeat_of: str
    gap_days: float
    basis: str          # reason | lemmas


def find(contacts: list[RepeatInput], window_days: float,
         min_overlap: float = 0.3) -> dict[str, Repeat]:
    """Map each repeat contact to its nearest earlier contact of the same customer and reason."""
    by_customer: dict[str, list[RepeatInput]] = {}
    for contact in contacts:
        if contact.customer_key and contact.started_at is not None:
            by_customer.setdefault(contact.customer_key, []).append(contact)
    repeats: dict[str, Repeat] = {}
    window = float(window_days) * 86400.0
    for group in by_customer.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda c: (c.started_at, c.contact_id))
        for i, later in enumerate(group):
            for earlier in reversed(group[:i]):
                gap = (later.started_at - earlier.started_at).total_seconds()
                if gap > window:
                    break
                basis = _same_subject(earlier, later, min_overlap)
                if basis:
                    repeats[later.contact_id] = Repeat(later.contact_id, earlier.contact_id,
                                                       round(gap / 86400.0, 2), basis)
                    break
    return repeats


def _no_subject() -> frozenset[str]:
    from pipeline.reasons.inputs import SPECIAL

    return frozenset(SPECIAL)


_NO_SUBJECT = _no_subject()


def _same_subject(a: RepeatInput, b: RepeatInput, min_overlap: float) -> str | None:
    # The fixed reasons (no question, auto-reply, unsorted) say there is no subject to share.
    if a.reason_id in _NO_SUBJECT or b.reason_id in _NO_SUBJECT:
        return None
    if a.reason_id and b.reason_id:
        return "reason" if a.reason_id == b.reason_id else None
    if not a.lemmas or not b.lemmas:
        return None
    overlap = len(a.lemmas & b.lemmas) / len(a.lemmas | b.lemmas)
    return "lemmas" if overlap >= min_overlap else None


def evidence_text(repeat: Repeat) -> str:
    days = repeat.gap_days
    shown = f"{days:.0f}" if days >= 1 else f"{days:.1f}"
    how = "zelfde reden" if repeat.basis == "reason" else "vergelijkbare vraag"
    return f"herhaalcontact na {shown} dagen ({how})"
