"""The report: one self-contained HTML file, an Excel workbook and CSV/Parquet tables.

``run(con, config)`` reads the stage tables, computes every figure in DuckDB (figures.py,
projects.py), and writes ``<output_dir>/klantvraag-rapport.html`` (``klantvraag-report.html`` in
English), the ``.xlsx`` beside it and ``tables/*.csv|parquet``. Stages that have not run yet are
named in the report instead of failing it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.config import ReportConfig
from pipeline.errors import ConfigError
from pipeline.report import excel, figures, html, narrative, projects, tables
from pipeline.report.i18n import Texts
from pipeline.store import Run
from pipeline.summary import Summary


@dataclass
class Report:
    """Everything the report shows, before it is written anywhere (the pure core)."""
    figures: figures.Figures
    backlog: projects.Backlog
    sentences: list[str]
    texts: Texts

    @property
    def projects(self) -> pd.DataFrame:
        return self.backlog.projects


def build(con: duckdb.DuckDBPyConnection, config: ReportConfig) -> Report:
    """Compute the report's figures; leaves the temporary base table for the writers."""
    if config.cost_per_minute < 0:
        raise ConfigError("[report] cost_per_minute mag niet negatief zijn")
    if any(float(v) < 0 for v in (config.handling_minutes or {}).values()):
        raise ConfigError("[report] handling_minutes mag niet negatief zijn")
    if any(not 0 <= float(v) <= 1 for v in (config.removal_rate or {}).values()):
        raise ConfigError("[report] removal_rate moet per categorie tussen 0 en 1 liggen",
                          hint="bijvoorbeeld removal_rate = { voorkomen = 0.5, verschuiven = 0.3 }")
    unknown = set(config.removal_rate or {}) - set(figures.AVOIDABLE)
    if unknown:
        raise ConfigError(f"[report] removal_rate kent onbekende categorieën: {', '.join(sorted(unknown))}",
                          hint=f"gebruik {', '.join(figures.AVOIDABLE)} (waardevol levert geen besparing op)")
    if config.project_min_contacts < 1:
        raise ConfigError("[report] project_min_contacts moet minstens 1 zijn")
    texts = Texts(config.lang, config.currency)
    minutes = figures.handling_minutes(config.handling_minutes)
    rates = figures.removal_rates(config.removal_rate)
    figures.create_base(con, minutes, config.cost_per_minute, rates)
    fig = figures.compute(con, minutes, config.cost_per_minute, rates)
    backlog = projects.compute(con, fig.key["months"], fig.tables["reasons"],
                               fig.tables["themes"], texts, config.project_min_contacts,
                               config.project_scale_below)
    return Report(fig, backlog, narrative.summary(fig, backlog, texts), texts)


def run(con: duckdb.DuckDBPyConnection, config: ReportConfig) -> Summary:
    out = Path(config.output_dir)
    with Run(con, "report", dataclasses.asdict(config)) as bookkeeping:
        try:
            report = build(con, config)
            written = write(con, report, out, config.csv_dialect)
        finally:
            figures.drop_base(con)
        key = report.figures.key
        bookkeeping.counts = {"contacts": key["contacts"], "avoidable": key["avoidable"],
                              "projects": len(report.projects), "files": len(written)}
    texts = report.texts
    summary = Summary(title=texts.t("files_written"), columns=[texts.t("col_file"), "bytes"],
                      rows=[[str(path), path.stat().st_size] for path in written
                            if path.parent == out] +
                           [[str(out / "tables"), sum(p.stat().st_size for p in written
                                                      if p.parent != out)]])
    summary.notes = report.sentences
    for stage, missing in (("reasons", "klantvraag reasons"), ("tags", "klantvraag tag"),
                           ("text", "klantvraag prepare")):
        if not report.figures.stages[stage]:
            summary.warnings.append(f"{stage}: {texts.t('stage_missing', what=missing)}")
    return summary


def write(con: duckdb.DuckDBPyConnection, report: Report, out: Path,
          csv_dialect: str = "nl") -> list[Path]:
    """Write HTML, Excel and tables into ``out`` (overwriting: a re-run gives the same files)."""
    out.mkdir(parents=True, exist_ok=True)
    texts = report.texts
    stem = texts.t("file_stem")
    html_path, xlsx_path = out / f"{stem}.html", out / f"{stem}.xlsx"
    typed = tables.frames(con, report.figures, report.projects, texts)
    contact_paths, contact_columns = tables.export_contacts(con, report.figures, out / "tables",
                                                            texts, csv_dialect)
    table_paths = tables.export(typed, out / "tables", texts, csv_dialect,
                                streamed={"contacts": contact_columns}) + contact_paths
    names = [html_path.name, xlsx_path.name, "tables/"]
    assumptions = _assumption_lines(report)
    page = html.render(con, report.figures, report.backlog, report.sentences, assumptions, texts,
                       names)
    recent = tables.recent_contacts(con, report.figures, texts, excel.MAX_CONTACT_ROWS)
    excel.write(xlsx_path, {**typed, "contacts": recent}, report.sentences, assumptions, texts,
                contact_total=report.figures.key["contacts"],
                per_category={c: report.figures.key[f"{c}_contacts"] for c in excel.CATEGORIES})
    _write_atomic(html_path, page)
    return [html_path, xlsx_path, *table_paths]


def _write_atomic(path: Path, text: str) -> None:
    """Write beside the target and rename over it: a reader never sees half a report."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _assumption_lines(report: Report) -> list[str]:
    texts, fig = report.texts, report.figures
    minutes = fig.assumptions["handling_minutes"]
    used = set(fig.tables["channels"]["channel"])
    rates = fig.assumptions["removal_rate"]
    return [
        texts.t("assumption_saving", prevent=texts.percent(rates.get("voorkomen", 0), 0),
                shift=texts.percent(rates.get("verschuiven", 0), 0),
                automate=texts.percent(rates.get("automatiseren", 0), 0)),
        texts.t("assumption_minutes", items=", ".join(
            texts.t("assumption_minutes_part", channel=texts.label("channel", c),
                    minutes=texts.number(m, 1))
            for c, m in minutes.items() if c in used or not used)),
        texts.t("assumption_cost", cost=texts.money(fig.assumptions["cost_per_minute"], 2)),
        texts.t("assumption_scale", days=texts.number(fig.key["days"]),
                months=texts.number(fig.key["months"], 1)),
    ]
