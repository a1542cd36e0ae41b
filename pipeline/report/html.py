"""The self-contained HTML report: jinja2 (autoescape on), inline CSS, Plotly and our own JS.

Nothing in the file points outside it: no CDN, fonts, images or scripts from the web; a
Content-Security-Policy in the page forbids any fetch, so a slip would show as a console error.
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
from pipeline.report import charts, explore, narrative, quality
from pipeline.report.figures import CATEGORIES, UNASSIGNED, Figures
from pipeline.report.i18n import Texts
from pipeline.report.projects import Backlog

MAX_PROJECTS_SHOWN = 25
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


def figures_json(fig: Figures, projects: pd.DataFrame) -> dict[str, Any]:
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
    return data


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (None if (isinstance(v, float) and math.isnan(v)) or v is pd.NaT else v)
             for k, v in row.items()} for row in frame.to_dict("records")]


def _reason_sections(fig: Figures, texts: Texts) -> list[dict[str, Any]]:
    reasons = fig.tables["reasons"]
    drill = fig.tables["drilldown"]
    by_reason = {key: _records(group) for key, group in drill.groupby("reason_key", sort=False)}
    subs = {key: _records(group) for key, group in
            fig.tables["sub_reasons"].groupby("reason_key", sort=False)}
    themes = dict(zip(fig.tables["themes"]["theme_key"], fig.tables["themes"]["label"]))
    sections = []
    for i, row in enumerate(_records(reasons)):
        key = row["reason_key"]
        contacts = by_reason.get(key, [])
        examples = row["examples"][:3] or [c["question"] for c in contacts[:3]]
        sections.append({
            **row, "anchor": f"reden-{i + 1}", "index": i,
            "theme_label": explore.theme_label(row["theme_key"], themes.get(row["theme_key"], ""),
                                               texts) if fig.stages["themes"] else "",
            "label": texts.t("unassigned") if key == UNASSIGNED else row["label"],
            "description": texts.t("unassigned_desc") if key == UNASSIGNED
            else (row["description"] or ""),
            "examples": examples, "sub_reasons": subs.get(key, []),
        })
    return sections


def render(con, fig: Figures, backlog: Backlog, sentences: list[str], assumptions: list[str],
           texts: Texts, files: list[str]) -> str:
    env = environment(texts)
    tables = fig.tables
    errors = tables["source_errors"]
    projects = backlog.projects
    payload = explore.data(con, fig, backlog, texts, charts.style(texts))
    payload["figures"] = figures_json(fig, projects)
    context = {
        "lang": texts.lang, "fig": fig, "key": fig.key, "stages": fig.stages,
        "sentences": sentences, "categories": CATEGORIES,
        "top_projects": narrative.top_projects(backlog, texts),
        "generated": texts.t("generated", date=texts.date(datetime.now()), version=__version__),
        "channels": _records(tables["channels"]),
        "reasons": _reason_sections(fig, texts),
        "themes": _records(tables["themes"]),
        "types": _records(tables["third_party_types"]),
        "parties": _records(tables["parties"].head(MAX_PARTIES_SHOWN)),
        "projects": _records(projects.head(MAX_PROJECTS_SHOWN)),
        "backlog": backlog, "n_projects": len(projects),
        "assumptions": [*assumptions, texts.t("assumption_config")],
        "rates": fig.assumptions["removal_rate"],
        "sources": _records(tables["sources"]),
        "errors": [{**e, "explained": quality.explain_error(e["error"], texts.lang)}
                   for e in _records(errors.head(MAX_ERRORS_SHOWN))],
        "errors_more": max(0, len(errors) - MAX_ERRORS_SHOWN),
        "auto_replies": _records(tables["auto_replies"]),
        "languages": _records(tables["languages"]),
        "quality": _records(tables["quality"]),
        "data_json": explore.as_script(payload),
        "files": files,
        "css": _asset("report.css"), "js": _asset("report.js"), "plotly": charts.plotly_js(),
    }
    return env.get_template("report.html.j2").render(**context)


def _asset(name: str) -> Markup:
    """Our own CSS/JS, inlined as is (never customer data)."""
    return Markup(resources.files("pipeline.report").joinpath("templates", name).read_text("utf-8"))
