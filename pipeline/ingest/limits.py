"""Limits that keep one hostile file from hurting the run: size, nesting depth, time.

The numbers come from ``[ingest]`` in the config (see defaults.toml). Depth is measured on the
raw bytes *before* a parser sees them, so a file nested 100,000 levels deep is refused with a
message instead of exhausting Python's stack inside ``json`` or ``email``.
"""

from __future__ import annotations

import re
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from pipeline.config import IngestConfig
from pipeline.errors import InputFileError

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The [ingest] limits a parser needs, small enough to ship to worker processes; the
    defaults are the config's own (pipeline.config.IngestConfig)."""
    max_message_chars: int = IngestConfig.max_message_chars
    max_file_mb: int = IngestConfig.max_file_mb
    max_archive_mb: int = IngestConfig.max_archive_mb
    max_compression_ratio: int = IngestConfig.max_compression_ratio
    max_nesting_depth: int = IngestConfig.max_nesting_depth
    max_seconds_per_file: int = IngestConfig.max_seconds_per_file

    @classmethod
    def from_config(cls, config: Any) -> "Limits":
        return cls(**{name: getattr(config, name) for name in cls.__dataclass_fields__})


# JSON: brackets count only outside strings; an escaped character never ends a string.
_JSON_TOKEN = re.compile(rb'\\.|["\[\]{}]', re.DOTALL)


def json_depth(data: bytes, stop_above: int | None = None) -> int:
    """The deepest nesting of ``[``/``{`` in ``data`` (JSON or JSON lines), strings skipped.
    With ``stop_above``: stops once that is passed, and answers with the number of opening
    brackets when there are too few to pass it (no need to scan)."""
    opening = data.count(b"[") + data.count(b"{")
    if stop_above is not None and opening <= stop_above:
        return opening
    return _json_depth(data, stop_above)


def _json_depth(data: bytes, stop_above: int | None) -> int:
    depth = deepest = 0
    in_string = False
    for match in _JSON_TOKEN.finditer(data):
        token = match.group()
        if token == b'"':
            in_string = not in_string
        elif in_string or len(token) == 2:
            continue
        elif token in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    return deepest
        else:
            depth = max(0, depth - 1)
    return deepest


_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))', re.IGNORECASE)


def mime_depth(data: bytes, stop_above: int | None = None) -> int:
    """How deep multiparts nest in one e-mail: every declared boundary opens a level that its
    closing ``--boundary--`` line (or a sibling boundary of an outer level) ends."""
    declared = list(_BOUNDARY.finditer(data))
    if len(declared) <= (stop_above or 0):
        return len(declared)                    # cannot be deeper than the boundaries declared
    pending = [(m.start(), m.group(1) or m.group(2)) for m in declared]   # in file order
    stack: list[bytes] = []
    deepest = position = next_declared = 0
    for line in data.splitlines(keepends=True):
        position += len(line)
        while next_declared < len(pending) and pending[next_declared][0] < position:
            stack.append(pending[next_declared][1])
            next_declared += 1
            deepest = max(deepest, len(stack))
            if stop_above is not None and deepest > stop_above:
                return deepest
        stripped = line.rstrip()
        if stripped.startswith(b"--") and stack:
            for level in range(len(stack) - 1, -1, -1):
                boundary = stack[level]
                if stripped == b"--" + boundary + b"--":
                    del stack[level:]
                    break
                if stripped == b"--" + boundary:
                    del stack[level + 1:]
                    break
    return deepest


def check_json_depth(data: bytes, limits: Limits, path: str) -> None:
    depth = json_depth(data, stop_above=limits.max_nesting_depth)
    if depth > limits.max_nesting_depth:
        raise InputFileError(
            f"JSON is dieper genest dan {limits.max_nesting_depth} niveaus; niet ingelezen",
            path=path, hint="een echte chatexport is nooit zo diep: controleer of dit bestand "
                            "bij de export hoort (of verhoog [ingest] max_nesting_depth)")


def check_mime_depth(data: bytes, limits: Limits, path: str, where: str = "") -> None:
    depth = mime_depth(data, stop_above=limits.max_nesting_depth)
    if depth > limits.max_nesting_depth:
        raise InputFileError(
            f"e-mail met meer dan {limits.max_nesting_depth} geneste MIME-delen; niet ingelezen",
            path=path, where=where.rstrip(", ") or None,
            hint="een gewone e-mail is nooit zo diep: waarschijnlijk een kapot of kwaadaardig "
                 "bericht (of verhoog [ingest] max_nesting_depth)")


def cut_text(text: str, meta: dict | None, limits: Limits) -> tuple[str, dict | None]:
    """``text`` cut to ``max_message_chars``; the cut is recorded in ``meta['truncated']``."""
    if text is None or len(text) <= limits.max_message_chars:
        return text, meta
    meta = dict(meta or {})
    meta["truncated"] = {"original_chars": len(text), "kept_chars": limits.max_message_chars}
    return text[:limits.max_message_chars], meta


class FileTimeout(Exception):
    """Parsing one file took longer than ``max_seconds_per_file``."""


@contextmanager
def time_budget(seconds: int) -> Iterator[None]:
    """Raise :class:`FileTimeout` in this thread after ``seconds`` (POSIX main thread only; a
    worker process runs its jobs in its main thread too). Elsewhere: no budget."""
    usable = (seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expired(signum, frame):
        raise FileTimeout()

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
