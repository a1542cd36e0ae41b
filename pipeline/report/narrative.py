"""The summary in plain sentences, built from the figures (words from texts.yaml)."""

from __future__ import annotations

import pandas as pd

from pipeline.report.figures import NO_THEME, UNASSIGNED, Figures
from pipeline.report.i18n import Texts
from pipeline.report.projects import Backlog


def _join(parts: list[str], texts: Texts) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    last = " en " if texts.lang == "nl" else " and "
    return ", ".join(parts[:-1]) + last + parts[-1]


def summary(fig: Figures, backlog: Backlog, texts: Texts) -> list[str]:
    projects = backlog.projects
    key, tables = fig.key, fig.tables
    sentences = []
    channels = [texts.t("sum_channel_part", n=texts.number(row.contacts),
                        channel=texts.label("channel", row.channel))
                for row in tables["channels"].itertuples()]
    sentences.append(texts.t(
        "sum_period", start=texts.date(key["period_start"]), end=texts.date(key["period_end"]),
        days=texts.number(key["days"]), n=texts.number(key["contacts"]),
        channels=_join(channels, texts)))
    if not fig.stages["text"]:
        sentences.append(texts.t("sum_no_text"))
    if fig.stages.get("themes"):
        themes = tables["themes"]
        themes = themes[~themes["theme_key"].isin([UNASSIGNED, NO_THEME])].head(3)
        parts = [texts.t("sum_reason_part", label=row.label, share=texts.percent(row.share))
                 for row in themes.itertuples()]
        sentences.append(texts.t("sum_top_themes", themes=_join(parts, texts)))
    if fig.stages["reasons"]:
        top = tables["reasons"][tables["reasons"]["reason_key"] != UNASSIGNED].head(3)
        if len(top):
            parts = [texts.t("sum_reason_part", label=row.label, share=texts.percent(row.share))
                     for row in top.itertuples()]
            sentences.append(texts.t("sum_top_reasons", reasons=_join(parts, texts),
                                     share=texts.percent(top["share"].sum())))
    else:
        sentences.append(texts.t("sum_no_reasons"))
    if not fig.stages["tags"]:
        sentences.append(texts.t("sum_no_tags"))
        return sentences
    sentences.append(texts.t("sum_avoidable", share=texts.percent(key["avoidable_share"]),
                             n=texts.number(key["avoidable"]),
                             cost=texts.money(key["avoidable_cost_year"])))
    sentences.append(texts.t("sum_shift_automate",
                             shift=texts.percent(key["verschuiven_share"]),
                             automate=texts.percent(key["automatiseren_share"]),
                             value=texts.percent(key["waardevol_share"])))
    sentences.append(texts.t("sum_repeat", share=texts.percent(key["repeat_share"])))
    types = tables["third_party_types"]
    types = types[types["third_party_type"] != "none"].sort_values("contacts", ascending=False)
    if len(types):
        first = types.iloc[0]
        sentences.append(texts.t("sum_third", share=texts.percent(key["third_party_share"]),
                                 top=texts.label("third_party_type", first.third_party_type),
                                 top_share=texts.percent(first.share)))
    else:
        sentences.append(texts.t("sum_third_none"))
    if len(projects):
        sentences.append(texts.t("sum_projects", n=texts.number(len(projects)),
                                 covered=texts.percent(backlog.in_projects
                                                       / max(backlog.prevent_contacts, 1)),
                                 min=texts.number(backlog.min_contacts),
                                 cost=texts.money(projects["saving_year"].sum())))
    return sentences


def top_projects(backlog: Backlog, texts: Texts, n: int = 5) -> list[str]:
    """One Dutch line per project of the top ``n``: what, how much, who."""
    return [texts.t("top_project", rank=row.rank, name=row.project,
                    per_month=texts.number(row.per_month), cost=texts.money(row.saving_year),
                    repeat=texts.percent(row.repeat_rate, 0), owner=row.owner or "–")
            for row in backlog.projects.head(n).itertuples()]
