"""Finding the input files: single files, folders (recursively) and .zip archives read in place.

A zip member whose name would escape the archive ('../', an absolute path, a drive letter) is
refused and reported, never read as a path on disk. Members are shown as 'archive.zip!/member'.
"""

from __future__ import annotations

import fnmatch
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipeline.errors import InputFileError

MAX_MEMBER_BYTES = 512 * 1024 * 1024
_ZIPPED_DOCUMENTS = (".xlsx", ".xlsm", ".xlsb", ".ods", ".docx")


@dataclass
class Item:
    """One input file, or one refused archive member (``refused`` says why)."""

    path: str                       # display path; 'archive.zip!/member' for zip members
    name: str                       # base name
    read: Callable[[], bytes]
    refused: str | None = None


def _skipped(name: str) -> bool:
    return name.startswith(".") or name in ("Thumbs.db", "desktop.ini")


def ignored_by(name: str, patterns: tuple[str, ...]) -> str | None:
    """The first ``patterns`` glob (case-insensitive) that ``name`` matches, if any."""
    lowered = name.lower()
    return next((p for p in patterns if fnmatch.fnmatchcase(lowered, p.lower())), None)


def discover(paths: list[Path], ignore: tuple[str, ...] = (),
             ignored: list[str] | None = None) -> Iterator[Item]:
    """Every input file under ``paths``. Inside folders, files whose name matches an ``ignore``
    glob (README, the generator's ground truth, ...) are left out and listed in ``ignored``;
    a file named explicitly is always read."""
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputFileError("file or folder not found", path=str(path),
                                 hint="check the path you passed to `klantvraag ingest`")
        if path.is_dir():
            files = []
            for p in sorted(path.rglob("*")):
                if not p.is_file() or any(_skipped(part) for part in p.relative_to(path).parts):
                    continue
                if ignored_by(p.name, ignore):
                    if ignored is not None:
                        ignored.append(str(p))
                    continue
                files.append(p)
        else:
            files = [path]
        for file in files:
            resolved = file.resolve()
            # .xlsx/.ods are zips of XML too: they are sheets (pipeline/ingest/sheet.py), not archives
            suffix = resolved.suffix.lower()
            if suffix == ".zip" or (suffix not in _ZIPPED_DOCUMENTS and _is_zip_file(resolved)):
                yield from _zip_items(str(resolved), resolved)
            else:
                yield Item(str(resolved), resolved.name, resolved.read_bytes)


def _is_zip_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def unsafe_member(name: str) -> str | None:
    """Why a member name is refused, or None when it stays inside the archive."""
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        return "absolute path"
    if ".." in PurePosixPath(normalised).parts:
        return "path escapes the archive ('..')"
    return None


def _zip_items(display: str, source: Path | bytes) -> Iterator[Item]:
    """Members of a zip given by its path on disk (read in place) or its bytes (a nested zip)."""
    try:
        archive = zipfile.ZipFile(source if isinstance(source, Path) else io.BytesIO(source))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        content = source.read_bytes() if isinstance(source, Path) else source
        yield Item(display, display.rsplit("/", 1)[-1], lambda: content,
                   refused=f"not a readable zip archive: {exc}")
        return
    for info in members:
        name = info.filename
        base = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
        if info.is_dir() or name.startswith("__MACOSX/") or _skipped(base):
            continue
        member_path = f"{display}!/{name}"
        why = unsafe_member(name)
        if why is None and info.file_size > MAX_MEMBER_BYTES:
            why = f"member larger than {MAX_MEMBER_BYTES // 2**20} MiB"
        if why is not None:
            yield Item(member_path, base, lambda p=member_path: p.encode("utf-8"),
                       refused=f"refused archive member '{name}' in {display}: {why}")
            continue
        reader = _member_reader(archive, info, member_path)
        if base.lower().endswith(".zip"):
            try:
                inner = reader()
            except InputFileError as exc:
                yield Item(member_path, base, lambda p=member_path: p.encode("utf-8"), refused=exc.message)
                continue
            yield from _zip_items(member_path, inner)
        else:
            yield Item(member_path, base, reader)


def _member_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo, member_path: str):
    def read() -> bytes:
        try:
            return archive.read(info)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
            raise InputFileError(f"cannot read archive member: {exc}", path=member_path) from None
    return read
