"""The report's tables as CSV and Parquet, for Excel, Power BI and other tools.

Every table is written from the same typed frame (:mod:`pipeline.report.tabular`): Dutch
headers (or English with ``--lang en``), rounded values, whole numbers as whole numbers, a
label beside every key (reason, theme, sub-reason, channel, third-party type), ISO week and
month columns next to every date, and ``tables/README.md`` listing every column.
``contacts`` holds one row per analysed contact with its masked question only; it is streamed
from the store in batches (:func:`export_contacts`), so the report's memory does not grow with
the export.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

from pipeline import batches
from pipeline.report import tabular
from pipeline.report.figures import Figures
from pipeline.report.i18n import Texts

EXPORTED = ["channels", "channel_week", "reasons", "sub_reasons", "reason_channel",
            "reason_week", "third_party_types", "parties", "symptoms", "symptoms_by_type",
            "sources", "source_errors", "auto_replies", "languages", "quality"]
# Helper columns the figures keep for the HTML page, not for analysts.
_DROP = {"reason_label_short", "drill_ids"}


_CONTACTS = """
    SELECT c.contact_id, c.started_at, c.channel,
           coalesce(nullif(t.language, ''), c.language, 'unknown') AS language,
           coalesce(cr.theme_id, r.theme_id) AS theme_id, th.label AS theme_label,
           cr.reason_id, r.label AS reason_label,
           cr.sub_reason_id, s.label AS sub_reason_label,
           g.avoidable_category AS category,
           coalesce(g.avoidable_unsure, false) OR coalesce(g.third_party_unsure, false)
               AS is_unsure,
           g.decided_by,
           g.avoidable_category = 'voorkomen' AS is_avoidable,
           nullif(g.third_party_type, 'none') AS third_party_type, g.party,
           g.is_repeat,
           coalesce(m.minutes, ?) AS handling_minutes,
           coalesce(m.minutes, ?) * ? AS cost,
           t.question_text
    FROM contacts c
    LEFT JOIN contact_text t USING (contact_id)
    LEFT JOIN contact_reasons cr USING (contact_id)
    LEFT JOIN reasons r ON r.reason_id = cr.reason_id
    LEFT JOIN themes th ON th.theme_id = coalesce(cr.theme_id, r.theme_id)
    LEFT JOIN sub_reasons s ON s.sub_reason_id = cr.sub_reason_id
    LEFT JOIN contact_tags g USING (contact_id)
    LEFT JOIN (VALUES {minutes}) AS m(channel, minutes) ON m.channel = c.channel
    WHERE NOT coalesce(t.is_auto_reply, false)
"""
CONTACT_BATCH = 20_000       # rows of the contacts table typed and written at once
# One ORDER BY over the whole store with the question texts as payload needs DuckDB memory in
# proportion to the store (about 1.5 GB at 1M contacts, and it does not spill all of it). The
# contacts table is read in consecutive ranges of started_at instead, each sorted on its own:
# DuckDB needs the memory of one range, whatever the store's size.
PARTITION_ROWS = 100_000


def _contact_batches(con: duckdb.DuckDBPyConnection, fig: Figures, texts: Texts,
                     order: str, limit: int | None = None,
                     ranges: list[tuple[str, list]] | None = None) -> Iterator[pd.DataFrame]:
    """The contacts table (one row per analysed contact, auto-replies left out as everywhere
    in the report: theme, reason and sub-reason, tags, handling time and masked question),
    labelled and typed, in batches of CONTACT_BATCH rows read with DuckDB's Arrow reader;
    ``ranges`` (condition, params): read range after range (see :func:`_time_ranges`)."""
    minutes = fig.assumptions.get("handling_minutes", {})
    per_minute = float(fig.assumptions.get("cost_per_minute", 0.0))
    default = sum(minutes.values()) / len(minutes) if minutes else 0.0
    reasons = fig.tables["reasons"]
    reason_labels = dict(zip(reasons["reason_key"], reasons["label"])) if len(reasons) else {}
    # The handling minutes per channel go in as a VALUES list: the rows are read on a cursor
    # of their own (batches.arrow_reader), which does not see what the connection registered.
    pairs = [value for item in minutes.items() for value in item] or [None, None]
    values = ", ".join(["(CAST(? AS VARCHAR), CAST(? AS DOUBLE))"] * max(len(minutes), 1))
    empty, schema = True, None
    for condition, extra in ranges or [("", [])]:
        sql = (_CONTACTS.replace("{minutes}", values)
               + (f" AND {condition}" if condition else "")
               + f" ORDER BY {order}" + (f" LIMIT {int(limit)}" if limit else ""))
        with batches.arrow_reader(con, sql, [default, default, per_minute, *pairs, *extra],
                                  CONTACT_BATCH) as reader:
            schema = reader.schema
            for batch in reader:
                if batch.num_rows:
                    empty = False
                    yield tabular.typed(labelled(batch.to_pandas(), texts, reason_labels))
    if empty:   # still the columns (and their types) of the table
        yield tabular.typed(labelled(schema.empty_table().to_pandas(), texts, reason_labels))


def _time_ranges(con: duckdb.DuckDBPyConnection) -> list[tuple[str, list]]:
    """Conditions that cut the contacts into consecutive ranges of started_at of about
    PARTITION_ROWS each (cut at quantiles; equal times share a range), then the undated ones:
    read one after the other, each ordered by started_at and contact_id, they give the order
    of the whole table."""
    n = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
    parts = -(-n // PARTITION_ROWS)
    if parts <= 1:
        return [("", [])]
    quantiles = ", ".join(f"{i / parts:.6f}" for i in range(1, parts))
    cuts = con.execute(f"SELECT quantile_disc(started_at, [{quantiles}]) "
                       "FROM contacts").fetchone()[0] or []
    cuts = sorted({cut for cut in cuts if cut is not None})
    ranges, low = [], None
    for cut in cuts:
        ranges.append(("c.started_at < ?", [cut]) if low is None else
                      ("c.started_at >= ? AND c.started_at < ?", [low, cut]))
        low = cut
    ranges.append(("c.started_at >= ?", [low]) if low is not None else
                  ("c.started_at IS NOT NULL", []))
    return ranges + [("c.started_at IS NULL", [])]


# The analysed contacts (auto-replies left out), by their keys only: cheap to sort.
_ANALYSED = ("FROM contacts c LEFT JOIN contact_text t USING (contact_id) "
             "WHERE NOT coalesce(t.is_auto_reply, false)")


def _recent_ranges(con: duckdb.DuckDBPyConnection, limit: int) -> list[tuple[str, list]]:
    """Conditions that hold the ``limit`` most recent analysed contacts and few others (from
    the started_at of the limit-th newest; undated ones after the dated, by contact_id), so
    the query that joins their texts never joins the whole store (at 1M a LIMIT over the
    whole join took 900 MB)."""
    dated = con.execute(f"SELECT count(c.started_at) {_ANALYSED}").fetchone()[0]
    if dated >= limit:
        cut = con.execute(f"SELECT c.started_at {_ANALYSED} AND c.started_at IS NOT NULL "
                          "ORDER BY c.started_at DESC LIMIT 1 OFFSET ?", [limit - 1]).fetchone()
        return [("c.started_at >= ?", [cut[0]])]
    ranges = [("c.started_at IS NOT NULL", [])] if dated else []
    cut = con.execute(f"SELECT c.contact_id {_ANALYSED} AND c.started_at IS NULL "
                      "ORDER BY c.contact_id DESC LIMIT 1 OFFSET ?", [limit - dated - 1]
                      ).fetchone()
    return ranges + [("c.started_at IS NULL AND c.contact_id >= ?", [cut[0]]) if cut else
                     ("c.started_at IS NULL", [])]


def export_contacts(con: duckdb.DuckDBPyConnection, fig: Figures, folder: Path, texts: Texts,
                    csv_dialect: str = "nl") -> tuple[list[Path], list[str]]:
    """tables/contacts.csv and .parquet, streamed (memory of one batch, whatever the size of
    the export); returns the paths and the columns (for the data dictionary)."""
    frames = _contact_batches(con, fig, texts, "c.started_at NULLS LAST, c.contact_id",
                              ranges=_time_ranges(con))
    first = next(frames)          # there is always one: an empty table still has its columns
    with tabular.StreamedTable(folder / "contacts", list(first.columns),
                               tabular.dialect(csv_dialect), texts.lang) as table:
        for frame in itertools.chain([first], frames):
            table.write(frame)
    return table.paths, table.names


def recent_contacts(con: duckdb.DuckDBPyConnection, fig: Figures, texts: Texts,
                    limit: int) -> pd.DataFrame:
    """The ``limit`` most recent contacts of the contacts table, oldest first (for the
    workbook's sheet)."""
    frames = list(_contact_batches(con, fig, texts,
                                   "c.started_at DESC NULLS LAST, c.contact_id DESC", limit,
                                   ranges=_recent_ranges(con, limit)))
    frame = pd.concat(frames, ignore_index=True).iloc[::-1]
    undated = frame["started_at"].isna()
    return pd.concat([frame[~undated], frame[undated]], ignore_index=True)


def labelled(frame: pd.DataFrame, texts: Texts, reason_labels: dict[str, str]) -> pd.DataFrame:
    """Put a readable label right after each key that lacks one, and ISO week and month after
    each date, so a pivot table needs no lookups."""
    out = frame.drop(columns=[c for c in frame.columns if c in _DROP])

    def insert_after(key: str, name: str, values) -> None:
        nonlocal out
        if key in out.columns and name not in out.columns:
            out.insert(list(out.columns).index(key) + 1, name, values)

    if "reason_key" in out.columns and "label" not in out.columns:
        insert_after("reason_key", "reason_label",
                     [reason_labels.get(k, texts.t("unassigned") if str(k).startswith("_") else k)
                      for k in out["reason_key"]])
    if "channel" in out.columns:
        insert_after("channel", "channel_label", [texts.label("channel", c) for c in out["channel"]])
    if "third_party_type" in out.columns:
        insert_after("third_party_type", "third_party_label",
                     [None if c is None or c != c else texts.label("third_party_type", c)
                      for c in out["third_party_type"]])
    if "measure" in out.columns:
        out["measure"] = [_text_or_code(texts, m) for m in out["measure"]]
    if "base" in out.columns:
        out["base"] = [_text_or_code(texts, f"of_{b}") for b in out["base"]]
    if "status" in out.columns:
        insert_after("status", "status_label", [_STATUS.get(v, v) for v in out["status"]])
    for column in ("label", "theme_label"):
        if column in out.columns:
            out[column] = [texts.t("unassigned") if isinstance(v, str) and v.startswith("_")
                           else v for v in out[column]]
    for date_column in ("week", "started_at"):
        if date_column in out.columns and "iso_week" not in out.columns:
            out = tabular.with_calendar(out, date_column)
    return out


_STATUS = {"ingested": "ingelezen", "error": "fout", "superseded": "vervangen",
           "skipped": "overgeslagen"}


def _text_or_code(texts: Texts, key: str) -> str:
    try:
        return texts.t(key)
    except KeyError:
        return key


def _key_value(value) -> str:
    """Key figures as plain text: shares to four decimals, amounts to two, dates as ISO."""
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1 else f"{value:.2f}"
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


def frames(con: duckdb.DuckDBPyConnection, fig: Figures, projects: pd.DataFrame,
           texts: Texts) -> dict[str, pd.DataFrame]:
    """Every exported table, labelled and typed, by file stem."""
    reasons = fig.tables["reasons"]
    reason_labels = dict(zip(reasons["reason_key"], reasons["label"])) if len(reasons) else {}
    raw = {name: fig.tables[name] for name in EXPORTED if name in fig.tables}
    for name in ("themes", "reason_cause"):
        if name in fig.tables:
            raw[name] = fig.tables[name]
    raw["projects"] = projects
    raw["key_figures"] = pd.DataFrame(
        {"figure": list(fig.key), "value": [_key_value(v) for v in fig.key.values()]})
    return {name: tabular.typed(labelled(frame, texts, reason_labels))
            for name, frame in raw.items()}


def export(typed: dict[str, pd.DataFrame], folder: Path, texts: Texts,
           csv_dialect: str = "nl", streamed: dict[str, list[str]] | None = None) -> list[Path]:
    """Write every typed frame (see :func:`frames`) as CSV and Parquet, and the dictionary
    (which also lists the ``streamed`` tables: name -> columns, written elsewhere)."""
    style = tabular.dialect(csv_dialect)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, frame in typed.items():
        written.append(tabular.write_csv(frame, folder / f"{name}.csv", style, texts.lang))
        written.append(tabular.write_parquet(frame, folder / f"{name}.parquet"))
    readme = folder / "README.md"
    tabular.replace_file(readme, tabular.data_dictionary(
        {**{name: list(frame.columns) for name, frame in typed.items()}, **(streamed or {})},
        style, texts.lang
    ).encode("utf-8"))
    written.append(readme)
    return written
