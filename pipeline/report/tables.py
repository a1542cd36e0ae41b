"""The report's tables as CSV and Parquet (DuckDB COPY), for analysts and other tools.

Column names are English identifiers; coded values (channel, category, third-party type) stay
codes. ``contacts`` holds one row per analysed contact with its masked question only.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.report.figures import BASE, Figures

EXPORTED = ["channels", "channel_week", "reasons", "sub_reasons", "reason_channel",
            "reason_week", "third_party_types", "parties", "symptoms", "symptoms_by_type",
            "sources", "source_errors", "auto_replies", "languages", "quality"]


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists (keywords, examples) become JSON text so CSV and Parquet hold the same thing."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].map(lambda v: isinstance(v, list)).any():
            out[column] = out[column].map(
                lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v)
    return out


def _copy(con: duckdb.DuckDBPyConnection, select: str, stem: Path) -> list[Path]:
    csv, parquet = stem.with_suffix(".csv"), stem.with_suffix(".parquet")
    con.execute(f"COPY ({select}) TO '{_quote(csv)}' (FORMAT csv, HEADER true)")
    con.execute(f"COPY ({select}) TO '{_quote(parquet)}' (FORMAT parquet)")
    return [csv, parquet]


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def export(con: duckdb.DuckDBPyConnection, fig: Figures, projects: pd.DataFrame,
           folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    frames = {name: fig.tables[name] for name in EXPORTED}
    frames["projects"] = projects
    frames["key_figures"] = pd.DataFrame(
        {"figure": list(fig.key), "value": [str(v) for v in fig.key.values()]})
    for name, frame in frames.items():
        con.register("_report_export", _flat(frame))
        try:
            written += _copy(con, "SELECT * FROM _report_export", folder / name)
        finally:
            con.unregister("_report_export")
    written += _copy(con, f"""
        SELECT contact_id, channel, started_at, language, reason_key AS reason_id,
               sub_reason_id, category,
               is_avoidable, third_party_type, party, is_repeat, minutes AS handling_minutes,
               cost, question_text
        FROM {BASE} ORDER BY started_at, contact_id""", folder / "contacts")
    return written
