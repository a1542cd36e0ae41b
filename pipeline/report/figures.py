"""Every number in the report, computed by SQL in DuckDB and returned as DataFrames.

One temporary table ``_report_base`` holds one row per analysed contact (auto-replies removed)
with its channel, week, theme, reason, avoidable category, main third party, repeat and transfer
flags, 'onzeker' flags, handling cost and expected saving; every figure is a query over it (or
over the stage tables it came from).

Vermijdbaar means 'voorkomen' only (contact that should not have been needed). Verschuiven and
automatiseren are counted beside it as their own figures, never added to it. A saving is the
handling cost of a contact times the configured removal rate of its category, never 100%.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from pipeline.errors import StageInputMissing
from pipeline.report import quality

BASE = "_report_base"
UNASSIGNED = "_unassigned"
NO_THEME = "_no_theme"
CATEGORIES = ("voorkomen", "verschuiven", "automatiseren", "waardevol")
# Categories with a saving; only the first is 'vermijdbaar' (avoidable).
AVOIDABLE = ("voorkomen", "verschuiven", "automatiseren")
PREVENT = "voorkomen"
# Used when the config names no removal rate for a category (pipeline/resources/defaults.toml).
FALLBACK_REMOVAL = {"voorkomen": 0.5, "verschuiven": 0.3, "automatiseren": 0.4}
# Used when the config names no handling time for a channel (pipeline/resources/defaults.toml).
FALLBACK_MINUTES = {"email": 8.0, "chat": 6.0, "call": 7.5}
DAYS_PER_MONTH = 365.25 / 12


@dataclass
class Figures:
    key: dict[str, Any] = field(default_factory=dict)
    stages: dict[str, bool] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    assumptions: dict[str, Any] = field(default_factory=dict)


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> Any:
    return con.execute(sql, params or []).fetchone()[0]


def handling_minutes(configured: dict[str, float]) -> dict[str, float]:
    minutes = dict(FALLBACK_MINUTES)
    minutes.update({k: float(v) for k, v in (configured or {}).items()})
    return minutes


def removal_rates(configured: dict[str, float]) -> dict[str, float]:
    rates = dict(FALLBACK_REMOVAL)
    rates.update({k: float(v) for k, v in (configured or {}).items()})
    return rates


# The base table holds one row per analysed contact but not its question: the texts the
# report shows (examples, quotes, drill-down) are joined from contact_text for the few
# contacts picked, so the table stays small at a million contacts.
def create_base(con: duckdb.DuckDBPyConnection, minutes: dict[str, float],
                cost_per_minute: float, rates: dict[str, float] | None = None) -> None:
    frame = pd.DataFrame({"channel": list(minutes), "minutes": list(minutes.values())})
    default = sum(minutes.values()) / len(minutes)
    rates = removal_rates(rates or {})
    rate_sql = " ".join(f"WHEN '{c}' THEN {float(r)!r}" for c, r in rates.items()
                        if c in AVOIDABLE)
    con.register("_report_minutes", frame)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {BASE} AS
        SELECT c.contact_id, c.channel, c.started_at,
               CAST(date_trunc('week', c.started_at) AS DATE) AS week,
               coalesce(nullif(t.language, ''), c.language, 'unknown') AS language,
               t.contact_id IS NOT NULL AS has_text,
               coalesce(trim(t.question_text), '') <> '' AS has_question,
               length(t.question_text) AS question_chars,
               coalesce(cr.reason_id, '{UNASSIGNED}') AS reason_key,
               CASE WHEN cr.reason_id IS NULL THEN '{UNASSIGNED}'
                    ELSE coalesce(cr.theme_id, r.theme_id, '{NO_THEME}') END AS theme_key,
               cr.sub_reason_id,
               g.contact_id IS NOT NULL AS is_tagged,
               g.avoidable_category AS category,
               coalesce(g.avoidable_category = '{PREVENT}', false) AS is_avoidable,
               nullif(g.third_party_type, 'none') AS third_party_type,
               g.party,
               coalesce(g.is_repeat, false) AS is_repeat,
               tr.contact_id IS NOT NULL AS is_transfer,
               coalesce(g.avoidable_unsure, false) AS avoidable_unsure,
               coalesce(g.third_party_unsure, false) AS third_party_unsure,
               coalesce(g.decided_by = 'analyst', false) AS by_analyst,
               coalesce(m.minutes, ?) AS minutes,
               coalesce(m.minutes, ?) * ? AS cost,
               coalesce(m.minutes, ?) * ? * (CASE g.avoidable_category {rate_sql} ELSE 0 END)
                   AS saving
        FROM contacts c
        LEFT JOIN contact_text t USING (contact_id)
        LEFT JOIN contact_reasons cr USING (contact_id)
        LEFT JOIN reasons r ON r.reason_id = cr.reason_id
        LEFT JOIN contact_tags g USING (contact_id)
        LEFT JOIN (SELECT DISTINCT contact_id FROM contact_symptoms WHERE symptom = 'transfer') tr
               USING (contact_id)
        LEFT JOIN _report_minutes m ON m.channel = c.channel
        WHERE NOT coalesce(t.is_auto_reply, false)
    """, [default, default, cost_per_minute, default, cost_per_minute])
    con.unregister("_report_minutes")


def drop_base(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP TABLE IF EXISTS {BASE}")


def compute(con: duckdb.DuckDBPyConnection, minutes: dict[str, float], cost_per_minute: float,
            rates: dict[str, float] | None = None,
            drill_per_reason: int = 25, drill_total: int = 2000) -> Figures:
    """All figures; the base table must exist (see :func:`create_base`)."""
    n_total = _scalar(con, "SELECT count(*) FROM contacts")
    if n_total == 0:
        raise StageInputMissing("er zijn geen contacten om over te rapporteren",
                                hint="draai eerst `klantvraag ingest EXPORT`")
    fig = Figures()
    fig.stages = {
        "text": _scalar(con, "SELECT count(*) FROM contact_text") > 0,
        "reasons": _scalar(con, "SELECT count(*) FROM contact_reasons") > 0,
        "tags": _scalar(con, "SELECT count(*) FROM contact_tags") > 0,
        "themes": _scalar(con, f"SELECT count(*) FROM {BASE} WHERE theme_key NOT IN "
                               f"('{NO_THEME}', '{UNASSIGNED}')") > 0,
    }
    fig.key = _key_figures(con, n_total, cost_per_minute)
    months = fig.key["months"]
    fig.assumptions = {"handling_minutes": minutes, "cost_per_minute": cost_per_minute,
                       "removal_rate": removal_rates(rates or {}),
                       "days": fig.key["days"], "months": months}
    fig.key.update(_category_figures(con, fig.key["tagged"], months))
    fig.tables.update(_channels(con, fig.key["contacts"], months))
    fig.tables.update(_reasons(con, months))
    fig.tables["themes"] = _themes(con, fig.key["contacts"])
    fig.tables["reason_cause"] = _df(con, f"""
        SELECT reason_key, coalesce(third_party_type, 'none') AS cause, count(*) AS contacts,
               count(*) FILTER (WHERE is_avoidable) AS avoidable
        FROM {BASE} WHERE is_tagged GROUP BY ALL ORDER BY reason_key, cause""")
    fig.tables["drilldown"] = _drilldown(con, drill_per_reason, drill_total,
                                         len(fig.tables["reasons"]))
    fig.tables.update(_third_parties(con, fig.key["tagged"], months))
    fig.tables.update(quality.compute(con, BASE))
    return fig


def _key_figures(con: duckdb.DuckDBPyConnection, n_total: int, cost_per_minute: float) -> dict:
    row = con.execute(f"""
        SELECT count(*) AS contacts,
               count(*) FILTER (WHERE is_tagged) AS tagged,
               count(*) FILTER (WHERE is_avoidable) AS avoidable,
               count(*) FILTER (WHERE third_party_type IS NOT NULL) AS third_party,
               count(*) FILTER (WHERE is_repeat) AS repeats,
               count(*) FILTER (WHERE reason_key = '{UNASSIGNED}') AS unassigned,
               coalesce(sum(saving) FILTER (WHERE is_avoidable), 0) AS avoidable_cost,
               coalesce(sum(cost), 0) AS total_cost,
               min(started_at) AS period_start, max(started_at) AS period_end
        FROM {BASE}
    """).df().iloc[0].to_dict()
    key = {k: (int(v) if k not in ("avoidable_cost", "total_cost", "period_start", "period_end")
               else v) for k, v in row.items()}
    key["contacts_ingested"] = int(n_total)
    key["auto_replies"] = int(_scalar(con, """
        SELECT count(*) FROM contact_text t SEMI JOIN contacts c USING (contact_id)
        WHERE t.is_auto_reply"""))
    start, end = key["period_start"], key["period_end"]
    if pd.isna(start):
        key["period_start"] = key["period_end"] = None
        days = 1.0
    else:
        key["period_start"], key["period_end"] = start.to_pydatetime(), end.to_pydatetime()
        days = max(1.0, float((end.normalize() - start.normalize()).days + 1))
    key["days"] = days
    key["months"] = days / DAYS_PER_MONTH
    n, tagged = key["contacts"], key["tagged"]
    key["avoidable_share"] = key["avoidable"] / tagged if tagged else None
    key["third_party_share"] = key["third_party"] / tagged if tagged else None
    key["repeat_share"] = key["repeats"] / tagged if tagged else None
    key["unassigned_share"] = key["unassigned"] / n if n else None
    key["avoidable_cost"] = float(key["avoidable_cost"])
    key["total_cost"] = float(key["total_cost"])
    key["avoidable_cost_year"] = key["avoidable_cost"] / key["months"] * 12
    key["cost_per_minute"] = cost_per_minute
    return key


def _channels(con, n: int, months: float) -> dict[str, pd.DataFrame]:
    channels = _df(con, f"""
        SELECT channel, count(*) AS contacts, count(*) / ? AS share,
               any_value(minutes) AS handling_minutes,
               sum(cost) / ? * 12 AS cost_year,
               count(*) FILTER (WHERE is_avoidable) AS avoidable
        FROM {BASE} GROUP BY channel ORDER BY contacts DESC, channel
    """, [max(n, 1), months])
    channel_week = _df(con, f"""
        SELECT week, channel, count(*) AS contacts FROM {BASE}
        WHERE week IS NOT NULL GROUP BY ALL ORDER BY week, channel
    """)
    return {"channels": channels, "channel_week": channel_week}


def _reasons(con, months: float) -> dict[str, pd.DataFrame]:
    n = max(_scalar(con, f"SELECT count(*) FROM {BASE}"), 1)
    per_category = ",\n".join(
        f"count(*) FILTER (WHERE category = '{c}') AS {c}" for c in CATEGORIES)
    reasons = _df(con, f"""
        WITH agg AS (
            SELECT reason_key, count(*) AS contacts, count(*) / {n} AS share,
                   count(*) FILTER (WHERE is_tagged) AS tagged,
                   count(*) FILTER (WHERE is_avoidable) AS avoidable,
                   {per_category},
                   count(*) FILTER (WHERE is_repeat) AS repeats,
                   count(*) FILTER (WHERE third_party_type IS NOT NULL) AS third_party,
                   count(*) FILTER (WHERE is_transfer) AS transfers,
                   count(*) FILTER (WHERE avoidable_unsure) AS avoidable_unsure,
                   count(*) FILTER (WHERE third_party_unsure) AS third_party_unsure,
                   count(*) FILTER (WHERE by_analyst) AS by_analyst,
                   any_value(theme_key) AS theme_key,
                   coalesce(sum(saving) FILTER (WHERE is_avoidable), 0) / ? * 12 AS avoidable_cost_year,
                   coalesce(sum(saving), 0) / ? * 12 AS saving_year
            FROM {BASE} GROUP BY reason_key)
        SELECT a.*,
               a.avoidable / nullif(a.tagged, 0) AS avoidable_share,
               a.repeats / nullif(a.tagged, 0) AS repeat_rate,
               a.avoidable_unsure / nullif(a.tagged, 0) AS unsure_share,
               1 - a.voorkomen / nullif(a.tagged, 0) AS customer_value,
               a.waardevol / nullif(a.tagged, 0) AS org_value,
               CASE WHEN a.tagged = 0 THEN NULL
                    WHEN a.voorkomen / a.tagged > 0.5 AND a.waardevol / a.tagged >= 0.5 THEN 'simplify'
                    WHEN a.voorkomen / a.tagged > 0.5 THEN 'eliminate'
                    WHEN a.waardevol / a.tagged >= 0.5 THEN 'leverage'
                    ELSE 'automate' END AS quadrant,
               r.label, r.description, CAST(r.keywords AS VARCHAR) AS keywords,
               CAST(r.examples AS VARCHAR) AS examples, r.owner, r.default_category
        FROM agg a LEFT JOIN reasons r ON r.reason_id = a.reason_key
        ORDER BY (a.reason_key = '{UNASSIGNED}'), a.contacts DESC, a.reason_key
    """, [months, months])
    for column in ("keywords", "examples"):
        reasons[column] = [_json_list(v) for v in reasons[column]]
    reasons["label"] = [lab if isinstance(lab, str) and lab else key
                        for lab, key in zip(reasons["label"], reasons["reason_key"])]
    reason_channel = _df(con, f"""
        SELECT reason_key, channel, count(*) AS contacts FROM {BASE} GROUP BY ALL
        ORDER BY reason_key, channel""")
    reason_week = _df(con, f"""
        SELECT week, reason_key, count(*) AS contacts FROM {BASE}
        WHERE week IS NOT NULL GROUP BY ALL ORDER BY week, reason_key""")
    sub_reasons = _df(con, f"""
        SELECT s.reason_id AS reason_key, s.sub_reason_id, s.label, count(*) AS contacts
        FROM {BASE} b JOIN sub_reasons s USING (sub_reason_id)
        GROUP BY ALL ORDER BY reason_key, contacts DESC, s.sub_reason_id""")
    return {"reasons": reasons, "reason_channel": reason_channel, "reason_week": reason_week,
            "sub_reasons": sub_reasons}


def _json_list(value: Any) -> list[str]:
    if not isinstance(value, str) or not value:
        return []
    try:
        items = json.loads(value)
    except json.JSONDecodeError:
        return []
    return [str(item) for item in items] if isinstance(items, list) else []


def _drilldown(con, per_reason: int, total: int, n_reasons: int) -> pd.DataFrame:
    cap = max(5, min(per_reason, total // max(n_reasons, 1)))
    return _df(con, f"""
        SELECT reason_key, contact_id, channel, started_at, category, third_party_type, party,
               is_repeat, left(t.question_text, 400) AS question
        FROM (SELECT *, row_number() OVER (PARTITION BY reason_key
                                           ORDER BY started_at DESC NULLS LAST, contact_id) AS rn
              FROM {BASE} WHERE has_question) b
        JOIN contact_text t USING (contact_id)
        WHERE rn <= ? ORDER BY reason_key, rn
    """, [cap])


def _third_parties(con, tagged: int, months: float) -> dict[str, pd.DataFrame]:
    denominator = max(tagged, 1)
    types = _df(con, f"""
        WITH mentioned AS (
            SELECT p.third_party_type, count(DISTINCT p.contact_id) AS mentioned
            FROM contact_third_parties p SEMI JOIN {BASE} b USING (contact_id) GROUP BY 1)
        SELECT coalesce(b.third_party_type, 'none') AS third_party_type,
               count(*) AS contacts, count(*) / {denominator} AS share,
               count(*) FILTER (WHERE is_avoidable) AS avoidable,
               coalesce(sum(saving) FILTER (WHERE is_avoidable), 0) / ? * 12 AS avoidable_cost_year,
               count(*) FILTER (WHERE is_repeat) AS repeats,
               any_value(m.mentioned) AS mentioned
        FROM {BASE} b LEFT JOIN mentioned m
             ON m.third_party_type = coalesce(b.third_party_type, 'none')
        WHERE b.is_tagged GROUP BY 1
        ORDER BY (coalesce(b.third_party_type, 'none') = 'none'), avoidable_cost_year DESC
    """, [months])
    types["mentioned"] = types["mentioned"].fillna(0).astype("int64")
    parties = _df(con, f"""
        SELECT third_party_type, coalesce(party, '') AS party,
               count(*) AS contacts, count(*) / {denominator} AS share,
               count(*) FILTER (WHERE is_avoidable) AS avoidable,
               coalesce(sum(saving) FILTER (WHERE is_avoidable), 0) / ? * 12 AS avoidable_cost_year
        FROM {BASE} WHERE third_party_type IS NOT NULL GROUP BY ALL
        ORDER BY avoidable_cost_year DESC, contacts DESC, party, third_party_type
    """, [months])
    symptoms = _df(con, f"""
        SELECT s.symptom, count(DISTINCT s.contact_id) AS contacts,
               count(DISTINCT s.contact_id) / {denominator} AS share
        FROM contact_symptoms s SEMI JOIN {BASE} b USING (contact_id)
        GROUP BY 1 ORDER BY contacts DESC, symptom
    """)
    symptoms_by_type = _df(con, f"""
        SELECT coalesce(b.third_party_type, 'none') AS third_party_type, s.symptom,
               count(DISTINCT s.contact_id) AS contacts
        FROM contact_symptoms s JOIN {BASE} b USING (contact_id)
        GROUP BY ALL ORDER BY third_party_type, symptom
    """)
    return {"third_party_types": types, "parties": parties, "symptoms": symptoms,
            "symptoms_by_type": symptoms_by_type}


def _category_figures(con, tagged: int, months: float) -> dict[str, Any]:
    """Per category: contacts, share of tagged contacts and expected saving per year."""
    rows = _df(con, f"""
        SELECT category, count(*) AS contacts, coalesce(sum(saving), 0) / ? * 12 AS saving_year,
               count(*) FILTER (WHERE avoidable_unsure) AS unsure
        FROM {BASE} WHERE is_tagged GROUP BY 1""", [months]).set_index("category")
    out: dict[str, Any] = {}
    for c in CATEGORIES:
        n = int(rows["contacts"].get(c, 0))
        out[f"{c}_contacts"] = n
        out[f"{c}_share"] = n / tagged if tagged else None
        out[f"{c}_saving_year"] = float(rows["saving_year"].get(c, 0.0))
    out["saving_year_total"] = sum(out[f"{c}_saving_year"] for c in AVOIDABLE)
    out["unsure"] = int(rows["unsure"].sum()) if len(rows) else 0
    out["unsure_share"] = out["unsure"] / tagged if tagged else None
    out["by_analyst"] = int(_scalar(con, f"SELECT count(*) FROM {BASE} WHERE by_analyst"))
    out["analyst_labels"] = int(_scalar(con, f"""
        SELECT count(*) FROM analyst_labels SEMI JOIN {BASE} USING (contact_id)"""))
    return out


def _themes(con, n: int) -> pd.DataFrame:
    """One row per theme (thema) with its contacts; unassigned and theme-less rows last."""
    themes = _df(con, f"""
        SELECT b.theme_key, any_value(t.label) AS label, count(*) AS contacts,
               count(*) / {max(n, 1)} AS share,
               count(*) FILTER (WHERE is_avoidable) AS avoidable,
               count(DISTINCT b.reason_key) AS reasons
        FROM {BASE} b LEFT JOIN themes t ON t.theme_id = b.theme_key
        GROUP BY 1
        ORDER BY (b.theme_key IN ('{UNASSIGNED}', '{NO_THEME}')), contacts DESC, b.theme_key""")
    themes["label"] = [lab if isinstance(lab, str) and lab else key
                       for lab, key in zip(themes["label"], themes["theme_key"])]
    return themes
