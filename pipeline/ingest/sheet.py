"""Spreadsheets (.xlsx, .xlsm, .xls, .ods) and CSV exports from a CRM, read without a mapping.

Columns are recognised by their header (synonyms in pipeline/resources/ingest/sheet_columns.yaml):
a sheet is a CRM export when it has a customer-text column (Vraag, Omschrijving, Description, ...).
Rows with the same id (Ticketnummer, Case ID, ...) are one contact; without an id column each row
is one. A row gives the customer's text and, when there is an answer column, the agent's reply; in
a message-per-row export a role column (Afzender type, Richting, ...) says who wrote the row.
Workbooks are read with python-calamine (never opened as a zip archive of XML files).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from pipeline.errors import InputFileError, ResourceError
from pipeline.ingest.identity import customer_key, stable_id
from pipeline.ingest.records import ROLES, Contact, Context, Message, Parsed, empty_customer_turn
from pipeline.ingest.text import maybe_html, parse_timestamp

SHEET_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
FIELDS = ("id", "subject", "question", "answer", "date", "time", "channel", "customer", "agent", "role")
CHANNELS = ("email", "chat", "call")
_ORIGIN = "pipeline/resources/ingest/sheet_columns.yaml"
_NOISE = re.compile(r"[\s._\-/:#()]+")
EXCEL_EPOCH = datetime(1899, 12, 30)   # day 0 of Excel's serial dates (1900 system)
HEADER_ROWS = 10          # a workbook may have a title or an empty row above its header


def normalise(value: Any) -> str:
    """A header or cell value as compared: lowercase, without spaces and punctuation."""
    return _NOISE.sub("", str(value or "").lower())


@dataclass(frozen=True)
class SheetRules:
    fields: dict[str, tuple[str, ...]]       # field -> normalised header synonyms, in order
    headers: dict[str, tuple[str, ...]]      # field -> the synonyms as written (for messages)
    channels: dict[str, str]                 # normalised value -> email | chat | call
    default_channel: str
    roles: dict[str, str]                    # normalised value -> customer | agent | bot | system
    date_formats: tuple[str, ...]
    examples: tuple[dict[str, Any], ...]


@lru_cache(maxsize=1)
def load_sheet_rules() -> SheetRules:
    from pipeline.resources import package_file, read_yaml

    return sheet_rules(read_yaml(package_file("ingest", "sheet_columns.yaml"), _ORIGIN), _ORIGIN)


def sheet_rules(data: Any, origin: str) -> SheetRules:
    """Validate the column rules (see the data file)."""
    def fail(key: str, message: str) -> ResourceError:
        return ResourceError(message, path=origin, where=key)

    if not isinstance(data, dict):
        raise fail("top level", "expected a mapping with fields, channels, roles, date_formats")
    fields = data.get("fields") or {}
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown or "question" not in fields:
        raise fail("fields", f"fields are {', '.join(FIELDS)} ('question' required); "
                             f"unknown: {', '.join(unknown) or '-'}")

    def values(key: str, valid: tuple[str, ...]) -> dict[str, str]:
        table: dict[str, str] = {}
        for target, names in (data.get(key) or {}).items():
            if target not in valid:
                raise fail(key, f"'{target}' is not one of {', '.join(valid)}")
            for name in names:
                if table.setdefault(normalise(name), target) != target:
                    raise fail(f"{key}.{target}", f"'{name}' is listed under two {key}")
        return table

    default = data.get("default_channel", "email")
    if default not in CHANNELS:
        raise fail("default_channel", f"default_channel is one of {', '.join(CHANNELS)}")
    return SheetRules(
        fields={f: tuple(normalise(n) for n in names) for f, names in fields.items()},
        headers={f: tuple(str(n) for n in names) for f, names in fields.items()},
        channels=values("channels", CHANNELS), default_channel=default,
        roles=values("roles", ROLES), date_formats=tuple(data.get("date_formats") or ()),
        examples=tuple(data.get("examples") or ()))


def recognise(headers: list[Any], rules: SheetRules) -> dict[str, int]:
    """field -> column index, for the fields whose header is present (first synonym wins)."""
    at = {}
    for index, header in enumerate(headers):
        at.setdefault(normalise(header), index)
    found: dict[str, int] = {}
    taken: set[int] = set()
    for field in FIELDS:
        for synonym in rules.fields.get(field, ()):
            if synonym in at and at[synonym] not in taken:
                found[field] = at[synonym]
                taken.add(at[synonym])
                break
    return found


def is_crm_sheet(columns: dict[str, int]) -> bool:
    return "question" in columns


def _header_row(rows: list[list[Any]], rules: SheetRules) -> int:
    """The row (among the first few) that recognises most columns and has the customer text."""
    best, best_score = 0, -1
    for index, row in enumerate(rows[:HEADER_ROWS]):
        columns = recognise(row, rules)
        score = len(columns) + (100 if is_crm_sheet(columns) else 0)
        if score > best_score:
            best, best_score = index, score
    return best


# -- reading ---------------------------------------------------------------------------------------

# 20 million cells: a million-row export of 20 columns fits, a cell at XFD1048576 does not.
MAX_SHEET_CELLS = 20_000_000


def read_workbook(data: bytes, ctx: Context) -> list[tuple[str, list[list[Any]]]]:
    """(sheet name, rows) per worksheet; an unreadable workbook is an InputFileError."""
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [(name, book.get_sheet_by_name(name)) for name in book.sheet_names]
    except python_calamine.PasswordError:
        raise InputFileError("het werkblad is met een wachtwoord beveiligd", path=ctx.path,
                             hint="sla een kopie zonder wachtwoord op en lees die in") from None
    except Exception as exc:  # calamine raises its own and zip/xml errors for broken files
        raise InputFileError(f"geen leesbaar werkblad: {exc}".splitlines()[0], path=ctx.path,
                             hint="open het in Excel en sla het opnieuw op als .xlsx") from None
    for name, sheet in sheets:
        # The grid is built whole: a few kilobytes with one cell at XFD1048576 would be billions
        # of cells. Refuse before building it.
        cells = sheet.total_height * sheet.total_width
        if cells > MAX_SHEET_CELLS:
            raise InputFileError(
                f"werkblad '{name}' beslaat {sheet.total_height:,} rijen × {sheet.total_width:,} "
                f"kolommen; meer dan {MAX_SHEET_CELLS:,} cellen wordt niet ingelezen".replace(",", "."),
                path=ctx.path, hint="verwijder lege rijen en kolommen onder en naast de tabel, "
                                    "of exporteer de tabel als CSV")
    try:
        return [(name, sheet.to_python(skip_empty_area=False)) for name, sheet in sheets]
    except Exception as exc:  # noqa: BLE001 - a broken sheet is this file's error
        raise InputFileError(f"geen leesbaar werkblad: {exc}".splitlines()[0], path=ctx.path,
                             hint="open het in Excel en sla het opnieuw op als .xlsx") from None


def parse_workbook(data: bytes, ctx: Context, fmt: str = "sheet_xlsx") -> Parsed:
    """Every worksheet that is a CRM export; the others are listed in each contact's meta."""
    rules = load_sheet_rules()
    parsed = Parsed(format=fmt)
    tried = []
    for name, rows in read_workbook(data, ctx):
        if not any(any(c not in (None, "") for c in r) for r in rows[:HEADER_ROWS]):
            continue
        at = _header_row(rows, rules)
        columns = recognise(rows[at], rules)
        if not is_crm_sheet(columns):
            tried.append(f"'{name}': {_headers_text(rows[at])}")
            continue
        body = [(at + 2 + i, row) for i, row in enumerate(rows[at + 1:])]
        parse_rows(rows[at], body, ctx, parsed, rules, sheet=name, where="werkblad '" + name + "', rij")
    if not parsed.contacts:
        raise no_question_column(ctx, "; ".join(tried) or "no sheet with data", rules)
    return parsed


def parse_csv_table(table: list[tuple[int, list[Any]]], ctx: Context) -> Parsed:
    """A CSV export's (line, cells) rows; its header may sit below a title line."""
    rules = load_sheet_rules()
    at = _header_row([cells for _, cells in table], rules) if table else 0
    header = table[at][1] if table else []
    if not is_crm_sheet(recognise(header, rules)):
        raise no_question_column(ctx, _headers_text(table[0][1] if table else []), rules)
    parsed = Parsed(format="sheet_csv")
    parse_rows(header, table[at + 1:], ctx, parsed, rules, sheet=None, where="regel")
    if not parsed.contacts:
        raise InputFileError("geen rijen onder de kopregel", path=ctx.path,
                             where=f"regel {table[at][0] + 1}")
    return parsed


def no_question_column(ctx: Context, found: str, rules: SheetRules) -> InputFileError:
    known = ", ".join(rules.headers["question"][:6])
    return InputFileError(
        f"geen chat-mapping past en geen kolom bevat de tekst van de klant (gevonden: {found})",
        path=ctx.path, where="kopregel",
        hint=f"noem die kolom bijvoorbeeld {known}, zet uw kolomkop in {_ORIGIN}, of schrijf een "
             "chat-mapping (docs/mapping.md)")


def _headers_text(row: list[Any]) -> str:
    names = [str(c).strip() for c in row if c not in (None, "")]
    return ", ".join(names[:10]) + (" ..." if len(names) > 10 else "") if names else "no header"


# -- rows to contacts -------------------------------------------------------------------------------

def _cell(row: list[Any], index: int | None) -> Any:
    if index is None or index >= len(row):
        return None
    value = row[index]
    return None if value == "" else value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))          # calamine reads every number as float: ticket 12 -> 12.0
    return str(value).strip()


class _Dates:
    """Day-first date parsing; remembers the format that worked (a sheet uses one)."""

    def __init__(self, rules: SheetRules, ctx: Context) -> None:
        self.formats, self.ctx, self.last = rules.date_formats, ctx, None

    def __call__(self, value: Any, clock: Any, where: str) -> datetime | None:
        moment = self._date(value, where)
        if moment is None or clock in (None, ""):
            return moment
        extra = self._time(clock)
        if extra is not None and moment.time() == time(0, 0):
            moment = datetime.combine(moment.date(), extra)
        return moment

    def _date(self, value: Any, where: str) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None) if value.tzinfo is None else parse_timestamp(value.isoformat())
        if isinstance(value, date):
            return datetime.combine(value, time(0, 0))
        if isinstance(value, (int, float)) and 1 <= value < 2958466:
            return EXCEL_EPOCH + timedelta(days=float(value))   # a date cell without date format
        text = _text(value)
        if not text:
            return None
        for fmt in ([self.last] if self.last else []) + list(self.formats):
            try:
                moment = datetime.strptime(text, fmt)
            except ValueError:
                continue
            self.last = fmt
            return moment
        try:
            return parse_timestamp(text)
        except (ValueError, TypeError, OverflowError):
            raise InputFileError(f"onleesbare datum '{text[:40]}'", path=self.ctx.path, where=where,
                                 hint="schrijf datums als 03-09-2026 14:05 of 2026-09-03T14:05; "
                                      f"gelezen vormen: {_ORIGIN} date_formats") from None

    @staticmethod
    def _time(value: Any) -> time | None:
        if isinstance(value, time):
            return value
        if isinstance(value, timedelta):
            return (datetime.min + value).time()
        if isinstance(value, datetime):
            return value.time()
        text = _text(value)
        for fmt in ("%H:%M:%S", "%H:%M"):
            try:
                return datetime.strptime(text, fmt).time()
            except ValueError:
                continue
        return None


def parse_rows(header: list[Any], rows: list[tuple[int, list[Any]]], ctx: Context, parsed: Parsed,
               rules: SheetRules, *, sheet: str | None, where: str) -> None:
    """Append the contacts and messages of ``rows`` (numbered as the user sees them)."""
    columns = recognise(header, rules)
    col = columns.get
    parsed.fields = {field: _text(header[index]) for field, index in columns.items()}
    parsed.recognised_as = f"CRM-sheet '{sheet}'" if sheet else "CRM-tabel"
    dates = _Dates(rules, ctx)
    groups: dict[str, list[tuple[int, list[Any]]]] = {}
    for number, row in rows:
        if not any(c not in (None, "") for c in row):
            continue                                          # empty rows between blocks
        key = _text(_cell(row, col("id")))
        groups.setdefault(key or f"#{number}", []).append((number, row))
    for key, group in groups.items():
        first_number = group[0][0]
        external_id = key if not key.startswith("#") else f"{sheet or ctx.name}#{first_number}"
        contact_id = stable_id("sheet", external_id) if not key.startswith("#") else \
            stable_id("sheet", ctx.source_id, sheet, first_number)
        messages: list[Message] = []
        subject = customer = raw_channel = first_time = None
        for number, row in group:
            spot = f"{where} {number}"
            sent_at = dates(_cell(row, col("date")), _cell(row, col("time")), spot)
            first_time = first_time or sent_at
            subject = subject or _text(_cell(row, col("subject"))) or None
            customer = customer or _text(_cell(row, col("customer"))) or None
            raw_channel = raw_channel or _text(_cell(row, col("channel"))) or None
            agent = _text(_cell(row, col("agent"))) or None
            turns = []
            if "role" in columns:
                raw_role = _text(_cell(row, col("role")))
                role = rules.roles.get(normalise(raw_role))
                if role is None:
                    raise InputFileError(
                        f"onbekende rol '{raw_role}'", path=ctx.path, where=spot,
                        hint=f"bekend: {', '.join(sorted(set(rules.roles)))}; voeg hem toe onder "
                             f"roles in {_ORIGIN}")
                turns.append((role, _cell(row, col("question")), agent if role == "agent" else None, sent_at))
            else:
                turns.append(("customer", _cell(row, col("question")), None, sent_at))
                # the reply's own time is not in the row: it gets the row's, which keeps it
                # after its question when the store orders a contact's messages by time
                turns.append(("agent", _cell(row, col("answer")), agent, sent_at))
            for role, value, author, when in turns:
                text = maybe_html(_text(value))
                if not text:
                    continue          # an empty turn; the contact stays (status counts it)
                messages.append(Message(
                    message_id=stable_id("sheet", contact_id, number, role),
                    contact_id=contact_id, seq=len(messages), role=role, sent_at=when,
                    author=author, text=text, source_id=ctx.source_id))
        if not messages:
            messages.append(empty_customer_turn(contact_id, ctx.source_id, first_time))
        times = [m.sent_at for m in messages if m.sent_at is not None]
        channel = rules.channels.get(normalise(raw_channel)) if raw_channel else None
        meta: dict[str, Any] = {}
        if sheet:
            meta["sheet"] = sheet
        if raw_channel:
            meta["kanaal"] = raw_channel
        if channel is None:
            meta["channel_assumed"] = True
        parsed.contacts.append(Contact(
            contact_id=contact_id, external_id=external_id, channel=channel or rules.default_channel,
            format=parsed.format, started_at=min(times) if times else first_time,
            ended_at=max(times) if times else first_time,
            customer_key=customer_key(ctx.salt, customer), subject=subject, meta=meta,
            source_id=ctx.source_id))
        parsed.messages.extend(messages)
