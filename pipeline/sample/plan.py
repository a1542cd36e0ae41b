"""Plan the export before writing it: when each contact happens, on which channel and in which
format, by which customer, about which reason, and which contacts repeat an earlier one.

Plans are small tuples, so 1M of them fit in memory; the text is composed later, one contact at a time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Amsterdam")
START, END = date(2026, 8, 1), date(2026, 10, 31)
CHANNELS = (("email", 0.38), ("chat", 0.37), ("call", 0.25))
FORMATS = {
    "email": (("eml", 0.5), ("mbox", 0.5)),
    "chat": (("chat_json", 0.19), ("chat_jsonl", 0.19), ("chat_csv", 0.14), ("zendesk_json", 0.16),
             ("intercom_json", 0.16), ("whatsapp_ios", 0.08), ("whatsapp_android", 0.08)),
    "call": (("transcript_txt", 0.24), ("transcript_txt_numbered", 0.12), ("webvtt_voice", 0.12),
             ("webvtt", 0.08), ("srt_labels", 0.10), ("srt", 0.06), ("whisper_json", 0.12),
             ("diarised_json", 0.16)),
}
# One file per contact (or per mail): above this many contacts these formats get a smaller share,
# so a 100k export is not 100k tiny files (e-mail goes to mbox files instead).
ONE_FILE_FORMATS = {"eml": 2500, "whatsapp_ios": 600, "whatsapp_android": 600}
ZIPPABLE = {"eml", "transcript_txt", "webvtt_voice", "diarised_json"}
_WEEKDAY_WEIGHT = (1.35, 1.15, 1.05, 1.0, 0.95, 0.6, 0.35)


@dataclass(frozen=True)
class Plan:
    started_at: datetime
    channel: str
    format: str
    customer_no: int
    reason: str
    secondary: str
    language: str
    repeat: bool
    auto_reply: str      # "" | "ooo" | "bounce"
    container: str       # "" | "zip"


def _pick(rng: random.Random, options) -> str:
    names = [n for n, _ in options]
    return rng.choices(names, weights=[w for _, w in options])[0]


def _formats(channel: str, size: int) -> tuple[tuple[str, float], ...]:
    out = []
    for name, weight in FORMATS[channel]:
        cap = ONE_FILE_FORMATS.get(name)
        if cap and size * weight > cap:
            weight = weight * cap / (size * weight)
        out.append((name, weight))
    return tuple(out)


def _moment(rng: random.Random, day: date, channel: str) -> datetime:
    if channel == "call":
        lo, hi = (9 * 60, 17 * 60) if day.weekday() >= 5 else (8 * 60 + 30, 18 * 60)
    elif channel == "chat":
        lo, hi = 8 * 60, 22 * 60
    else:
        lo, hi = 6 * 60, 24 * 60 - 1
    minute = int(rng.triangular(lo, hi, lo + (hi - lo) * 0.3))
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, rng.randrange(60), tzinfo=TZ)


def _day(rng: random.Random, days: list[date], weights: list[float], channel: str) -> date:
    while True:
        day = rng.choices(days, weights=weights)[0]
        if not (channel == "call" and day.weekday() == 6):
            return day


def make_plans(size: int, seed: int, reason_weights: dict[str, float]) -> list[Plan]:
    """All contacts of the export, sorted by start time (repeats ~12%, auto-replies only in e-mail)."""
    rng = random.Random(f"klantvraag-sample:{seed}:plan")
    days = [START + timedelta(days=i) for i in range((END - START).days + 1)]
    weights = [_WEEKDAY_WEIGHT[d.weekday()] for d in days]
    reasons = sorted(reason_weights)
    rweights = [reason_weights[r] for r in reasons]
    n_customers = max(20, int(size * 0.72))
    n_repeat = int(size * 0.12)
    base: list[Plan] = []
    channel_formats = {ch: _formats(ch, size) for ch, _ in CHANNELS}
    for _ in range(size - n_repeat):
        channel = _pick(rng, CHANNELS)
        fmt = _pick(rng, channel_formats[channel])
        reason = rng.choices(reasons, weights=rweights)[0]
        secondary = ""
        if rng.random() < 0.13:
            secondary = rng.choices(reasons, weights=rweights)[0]
            secondary = "" if secondary == reason else secondary
        auto = ""
        if channel == "email":
            roll = rng.random()
            auto = "ooo" if roll < 0.03 else "bounce" if roll < 0.038 else ""
        day = _day(rng, days, weights, channel)
        base.append(Plan(_moment(rng, day, channel), channel, fmt, rng.randrange(n_customers), reason, secondary,
                         "en" if rng.random() < 0.05 else "nl", False, auto, ""))
    repeats: list[Plan] = []
    candidates = [p for p in base if not p.auto_reply]
    while len(repeats) < n_repeat:
        first = rng.choice(candidates)
        later = first.started_at.date() + timedelta(days=rng.randrange(1, 7))
        if later > END:
            continue
        channel = first.channel if rng.random() < 0.55 else _pick(rng, CHANNELS)
        if channel == "call" and later.weekday() == 6:
            continue
        repeats.append(Plan(_moment(rng, later, channel), channel, _pick(rng, channel_formats[channel]),
                            first.customer_no, first.reason, "", first.language, True, "", ""))
    plans = sorted(base + repeats, key=lambda p: (p.started_at, p.customer_no, p.reason, p.format))
    out = []
    for plan in plans:
        if plan.format in ZIPPABLE and plan.started_at.month == 10 and rng.random() < 0.25:
            plan = Plan(**{**plan.__dict__, "container": "zip"})
        out.append(plan)
    return out
