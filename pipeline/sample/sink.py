"""Where the generator's files go: the output folder, or the export's .zip archive.

Keeps the writes deterministic (zip members get the contact's own timestamp and fixed permissions)
and counts the files written per format for the summary.
"""

from __future__ import annotations

import zipfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

ZIP_NAME = "archive/export_2026-10_aanvulling.zip"


class Sink:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.files: dict[str, set[str]] = defaultdict(set)
        self._zip: zipfile.ZipFile | None = None

    def path(self, name: str) -> Path:
        path = self.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def display(self, name: str, container: str) -> str:
        """The file as the ground truth names it (zip members as 'archive.zip!/member')."""
        return f"{ZIP_NAME}!/{name}" if container == "zip" else name

    def write(self, name: str, data: bytes, at: datetime, container: str = "", fmt: str = "") -> None:
        if container == "zip":
            if self._zip is None:
                self._zip = zipfile.ZipFile(self.path(ZIP_NAME), "w", compression=zipfile.ZIP_DEFLATED)
            info = zipfile.ZipInfo(name, date_time=(at.year, at.month, at.day, at.hour, at.minute, at.second))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            self._zip.writestr(info, data)
            self.files["zip"].add(ZIP_NAME)
        else:
            self.path(name).write_bytes(data)
        self.files[fmt or "other"].add(self.display(name, container))

    def open(self, name: str, fmt: str = "") -> BinaryIO:
        self.files[fmt or "other"].add(name)
        return open(self.path(name), "wb")

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None
