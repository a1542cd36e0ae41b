"""Prevention projects: avoidable contact grouped by reason x third-party cause, ranked by saving.

A project's saving per year = its avoidable contacts x the handling time of each contact's channel
x the cost per minute, scaled from the report period to a year. It is an upper bound: it assumes
every avoidable contact of the group disappears once its cause is removed.
"""

from __future__ import annotations

import pandas as pd

from pipeline.report.figures import AVOIDABLE, BASE, UNASSIGNED
from pipeline.report.i18n import Texts

SYMPTOMS = ("transfer", "callback", "consultation")


def compute(con, months: float, reasons: pd.DataFrame, texts: Texts) -> pd.DataFrame:
    """One row per (reason, third-party type) with avoidable contacts, ranked by saving per year."""
    per_category = ", ".join(
        f"count(*) FILTER (WHERE category = '{c}') AS {c}" for c in AVOIDABLE)
    per_symptom = ", ".join(
        f"coalesce(s.{s}, 0) AS {s}" for s in SYMPTOMS)
    symptom_pivot = ", ".join(
        f"count(DISTINCT contact_id) FILTER (WHERE symptom = '{s}') AS {s}" for s in SYMPTOMS)
    frame = con.execute(f"""
        WITH avoid AS (
            SELECT *, coalesce(third_party_type, 'none') AS cause FROM {BASE} WHERE is_avoidable),
        grouped AS (
            SELECT reason_key, cause, count(*) AS contacts, {per_category},
                   count(*) FILTER (WHERE is_repeat) AS repeats,
                   sum(cost) AS cost_period, avg(minutes) AS minutes
            FROM avoid GROUP BY reason_key, cause),
        party_counts AS (
            SELECT reason_key, cause, party, count(*) AS n,
                   row_number() OVER (PARTITION BY reason_key, cause
                                      ORDER BY count(*) DESC, party) AS rn
            FROM avoid WHERE party IS NOT NULL AND party <> '' GROUP BY reason_key, cause, party),
        parties AS (
            SELECT reason_key, cause, string_agg(party || ' (' || n || ')', '; ' ORDER BY rn) AS parties
            FROM party_counts WHERE rn <= 4 GROUP BY reason_key, cause),
        span_counts AS (
            SELECT a.reason_key, a.cause, lower(trim(p.span)) AS span, count(*) AS n,
                   row_number() OVER (PARTITION BY a.reason_key, a.cause
                                      ORDER BY count(*) DESC, lower(trim(p.span))) AS rn
            FROM contact_third_parties p JOIN avoid a USING (contact_id)
            WHERE coalesce(trim(p.span), '') <> '' AND p.third_party_type = a.cause
            GROUP BY a.reason_key, a.cause, lower(trim(p.span))),
        spans AS (
            SELECT reason_key, cause, string_agg('"' || span || '" (' || n || ')', '; ' ORDER BY rn) AS spans
            FROM span_counts WHERE rn <= 3 GROUP BY reason_key, cause),
        symptoms AS (
            SELECT a.reason_key, a.cause, {symptom_pivot.replace('contact_id', 'sy.contact_id')}
            FROM contact_symptoms sy JOIN avoid a USING (contact_id) GROUP BY a.reason_key, a.cause),
        example AS (
            SELECT reason_key, cause,
                   arg_max(left(question_text, 240), started_at) AS example
            FROM avoid WHERE coalesce(question_text, '') <> '' GROUP BY reason_key, cause)
        SELECT g.*, {per_symptom}, pa.parties, sp.spans, e.example
        FROM grouped g
        LEFT JOIN parties pa USING (reason_key, cause)
        LEFT JOIN spans sp USING (reason_key, cause)
        LEFT JOIN symptoms s USING (reason_key, cause)
        LEFT JOIN example e USING (reason_key, cause)
    """).df()
    # Unassigned contacts without a third party are no project anyone can run.
    frame = frame[~((frame["reason_key"] == UNASSIGNED) & (frame["cause"] == "none"))]
    if frame.empty:
        return _empty()
    total_avoidable = frame["contacts"].sum()
    frame["per_month"] = frame["contacts"] / months
    frame["per_year"] = frame["per_month"] * 12
    frame["saving_year"] = frame["cost_period"] / months * 12
    frame["share_of_avoidable"] = frame["contacts"] / total_avoidable
    frame["repeat_rate"] = frame["repeats"] / frame["contacts"]
    frame["main_category"] = frame[list(AVOIDABLE)].idxmax(axis=1)
    frame = frame.sort_values(["saving_year", "contacts", "reason_key", "cause"],
                              ascending=[False, False, True, True], ignore_index=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    meta = reasons.set_index("reason_key")
    frame["reason_label"] = [texts.t("unassigned") if key == UNASSIGNED
                             else meta["label"].get(key, key) for key in frame["reason_key"]]
    frame["cause_label"] = [texts.label("third_party_type", c) for c in frame["cause"]]
    frame["project"] = [
        f"{cause_label} ({texts.t('other_reasons')})" if key == UNASSIGNED
        else label if cause == "none" else f"{label} × {cause_label}"
        for key, label, cause, cause_label
        in zip(frame["reason_key"], frame["reason_label"], frame["cause"], frame["cause_label"])]
    frame["action"] = [texts.label("action", c) for c in frame["main_category"]]
    owners = meta["owner"] if "owner" in meta else pd.Series(dtype=object)
    frame["owner"] = [texts.owner(owners.get(key), None if cause == "none" else cause, category)
                      for key, cause, category
                      in zip(frame["reason_key"], frame["cause"], frame["main_category"])]
    for column in ("parties", "spans", "example"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    return frame[COLUMNS]


COLUMNS = ["rank", "project", "reason_key", "reason_label", "cause", "cause_label",
           "main_category", "action", "owner", "contacts", "share_of_avoidable", "per_month",
           "per_year", "minutes", "cost_period", "saving_year", "repeats", "repeat_rate",
           *AVOIDABLE, *SYMPTOMS, "parties", "spans", "example"]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in COLUMNS})
