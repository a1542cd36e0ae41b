"""Small text helpers shared by the parsers: HTML to text, decoding, timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import html2text

# Contact-centre exports are read in the organisation's local time; aware timestamps are converted
# to it and stored naive, so e-mail, chat and call times line up.
LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_BLANKS = re.compile(r"\n{3,}")


@lru_cache(maxsize=1)
def _converter() -> html2text.HTML2Text:
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_links = True
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = True
    converter.unicode_snob = True
    return converter


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text))


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML body (paragraphs kept, markup and links dropped)."""
    text = _converter().handle(html)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return _BLANKS.sub("\n\n", text).strip()


def maybe_html(text: str | None) -> str:
    if not text:
        return ""
    return html_to_text(text) if looks_like_html(text) else text.strip()


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Decode with the declared charset; on bad bytes fall back to windows-1252. Returns (text, fell_back).

    Raises LookupError for a charset Python does not know.
    """
    codec = (charset or "utf-8").strip().strip('"').lower()
    if codec in ("us-ascii", "ascii"):
        codec = "utf-8"        # mislabelled 8-bit mail is common; utf-8 is ascii's superset
    try:
        return data.decode(codec), False
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), True


def to_local(moment: datetime | None) -> datetime | None:
    """Aware -> local naive; naive stays as is (already local)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None)


def parse_timestamp(value, kind: str = "iso") -> datetime | None:
    """ISO 8601 strings (with or without zone) or unix seconds/milliseconds -> local naive."""
    if value is None or value == "":
        return None
    if kind == "unix" or isinstance(value, (int, float)):
        number = float(value)
        if number > 1e11:           # milliseconds
            number /= 1000.0
        return to_local(datetime.fromtimestamp(number, tz=UTC))
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return to_local(datetime.fromisoformat(text))
