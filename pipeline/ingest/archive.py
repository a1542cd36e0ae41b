"""Finding the input files: single files, folders (recursively) and .zip archives read in place.

A zip member whose name would escape the archive ('../', an absolute path, a drive letter) is
refused and reported, never read as a path on disk. Members are shown as 'archive.zip!/member'.
Symbolic links and special files (FIFO, device, socket) are refused without being opened (a FIFO
would block forever), unless links are followed on request; files, members and whole archives
over the size limits of :class:`~pipeline.ingest.limits.Limits` are refused too.
"""

from __future__ import annotations

import fnmatch
import io
import os
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipeline.errors import InputFileError
from pipeline.ingest.limits import MIB, Limits

_ZIPPED_DOCUMENTS = (".xlsx", ".xlsm", ".xlsb", ".ods", ".docx")
# A member this small is never called a zip bomb, whatever its ratio (a page of repeated text).
_RATIO_FLOOR = MIB


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
             ignored: list[str] | None = None, limits: Limits | None = None,
             follow_symlinks: bool = False) -> Iterator[Item]:
    """Every input file under ``paths``. Inside folders, files whose name matches an ``ignore``
    glob (README, the generator's ground truth, ...) are left out and listed in ``ignored``;
    a file named explicitly is always read. Links and special files come back refused."""
    limits = limits or Limits()
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            raise InputFileError("bestand of map niet gevonden", path=str(path),
                                 hint="controleer het pad dat je aan `klantvraag ingest` gaf")
        if path.is_dir() and (follow_symlinks or not path.is_symlink()):
            files = list(_walk(path, ignore, ignored, follow_symlinks))
        else:
            files = [path]
        for file in files:
            refused = _refused_kind(file, follow_symlinks, limits)
            if refused:
                shown = str(file.absolute())
                yield Item(shown, file.name, lambda p=shown: p.encode("utf-8"), refused=refused)
                continue
            resolved = file.resolve()
            # .xlsx/.ods are zips of XML too: they are sheets (pipeline/ingest/sheet.py), not archives
            suffix = resolved.suffix.lower()
            if suffix == ".zip" or (suffix not in _ZIPPED_DOCUMENTS and _is_zip_file(resolved)):
                yield from _zip_items(str(resolved), resolved, limits)
            else:
                yield Item(str(resolved), resolved.name, resolved.read_bytes)


def _walk(folder: Path, ignore: tuple[str, ...], ignored: list[str] | None,
          follow_symlinks: bool) -> Iterator[Path]:
    """Files under ``folder`` in a stable order; links to folders are walked only when
    followed (a link loop is walked once), otherwise they come back as entries to refuse."""
    found, visited = [], set()
    for top, dirs, names in os.walk(folder, followlinks=follow_symlinks):
        here = Path(top)
        try:
            info = here.stat()
            identity = (info.st_dev, info.st_ino)
        except OSError:
            identity = None
        if any(_skipped(part) for part in here.relative_to(folder).parts) or identity in visited:
            dirs[:] = []
            continue
        visited.add(identity)
        if not follow_symlinks:
            names = names + [d for d in dirs if (here / d).is_symlink()]
        dirs[:] = [d for d in dirs if not (here / d).is_symlink() or follow_symlinks]
        for name in names:
            if _skipped(name):
                continue
            if ignored_by(name, ignore):
                if ignored is not None:
                    ignored.append(str(here / name))
                continue
            found.append(here / name)
    yield from sorted(found)


def _refused_kind(path: Path, follow_symlinks: bool, limits: Limits) -> str | None:
    """Why ``path`` is not opened (a link, a FIFO, a device, too large), or None. Uses lstat
    and stat only: nothing is opened here."""
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            if not follow_symlinks:
                return ("symbolische link, niet gevolgd — kopieer het bestand zelf in de export, "
                        "of gebruik --follow-symlinks als de link bedoeld is")
            info = path.stat()
    except OSError as exc:
        return f"niet te openen: {exc.strerror or exc} — controleer of het bestand bestaat en leesbaar is"
    if stat.S_ISFIFO(info.st_mode) or stat.S_ISSOCK(info.st_mode):
        return ("geen gewoon bestand maar een pipe of socket; niet geopend — exporteer naar "
                "een gewoon bestand")
    if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        return "geen gewoon bestand maar een apparaat; niet geopend — dit hoort niet in een export"
    if not stat.S_ISREG(info.st_mode):
        return "geen gewoon bestand; niet geopend"
    if info.st_size > limits.max_file_mb * MIB:
        return (f"groter dan {limits.max_file_mb} MiB; niet ingelezen — splits het bestand of "
                "verhoog [ingest] max_file_mb")
    return None


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
        return "absoluut pad (buiten het archief)"
    if ".." in PurePosixPath(normalised).parts:
        return "pad wijst buiten het archief ('..')"
    return None


def _zip_items(display: str, source: Path | bytes, limits: Limits,
               budget: list[int] | None = None) -> Iterator[Item]:
    """Members of a zip given by its path on disk (read in place) or its bytes (a nested zip).
    ``budget``: uncompressed bytes still allowed for the outermost archive (shared with the
    zips inside it)."""
    budget = budget if budget is not None else [limits.max_archive_mb * MIB]
    try:
        archive = zipfile.ZipFile(source if isinstance(source, Path) else io.BytesIO(source))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        yield Item(display, display.rsplit("/", 1)[-1], lambda: display.encode("utf-8"),
                   refused=f"geen leesbaar zip-archief ({type(exc).__name__}) — pak het opnieuw in "
                           "of lever de bestanden los aan")
        return
    for info in members:
        name = info.filename
        base = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
        if info.is_dir() or name.startswith("__MACOSX/") or _skipped(base):
            continue
        member_path = f"{display}!/{name}"
        why = unsafe_member(name)
        if why is None:
            why = _member_over_limit(info, limits, budget)
        if why is not None:
            yield Item(member_path, base, lambda p=member_path: p.encode("utf-8"),
                       refused=f"archiefbestand '{name}' in {display} geweigerd: {why}")
            continue
        budget[0] -= info.file_size
        reader = _member_reader(archive, info, member_path, limits)
        if base.lower().endswith(".zip"):
            try:
                inner = reader()
            except InputFileError as exc:
                yield Item(member_path, base, lambda p=member_path: p.encode("utf-8"), refused=exc.message)
                continue
            yield from _zip_items(member_path, inner, limits, budget)
        else:
            yield Item(member_path, base, reader)


def _member_over_limit(info: zipfile.ZipInfo, limits: Limits, budget: list[int]) -> str | None:
    size = info.file_size
    if size > limits.max_file_mb * MIB:
        return (f"uitgepakt groter dan {limits.max_file_mb} MiB (verhoog [ingest] max_file_mb "
                "als dit echt een export is)")
    if size > _RATIO_FLOOR and size > limits.max_compression_ratio * max(1, info.compress_size):
        return (f"pakt uit tot {size // max(1, info.compress_size):,} keer de ingepakte grootte "
                f"(een zip-bom?); grens [ingest] max_compression_ratio = "
                f"{limits.max_compression_ratio}").replace(",", ".")
    if size > budget[0]:
        return (f"het archief pakt samen uit tot meer dan {limits.max_archive_mb} MiB; de rest "
                "is niet ingelezen — splits het archief of verhoog [ingest] max_archive_mb")
    return None


def _member_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo, member_path: str,
                   limits: Limits):
    def read() -> bytes:
        # The sizes in the zip's directory can lie: never unpack more than they promise.
        try:
            with archive.open(info) as member:
                data = member.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError,
                RuntimeError) as exc:
            raise InputFileError(f"archiefbestand niet uit te pakken ({type(exc).__name__}) — "
                                 "pak het archief opnieuw in", path=member_path) from None
        if len(data) > info.file_size:
            raise InputFileError("archiefbestand pakt uit tot meer dan het archief opgeeft "
                                 "(beschadigd of gemanipuleerd); niet ingelezen", path=member_path)
        return data
    return read
