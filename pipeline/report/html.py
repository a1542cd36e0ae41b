"""The self-contained HTML report: jinja2 (autoescape on), inline CSS, SVG and a little JS.

Nothing in the file points outside it: no CDN, fonts, images or scripts from the web.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from importlib import resources
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from pipeline import __version__
from pipeline.report import charts
from pipeline.report.figures import UNASSIGNED, Figures
from pipeline.report.i18n import Texts

MAX_PROJECTS_SHOWN = 15
MAX_ERRORS_SHOWN = 50
MAX_PARTIES_SHOWN = 25


def environment(texts: Texts) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.report", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)
    env.filters.update(num=texts.number, pct=texts.percent, money=texts.money,
                       date=texts.date, sdate=texts.short_date, v=_sort_value)
    env.globals.update(T=texts)
    return env


def _sort_value(value: Any) -> str:
    """The raw value a sortable column sorts on (data-v)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, (int, float)):
        return repr(float(value))
    return str(value)


def figures_json(fig: Figures, projects: pd.DataFrame) -> Markup:
    """The key numbers as JSON, embedded for checks and re-use; safe inside <script>."""
    reasons = fig.tables["reasons"]
    data = {
        "key": {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in fig.key.items()},
        "stages": fig.stages,
        "channels": dict(zip(fig.tables["channels"]["channel"],
                             fig.tables["channels"]["contacts"].astype(int).tolist())),
        "reasons": dict(zip(reasons["reason_key"], reasons["contacts"].astype(int).tolist())),
        "avoidable_by_reason": dict(zip(reasons["reason_key"],
                                        reasons["avoidable"].astype(int).tolist())),
        "third_party_types": dict(zip(fig.tables["third_party_types"]["third_party_type"],
                                      fig.tables["third_party_types"]["contacts"].astype(int)
                                      .tolist())),
        "projects": [{"rank": int(r.rank), "reason_key": r.reason_key, "cause": r.cause,
                      "contacts": int(r.contacts), "saving_year": float(r.saving_year)}
                     for r in projects.itertuples()],
    }
    text = json.dumps(data, ensure_ascii=False, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (None if (isinstance(v, float) and math.isnan(v)) or v is pd.NaT else v)
             for k, v in row.items()} for row in frame.to_dict("records")]


def _reason_sections(fig: Figures, texts: Texts) -> list[dict[str, Any]]:
    reasons = fig.tables["reasons"]
    drill = fig.tables["drilldown"]
    by_reason = {key: _records(group) for key, group in drill.groupby("reason_key", sort=False)}
    subs = {key: _records(group) for key, group in
            fig.tables["sub_reasons"].groupby("reason_key", sort=False)}
    channel_pivot = fig.tables["reason_channel"].pivot_table(
        index="reason_key", columns="channel", values="contacts", aggfunc="sum", fill_value=0)
    sections = []
    for i, row in enumerate(_records(reasons)):
        key = row["reason_key"]
        contacts = by_reason.get(key, [])
        examples = row["examples"][:3] or [c["question"] for c in contacts[:3]]
        sections.append({
            **row, "anchor": f"reden-{i + 1}",
            "label": texts.t("unassigned") if key == UNASSIGNED else row["label"],
            "description": texts.t("unassigned_desc") if key == UNASSIGNED
            else (row["description"] or ""),
            "examples": examples, "contacts_list": contacts, "sub_reasons": subs.get(key, []),
            "per_channel": {c: int(channel_pivot.loc[key, c]) if key in channel_pivot.index else 0
                            for c in channel_pivot.columns},
        })
    return sections


def _charts(fig: Figures, projects: pd.DataFrame, texts: Texts) -> dict[str, Markup]:
    out: dict[str, Markup] = {}
    tables = fig.tables
    if len(tables["channel_week"]):
        out["channel_week"] = Markup(charts.channel_week(tables["channel_week"], texts))
    if fig.stages["reasons"] and len(tables["reasons"]):
        out["reasons"] = Markup(charts.reasons_bar(tables["reasons"], texts, fig.stages["tags"]))
        if len(tables["reason_week"]):
            out["reason_week"] = Markup(charts.reason_week(tables["reason_week"],
                                                           tables["reasons"], texts))
    if fig.stages["tags"]:
        if fig.stages["reasons"]:
            out["avoidable_split"] = Markup(charts.avoidable_split(tables["reasons"], texts))
            out["value_matrix"] = Markup(charts.value_matrix(tables["reasons"], texts))
        types = tables["third_party_types"]
        types = types[types["third_party_type"] != "none"]
        if len(types):
            out["third_party"] = Markup(charts.money_bars(
                [texts.label("third_party_type", t) for t in types["third_party_type"]],
                types["avoidable_cost_year"].tolist(), texts, "third_party",
                texts.t("chart_third")))
        if len(projects):
            top = projects.head(10)
            out["projects"] = Markup(charts.money_bars(
                top["project"].tolist(), top["saving_year"].tolist(), texts, "projects",
                texts.t("chart_projects"), color=charts.SERIES_COLORS[2]))
    return out


def render(fig: Figures, projects: pd.DataFrame, sentences: list[str], assumptions: list[str],
           texts: Texts, files: list[str]) -> str:
    env = environment(texts)
    tables = fig.tables
    errors = tables["source_errors"]
    context = {
        "lang": texts.lang, "fig": fig, "key": fig.key, "stages": fig.stages,
        "sentences": sentences,
        "generated": texts.t("generated", date=texts.date(datetime.now()), version=__version__),
        "charts": _charts(fig, projects, texts),
        "channels": _records(tables["channels"]),
        "reasons": _reason_sections(fig, texts),
        "channel_names": sorted(set(tables["reason_channel"]["channel"])),
        "types": _records(tables["third_party_types"]),
        "parties": _records(tables["parties"].head(MAX_PARTIES_SHOWN)),
        "symptoms": _records(tables["symptoms"]),
        "symptoms_by_type": _symptom_matrix(tables["symptoms_by_type"]),
        "projects": _records(projects.head(MAX_PROJECTS_SHOWN)),
        "n_projects": len(projects),
        "assumptions": [*assumptions, texts.t("assumption_config")],
        "sources": _records(tables["sources"]),
        "errors": _records(errors.head(MAX_ERRORS_SHOWN)),
        "errors_more": max(0, len(errors) - MAX_ERRORS_SHOWN),
        "auto_replies": _records(tables["auto_replies"]),
        "languages": _records(tables["languages"]),
        "quality": _records(tables["quality"]),
        "figures_json": figures_json(fig, projects),
        "files": files,
        "css": _asset("report.css"), "js": _asset("report.js"),
    }
    return env.get_template("report.html.j2").render(**context)


def _asset(name: str) -> Markup:
    """Our own CSS/JS, inlined as is (never customer data)."""
    return Markup(resources.files("pipeline.report").joinpath("templates", name).read_text("utf-8"))


def _symptom_matrix(frame: pd.DataFrame) -> dict[str, Any]:
    if frame.empty:
        return {"symptoms": [], "rows": []}
    pivot = frame.pivot_table(index="third_party_type", columns="symptom", values="contacts",
                              aggfunc="sum", fill_value=0)
    order = sorted(pivot.index, key=lambda t: (t == "none", -pivot.loc[t].sum()))
    known = ["transfer", "callback", "consultation"]
    pivot = pivot[[s for s in known if s in pivot.columns] +
                  sorted(s for s in pivot.columns if s not in known)]
    return {"symptoms": list(pivot.columns),
            "rows": [{"type": t, "values": [int(pivot.loc[t, s]) for s in pivot.columns]}
                     for t in order]}
