"""Small text helpers shared by the parsers: HTML to text, decoding, timestamps."""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import html2text

from pipeline.errors import InputFileError

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


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str          # the codec used, e.g. utf-8, utf-16, cp1252
    detected: bool         # True when no BOM or valid UTF-8 said so and the detector chose


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark announces (UTF-32 before UTF-16: its BOM starts alike)."""
    return next((name for bom, name in _BOMS if data.startswith(bom)), None)


def utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when the bytes have the NUL pattern of mostly-ASCII UTF-16 text.

    charset-normalizer does not recognise UTF-16 without a BOM; tools that strip the BOM leave
    every other byte NUL, which no 8-bit text does."""
    head = data[:4096]
    if len(head) < 8 or len(head) % 2:
        head = head[:len(head) - len(head) % 2]
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.8 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.8 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


@lru_cache(maxsize=1)
def encoding_candidates() -> tuple[str, ...]:
    """The encodings the detector chooses among (pipeline/resources/ingest/encodings.yaml)."""
    from pipeline.resources import package_file, read_yaml

    data = read_yaml(package_file("ingest", "encodings.yaml"),
                     "pipeline/resources/ingest/encodings.yaml")
    candidates = tuple(data.get("candidates") or ())
    for name in candidates:
        codecs.lookup(name)        # a typo in the data file fails here, not on a user's file
    return candidates


def decode_text(data: bytes) -> Decoded | None:
    """Bytes of a text file -> text: a BOM decides, then valid UTF-8, then charset-normalizer
    chooses among :func:`encoding_candidates`. None when nothing reads as text."""
    bom = bom_encoding(data)
    if bom:
        return Decoded(data.decode(bom, errors="replace"), bom.removesuffix("-sig"), False)
    try:
        return Decoded(data.decode("utf-8"), "utf-8", False)
    except UnicodeDecodeError:
        pass
    wide = utf16_without_bom(data)
    if wide:
        return Decoded(data.decode(wide, errors="replace"), wide, True)
    from charset_normalizer import from_bytes  # imported on first 8-bit file: most are UTF-8

    best = from_bytes(data, cp_isolation=list(encoding_candidates())).best()
    if best is None:
        return None
    return Decoded(str(best), best.encoding, True)


def file_text(data: bytes, path: str) -> str:
    """A text export's content whatever its encoding; an InputFileError when it is not text."""
    decoded = decode_text(data)
    if decoded is None:
        raise InputFileError("geen tekst in een bekende tekenset", path=path, where="byte 0",
                             hint="sla de export op als UTF-8-tekst (in Excel: CSV UTF-8)")
    return decoded.text


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Decode with the declared charset; when its bytes do not fit, detect (:func:`decode_text`).
    Returns (text, fell_back). Raises LookupError for a charset Python does not know.
    """
    codec = (charset or "utf-8").strip().strip('"').lower()
    if codec in ("us-ascii", "ascii"):
        codec = "utf-8"        # mislabelled 8-bit mail is common; utf-8 is ascii's superset
    codecs.lookup(codec)
    try:
        return data.decode(codec), False
    except UnicodeDecodeError:
        pass
    decoded = decode_text(data)
    if decoded is None:
        return data.decode(codec, errors="replace"), True
    return decoded.text, True


def csv_dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    """The CSV dialect of an export: the delimiter that splits its header line most (Dutch Excel
    writes ';', 'Unicode-tekst' a tab). The header is the first of the opening lines that has a
    delimiter (a title line may come first); csv.Sniffer only when none has. The sniffer alone
    picks ',' from the commas inside a quoted Dutch sentence."""
    for line in text.lstrip("\ufeff").split("\n", 10)[:10]:
        counts = {d: line.count(d) for d in (";", "\t", ",", "|")}
        delimiter = max(counts, key=counts.get)
        if counts[delimiter]:
            class Export(csv.excel):
                pass
            Export.delimiter = delimiter
            return Export
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def to_local(moment: datetime | None) -> datetime | None:
    """Aware -> local naive; naive stays as is (already local)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None)


def in_zone(moment: datetime | None, zone: str | None) -> datetime | None:
    """A naive time that an export wrote in ``zone`` -> local naive (aware ones: converted)."""
    if moment is not None and moment.tzinfo is None and zone:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return to_local(moment)


def parse_timestamp(value, kind: str = "iso", naive_zone: str | None = None) -> datetime | None:
    """ISO 8601 strings (with or without zone) or unix seconds/milliseconds -> local naive.
    ``naive_zone``: the zone of ISO times without an offset (default: already local)."""
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
    return in_zone(datetime.fromisoformat(text), naive_zone)
