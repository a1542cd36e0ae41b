"""Messages kept in another file than their conversations (``messages_file`` in a mapping):
tickets.json with comments.json next to it, joined by a key.

The conversations file is parsed as usual and reads its messages file from the same folder (or
the same folder of the same .zip). The messages file, met on its own in the export, is recorded
as read (format ``..._messages``, no contacts of its own) instead of failing to fit a mapping.
"""

from __future__ import annotations

import fnmatch
import json
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from pipeline.errors import InputFileError
from pipeline.ingest.limits import MIB, Limits, check_json_depth
from pipeline.ingest.mapping import Mapping, get_path
from pipeline.ingest.records import Context
from pipeline.ingest.text import file_text


def joined_by(ctx: Context) -> Mapping | None:
    """The mapping whose messages_file names this file, if any."""
    name = ctx.name.lower()
    return next((m for m in ctx.mappings if m.messages_file
                 and fnmatch.fnmatchcase(name, str(m.messages_file["file"]).lower())), None)


def read_messages_file(mapping: Mapping, ctx: Context) -> dict[str, list[dict[str, Any]]]:
    """conversation key -> its messages (in file order), from every matching file next to ctx."""
    spec = mapping.messages_file
    found = _siblings(ctx, str(spec["file"]))
    if not found:
        raise InputFileError(
            f"berichtenbestand '{spec['file']}' niet gevonden naast dit bestand", path=ctx.path,
            hint=f"mapping {mapping.id} ({mapping.origin}) haalt de berichten daaruit: zet het in "
                 "dezelfde map (of zip-map), of verbeter messages_file.file")
    joined: dict[str, list[dict[str, Any]]] = {}
    for where, data in found:
        for number, message in _records(data, spec, where, mapping, ctx.limits):
            if not isinstance(message, dict):
                raise InputFileError("een bericht moet een object zijn", path=where, where=number)
            key = get_path(message, str(spec["key"]))
            if key not in (None, ""):
                joined.setdefault(str(key), []).append(message)
    return joined


def _records(data: bytes, spec: dict, path: str, mapping: Mapping,
             limits: Limits | None = None) -> list[tuple[str, Any]]:
    check_json_depth(data, limits or Limits(), path)      # the same guard as every JSON file
    text = file_text(data, path)
    try:
        if spec["document"] == "ndjson":
            return [(f"regel {n}", json.loads(line)) for n, line in enumerate(text.splitlines(), 1)
                    if line.strip()]
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"ongeldige JSON: {exc.msg}", path=path,
                             where=f"regel {exc.lineno}, kolom {exc.colno}") from None
    items = document if spec["document"] == "array" else get_path(document, spec.get("list"))
    if not isinstance(items, list):
        raise InputFileError(f"geen berichtenlijst ({spec['document']})", path=path,
                             where="bovenste niveau",
                             hint=f"controleer messages_file.document / list in mapping {mapping.id} "
                                  f"({mapping.origin})")
    return [(f"bericht {i + 1}", item) for i, item in enumerate(items)]


def _siblings(ctx: Context, pattern: str) -> list[tuple[str, bytes]]:
    """(display path, bytes) of the files matching ``pattern`` in ctx's folder: regular files
    within the size limit only (a link or an oversized file is never read, as in discover)."""
    limits = ctx.limits or Limits()
    most = limits.max_file_mb * MIB
    if "!/" in ctx.path:
        archive, member = ctx.path.split("!/", 1)
        if "!/" in member:          # a zip inside a zip: its siblings are not on disk
            return []
        folder = str(PurePosixPath(member).parent)
        try:
            with zipfile.ZipFile(archive) as book:
                return [(f"{archive}!/{info.filename}", book.read(info)) for info in book.infolist()
                        if not info.is_dir() and info.file_size <= most
                        and info.file_size <= limits.max_compression_ratio * max(
                            1, info.compress_size) + MIB
                        and str(PurePosixPath(info.filename).parent) == folder
                        and fnmatch.fnmatchcase(PurePosixPath(info.filename).name.lower(), pattern.lower())]
        except (OSError, zipfile.BadZipFile):
            return []
    folder = Path(ctx.path).parent
    if not folder.is_dir():
        return []
    return [(str(p), p.read_bytes()) for p in sorted(folder.iterdir())
            if not p.is_symlink() and p.is_file() and p.stat().st_size <= most
            and fnmatch.fnmatchcase(p.name.lower(), pattern.lower())]
