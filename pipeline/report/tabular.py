"""Tables an analyst loads into Excel or Power BI: typed, rounded, labelled, with Dutch headers.

One column dictionary (``pipeline/resources/report/columns.yaml``) says, per column, its header
in each language, its type and what it means; CSV, Parquet, the Excel sheets and the data
dictionary (``tables/README.md``) are all written from it, so they cannot disagree.

CSV comes in two dialects. ``nl`` (the default) is what Dutch Excel opens with a double click:
``;`` between fields, a decimal comma, UTF-8 with a byte-order mark, CRLF line ends.
``international`` is ``,``, a decimal point, UTF-8 without BOM, LF. Parquet keeps real types:
integers, doubles, booleans, dates and UTC timestamps; an all-empty column still has its type.

Free text from customers may start with ``= + - @`` (or a tab or carriage return); spreadsheet
programs run such a cell as a formula. Every text cell that would start so gets a leading ``'``
(OWASP, CSV injection), in CSV and Excel alike.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import ConfigError, ResourceError
from pipeline.resources import package_file, read_yaml

TYPES = ("int", "dec", "money", "pct", "date", "datetime", "week", "month", "bool", "code", "text")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_COLUMNS = "columns.yaml"


@dataclass(frozen=True)
class Column:
    name: str
    headers: dict[str, str]
    type: str
    doc: str


@dataclass(frozen=True)
class Dialect:
    name: str
    sep: str
    decimal: str
    encoding: str
    line_end: str
    true: str
    false: str


DIALECTS = {
    "nl": Dialect("nl", ";", ",", "utf-8-sig", "\r\n", "ja", "nee"),
    "international": Dialect("international", ",", ".", "utf-8", "\n", "true", "false"),
}


def dialect(name: str) -> Dialect:
    if name not in DIALECTS:
        raise ConfigError(f"onbekend CSV-dialect '{name}'",
                          hint=f"kies een van: {', '.join(DIALECTS)}")
    return DIALECTS[name]


def validate_columns(data: Any, path: str = _COLUMNS) -> dict[str, Column]:
    if not isinstance(data, dict) or not data:
        raise ResourceError("top level must be a mapping of column -> {nl, en, type, doc}",
                            path=path)
    out = {}
    for name, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != {"nl", "en", "type", "doc"}:
            raise ResourceError(f"column '{name}' needs exactly nl, en, type and doc", path=path)
        if entry["type"] not in TYPES:
            raise ResourceError(f"column '{name}': unknown type '{entry['type']}'", path=path,
                                hint=f"use one of: {', '.join(TYPES)}")
        if not all(isinstance(entry[k], str) and entry[k] for k in ("nl", "en", "doc")):
            raise ResourceError(f"column '{name}': nl, en and doc must be non-empty text",
                                path=path)
        out[str(name)] = Column(str(name), {"nl": entry["nl"], "en": entry["en"]},
                                entry["type"], entry["doc"])
    return out


@lru_cache(maxsize=1)
def columns() -> dict[str, Column]:
    return validate_columns(read_yaml(package_file("report", _COLUMNS),
                                      f"pipeline/resources/report/{_COLUMNS}"))


def column(name: str) -> Column:
    try:
        return columns()[name]
    except KeyError:
        raise ResourceError(f"column '{name}' is exported but not described",
                            path=f"pipeline/resources/report/{_COLUMNS}",
                            hint="add it with its headers, type and meaning") from None


# -- values ---------------------------------------------------------------------------------------

def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _as_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return neutralise(str(value))


def _utc(series: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(series, errors="coerce")
    if getattr(stamps.dt, "tz", None) is None:
        return stamps.dt.tz_localize("UTC")
    return stamps.dt.tz_convert("UTC")


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Each column in the type its dictionary entry gives: whole numbers as nullable integers
    (never '1974.0'), decimals rounded, shares as percentages, timestamps in UTC, text
    neutralised. The column order is kept."""
    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        kind = column(name).type
        values = frame[name]
        if kind == "int":
            out[name] = pd.to_numeric(values, errors="coerce").round().astype("Int64")
        elif kind in ("dec", "money"):
            out[name] = pd.to_numeric(values, errors="coerce").astype("Float64").round(
                1 if kind == "dec" else 2)
        elif kind == "pct":
            out[name] = (pd.to_numeric(values, errors="coerce").astype("Float64") * 100).round(1)
        elif kind == "datetime":
            out[name] = _utc(values)
        elif kind == "date":
            out[name] = pd.to_datetime(values, errors="coerce").dt.date.astype(object).where(
                values.notna(), None)
        elif kind == "bool":
            out[name] = values.map(lambda v: None if v is None or v is pd.NA or (
                isinstance(v, float) and math.isnan(v)) else bool(v)).astype("boolean")
        else:  # code, text, week, month
            out[name] = values.map(_as_text).astype(object)
    return out


def with_calendar(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Add ISO week ('2026-W36') and month ('2026-09') columns after ``source`` (a date or
    timestamp column), for grouping in a pivot table without formulas."""
    stamps = pd.to_datetime(frame[source], errors="coerce")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    iso = stamps.dt.isocalendar()
    week = [None if pd.isna(y) else f"{int(y)}-W{int(w):02d}" for y, w in zip(iso.year, iso.week)]
    month = [None if pd.isna(s) else f"{s:%Y-%m}" for s in stamps]
    out = frame.copy()
    at = list(out.columns).index(source) + 1
    out.insert(at, "iso_week", week)
    out.insert(at + 1, "month", month)
    return out


# -- writers --------------------------------------------------------------------------------------

def headers(names: Iterable[str], lang: str) -> list[str]:
    return [column(n).headers[lang] for n in names]


def _csv_cell(value: Any, kind: str, style: Dialect) -> str:
    if value is None or value is pd.NA or value is pd.NaT or (
            isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "bool":
        return style.true if value else style.false
    if kind == "int":
        return str(int(value))
    if kind in ("dec", "money", "pct"):
        text = f"{float(value):.{1 if kind in ('dec', 'pct') else 2}f}"
        return text.replace(".", style.decimal)
    if kind == "datetime":
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    if kind == "date":
        return f"{value:%Y-%m-%d}"
    return str(value)


def _csv_text(frame: pd.DataFrame, style: Dialect, header: list[str] | None) -> str:
    """Rows of a typed frame as CSV text in the dialect; quoting as the csv module does."""
    import csv

    kinds = [column(n).type for n in frame.columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.sep, lineterminator=style.line_end,
                        quoting=csv.QUOTE_MINIMAL)
    if header is not None:
        writer.writerow(header)
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([_csv_cell(v, k, style) for v, k in zip(row, kinds)])
    return buffer.getvalue()


def write_csv(frame: pd.DataFrame, path: Path, style: Dialect, lang: str) -> Path:
    """A typed frame (see :func:`typed`) as CSV in the dialect."""
    replace_file(path, _csv_text(frame, style, headers(frame.columns, lang)).encode(style.encoding))
    return path


_ARROW = {
    "int": pa.int64(), "dec": pa.float64(), "money": pa.float64(), "pct": pa.float64(),
    "date": pa.date32(), "datetime": pa.timestamp("us", tz="UTC"), "bool": pa.bool_(),
    "week": pa.string(), "month": pa.string(), "code": pa.string(), "text": pa.string(),
}


def _schema(names: Iterable[str]) -> pa.Schema:
    return pa.schema([pa.field(n, _ARROW[column(n).type], nullable=True,
                               metadata={"description": column(n).doc}) for n in names])


def _arrow(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    arrays = []
    for name, field in zip(frame.columns, schema):
        values = frame[name]
        if field.type == pa.timestamp("us", tz="UTC"):
            arrays.append(pa.array(values.dt.tz_convert("UTC") if len(values) else [],
                                   type=field.type, from_pandas=True))
        else:
            arrays.append(pa.array(values.astype(object).where(values.notna(), None).tolist(),
                                   type=field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """A typed frame as Parquet with the dictionary's types (never a `null`-typed column); the
    column names stay the identifiers so queries survive a change of report language."""
    sink = io.BytesIO()
    pq.write_table(_arrow(frame, _schema(frame.columns)), sink)
    replace_file(path, sink.getvalue())
    return path


class StreamedTable:
    """One table written as CSV and Parquet batch by batch, for tables with a row per contact:
    memory stays that of one batch. Both files are written beside their targets and renamed
    over them by :meth:`close` (a reader never sees half a file; a failure leaves the old ones).

    >>> with StreamedTable(folder / "contacts", names, style, "nl") as table:
    ...     table.write(typed_batch)
    """

    def __init__(self, stem: Path, names: list[str], style: Dialect, lang: str):
        stem.parent.mkdir(parents=True, exist_ok=True)
        self.paths = [stem.with_suffix(".csv"), stem.with_suffix(".parquet")]
        self._temporary = [p.with_name(f".{p.name}.tmp") for p in self.paths]
        self.names, self.style = list(names), style
        self._schema = _schema(self.names)
        self._csv = self._temporary[0].open("w", encoding=style.encoding, newline="")
        self._csv.write(_csv_text(pd.DataFrame(columns=self.names), style,
                                  headers(self.names, lang)))
        self._parquet = pq.ParquetWriter(self._temporary[1], self._schema)

    def write(self, frame: pd.DataFrame) -> None:
        if list(frame.columns) != self.names:
            raise ValueError(f"columns {list(frame.columns)} differ from {self.names}")
        # utf-8-sig writes its byte-order mark once, at the start of the stream
        self._csv.write(_csv_text(frame, self.style, None))
        self._parquet.write_table(_arrow(frame, self._schema))

    def close(self, keep: bool = True) -> list[Path]:
        self._csv.close()
        self._parquet.close()
        for temporary, path in zip(self._temporary, self.paths):
            if keep:
                temporary.replace(path)
            else:
                temporary.unlink(missing_ok=True)
        return self.paths

    def __enter__(self) -> "StreamedTable":
        return self

    def __exit__(self, kind, *_) -> None:
        self.close(keep=kind is None)


def data_dictionary(tables: dict[str, list[str]], style: Dialect, lang: str = "nl") -> str:
    """tables/README.md: every table and every column with header, type and meaning."""
    kinds_nl = {"int": "geheel getal", "dec": "getal, 1 decimaal", "money": "bedrag, 2 decimalen",
                "pct": "percentage 0-100, 1 decimaal", "date": "datum (JJJJ-MM-DD)",
                "datetime": "datum en tijd, UTC", "week": "ISO-week (JJJJ-Www)",
                "month": "maand (JJJJ-MM)", "bool": f"ja/nee ({style.true}/{style.false})",
                "code": "code", "text": "tekst"}
    lines = [
        "# Tabellen van klantvraag", "",
        "Elke tabel staat er twee keer: als `.csv` en als `.parquet`.",
        f"CSV-dialect `{style.name}`: scheidingsteken `{style.sep}`, decimaalteken "
        f"`{style.decimal}`, codering {'UTF-8 met BOM' if style.encoding == 'utf-8-sig' else 'UTF-8'}, "
        f"regeleinde {'CRLF' if style.line_end == chr(13) + chr(10) else 'LF'}. De kopregel gebruikt "
        "de kolomkoppen hieronder; Parquet gebruikt de kolomnamen (identifiers) en echte types.",
        "Tekst die met `= + - @` begint, krijgt een `'` ervoor, zodat een spreadsheet hem nooit als "
        "formule uitvoert. Vrije tekst is gemaskeerd: er staan geen persoonsgegevens in.", ""]
    for table, names in tables.items():
        lines += [f"## {table}", "", "| kolom | kop | type | betekenis |", "|---|---|---|---|"]
        for name in names:
            col = column(name)
            lines.append(f"| `{name}` | {col.headers[lang]} | {kinds_nl[col.type]} | {col.doc} |")
        lines.append("")
    return "\n".join(lines)


def replace_file(path: Path, data: bytes) -> None:
    """Write beside the target and rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
