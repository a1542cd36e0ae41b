"""Open the report in headless Chromium: charts laid out, no console errors, a screenshot."""

from __future__ import annotations

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


def _chromium(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         *extra, url],
        capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make browser)")
def test_report_renders_in_chromium(filled, report_config, tmp_path):
    con, _ = filled
    report.run(con, report_config)
    page = Path(report_config.output_dir) / "klantvraag-rapport.html"
    html = page.read_text("utf-8")
    expected_charts = html.count('class="chart-svg"')
    assert expected_charts >= 6

    dom = _chromium(page.as_uri(), tmp_path / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    # Our script ran to its end and every chart was laid out with a real size.
    match = re.search(r'data-charts-drawn="(\d+)"', dom.stdout)
    assert match, "the report's script did not run"
    assert int(match.group(1)) == expected_charts
    # Any console message (errors, failed loads, CSP) is printed as CONSOLE; we log nothing.
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    assert "Uncaught" not in dom.stderr

    shot = tmp_path / "klantvraag-rapport.png"
    result = _chromium(page.as_uri(), tmp_path / "profile-shot", "--window-size=1280,2400",
                       f"--screenshot={shot}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 50_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
