"""The Excel workbook (xlsxwriter): one sheet per part of the report, headers in the report's
language, numbers as numbers. Text is always written as text, so a customer's '=...' never
becomes a formula."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import xlsxwriter

from pipeline.report.figures import BASE, UNASSIGNED, Figures
from pipeline.report.i18n import Texts

# Writing cells is xlsxwriter's slow part (~30k cells/s): the contacts sheet holds the most
# recent contacts; every contact is in tables/contacts.csv and .parquet.
MAX_CONTACT_ROWS = 20_000

# column -> (header text id, format); columns not listed keep their identifier as header.
COLUMNS: dict[str, tuple[str, str]] = {
    "label": ("col_reason", "text"), "reason_label": ("col_reason", "text"),
    "contacts": ("col_contacts", "int"), "share": ("col_share", "pct"),
    "avoidable": ("col_avoidable", "int"), "avoidable_share": ("col_avoidable", "pct"),
    "repeat_rate": ("col_repeat", "pct"), "avoidable_cost_year": ("col_cost_year", "money"),
    "description": ("col_description", "text"), "keywords": ("col_keywords", "text"),
    "project": ("col_project", "text"), "action": ("col_action", "text"),
    "owner": ("col_owner", "text"), "per_month": ("col_per_month", "dec"),
    "per_year": ("col_per_year", "dec"), "saving_year": ("col_saving", "money"),
    "rank": ("col_rank", "int"), "party": ("col_party", "text"),
    "third_party_type": ("col_type", "text"), "channel": ("col_channel", "text"),
    "question_text": ("col_question", "text"), "started_at": ("col_date", "date"),
    "category": ("col_category", "text"), "mentioned": ("col_mentioned", "int"),
    "symptom": ("col_symptom", "text"), "language": ("col_language", "text"),
    "status": ("col_status", "text"), "files": ("col_files", "int"), "path": ("col_path", "text"),
    "error": ("col_error", "text"), "format": ("col_format", "text"),
    "quadrant": ("col_quadrant", "text"), "cause_label": ("col_cause", "text"),
    "share_of_avoidable": ("col_share", "pct"), "kind": ("col_kind", "text"),
}


def _clean(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


class _Book:
    def __init__(self, path: Path, texts: Texts):
        self.book = xlsxwriter.Workbook(str(path), {"constant_memory": True,
                                                    "strings_to_formulas": False,
                                                    "strings_to_urls": False})
        self.texts = texts
        money = "€ #,##0" if texts.currency == "EUR" else f'"{texts.currency}" #,##0'
        self.formats = {
            "header": self.book.add_format({"bold": True, "bg_color": "#1f4e79",
                                            "font_color": "#ffffff", "text_wrap": True,
                                            "valign": "top"}),
            "int": self.book.add_format({"num_format": "#,##0"}),
            "dec": self.book.add_format({"num_format": "#,##0.0"}),
            "pct": self.book.add_format({"num_format": "0.0%"}),
            "money": self.book.add_format({"num_format": money}),
            "date": self.book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "text": self.book.add_format({"text_wrap": False}),
            "title": self.book.add_format({"bold": True, "font_size": 14, "font_color": "#1f4e79"}),
            "wrap": self.book.add_format({"text_wrap": True, "valign": "top"}),
        }

    def sheet(self, name: str, frame: pd.DataFrame, widths: dict[str, int] | None = None) -> None:
        ws = self.book.add_worksheet(name[:31])
        columns = list(frame.columns)
        for j, column in enumerate(columns):
            header, _ = COLUMNS.get(column, (None, "text"))
            ws.write_string(0, j, self.texts.t(header) if header else column,
                            self.formats["header"])
            width = (widths or {}).get(column, 48 if column in ("question_text", "example",
                                                                "description", "spans") else 16)
            ws.set_column(j, j, width)
        kinds = [COLUMNS.get(c, (None, "auto"))[1] for c in columns]
        for i, row in enumerate(frame.itertuples(index=False), start=1):
            for j, value in enumerate(row):
                self._write(ws, i, j, _clean(value), kinds[j])
        ws.freeze_panes(1, 0)
        if len(frame):
            ws.autofilter(0, 0, len(frame), len(columns) - 1)

    def _write(self, ws, i: int, j: int, value: Any, kind: str) -> None:
        if value is None:
            return
        if isinstance(value, str):
            ws.write_string(i, j, value)
        elif isinstance(value, bool):
            ws.write_boolean(i, j, value)
        elif hasattr(value, "year"):
            ws.write_datetime(i, j, value, self.formats["date"])
        elif isinstance(value, (int, float)):
            ws.write_number(i, j, value, self.formats.get(kind) if kind in self.formats else None)
        else:
            ws.write_string(i, j, str(value))


def write(path: Path, con: duckdb.DuckDBPyConnection, fig: Figures, projects: pd.DataFrame,
          sentences: list[str], assumptions: list[str], texts: Texts) -> Path:
    book = _Book(path, texts)
    ws = book.book.add_worksheet(texts.t("sec_summary")[:31])
    ws.set_column(0, 0, 120)
    ws.write_string(0, 0, texts.t("title"), book.formats["title"])
    row = 2
    n_contacts = fig.key["contacts"]
    capped = [texts.t("excel_contacts_cap", shown=texts.number(MAX_CONTACT_ROWS),
                      total=texts.number(n_contacts))] if n_contacts > MAX_CONTACT_ROWS else []
    for line in [*sentences, "", texts.t("assumptions"), *assumptions, "", *capped]:
        ws.write_string(row, 0, line, book.formats["wrap"])
        row += 1
    reasons = fig.tables["reasons"].copy()
    reasons.loc[reasons["reason_key"] == UNASSIGNED, "label"] = texts.t("unassigned")
    reasons["quadrant"] = [texts.label("quadrant", q) if isinstance(q, str) else None
                           for q in reasons["quadrant"]]
    book.sheet(texts.t("sec_reasons"), reasons[[
        "reason_key", "label", "contacts", "share", "avoidable", "avoidable_share", "voorkomen",
        "verschuiven", "automatiseren", "waardevol", "repeat_rate", "avoidable_cost_year",
        "quadrant", "description", "keywords"]])
    if len(fig.tables["sub_reasons"]):
        book.sheet(texts.t("sheet_sub_reasons"), fig.tables["sub_reasons"])
    if fig.stages["tags"]:
        types = fig.tables["third_party_types"].copy()
        types["third_party_type"] = [texts.label("third_party_type", t)
                                     for t in types["third_party_type"]]
        book.sheet(texts.t("sec_third"), types)
        parties = fig.tables["parties"].copy()
        parties["third_party_type"] = [texts.label("third_party_type", t)
                                       for t in parties["third_party_type"]]
        book.sheet(texts.t("parties_title"), parties)
        book.sheet(texts.t("sec_projects"), projects.drop(columns=["reason_label", "cause", "project_id", "drill_ids"])
                   .assign(evidence=[" | ".join(e) for e in projects["evidence"]]))
    quality = fig.tables["quality"].copy()
    quality["measure"] = [texts.t(m) for m in quality["measure"]]
    book.sheet(texts.t("sec_quality"), quality)
    book.sheet(texts.t("quality_skipped"), fig.tables["source_errors"])
    contacts = con.execute(f"""
        SELECT started_at, channel, coalesce(r.label, b.reason_key) AS label, category,
               third_party_type, party, is_repeat, question_text, contact_id
        FROM {BASE} b LEFT JOIN reasons r ON r.reason_id = b.reason_key
        ORDER BY started_at DESC NULLS LAST, contact_id LIMIT {MAX_CONTACT_ROWS}""").df()
    contacts.loc[contacts["label"] == UNASSIGNED, "label"] = texts.t("unassigned")
    book.sheet(texts.t("col_contacts"), contacts)
    book.book.close()
    return path
