"""Charts: Plotly, drawn in the browser from the report's own data (explore.py), no network.

plotly.min.js ships with the plotly package and is inlined once. Python fixes what every chart
shares (colours, Dutch separators, fonts) so the page script only lays out data.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from markupsafe import Markup

from pipeline.errors import ResourceError
from pipeline.report.i18n import Texts

CATEGORY_COLORS = {"voorkomen": "#c8553d", "verschuiven": "#f2a541",
                   "automatiseren": "#2d7dd2", "waardevol": "#5c9d6b"}
BAND = "#1f4e79"
HEAT = [[0.0, "#f5f7fa"], [0.15, "#c9daea"], [0.5, "#5b8db8"], [1.0, "#1f4e79"]]


@lru_cache(maxsize=1)
def plotly_js() -> Markup:
    """The Plotly bundle as text, for one inline <script> (it carries no customer data)."""
    try:
        text = resources.files("plotly").joinpath("package_data", "plotly.min.js").read_text(
            "utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ResourceError("plotly.min.js not found: the report needs the plotly package",
                            path="plotly/package_data/plotly.min.js") from exc
    # A literal '</script' inside the bundle would end our <script> element early.
    return Markup(text.replace("</script", "<\\/script"))


def style(texts: Texts) -> dict[str, Any]:
    """Colours, number separators and the words the page script puts on charts."""
    words = ("chart_contacts", "chart_week_partial", "chart_all_contacts", "chart_per_week",
             "chart_saving", "drill_none", "drill_reason", "drill_project", "drill_filtered",
             "trend_up", "trend_down", "trend_none", "cause_process", "col_channel",
             "col_reason", "col_cause", "col_theme", "kpi_per_year", "chart_prevent_contacts")
    return {
        "lang": texts.lang,
        "separators": ",." if texts.lang == "nl" else ".,",
        "currency": texts.money(0).replace("0", "").strip(),
        "categories": CATEGORY_COLORS, "band": BAND, "heat": HEAT,
        "words": {w: texts.t(w) for w in words},
    }
