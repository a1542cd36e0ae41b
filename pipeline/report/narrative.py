"""The summary in plain sentences, built from the figures (words from texts.yaml)."""

from __future__ import annotations

import pandas as pd

from pipeline.report.figures import UNASSIGNED, Figures
from pipeline.report.i18n import Texts


def _join(parts: list[str], texts: Texts) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    last = " en " if texts.lang == "nl" else " and "
    return ", ".join(parts[:-1]) + last + parts[-1]


def summary(fig: Figures, projects: pd.DataFrame, texts: Texts) -> list[str]:
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
    top3 = projects.head(3)
    if len(top3):
        parts = [texts.t("sum_project_part", label=row.project, cost=texts.money(row.saving_year))
                 for row in top3.itertuples()]
        sentences.append(texts.t("sum_projects", projects=_join(parts, texts),
                                 cost=texts.money(top3["saving_year"].sum())))
    return sentences
