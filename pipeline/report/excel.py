"""The Excel workbook (xlsxwriter), ready for a pivot table or Power BI.

Every sheet holds one real Excel table (``add_table``: filter buttons, banded rows, a name such
as ``tbl_redenen`` that Power Query can load) with the same headers, types and rounding as the
CSV/Parquet tables (:mod:`pipeline.report.tabular`). The summary sheet has the report's
sentences and native Excel charts (categories, top reasons, contacts per week), drawn from small
tables on that sheet, so they stay live when an analyst edits a number.

Text is always written as text (``strings_to_formulas`` off) and neutralised like the CSV, so a
customer's ``=...`` never becomes a formula.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from pipeline.report import tabular
from pipeline.report.i18n import Texts

# Writing cells is xlsxwriter's slow part (~30k cells/s): the contacts sheet holds the most
# recent contacts; every contact is in tables/contacts.csv and .parquet.
MAX_CONTACT_ROWS = 20_000
CATEGORIES = ("voorkomen", "verschuiven", "automatiseren", "waardevol")
# (table in the export, sheet title text id); a table absent from the export is skipped.
SHEETS = [("themes", "sheet_themes"), ("reasons", "sec_reasons"),
          ("sub_reasons", "sheet_sub_reasons"), ("projects", "sec_projects"),
          ("reason_channel", "sheet_reason_channel"), ("reason_cause", "sheet_reason_cause"), ("third_party_types", "sec_third"),
          ("parties", "parties_title"), ("symptoms", "sheet_symptoms"),
          ("channels", "sheet_channels"), ("channel_week", "sheet_channel_week"),
          ("languages", "sheet_languages"), ("quality", "sec_quality"),
          ("source_errors", "quality_skipped"), ("contacts", "col_contacts")]
_WIDE = {"question_text", "question", "description", "examples", "spans", "example", "error",
         "project", "action", "keywords"}


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.tz_convert(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, str):
        return tabular.neutralise(value)
    return value


def _table_name(title: str, used: set[str]) -> str:
    base = "tbl_" + re.sub(r"[^0-9a-z]+", "_", title.lower()).strip("_")
    name, i = base, 2
    while name in used:
        name, i = f"{base}_{i}", i + 1
    used.add(name)
    return name


class _Book:
    def __init__(self, path: Path, texts: Texts):
        self.book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                                    "strings_to_urls": False,
                                                    "remove_timezone": True})
        self.texts = texts
        money = "€ #,##0.00" if texts.currency == "EUR" else f'"{texts.currency}" #,##0.00'
        add = self.book.add_format
        self.formats = {
            "int": add({"num_format": "#,##0"}), "dec": add({"num_format": "#,##0.0"}),
            "money": add({"num_format": money}), "pct": add({"num_format": "0.0"}),
            "date": add({"num_format": "dd-mm-yyyy"}),
            "datetime": add({"num_format": "dd-mm-yyyy hh:mm"}),
            "title": add({"bold": True, "font_size": 14, "font_color": "#1f4e79"}),
            "wrap": add({"text_wrap": True, "valign": "top"}),
            "bold": add({"bold": True}),
        }
        self.names: set[str] = set()

    def table(self, ws, first_row: int, first_col: int, frame: pd.DataFrame, title: str) -> None:
        """``frame`` (typed, see tabular.typed) as a named Excel table at the given corner."""
        columns = list(frame.columns)
        spec = []
        for j, name in enumerate(columns):
            col = tabular.column(name)
            spec.append({"header": col.headers[self.texts.lang],
                         "format": self.formats.get(col.type)})
            ws.set_column(first_col + j, first_col + j, 50 if name in _WIDE else
                          max(12, min(28, len(col.headers[self.texts.lang]) + 2)))
        rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
        last_row = first_row + max(len(rows), 1)
        ws.add_table(first_row, first_col, last_row, first_col + len(columns) - 1, {
            "name": _table_name(title, self.names), "columns": spec,
            "data": rows or [[None] * len(columns)], "style": "Table Style Medium 2"})

    def sheet(self, title: str, frame: pd.DataFrame) -> None:
        ws = self.book.add_worksheet(_sheet_title(title))
        self.table(ws, 0, 0, frame, title)
        ws.freeze_panes(1, 0)


def _sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "-", title)[:31]


def write(path: Path, typed: dict[str, pd.DataFrame], sentences: list[str],
          assumptions: list[str], texts: Texts, contact_total: int,
          per_category: dict[str, int]) -> Path:
    """Write the workbook from the typed export frames (see tables.frames). ``typed["contacts"]``
    holds only the most recent contacts (tables.recent_contacts); ``contact_total`` and
    ``per_category`` are the counts over all of them."""
    temporary = path.with_name(f".{path.name}.tmp")
    book = _Book(temporary, texts)
    summary = book.book.add_worksheet(_sheet_title(texts.t("sec_summary")))
    _summary(book, summary, typed, sentences, assumptions, contact_total, per_category)
    for name, title_id in SHEETS:
        frame = typed.get(name)
        if frame is None:
            continue
        book.sheet(texts.t(title_id), frame)
    book.book.close()
    temporary.replace(path)
    return path


def _summary(book: _Book, ws, typed: dict[str, pd.DataFrame], sentences: list[str],
             assumptions: list[str], n_contacts: int, per_category: dict[str, int]) -> None:
    texts, f = book.texts, book.formats
    ws.set_column(0, 0, 100)
    ws.write_string(0, 0, texts.t("title"), f["title"])
    row = 2
    capped = [texts.t("excel_contacts_cap", shown=texts.number(MAX_CONTACT_ROWS),
                      total=texts.number(n_contacts))] if n_contacts > MAX_CONTACT_ROWS else []
    for line in [*sentences, "", texts.t("assumptions"), *assumptions, *capped]:
        ws.write_string(row, 0, line, f["wrap"])
        row += 1
    row += 1
    # Small live tables beside the text feed the native charts.
    ws.set_column(2, 8, 16)
    if n_contacts and per_category:
        cat = pd.DataFrame({"category": list(CATEGORIES),
                            "contacts": [int(per_category.get(c, 0)) for c in CATEGORIES]})
        book.table(ws, 2, 2, tabular.typed(cat), "samenvatting_categorie")
        chart = book.book.add_chart({"type": "column"})
        sheet = ws.get_name()
        chart.add_series({"name": texts.t("chart_categories"),
                          "categories": [sheet, 3, 2, 6, 2], "values": [sheet, 3, 3, 6, 3],
                          "data_labels": {"value": True, "num_format": "#,##0"}})
        chart.set_title({"name": texts.t("chart_categories")})
        chart.set_legend({"none": True})
        chart.set_y_axis({"num_format": "#,##0", "major_gridlines": {"visible": True}})
        ws.insert_chart(row, 0, chart, {"x_scale": 1.3, "y_scale": 1.1})
        row += 18
    reasons = typed.get("reasons")
    if reasons is not None and len(reasons):
        top = reasons[["label", "contacts"]].head(10).iloc[::-1].reset_index(drop=True)
        book.table(ws, 9, 2, top, "samenvatting_redenen")
        chart = book.book.add_chart({"type": "bar"})
        sheet = ws.get_name()
        chart.add_series({"name": texts.t("chart_top_reasons"),
                          "categories": [sheet, 10, 2, 9 + len(top), 2],
                          "values": [sheet, 10, 3, 9 + len(top), 3],
                          "data_labels": {"value": True, "num_format": "#,##0"}})
        chart.set_title({"name": texts.t("chart_top_reasons")})
        chart.set_legend({"none": True})
        chart.set_x_axis({"num_format": "#,##0"})
        ws.insert_chart(row, 0, chart, {"x_scale": 1.3, "y_scale": 1.4})
        row += 22
    weekly = typed.get("channel_week")
    if weekly is not None and len(weekly):
        pivot = weekly.pivot_table(index="iso_week", columns="channel_label", values="contacts",
                                   aggfunc="sum", fill_value=0).reset_index()
        first = 23
        ws.write_string(first - 1, 2, texts.t("chart_weekly"), f["bold"])
        ws.write_string(first, 2, tabular.column("iso_week").headers[texts.lang], f["bold"])
        for j, channel in enumerate(pivot.columns[1:], start=1):
            ws.write_string(first, 2 + j, str(channel), f["bold"])
        for i, values in enumerate(pivot.itertuples(index=False, name=None), start=1):
            ws.write_string(first + i, 2, str(values[0]))
            for j, value in enumerate(values[1:], start=1):
                ws.write_number(first + i, 2 + j, int(value), f["int"])
        chart = book.book.add_chart({"type": "line"})
        sheet = ws.get_name()
        for j, channel in enumerate(pivot.columns[1:], start=1):
            chart.add_series({"name": str(channel),
                              "categories": [sheet, first + 1, 2, first + len(pivot), 2],
                              "values": [sheet, first + 1, 2 + j, first + len(pivot), 2 + j],
                              "marker": {"type": "circle"}})
        chart.set_title({"name": texts.t("chart_weekly")})
        chart.set_y_axis({"num_format": "#,##0", "min": 0})
        ws.insert_chart(row, 0, chart, {"x_scale": 1.5, "y_scale": 1.1})

