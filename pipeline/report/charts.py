"""Charts as inline SVG strings (matplotlib's SVG backend, no pyplot and no global state).

Text stays text in the SVG (small, searchable, selectable); matplotlib escapes it, so a label
made of customer words cannot become markup.
"""

from __future__ import annotations

import io
import re

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from pipeline.report.figures import CATEGORIES, UNASSIGNED
from pipeline.report.i18n import Texts

CATEGORY_COLORS = {"voorkomen": "#c8553d", "verschuiven": "#f2a541",
                   "automatiseren": "#2d7dd2", "waardevol": "#5c9d6b"}
CHANNEL_COLORS = ["#1f4e79", "#3fa7a3", "#f2a541", "#8e6c8a", "#9aa5b1"]
SERIES_COLORS = ["#1f4e79", "#c8553d", "#3fa7a3", "#f2a541", "#8e6c8a", "#5c9d6b"]
INK, GRID = "#33404d", "#e3e8ee"
_RC = {
    "svg.fonttype": "none", "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"], "font.size": 10,
    "axes.edgecolor": GRID, "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": False,
}


def _svg(fig: Figure, name: str, title: str) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context({**_RC, "svg.hashsalt": name}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    # Inline SVG in HTML needs no namespaces or RDF metadata: keep the file free of any URL.
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    # Responsive: keep the viewBox, let CSS size it; name it for screen readers.
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", svg, count=1)
    safe_title = (title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                  .replace('"', "&quot;"))
    return svg.replace("<svg", f'<svg role="img" aria-label="{safe_title}" class="chart-svg"'
                               f' data-chart="{name}"', 1)


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), dpi=96)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(texts: Texts, key: str, label: str) -> str:
    return texts.t("unassigned") if key == UNASSIGNED else label


def reasons_bar(reasons: pd.DataFrame, texts: Texts, tagged: bool, top: int = 15) -> str:
    data = reasons.head(top).iloc[::-1]
    with matplotlib.rc_context(_RC):
        fig = _figure(9.0, 0.3 * len(data) + 0.9)
        ax = fig.add_subplot()
        labels = [_short(_label(texts, k, l)) for k, l in zip(data.reason_key, data.label)]
        y = np.arange(len(data))
        if tagged:
            left = np.zeros(len(data))
            for category in CATEGORIES:
                values = data[category].to_numpy(dtype=float)
                ax.barh(y, values, left=left, color=CATEGORY_COLORS[category], height=0.7,
                        label=texts.label("category", category))
                left += values
            untagged = data["contacts"].to_numpy(dtype=float) - left
            if untagged.sum() > 0:
                ax.barh(y, untagged, left=left, color="#c3ccd5", height=0.7)
            ax.legend(loc="lower right", frameon=False, fontsize=9)
        else:
            ax.barh(y, data["contacts"], color=SERIES_COLORS[0], height=0.7)
        ax.set_yticks(y, labels)
        _number_axis(ax.xaxis, texts)
        ax.xaxis.grid(True, color=GRID)
        ax.set_axisbelow(True)
        return _svg(fig, "reasons", texts.t("chart_reasons"))


def channel_week(frame: pd.DataFrame, texts: Texts) -> str:
    pivot = frame.pivot_table(index="week", columns="channel", values="contacts",
                              aggfunc="sum", fill_value=0).sort_index()
    with matplotlib.rc_context(_RC):
        fig = _figure(9.0, 3.0)
        ax = fig.add_subplot()
        x = np.arange(len(pivot))
        bottom = np.zeros(len(pivot))
        for i, channel in enumerate(pivot.columns):
            values = pivot[channel].to_numpy(dtype=float)
            ax.bar(x, values, bottom=bottom, color=CHANNEL_COLORS[i % len(CHANNEL_COLORS)],
                   width=0.8, label=texts.label("channel", channel))
            bottom += values
        _week_ticks(ax, pivot.index, texts)
        _number_axis(ax.yaxis, texts)
        ax.yaxis.grid(True, color=GRID)
        ax.set_axisbelow(True)
        ax.legend(loc="upper left", frameon=False, ncols=len(pivot.columns), fontsize=9,
                  bbox_to_anchor=(0, 1.12))
        return _svg(fig, "channel_week", texts.t("chart_channel_week"))


def reason_week(frame: pd.DataFrame, reasons: pd.DataFrame, texts: Texts, top: int = 6) -> str:
    keys = [k for k in reasons["reason_key"] if k != UNASSIGNED][:top]
    labels = dict(zip(reasons["reason_key"], reasons["label"]))
    pivot = frame[frame.reason_key.isin(keys)].pivot_table(
        index="week", columns="reason_key", values="contacts", aggfunc="sum",
        fill_value=0).sort_index()
    all_weeks = sorted(frame["week"].unique())
    pivot = pivot.reindex(all_weeks, fill_value=0)
    with matplotlib.rc_context(_RC):
        fig = _figure(9.0, 3.2)
        ax = fig.add_subplot()
        x = np.arange(len(pivot))
        for i, key in enumerate(k for k in keys if k in pivot.columns):
            ax.plot(x, pivot[key], color=SERIES_COLORS[i % len(SERIES_COLORS)], linewidth=2,
                    marker="o", markersize=3, label=_short(labels.get(key, key), 32))
        _week_ticks(ax, pivot.index, texts)
        _number_axis(ax.yaxis, texts)
        ax.yaxis.grid(True, color=GRID)
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
        return _svg(fig, "reason_week", texts.t("chart_reason_week"))


def avoidable_split(reasons: pd.DataFrame, texts: Texts, top: int = 15) -> str:
    data = reasons[reasons["tagged"] > 0].head(top).iloc[::-1]
    with matplotlib.rc_context(_RC):
        fig = _figure(9.0, 0.3 * len(data) + 1.0)
        ax = fig.add_subplot()
        y = np.arange(len(data))
        left = np.zeros(len(data))
        tagged = data["tagged"].to_numpy(dtype=float)
        for category in CATEGORIES:
            values = data[category].to_numpy(dtype=float) / tagged
            ax.barh(y, values, left=left, color=CATEGORY_COLORS[category], height=0.7,
                    label=texts.label("category", category))
            left += values
        ax.set_yticks(y, [_short(_label(texts, k, l)) for k, l in zip(data.reason_key, data.label)])
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: texts.percent(v, 0)))
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, ncols=4,
                  fontsize=9)
        return _svg(fig, "avoidable_split", texts.t("chart_avoidable"))


def value_matrix(reasons: pd.DataFrame, texts: Texts, top: int = 12) -> str:
    data = reasons[(reasons["tagged"] > 0) & (reasons["reason_key"] != UNASSIGNED)]
    with matplotlib.rc_context(_RC):
        fig = _figure(9.0, 5.6)
        ax = fig.add_subplot()
        shades = {"eliminate": (0, 0, "#fbe9e5"), "automate": (0.5, 0, "#e6f0fa"),
                  "simplify": (0, 0.5, "#fdf3e1"), "leverage": (0.5, 0.5, "#e8f3eb")}
        for quadrant, (x0, y0, color) in shades.items():
            ax.add_patch(matplotlib.patches.Rectangle((x0 - 0.05 * (x0 == 0), y0 - 0.05 * (y0 == 0)),
                                                      0.55, 0.55, color=color, zorder=0))
            ax.text(x0 + 0.25, y0 + 0.47, texts.label("quadrant", quadrant), ha="center",
                    va="top", fontsize=11, fontweight="bold", color="#7b8794")
        sizes = data["contacts"].to_numpy(dtype=float)
        scale = 1600 / max(sizes.max() if len(sizes) else 1, 1)
        colors = [CATEGORY_COLORS["voorkomen"] if q == "eliminate" else
                  CATEGORY_COLORS["waardevol"] if q == "leverage" else
                  CATEGORY_COLORS["verschuiven"] if q == "simplify" else
                  CATEGORY_COLORS["automatiseren"] for q in data["quadrant"]]
        ax.scatter(data["customer_value"], data["org_value"], s=sizes * scale + 20, c=colors,
                   alpha=0.65, edgecolors="white", linewidths=1, zorder=2)
        ax.set_xlim(-0.05, 1.05)
        ax.set_ylim(-0.05, 1.05)
        _place_labels(ax, fig, data.head(top))
        ax.set_xlim(-0.05, 1.05)
        ax.set_ylim(-0.05, 1.05)
        ax.axvline(0.5, color="#9aa5b1", linewidth=0.8)
        ax.axhline(0.5, color="#9aa5b1", linewidth=0.8)
        fmt = FuncFormatter(lambda v, _: texts.percent(v, 0))
        ax.xaxis.set_major_formatter(fmt)
        ax.yaxis.set_major_formatter(fmt)
        ax.set_xlabel(texts.t("matrix_x"))
        ax.set_ylabel(texts.t("matrix_y"))
        return _svg(fig, "value_matrix", texts.t("chart_matrix"))


def money_bars(labels: list[str], values: list[float], texts: Texts, name: str,
               title: str, color: str = SERIES_COLORS[1]) -> str:
    with matplotlib.rc_context(_RC):
        fig = _figure(9.0, 0.32 * len(labels) + 0.8)
        ax = fig.add_subplot()
        y = np.arange(len(labels))[::-1]
        bars = ax.barh(y, values, color=color, height=0.65)
        ax.set_yticks(y, [_short(label, 46) for label in labels])
        top = max(values) if values else 1
        for bar, value in zip(bars, values):
            ax.text(bar.get_width() + top * 0.01, bar.get_y() + bar.get_height() / 2,
                    texts.money(value), va="center", fontsize=8.5, color=INK)
        ax.set_xlim(0, top * 1.18 if top > 0 else 1)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: texts.money(v)))
        ax.xaxis.grid(True, color=GRID)
        ax.set_axisbelow(True)
        return _svg(fig, name, title)


def _place_labels(ax, fig: Figure, data: pd.DataFrame) -> None:
    """Label bubbles without overlap: each label moves down (then up) in steps of one line
    until its box is free; a thin leader line joins a moved label to its bubble."""
    to_points = 72 / fig.dpi
    placed: list[tuple[float, float, float, float]] = []
    line = 11.0
    for row in data.sort_values("contacts", ascending=False).itertuples():
        text = _short(row.label, 28)
        x, y = ax.transData.transform((row.customer_value, row.org_value)) * to_points
        width = 5.0 * len(text)
        flip = row.customer_value > 0.75  # near the right edge: label to the left
        x0 = x - 8 - width if flip else x + 8
        away = 1 if row.org_value < 0.5 else -1  # move away from the nearest edge first
        for step in [*(away * k for k in range(16)), *(-away * k for k in range(1, 16))]:
            y0 = y + step * line - 4
            box = (x0, y0, x0 + width, y0 + line)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                       for b in placed):
                break
        placed.append(box)
        ax.annotate(text, (row.customer_value, row.org_value),
                    xytext=(x0 - x, y0 - y + 4), textcoords="offset points", fontsize=8,
                    color=INK, zorder=3, va="bottom",
                    arrowprops={"arrowstyle": "-", "color": "#9aa5b1", "linewidth": 0.5,
                                "shrinkA": 0, "shrinkB": 3} if abs(y0 + 4 - y) > 1 else None)


def _number_axis(axis, texts: Texts) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _: texts.number(v)))


def _week_ticks(ax, weeks, texts: Texts) -> None:
    step = max(1, -(-len(weeks) // 7))
    positions = list(range(0, len(weeks), step))
    ax.set_xticks(positions, [texts.day_month(pd.Timestamp(weeks[i])) for i in positions])
    ax.tick_params(axis="x", labelsize=8.5)
