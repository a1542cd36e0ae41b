"""An independent leak detector for the privacy tests: broad patterns, no validators, no
context words, so it cannot share a blind spot with the masker (pipeline/nlp/pii.py). Used on
every output file of a run; any hit is a leak."""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

PATTERNS = {
    "e-mailadres": re.compile(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", re.I),
    "telefoonnummer": re.compile(r"(?<![\w])(?:\+31|0031|0)[ -]?[1-9](?:[ -]?\d){8}(?!\d)"),
    "iban": re.compile(r"\b[A-Z]{2}\d{2} ?[A-Z]{4,5}(?: ?\d){8,10}\b", re.I),
    "postcode met huisnummer": re.compile(
        r"(?<![\w-])[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}[ ,]+(?:nummer |nr )?\d{1,5}[a-z]?(?![\w])", re.I),
    "kaartnummer": re.compile(r"(?<!\d)\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4}(?!\d)"),
    "lang nummer": re.compile(r"(?<![\w.,])\d{7,}(?![\w.,])"),
}
# Keys of our own (contact ids are sha256 hex; run ids are timestamps) are not personal data.
_OWN_KEY = re.compile(r"\b[0-9a-f]{16,}\b|\b\d{8}T\d{6}-[0-9a-f]{6}\b")


def text_of(path: Path) -> str:
    """The readable text of an output file: HTML/CSV/MD/YAML as text, xlsx as its XML,
    Parquet as its values."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            # Cell text only: drawing and chart XML hold layout numbers (EMU), not data.
            return "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist()
                             if n == "xl/sharedStrings.xml" or n.startswith("xl/worksheets/"))
    if path.suffix == ".parquet":
        # Text columns only: counts and sizes in bytes are long numbers, never personal data.
        table = pq.read_table(path)
        return "\n".join(str(v) for column, field in zip(table.columns, table.schema)
                         if pa.types.is_string(field.type) for v in column.to_pylist())
    if path.suffix == ".csv" and path.with_suffix(".parquet").exists():
        schema = pq.read_schema(path.with_suffix(".parquet"))
        text_columns = [i for i, f in enumerate(schema) if pa.types.is_string(f.type)]
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle, delimiter=";" if ";" in handle.readline() else ","))
        return "\n".join(row[i] for row in rows for i in text_columns if i < len(row))
    text = path.read_text("utf-8", errors="replace")
    if path.suffix == ".html":
        # The Plotly bundle is inlined verbatim (its authors' addresses are in its licence
        # comments): library code, not output data.
        text = text.replace(_plotly_bundle(), "")
    return text


def _plotly_bundle() -> str:
    from pipeline.report.charts import plotly_js      # the bundle exactly as the report inlines it

    return str(plotly_js())


def leaks(text: str, names: set[str] = frozenset()) -> list[tuple[str, str]]:
    text = _OWN_KEY.sub(" ", text)
    found = [(kind, m.group(0)) for kind, pattern in PATTERNS.items()
             for m in pattern.finditer(text)]
    lowered = text.lower()
    found += [("naam", name) for name in names if name.lower() in lowered]
    return found


def scan(paths, names: set[str] = frozenset()) -> dict[str, list[tuple[str, str]]]:
    out = {}
    for path in paths:
        hits = leaks(text_of(path), names)
        if hits:
            out[str(path)] = hits[:10]
    return out
