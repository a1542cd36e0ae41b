"""Prevention projects: 'voorkomen' contact grouped by reason x cause, ranked by saving per year.

A cause is the third-party type whose step went wrong, or the own process when no third party
is named. A group becomes a project only with at least ``min_contacts`` contacts (fewer is no
project anyone can run: they stay outside the backlog and the report says how many). A project's
saving per year = its contacts x the handling time of each contact's channel x the cost per
minute x the configured removal rate for 'voorkomen', scaled from the report period to a year.
Verschuiven and automatiseren never enter a prevention project.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.report.figures import BASE, UNASSIGNED
from pipeline.report.i18n import Texts

PROCESS = "process"  # the cause when no third party is named: the organisation's own process
EVIDENCE_QUOTES = 3
QUOTE_CANDIDATES = 20  # quotes are picked from this many, skipping repeats
DRILL_CONTACTS = 30
# A party names the project when it has at least this share of the project's named parties.
PARTY_MAJORITY = 0.5


@dataclass
class Backlog:
    """The ranked projects and how they were cut."""
    projects: pd.DataFrame
    min_contacts: int          # the threshold used
    configured_min: int        # the threshold configured
    prevent_contacts: int      # all 'voorkomen' contacts
    in_projects: int           # of which in a project
    small_groups: int          # reason x cause groups below the threshold


def threshold(configured: int, scale_below: int, analysed: int) -> int:
    """The configured minimum, scaled down in proportion for exports under ``scale_below``."""
    if scale_below <= 0 or analysed >= scale_below:
        return configured
    return max(5, min(configured, round(configured * analysed / scale_below)))


def compute(con, months: float, reasons: pd.DataFrame, themes: pd.DataFrame, texts: Texts,
            configured_min: int = 20, scale_below: int = 2000) -> Backlog:
    analysed = con.execute(f"SELECT count(*) FROM {BASE}").fetchall()[0][0]
    min_contacts = threshold(configured_min, scale_below, analysed)
    groups = con.execute(f"""
        WITH prevent AS (
            SELECT *, coalesce(third_party_type, '{PROCESS}') AS cause
            FROM {BASE} WHERE is_avoidable AND reason_key <> '{UNASSIGNED}')
        SELECT reason_key, cause, count(*) AS contacts,
               count(*) FILTER (WHERE is_repeat) AS repeats,
               count(*) FILTER (WHERE is_transfer) AS transfers,
               count(*) FILTER (WHERE avoidable_unsure) AS unsure,
               sum(saving) AS saving_period, sum(cost) AS cost_period
        FROM prevent GROUP BY ALL""").df()
    prevent_total = int(con.execute(
        f"SELECT count(*) FROM {BASE} WHERE is_avoidable").fetchall()[0][0])
    small = groups[groups["contacts"] < min_contacts]
    frame = groups[groups["contacts"] >= min_contacts].copy()
    if frame.empty:
        return Backlog(_empty(), min_contacts, configured_min, prevent_total, 0, len(small))
    frame = frame.sort_values(["saving_period", "contacts", "reason_key", "cause"],
                              ascending=[False, False, True, True], ignore_index=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    frame["project_id"] = [f"p{r}" for r in frame["rank"]]
    con.register("_report_projects", frame[["project_id", "reason_key", "cause"]])
    try:
        parties, evidence, drill = _details(con)
    finally:
        con.unregister("_report_projects")
    frame["per_month"] = frame["contacts"] / months
    frame["per_year"] = frame["per_month"] * 12
    frame["saving_year"] = frame["saving_period"] / months * 12
    frame["repeat_rate"] = frame["repeats"] / frame["contacts"]
    frame["transfer_rate"] = frame["transfers"] / frame["contacts"]
    frame["unsure_share"] = frame["unsure"] / frame["contacts"]
    frame["share_of_avoidable"] = frame["contacts"] / max(prevent_total, 1)
    meta = reasons.set_index("reason_key")
    theme_labels = dict(zip(themes["theme_key"], themes["label"]))
    frame["reason_label"] = [meta["label"].get(k, k) for k in frame["reason_key"]]
    frame["theme_label"] = [theme_labels.get(meta["theme_key"].get(k), "")
                            if not str(meta["theme_key"].get(k, "_")).startswith("_") else ""
                            for k in frame["reason_key"]]
    # A party that only repeats its type ('backoffice') names nobody.
    frame["party"] = [parties.get(pid, "") if parties.get(pid, "").lower() != cause else ""
                      for pid, cause in zip(frame["project_id"], frame["cause"])]
    frame["cause_label"] = [texts.t("cause_process") if c == PROCESS
                            else texts.label("third_party_type", c) for c in frame["cause"]]
    frame["project"] = [
        texts.label("project_name", cause).format(
            reason=label, party=party or cause_label)
        for label, cause, party, cause_label
        in zip(frame["reason_label"], frame["cause"], frame["party"], frame["cause_label"])]
    owners = meta["owner"] if "owner" in meta else pd.Series(dtype=object)
    frame["owner"] = [texts.owner(owners.get(k), None if c == PROCESS else c, "voorkomen")
                      for k, c in zip(frame["reason_key"], frame["cause"])]
    frame["evidence"] = [evidence.get(pid, []) for pid in frame["project_id"]]
    frame["drill_ids"] = [drill.get(pid, []) for pid in frame["project_id"]]
    return Backlog(frame[COLUMNS], min_contacts, configured_min, prevent_total,
                   int(frame["contacts"].sum()), len(small))


def _details(con) -> tuple[dict[str, str], dict[str, list[str]], dict[str, list[str]]]:
    """Per project: its majority party, quotes from its own contacts, contacts to drill into."""
    parties = con.execute(f"""
        WITH named AS (
            SELECT p.project_id, b.party, count(*) AS n,
                   sum(count(*)) OVER (PARTITION BY p.project_id) AS total
            FROM {BASE} b JOIN _report_projects p
                 ON p.reason_key = b.reason_key
                AND p.cause = coalesce(b.third_party_type, 'process')
            WHERE b.is_avoidable AND coalesce(b.party, '') <> ''
            GROUP BY p.project_id, b.party)
        SELECT project_id, arg_max(party, n) AS party, max(n) / any_value(total) AS share
        FROM named GROUP BY 1""").df()
    majority = {r.project_id: r.party for r in parties.itertuples()
                if r.share >= PARTY_MAJORITY}
    rows = con.execute(f"""
        SELECT r.project_id, r.contact_id, left(t.question_text, 180) AS quote, r.quote_rank,
               r.drill_rank
        FROM (
        SELECT p.project_id, b.contact_id,
               row_number() OVER (PARTITION BY p.project_id
                   ORDER BY (s.contact_id IS NULL), abs(b.question_chars - 140),
                            b.contact_id) AS quote_rank,
               row_number() OVER (PARTITION BY p.project_id
                   ORDER BY b.started_at DESC NULLS LAST, b.contact_id) AS drill_rank
        FROM {BASE} b
        JOIN _report_projects p ON p.reason_key = b.reason_key
             AND p.cause = coalesce(b.third_party_type, 'process')
        LEFT JOIN (SELECT DISTINCT contact_id, third_party_type FROM contact_third_parties) s
             ON s.contact_id = b.contact_id AND s.third_party_type = p.cause
        WHERE b.is_avoidable AND b.has_question
        QUALIFY quote_rank <= {QUOTE_CANDIDATES} OR drill_rank <= {DRILL_CONTACTS}) r
        JOIN contact_text t USING (contact_id)
        ORDER BY r.project_id, r.quote_rank""").df()
    evidence: dict[str, list[str]] = {}
    drill: dict[str, list[str]] = {}
    for row in rows.itertuples():
        quotes = evidence.setdefault(row.project_id, [])
        if row.quote_rank <= QUOTE_CANDIDATES and len(quotes) < EVIDENCE_QUOTES \
                and row.quote not in quotes:  # the same complaint word for word counts once
            quotes.append(row.quote)
        if row.drill_rank <= DRILL_CONTACTS:
            drill.setdefault(row.project_id, []).append(row.contact_id)
    return majority, evidence, drill


COLUMNS = ["rank", "project_id", "project", "theme_label", "reason_key", "reason_label", "cause",
           "cause_label", "party", "owner", "contacts", "share_of_avoidable", "per_month",
           "per_year", "saving_period", "cost_period", "saving_year", "repeats", "repeat_rate",
           "transfers", "transfer_rate", "unsure", "unsure_share", "evidence", "drill_ids"]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in COLUMNS})
