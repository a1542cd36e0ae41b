"""The data behind the interactive part of the report: the analysed contacts as a count cube.

Every dimension (channel, week, language, reason, sub-reason, category, cause) is sent
once as a list of {key, label}; each cell of the cube is a column of small integers pointing
into those lists plus its number of contacts (and of repeat contacts). The page filters and
re-counts in the browser by summing cells. The cube's size is bounded by the dimensions, not
by the number of contacts: the page and the memory to build it hardly grow from 100,000 to
1,000,000 contacts (one row per contact did: 67 MB of page at 1M).
Themes go along as the theme of each reason (a theme is the sum of its reasons).
Texts go along only for the contacts a reader can drill into (masked question_text, never
messages.text), a capped number per reason and channel and per project, each with its own
dimension codes so the filters apply to them too.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from markupsafe import Markup

from pipeline.report.figures import AVOIDABLE, BASE, CATEGORIES, NO_THEME, UNASSIGNED, Figures
from pipeline.report.i18n import Texts
from pipeline.report.projects import Backlog

DRILL_PER_REASON_CHANNEL = 12
TEXT_CHARS = 300


def _codes(values: pd.Series, order: list[str]) -> np.ndarray:
    index = {key: i for i, key in enumerate(order)}
    return np.array([index.get(v, -1) for v in values], dtype=np.int32)


def _weeks(fig: Figures, texts: Texts) -> list[dict[str, Any]]:
    start, end = fig.key["period_start"], fig.key["period_end"]
    if start is None:
        return []
    first, last = start.date(), end.date()
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        days = (min(monday + timedelta(days=6), last) - max(monday, first)).days + 1
        weeks.append({"key": monday.isoformat(), "label": texts.day_month(monday), "days": days})
        monday += timedelta(days=7)
    return weeks


_DIMENSIONS = """
    b.channel, CAST(b.week AS VARCHAR) AS week, b.language, b.reason_key,
    coalesce(b.category, '') AS category"""
_CELL = f"""{_DIMENSIONS}, coalesce(b.sub_reason_id, '') AS sub_key,
    CASE WHEN NOT b.is_tagged THEN '' ELSE coalesce(b.third_party_type, 'none') END AS cause"""


def data(con: duckdb.DuckDBPyConnection, fig: Figures, backlog: Backlog, texts: Texts,
         style: dict[str, Any]) -> dict[str, Any]:
    cells = con.execute(f"""
        SELECT *, count(*) AS n, count(*) FILTER (WHERE is_repeat) AS repeat
        FROM (SELECT {_CELL}, b.is_repeat FROM {BASE} b)
        GROUP BY ALL ORDER BY ALL""").df()
    reasons = fig.tables["reasons"]
    themes = fig.tables["themes"]
    channels = fig.tables["channels"]["channel"].tolist()
    languages = fig.tables["languages"]["language"].tolist()
    weeks = _weeks(fig, texts)
    theme_keys = themes["theme_key"].tolist()
    reason_keys = reasons["reason_key"].tolist()
    subs = fig.tables["sub_reasons"]
    sub_keys = subs["sub_reason_id"].tolist()
    causes = [c for c in fig.tables["third_party_types"]["third_party_type"] if c != "none"]
    causes.append("none")
    theme_of_reason = dict(zip(reasons["reason_key"], reasons["theme_key"]))
    dims = {
        "channel": [{"key": c, "label": texts.label("channel", c)} for c in channels],
        "week": weeks,
        "language": [{"key": lg, "label": texts.label("language", lg)} for lg in languages],
        "theme": [{"key": k, "label": theme_label(k, lab, texts)}
                  for k, lab in zip(theme_keys, themes["label"])],
        "reason": [{"key": k, "label": texts.t("unassigned") if k == UNASSIGNED else lab,
                    "theme": theme_keys.index(theme_of_reason[k])
                    if theme_of_reason.get(k) in theme_keys else -1}
                   for k, lab in zip(reason_keys, reasons["label"])],
        "sub": [{"key": k, "label": lab, "reason": reason_keys.index(r) if r in reason_keys else -1}
                for k, lab, r in zip(sub_keys, subs["label"], subs["reason_key"])],
        "category": [{"key": c, "label": texts.label("category", c)} for c in CATEGORIES],
        "cause": [{"key": c, "label": texts.t("cause_process") if c == "none"
                   else texts.label("third_party_type", c)} for c in causes],
    }
    orders = {"channel": channels, "week": [w["key"] for w in weeks], "language": languages,
              "reason_key": reason_keys, "category": list(CATEGORIES)}
    cols = _coded(cells, orders)
    cols["sb"] = _codes(cells["sub_key"], sub_keys)
    cols["cs"] = _codes(cells["cause"], causes)
    cols["n"] = cells["n"].to_numpy(dtype=np.int64)
    cols["rp"] = cells["repeat"].to_numpy(dtype=np.int64)
    minutes = fig.assumptions["handling_minutes"]
    default_minutes = sum(minutes.values()) / max(len(minutes), 1)
    rates = fig.assumptions["removal_rate"]
    return {
        "dims": dims,
        "cols": {k: v.tolist() for k, v in cols.items()},
        "cost": [minutes.get(c, default_minutes) * fig.assumptions["cost_per_minute"]
                 for c in channels],
        "rate": [float(rates.get(c, 0.0)) if c in AVOIDABLE else 0.0 for c in CATEGORIES],
        "themes": fig.stages["themes"],
        "projects": [{"id": r.project_id, "rank": int(r.rank), "name": r.project,
                      "reason": reason_keys.index(r.reason_key)
                      if r.reason_key in reason_keys else -1,
                      "cause": r.cause, "saving": float(r.saving_year),
                      "contacts": int(r.contacts)} for r in backlog.projects.itertuples()],
        "drill": _drill(con, orders, backlog),
        "style": style,
    }


_SHORT = {"channel": "ch", "week": "wk", "language": "lg", "reason_key": "rs", "category": "ct"}


def _coded(frame: pd.DataFrame, orders: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """The dimension columns of ``frame`` as positions in their key lists (-1: not listed)."""
    return {_SHORT[name]: _codes(frame[name], order) for name, order in orders.items()}


def theme_label(key: str, label: str, texts: Texts) -> str:
    if key == UNASSIGNED:
        return texts.t("unassigned")
    if key == NO_THEME:
        return texts.t("no_theme")
    return label


def _drill(con, orders: dict[str, list[str]], backlog: Backlog) -> dict[str, Any]:
    """Texts of the contacts a reader can open (with their dimensions, for the filters), and
    which of them each project shows."""
    picked = con.execute(f"""
        SELECT contact_id, b.started_at, {_DIMENSIONS},
               left(t.question_text, {TEXT_CHARS}) AS text
        FROM (
            SELECT *, row_number() OVER (PARTITION BY reason_key, channel
                                         ORDER BY started_at DESC NULLS LAST, contact_id) AS rn
            FROM {BASE} WHERE has_question) b
        JOIN contact_text t USING (contact_id)
        WHERE rn <= {DRILL_PER_REASON_CHANNEL}""").df()
    wanted = {cid for ids in backlog.projects["drill_ids"] for cid in ids} - set(
        picked["contact_id"])
    if wanted:
        con.register("_report_wanted", pd.DataFrame({"contact_id": sorted(wanted)}))
        try:
            extra = con.execute(f"""
                SELECT contact_id, b.started_at, {_DIMENSIONS},
                       left(t.question_text, {TEXT_CHARS}) AS text
                FROM {BASE} b SEMI JOIN _report_wanted USING (contact_id)
                JOIN contact_text t USING (contact_id)""").df()
        finally:
            con.unregister("_report_wanted")
        picked = pd.concat([picked, extra], ignore_index=True)
    picked = picked.sort_values(["started_at", "contact_id"], na_position="first",
                                ignore_index=True)
    position = {cid: i for i, cid in enumerate(picked["contact_id"])}
    projects = {pid: [position[c] for c in ids if c in position]
                for pid, ids in zip(backlog.projects["project_id"], backlog.projects["drill_ids"])}
    return {"cols": {k: v.tolist() for k, v in _coded(picked, orders).items()},
            "texts": [[_iso(ts), text] for ts, text in zip(picked["started_at"], picked["text"])],
            "projects": projects}


def _iso(value: Any) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def as_script(payload: dict[str, Any]) -> Markup:
    """JSON that is safe inside <script type="application/json">: no '<', '>' or '&' raw."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))

