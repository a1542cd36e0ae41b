"""`klantvraag inspect`: what ingest would make of an export, without writing anything.

Per file: the shape it was recognised as (or why not, and the closest known shape), how many
contacts and messages it would give, which fields feed what, counts per channel and role, the
date range, and which files would be skipped and why. Pure: the same discovery and parsers as
ingest (:mod:`pipeline.ingest.archive`, :func:`pipeline.ingest.detect.parse_file`), no database.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.config import IngestConfig
from pipeline.errors import InputFileError
from pipeline.ingest import chat, sheet
from pipeline.ingest.archive import discover, ignored_by
from pipeline.ingest.detect import detect, guess_format
from pipeline.ingest.identity import sha256_hex
from pipeline.ingest.limits import Limits
from pipeline.ingest.parallel import parse_job
from pipeline.ingest.mapping import Mapping, get_path, load_mappings
from pipeline.ingest.records import Context
from pipeline.ingest.speakers import load_speaker_rules
from pipeline.ingest.thread import thread_mails
from pipeline.summary import Summary

RECOGNISED, FAILED, SKIPPED = "herkend", "niet herkend", "overgeslagen"


@dataclass
class FileReport:
    path: str
    status: str                         # herkend | niet herkend | overgeslagen
    format: str | None = None
    recognised_as: str | None = None
    reason: str | None = None           # why not recognised or skipped
    closest: str | None = None          # the nearest known shape and what it misses
    contacts: int = 0
    messages: int = 0
    without_customer_text: int = 0
    fields: dict[str, str] = field(default_factory=dict)
    channels: Counter = field(default_factory=Counter)
    roles: Counter = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "format": self.format,
                "recognised_as": self.recognised_as, "reason": self.reason,
                "closest": self.closest, "contacts": self.contacts, "messages": self.messages,
                "without_customer_text": self.without_customer_text, "fields": self.fields,
                "channels": dict(self.channels), "roles": dict(self.roles),
                "first": self.first.isoformat() if self.first else None,
                "last": self.last.isoformat() if self.last else None}


@dataclass
class InspectReport:
    files: list[FileReport] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        recognised = [f for f in self.files if f.status == RECOGNISED]
        return {"files": [f.as_dict() for f in self.files],
                "totals": {"files": len(self.files), "recognised": len(recognised),
                           "not_recognised": sum(f.status == FAILED for f in self.files),
                           "skipped": sum(f.status == SKIPPED for f in self.files),
                           "contacts": sum(f.contacts for f in recognised),
                           "messages": sum(f.messages for f in recognised)}}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)


def inspect_paths(paths: list[Path], config: IngestConfig) -> InspectReport:
    """Read and parse every input file as ingest would; report, write nothing."""
    base = {"agent_domains": tuple(d.lower() for d in config.agent_domains),
            "organisation_names": tuple(config.organisation_names),
            "chat_mapping": config.chat_mapping,
            "mappings": tuple(load_mappings(config.chat_mapping_files)),
            "speakers": load_speaker_rules(), "limits": Limits.from_config(config)}
    report = InspectReport()
    ignored: list[str] = []
    seen: dict[str, str] = {}
    mails: list[tuple[FileReport, Any]] = []
    held: list[tuple[FileReport, Any]] = []      # vendor tickets completed by other files
    for item in discover([Path(p) for p in paths], tuple(config.ignore), ignored, base["limits"],
                         config.follow_symlinks):
        if item.refused:
            report.files.append(FileReport(item.path, SKIPPED, reason=item.refused))
            continue
        try:
            data = item.read()
        except InputFileError as exc:
            report.files.append(FileReport(item.path, SKIPPED, reason=exc.message))
            continue
        digest = sha256_hex(data)
        if digest in seen:
            report.files.append(FileReport(item.path, SKIPPED,
                                           reason=f"zelfde inhoud als {seen[digest]}"))
            continue
        seen[digest] = item.path
        ctx = Context(path=item.path, name=item.name, source_id=digest, **base)
        file_report, found, parsed = _inspect(data, ctx)
        report.files.append(file_report)
        if found:
            mails.append((file_report, found))
        if parsed is not None and parsed.pending:
            held.append((file_report, parsed))
    _thread(mails)
    _join(held)
    for path in ignored:
        pattern = ignored_by(Path(path).name, tuple(config.ignore))
        report.files.append(FileReport(path, SKIPPED,
                                       reason=f"genegeerd volgens [ingest] ignore ('{pattern}')"))
    return report


def inspect_file(data: bytes, ctx: Context) -> FileReport:
    """One file: recognised (with counts) or not (with the reason and the closest shape).
    E-mails are counted as messages here; contacts need threading (see inspect_paths)."""
    return _inspect(data, ctx)[0]


def _join(held: list[tuple[FileReport, Any]]) -> None:
    """Tickets and their comment files (Zendesk, Freshdesk, Twilio) are joined across files, as
    ingest does once every file is read; a contact counts for its ticket file."""
    if not held:
        return
    from pipeline.ingest.vendors.pieces import resolve

    for (file_report, parsed), outcome in zip(held, resolve([parsed for _, parsed in held])):
        if outcome[0] == "ok":
            _count(file_report, outcome[1].contacts, outcome[1].messages)
        else:
            _, message, where, hint = outcome
            file_report.status = FAILED
            file_report.reason = message + (f" ({where})" if where else "") + (
                f" — {hint}" if hint else "")


def _inspect(data: bytes, ctx: Context) -> tuple[FileReport, list, Any]:
    """Parsed as ingest parses it (limits, time budget, any exception as this file's error)."""
    outcome = parse_job((ctx.path, ctx.name, ctx.source_id, data, None), _settings(ctx))
    if outcome[0] != "ok":
        _, message, where, hint = outcome
        reason = message + (f" ({where})" if where else "") + (f" — {hint}" if hint else "")
        try:
            closest = closest_shape(data, ctx)
        except Exception:     # noqa: BLE001 - a hint only; the file's error is already said
            closest = None
        return FileReport(ctx.path, FAILED, format=guess_format(ctx.name), reason=reason,
                          closest=closest), [], None
    parsed = outcome[1]
    report = FileReport(ctx.path, RECOGNISED, format=parsed.format,
                        recognised_as=parsed.recognised_as, fields=dict(parsed.fields))
    if parsed.format.endswith("_messages"):
        report.recognised_as = "berichten bij de gesprekken in een ander bestand (messages_file)"
    _count(report, parsed.contacts, parsed.messages)
    if parsed.mails:
        report.messages = len(parsed.mails)
        report.roles.update(m.role for m in parsed.mails)
    return report, parsed.mails, parsed


def _settings(ctx: Context) -> dict[str, Any]:
    """The run's settings in ``ctx`` (everything but the file itself), as parse_job takes them."""
    return {f.name: getattr(ctx, f.name) for f in fields(ctx)
            if f.name not in ("path", "name", "source_id")}


def _count(report: FileReport, contacts: list, messages: list) -> None:
    report.contacts += len(contacts)
    report.messages += len(messages)
    report.channels.update(c.channel for c in contacts)
    report.roles.update(m.role for m in messages)
    with_text = {m.contact_id for m in messages if m.role == "customer" and m.text.strip()}
    report.without_customer_text += sum(c.contact_id not in with_text for c in contacts)
    times = [t for c in contacts for t in (c.started_at, c.ended_at) if t is not None]
    times += [m.sent_at for m in messages if m.sent_at is not None]
    if times:
        report.first = min([report.first, *times] if report.first else times)
        report.last = max([report.last, *times] if report.last else times)


def _thread(mails: list[tuple[FileReport, list]]) -> None:
    """E-mails become contacts by threading across all files, as ingest does; a contact counts
    for the file of its first mail."""
    if not mails:
        return
    contacts, messages = thread_mails([m for _, found in mails for m in found], "", {}, {})
    with_text = {m.contact_id for m in messages if m.role == "customer" and m.text.strip()}
    for report, found in mails:
        own = {m.source_id for m in found}
        report.messages, report.roles = 0, Counter()
        mine = [c for c in contacts if c.source_id in own]
        _count(report, mine, [m for m in messages if m.source_id in own])
        report.without_customer_text = sum(c.contact_id not in with_text for c in mine)


# -- the closest known shape ----------------------------------------------------------------------

def closest_shape(data: bytes, ctx: Context) -> str | None:
    """The known shape nearest to a file that fits none, and what it misses (Dutch, one line)."""
    try:
        kind = detect(ctx.name, data, ctx)
        if kind == "json":
            return _closest_mapping("json", chat.load_json(data, ctx), ctx.mappings)
        if kind == "jsonl":
            lines = chat.load_jsonl(data, ctx)
            return _closest_mapping("jsonl", lines[0][1] if lines else {}, ctx.mappings)
        if kind == "csv":
            columns, _ = chat.load_csv(data, ctx)
            return _closest_mapping("csv", columns, ctx.mappings) or _sheet_hint()
        if kind == "sheet":
            return _sheet_hint()
    except InputFileError:
        return None
    return None


def _sheet_hint() -> str:
    known = ", ".join(sheet.load_sheet_rules().headers["question"][:6])
    return f"CRM-sheet: mist een kolom met de klanttekst ({known}, ...)"


def _closest_mapping(kind: str, shape: Any, mappings: tuple[Mapping, ...]) -> str | None:
    best: tuple[float, Mapping, list[str]] | None = None
    for mapping in mappings:
        if kind not in mapping.formats:
            continue
        if kind == "csv":
            needed, have = list(mapping.detect.get("csv_columns", [])), set(shape)
        else:
            needed = list(mapping.detect.get("json_keys", []) if kind == "json" else [])
            needed += list(mapping.detect.get("item_keys", []))
            have = _keys(shape, mapping)
        if not needed:
            continue
        missing = [k for k in needed if k not in have]
        score = 1 - len(missing) / len(needed)
        if best is None or score > best[0]:
            best = (score, mapping, missing)
    if best is None or best[0] == 0:
        return None
    _, mapping, missing = best
    return f"lijkt het meest op mapping {mapping.id} ({mapping.origin}); mist: {', '.join(missing)}"


def _keys(shape: Any, mapping: Mapping) -> set[str]:
    """Top-level keys plus those of the first conversation, wherever the mapping looks for it."""
    if isinstance(shape, list):
        return set(shape[0]) if shape and isinstance(shape[0], dict) else set()
    if not isinstance(shape, dict):
        return set()
    keys = set(shape)
    items = get_path(shape, mapping.conversations) if mapping.conversations else None
    if isinstance(items, list) and items and isinstance(items[0], dict):
        keys |= set(items[0])
    return keys


# -- as tables ------------------------------------------------------------------------------------

def summaries(report: InspectReport) -> list[Summary]:
    """The report as the CLI prints it: one row per file, details and reasons below (Dutch)."""
    table = Summary(title="Wat klantvraag ingest zou lezen (er wordt niets opgeslagen)",
                    columns=["bestand", "herkend als", "contacten", "berichten", "periode"])
    for file in report.files:
        name = _name(file.path)
        shape = file.status if file.status != RECOGNISED else (
            file.format + (f" ({file.recognised_as})" if file.recognised_as else ""))
        period = "-" if not file.first else (
            f"{file.first:%d-%m-%Y} t/m {file.last:%d-%m-%Y}" if file.last.date() != file.first.date()
            else f"{file.first:%d-%m-%Y}")
        table.rows.append([name, shape, file.contacts, file.messages, period])
        if file.status == RECOGNISED:
            detail = f"{name}: kanalen {_counts(file.channels)}; rollen {_counts(file.roles)}"
            if file.without_customer_text:
                detail += f"; {_dutch(file.without_customer_text)} zonder klanttekst"
            if file.fields:
                detail += "; velden: " + ", ".join(f"{ours} ← {theirs}"
                                                   for ours, theirs in file.fields.items())
            table.notes.append(detail)
        elif file.status == FAILED:
            line = f"{_short(file.path)}: niet herkend: {file.reason}"
            table.warnings.append(line + (f"; {file.closest}" if file.closest else ""))
        else:
            table.notes.append(f"{_short(file.path)}: overgeslagen: {file.reason}")
    totals = report.as_dict()["totals"]
    table.notes.append(
        f"{_dutch(totals['files'])} bestanden: {_dutch(totals['recognised'])} herkend, "
        f"{_dutch(totals['not_recognised'])} niet herkend, {_dutch(totals['skipped'])} overgeslagen; "
        f"{_dutch(totals['contacts'])} contacten, {_dutch(totals['messages'])} berichten")
    if totals["not_recognised"]:
        table.notes.append("Een eigen exportvorm lezen: schrijf een mapping, zie docs/mapping.md")
    return [table]


def _name(path: str) -> str:
    """The file's name; a zip member as 'archive.zip!/member name'. Personal data in names
    (WhatsApp names exports after the phone number) is masked, as in `klantvraag status`."""
    from pipeline.nlp.pii import mask_path

    if "!/" in path:
        archive, member = path.split("!/", 1)
        return mask_path(f"{Path(archive).name}!/{member.rsplit('/', 1)[-1]}")
    return mask_path(Path(path).name)


def _short(path: str) -> str:
    """Relative to the current folder when under it, personal data masked."""
    from pipeline.nlp.pii import mask_path

    here = str(Path.cwd()) + "/"
    return mask_path(path[len(here):] if path.startswith(here) else path)


def _counts(counter: Counter) -> str:
    return ", ".join(f"{k} {_dutch(v)}" for k, v in counter.most_common()) or "-"


def _dutch(number: int) -> str:
    return f"{number:,}".replace(",", ".")
