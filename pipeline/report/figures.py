"""Every number in the report, computed by SQL in DuckDB and returned as DataFrames.

One temporary table ``_report_base`` holds one row per analysed contact (auto-replies removed)
with its channel, week, reason, avoidable category, main third party, repeat flag and handling
cost; every figure is a query over it (or over the stage tables it came from).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from pipeline.errors import StageInputMissing

BASE = "_report_base"
UNASSIGNED = "_unassigned"
CATEGORIES = ("voorkomen", "verschuiven", "automatiseren", "waardevol")
AVOIDABLE = ("voorkomen", "verschuiven", "automatiseren")
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


def create_base(con: duckdb.DuckDBPyConnection, minutes: dict[str, float],
                cost_per_minute: float) -> None:
    frame = pd.DataFrame({"channel": list(minutes), "minutes": list(minutes.values())})
    default = sum(minutes.values()) / len(minutes)
    con.register("_report_minutes", frame)
    avoidable = ", ".join(f"'{c}'" for c in AVOIDABLE)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {BASE} AS
        SELECT c.contact_id, c.channel, c.started_at,
               CAST(date_trunc('week', c.started_at) AS DATE) AS week,
               coalesce(nullif(t.language, ''), c.language, 'unknown') AS language,
               t.contact_id IS NOT NULL AS has_text,
               t.question_text,
               coalesce(cr.reason_id, '{UNASSIGNED}') AS reason_key,
               cr.sub_reason_id,
               g.contact_id IS NOT NULL AS is_tagged,
               g.avoidable_category AS category,
               coalesce(g.avoidable_category IN ({avoidable}), false) AS is_avoidable,
               nullif(g.third_party_type, 'none') AS third_party_type,
               g.party,
               coalesce(g.is_repeat, false) AS is_repeat,
               coalesce(m.minutes, ?) AS minutes,
               coalesce(m.minutes, ?) * ? AS cost
        FROM contacts c
        LEFT JOIN contact_text t USING (contact_id)
        LEFT JOIN contact_reasons cr USING (contact_id)
        LEFT JOIN contact_tags g USING (contact_id)
        LEFT JOIN _report_minutes m ON m.channel = c.channel
        WHERE NOT coalesce(t.is_auto_reply, false)
    """, [default, default, cost_per_minute])
    con.unregister("_report_minutes")


def drop_base(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP TABLE IF EXISTS {BASE}")


def compute(con: duckdb.DuckDBPyConnection, minutes: dict[str, float], cost_per_minute: float,
            drill_per_reason: int = 25, drill_total: int = 2000) -> Figures:
    """All figures; the base table must exist (see :func:`create_base`)."""
    n_total = _scalar(con, "SELECT count(*) FROM contacts")
    if n_total == 0:
        raise StageInputMissing("there are no contacts to report on",
                                hint="run `klantvraag ingest EXPORT` first")
    fig = Figures()
    fig.stages = {
        "text": _scalar(con, "SELECT count(*) FROM contact_text") > 0,
        "reasons": _scalar(con, "SELECT count(*) FROM contact_reasons") > 0,
        "tags": _scalar(con, "SELECT count(*) FROM contact_tags") > 0,
    }
    fig.key = _key_figures(con, n_total, cost_per_minute)
    months = fig.key["months"]
    fig.assumptions = {"handling_minutes": minutes, "cost_per_minute": cost_per_minute,
                       "days": fig.key["days"], "months": months}
    fig.tables.update(_channels(con, fig.key["contacts"], months))
    fig.tables.update(_reasons(con, months))
    fig.tables["drilldown"] = _drilldown(con, drill_per_reason, drill_total,
                                         len(fig.tables["reasons"]))
    fig.tables.update(_third_parties(con, fig.key["tagged"], months))
    fig.tables.update(_quality(con))
    return fig


def _key_figures(con: duckdb.DuckDBPyConnection, n_total: int, cost_per_minute: float) -> dict:
    row = con.execute(f"""
        SELECT count(*) AS contacts,
               count(*) FILTER (WHERE is_tagged) AS tagged,
               count(*) FILTER (WHERE is_avoidable) AS avoidable,
               count(*) FILTER (WHERE third_party_type IS NOT NULL) AS third_party,
               count(*) FILTER (WHERE is_repeat) AS repeats,
               count(*) FILTER (WHERE reason_key = '{UNASSIGNED}') AS unassigned,
               coalesce(sum(cost) FILTER (WHERE is_avoidable), 0) AS avoidable_cost,
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
                   coalesce(sum(cost) FILTER (WHERE is_avoidable), 0) / ? * 12 AS avoidable_cost_year
            FROM {BASE} GROUP BY reason_key)
        SELECT a.*,
               a.avoidable / nullif(a.tagged, 0) AS avoidable_share,
               a.repeats / nullif(a.tagged, 0) AS repeat_rate,
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
    """, [months])
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
               is_repeat, left(question_text, 400) AS question
        FROM (SELECT *, row_number() OVER (PARTITION BY reason_key
                                           ORDER BY started_at DESC NULLS LAST, contact_id) AS rn
              FROM {BASE} WHERE coalesce(question_text, '') <> '')
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
               coalesce(sum(cost) FILTER (WHERE is_avoidable), 0) / ? * 12 AS avoidable_cost_year,
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
               coalesce(sum(cost) FILTER (WHERE is_avoidable), 0) / ? * 12 AS avoidable_cost_year
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


def _quality(con) -> dict[str, pd.DataFrame]:
    sources = _df(con, """
        SELECT status, count(*) AS files, coalesce(sum(n_contacts), 0) AS contacts,
               coalesce(sum(size_bytes), 0) AS size_bytes
        FROM sources GROUP BY status ORDER BY files DESC, status""")
    source_errors = _df(con, """
        SELECT path, coalesce(format, '') AS format, coalesce(error, '') AS error
        FROM sources WHERE status = 'error' ORDER BY path""")
    auto_replies = _df(con, """
        SELECT coalesce(auto_reply_kind, 'unknown') AS kind, count(*) AS contacts
        FROM contact_text t SEMI JOIN contacts c USING (contact_id)
        WHERE t.is_auto_reply GROUP BY 1 ORDER BY contacts DESC, kind""")
    languages = _df(con, f"""
        SELECT language, count(*) AS contacts, count(*) / (SELECT count(*) FROM {BASE}) AS share
        FROM {BASE} GROUP BY 1 ORDER BY contacts DESC, language""")
    measures = _df(con, f"""
        SELECT * FROM (
            SELECT 'q_contacts_total' AS measure, (SELECT count(*) FROM contacts) AS contacts, 1 AS o
            UNION ALL SELECT 'q_auto_replies', (SELECT count(*) FROM contact_text t
                SEMI JOIN contacts c USING (contact_id) WHERE t.is_auto_reply), 2
            UNION ALL SELECT 'q_analysed', count(*), 3 FROM {BASE}
            UNION ALL SELECT 'q_no_text', count(*) FILTER (WHERE NOT has_text), 4 FROM {BASE}
            UNION ALL SELECT 'q_no_question',
                count(*) FILTER (WHERE has_text AND coalesce(question_text, '') = ''), 5 FROM {BASE}
            UNION ALL SELECT 'q_no_reason', count(*) FILTER (WHERE reason_key = '{UNASSIGNED}'), 6
                FROM {BASE}
            UNION ALL SELECT 'q_no_tags', count(*) FILTER (WHERE NOT is_tagged), 7 FROM {BASE}
            UNION ALL SELECT 'q_no_date', count(*) FILTER (WHERE started_at IS NULL), 8 FROM {BASE}
        ) ORDER BY o""").drop(columns="o")
    # Ingested and auto-replies as a share of everything ingested; the rest of what was analysed.
    total = max(int(measures["contacts"].iloc[0]), 1)
    analysed = max(int(measures.loc[measures.measure == "q_analysed", "contacts"].iloc[0]), 1)
    measures["share"] = measures["contacts"] / measures["measure"].map(
        lambda m: total if m in ("q_contacts_total", "q_auto_replies") else analysed)
    return {"sources": sources, "source_errors": source_errors, "auto_replies": auto_replies,
            "languages": languages, "quality": measures}
