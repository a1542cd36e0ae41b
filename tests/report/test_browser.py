"""Open the report in headless Chromium: charts laid out, headline definition, heatmaps, a filter
and a drill-down work, and the page fetches nothing (its Content-Security-Policy refuses every
load, and a refused load is a console message; a planted image proves that check can fail).

Set KLANTVRAAG_REPORT_HTML to a written report (e.g. the demo's) to run the checks on it too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline import report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-extensions", "--hide-scrollbars"]
pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make browser)")]


def _chromium(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         *extra, url],
        capture_output=True, text=True, timeout=120, check=False)


def _dom(page: Path, profile: Path, fragment: str = "") -> tuple[str, list[str]]:
    result = _chromium(page.as_uri() + fragment, profile, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return result.stdout, console


def _data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="klantvraag-data">(.*?)</script>',
                      html, re.DOTALL)
    assert match
    return json.loads(match.group(1))


def _kpi(dom: str, name: str) -> str:
    match = re.search(rf'data-kpi="{name}">([^<]*)<', dom)
    assert match, name
    return match.group(1).strip()


def _pages(tmp_path_factory) -> list[Path]:
    from pipeline import store
    from pipeline.config import load_config
    from tests.report.synth import synthesise
    import dataclasses

    con = store.connect(":memory:")
    synthesise(con, 400, seed=3)
    out = tmp_path_factory.mktemp("browser")
    report.run(con, dataclasses.replace(load_config(None).report, output_dir=str(out)))
    con.close()
    pages = [out / "klantvraag-rapport.html"]
    if os.environ.get("KLANTVRAAG_REPORT_HTML"):
        pages.append(Path(os.environ["KLANTVRAAG_REPORT_HTML"]))
    return pages


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return _pages(tmp_path_factory)


def test_charts_headline_and_heatmaps(pages, tmp_path):
    for i, page in enumerate(pages):
        html = page.read_text("utf-8")
        dom, console = _dom(page, tmp_path / f"p{i}")
        assert console == [], console[:3]
        assert "Uncaught" not in dom
        expected = html.count('<div class="plot')
        assert expected >= 6
        assert re.search(r'data-charts-drawn="(\d+)"', dom).group(1) == str(expected)
        # The headline is 'voorkomen' only, with the other two beside it.
        key = _data(html)["figures"]["key"]
        share = f"{key['voorkomen_share'] * 100:.1f}%".replace(".", ",")
        assert _kpi(dom, "share-voorkomen") == share
        assert "vermijdbaar (voorkomen)" in dom
        assert _kpi(dom, "share-verschuiven") and _kpi(dom, "share-automatiseren")
        assert "Contact dat niet nodig had moeten zijn" in dom
        # Both heatmaps are drawn with a value in their cells.
        for chart in ("chart-heat-channel", "chart-heat-cause"):
            part = dom[dom.index(f'id="{chart}"'):]
            part = part[:part.index("</figure>")]
            assert 'class="hm"' in part and "heatmaplayer" in part, chart
            assert re.search(r'<text[^>]*>\d', part), chart


def test_filter_and_drill_down(pages, tmp_path):
    for i, page in enumerate(pages):
        data = _data(page.read_text("utf-8"))
        channels = [c["key"] for c in data["dims"]["channel"]]
        chat = channels.index("chat")
        expected = sum(n for c, n in zip(data["cols"]["ch"], data["cols"]["n"]) if c == chat)
        dom, console = _dom(page, tmp_path / f"f{i}", "#kanaal=chat&contacten=reden:0")
        assert console == []
        assert _kpi(dom, "contacts") == f"{expected:,}".replace(",", ".")
        panel = re.search(r'<aside id="drill"[^>]*>', dom).group(0)
        assert "hidden" not in panel and 'data-drill="reden:0"' in panel
        rows = int(re.search(r'data-rows="(\d+)"', panel).group(1))
        assert rows > 0
        body = dom[dom.index('id="drill-table"'):]
        body = body[:body.index("</table>")]
        texts = [t for _, t in data["drill"]["texts"]]
        shown = re.findall(r'<td class="q">([^<]*)</td>', body)
        assert len(shown) == rows and all(t.replace("&amp;", "&") in texts for t in shown)
        assert body.count(">Chat<") + body.count(">chat<") == rows  # only chat passes the filter
        if data["projects"]:
            pid = data["projects"][0]["id"]
            dom, _ = _dom(page, tmp_path / f"d{i}", f"#contacten=project:{pid}")
            panel = re.search(r'<aside id="drill"[^>]*>', dom).group(0)
            assert int(re.search(r'data-rows="(\d+)"', panel).group(1)) == len(
                data["drill"]["projects"][pid])


def test_page_fetches_nothing(pages, tmp_path):
    page = pages[0]
    _, console = _dom(page, tmp_path / "n0")
    assert console == []
    # The check can fail: the same page with one image from the web logs a refused load.
    planted = tmp_path / "planted.html"
    planted.write_text(page.read_text("utf-8").replace(
        "</footer>", '<img src="https://example.org/pixel.png" alt=""></footer>'), "utf-8")
    _, console = _dom(planted, tmp_path / "n1")
    assert any("example.org" in line for line in console), console


def test_screenshot(pages, tmp_path):
    shot = tmp_path / "klantvraag-rapport.png"
    result = _chromium(pages[0].as_uri(), tmp_path / "shot", "--window-size=1280,2400",
                       f"--screenshot={shot}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 50_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_stages_render_without_errors(con, report_config, tmp_path):
    """No reasons, tags or prepared text yet: the page still runs its script to the end."""
    from tests.report.synth import synthesise

    synthesise(con, 120, seed=2, text=False, reasons=False, tags=False)
    report.run(con, report_config)
    page = Path(report_config.output_dir) / "klantvraag-rapport.html"
    dom, console = _dom(page, tmp_path / "m0")
    assert console == []
    assert re.search(r'data-charts-drawn="(\d+)"', dom).group(1) == str(
        page.read_text("utf-8").count('<div class="plot'))
    assert _kpi(dom, "contacts") == "120"
