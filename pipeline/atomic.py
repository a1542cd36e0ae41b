"""Writing files that later commands depend on (models, taxonomy, reports) all at once or not at
all: the content goes to a temporary file in the same folder, is flushed to disk, and is then
renamed over the target. A kill halfway leaves the old file (or none) and a stray temporary file,
never a half-written target. Rename is atomic only within one file system, hence the same folder.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

TEMP_PREFIX = ".klantvraag-tmp-"


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A temporary path beside ``target`` to write to (with any library: ``np.savez``,
    ``joblib.dump``, a workbook writer); renamed over ``target`` when the block ends without an
    error, removed when it fails."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=target.suffix, dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        _fsync(temporary)
        # mkstemp makes the file private (0600); the target gets the mode any new file gets.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_bytes(target: str | Path, data: bytes) -> None:
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


def write_text(target: str | Path, text: str, encoding: str = "utf-8") -> None:
    write_bytes(target, text.encode(encoding))


def remove_leftovers(folder: str | Path) -> int:
    """Delete temporary files that a killed write left in ``folder``; returns how many."""
    removed = 0
    for stray in Path(folder).glob(f"{TEMP_PREFIX}*"):
        stray.unlink(missing_ok=True)
        removed += 1
    return removed


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    try:                      # makes the rename itself durable; not possible on every system
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
