"""The written report: files, offline, escaped, reconciling with the store, idempotent."""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from pipeline import report

INJECTED = ('<script>alert("x")</script><img src=x onerror=alert(1)> '
            '<a href="javascript:alert(2)">klik</a> =HYPERLINK("http://evil.example","y")')


@pytest.fixture(scope="module")
def written(tmp_path_factory, config_module):
    """One report over the synthetic store, shared by the read-only checks below."""
    from pipeline import store
    from tests.report.synth import synthesise

    con = store.connect(":memory:")
    synthesise(con, 400, seed=3)
    cfg = dataclasses.replace(config_module.report,
                              output_dir=str(tmp_path_factory.mktemp("report") / "reports"))
    summary = report.run(con, cfg)
    yield con, cfg, summary
    con.close()


@pytest.fixture(scope="module")
def config_module():
    from pipeline.config import load_config

    return load_config(None)


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "nav", "main", "section",
    "footer", "div", "span", "h1", "h2", "h3", "p", "a", "ul", "li", "table", "thead", "tbody",
    "tr", "th", "td", "details", "summary", "blockquote", "figure", "figcaption", "strong", "em",
    "br", "script", "aside", "button", "select", "input", "label", "q", "ol", "dl", "dt", "dd",
}


def _markup(html: str) -> tuple[set[str], set[str]]:
    """All element and attribute names a browser would see."""
    from html.parser import HTMLParser

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags: set[str] = set()
            self.attributes: set[str] = set()

        def handle_starttag(self, tag, attrs):
            self.tags.add(tag)
            self.attributes.update(name for name, _ in attrs)

    parser = Collect()
    parser.feed(html)
    return parser.tags, parser.attributes


def _data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="klantvraag-data">(.*?)</script>',
                      html, re.DOTALL)
    assert match, "the report's data JSON is embedded"
    return json.loads(match.group(1))


def _figures(html: str) -> dict:
    return _data(html)["figures"]


def _own(html: str) -> str:
    """The page without the Plotly bundle (a library full of URLs and markup in strings)."""
    from pipeline.report.charts import plotly_js

    bundle = str(plotly_js())
    assert html.count(bundle) == 1, "Plotly is inlined exactly once"
    return html.replace(bundle, "")


def test_run_writes_html_excel_and_tables(written):
    con, report_config, summary = written
    out = Path(report_config.output_dir)
    html = (out / "klantvraag-rapport.html").read_text("utf-8")
    assert (out / "klantvraag-rapport.xlsx").stat().st_size > 0
    for name in ("reasons", "sub_reasons", "projects", "third_party_types", "contacts",
                 "quality"):
        assert (out / "tables" / f"{name}.csv").exists()
        assert (out / "tables" / f"{name}.parquet").exists()
    listed = [row[0] for row in summary.rows]
    assert str(out / "klantvraag-rapport.html") in listed
    assert str(out / "klantvraag-rapport.xlsx") in listed
    assert summary.notes and not summary.warnings
    assert con.execute("SELECT status FROM runs WHERE command = 'report'").fetchone()[0] == "ok"
    # The base table is temporary: nothing of the report stays in the store.
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_report%'"
                       ).fetchone()[0] == 0
    # Every section is there, in Dutch, with Dutch numbers.
    for heading in ("Samenvatting", "Contactredenen", "Hoe, wat en waar", "Derde partijen",
                    "Preventieprojecten", "Datakwaliteit"):
        assert f">{heading}</h2>" in html
    key = _figures(html)["key"]
    assert f"{key['contacts']:,}".replace(",", ".") in html
    assert html.count('<div class="plot') >= 6


def test_report_is_self_contained(written):
    _, report_config, _ = written
    html = _own((Path(report_config.output_dir) / "klantvraag-rapport.html").read_text("utf-8"))
    assert "default-src 'none'" in html  # the browser refuses any load (tests/report/test_browser)
    assert not re.search(r"(?i)https?:|ftp:|//[a-z0-9.-]+\.[a-z]{2,}/", html)
    assert not re.search(r"(?i)<(link|img|iframe|object|embed)\b", html)
    assert not re.search(r"(?i)\bsrc\s*=|@import|url\((?!#)", html)  # url(#clip) is internal
    assert not re.search(r"(?i)<script[^>]*\bsrc", html)


def test_figures_and_tables_reconcile_with_sql(written):
    con, report_config, _ = written
    out = Path(report_config.output_dir)
    figures = _figures((out / "klantvraag-rapport.html").read_text("utf-8"))
    analysed = """FROM contacts c LEFT JOIN contact_text t USING (contact_id)
                  LEFT JOIN contact_reasons r USING (contact_id)
                  LEFT JOIN contact_tags g USING (contact_id)
                  WHERE NOT coalesce(t.is_auto_reply, false)"""
    n, avoidable, third = con.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE g.avoidable_category = 'voorkomen'),
               count(*) FILTER (WHERE g.third_party_type IS NOT NULL) {analysed}""").fetchone()
    assert (figures["key"]["contacts"], figures["key"]["avoidable"],
            figures["key"]["third_party"]) == (n, avoidable, third)
    per_reason = dict(con.execute(
        f"SELECT coalesce(r.reason_id, '_unassigned'), count(*) {analysed} GROUP BY 1").fetchall())
    assert figures["reasons"] == per_reason
    per_channel = dict(con.execute(f"SELECT c.channel, count(*) {analysed} GROUP BY 1").fetchall())
    assert figures["channels"] == per_channel
    # The CSV tables say the same as the HTML.
    # (Dutch Excel dialect: ';', decimal comma, UTF-8 with BOM; Dutch headers.)
    with open(out / "tables" / "reasons.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {row["Reden-id"]: int(row["Contacten"])
                for row in csv.DictReader(handle, delimiter=";")}
    assert rows == per_reason
    projects = pd.read_parquet(out / "tables" / "projects.parquet")
    assert projects["saving_year"].round(2).tolist() == [
        round(p["saving_year"], 2) for p in figures["projects"]]
    contacts = pd.read_parquet(out / "tables" / "contacts.parquet")
    assert len(contacts) == n and "question_text" in contacts and "text" not in contacts
    # The page's count cube (what the filters re-count) adds up to the same contacts.
    data = _data((out / "klantvraag-rapport.html").read_text("utf-8"))
    cols, dims = data["cols"], data["dims"]
    assert sum(cols["n"]) == n and all(k > 0 for k in cols["n"])
    cube = {}
    for r, k in zip(cols["rs"], cols["n"]):
        cube[dims["reason"][r]["key"]] = cube.get(dims["reason"][r]["key"], 0) + k
    assert cube == per_reason
    repeats = con.execute(f"SELECT count(*) {analysed} AND g.is_repeat").fetchone()[0]
    assert sum(cols["rp"]) == repeats > 0


def test_customer_text_stays_inert(filled, report_config):
    con, _ = filled
    con.execute("UPDATE contact_text SET question_text = ? WHERE contact_id IN "
                "(SELECT contact_id FROM contact_text WHERE NOT is_auto_reply LIMIT 30)",
                [INJECTED])
    con.execute("UPDATE reasons SET label = '<b onmouseover=alert(3)>vet</b>', "
                "description = '</script><script>alert(4)</script>', "
                "keywords = '[\"<i>k</i>\"]', examples = ?", [json.dumps([INJECTED])])
    con.execute("UPDATE contact_tags SET party = '<svg onload=alert(5)>' "
                "WHERE third_party_type = 'carrier'")
    con.execute("UPDATE sources SET error = '<iframe src=javascript:alert(6)></iframe>', "
                "path = 'export/<u>x</u>.eml' WHERE status = 'error'")
    # Raw message text is never read: only the masked columns of contact_text.
    con.execute("INSERT INTO messages (message_id, contact_id, seq, role, text, source_id) "
                "SELECT 'raw-' || contact_id, contact_id, 1, 'customer', "
                "'ONGEMASKEERD jan.jansen@example.nl 0612345678', source_id FROM contacts")
    report.run(con, report_config)
    out = Path(report_config.output_dir)
    html = (out / "klantvraag-rapport.html").read_text("utf-8")
    for path in [out / "klantvraag-rapport.html", *(out / "tables").glob("*.csv")]:
        assert "ONGEMASKEERD" not in path.read_text("utf-8"), path
    assert html.count("<script") == 3  # the data JSON, Plotly and our own script
    html = _own(html)
    for raw in ("<script>alert", "<img", "<b onmouseover", "<svg onload", "<iframe", "<u>x",
                "<i>k</i>", 'href="javascript', "</script><script>"):
        assert raw not in html, raw
    assert "&lt;script&gt;alert(" in html
    assert "&lt;b onmouseover=alert(3)&gt;vet&lt;/b&gt;" in html
    assert "&lt;svg onload=alert(5)&gt;" in html
    tags, attributes = _markup(html)
    assert not any(name.startswith("on") for name in attributes)  # no event handlers
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    # In Excel a customer's '=' stays text, never a formula.
    with zipfile.ZipFile(out / "klantvraag-rapport.xlsx") as book:
        sheets = [book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/")]
        shared = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in \
            book.namelist() else ""
    assert not any("<f>" in sheet for sheet in sheets)
    assert "HYPERLINK" in shared or any("HYPERLINK" in sheet for sheet in sheets)


def test_english_report(filled, report_config):
    con, _ = filled
    report.run(con, dataclasses.replace(report_config, lang="en"))
    out = Path(report_config.output_dir)
    html = (out / "klantvraag-report.html").read_text("utf-8")
    assert '<html lang="en">' in html and ">Prevention projects</h2>" in html
    key = _figures(html)["key"]
    assert f"{key['avoidable_share'] * 100:.1f}%" in html  # 12.3%, not 12,3%
    assert f"€{key['avoidable_cost_year']:,.0f}" in html
    assert "Samenvatting" not in html


def test_rerun_gives_the_same_tables(written, tmp_path):
    con, report_config, _ = written
    first = {p.name: p.read_bytes() for p in (Path(report_config.output_dir) / "tables").glob("*")}
    report.run(con, dataclasses.replace(report_config, output_dir=str(tmp_path)))
    second = {p.name: p.read_bytes() for p in (tmp_path / "tables").glob("*")}
    assert first.keys() == second.keys()
    assert {k: v for k, v in first.items() if k.endswith(".csv")} == \
        {k: v for k, v in second.items() if k.endswith(".csv")}


def test_report_without_reasons_or_tags_says_so(con, report_config):
    from tests.report.synth import synthesise

    synthesise(con, 80, seed=11, reasons=False, tags=False)
    summary = report.run(con, report_config)
    html = (Path(report_config.output_dir) / "klantvraag-rapport.html").read_text("utf-8")
    assert "Nog niet beschikbaar" in html and "klantvraag reasons" in html
    assert any("klantvraag tag" in w for w in summary.warnings)


def test_invalid_config_is_a_config_error(filled, report_config):
    from pipeline.errors import ConfigError

    con, _ = filled
    with pytest.raises(ConfigError, match="cost_per_minute"):
        report.run(con, dataclasses.replace(report_config, cost_per_minute=-1.0))
    with pytest.raises(ConfigError, match="niet ondersteund"):
        report.run(con, dataclasses.replace(report_config, lang="fr"))
    with pytest.raises(ConfigError, match="tussen 0 en 1"):
        report.run(con, dataclasses.replace(report_config, removal_rate={"voorkomen": 1.5}))
    with pytest.raises(ConfigError, match="onbekende categorieën: waardevol"):
        report.run(con, dataclasses.replace(report_config, removal_rate={"waardevol": 0.1}))


def test_page_with_and_without_themes(filled, report_config):
    con, _ = filled
    report.run(con, report_config)
    page = Path(report_config.output_dir) / "klantvraag-rapport.html"
    html = page.read_text("utf-8")
    assert "<th>Thema</th>" in html and "Bezorging" in html and "nog geen thema" not in html
    assert _data(html)["themes"] is True
    con.execute("UPDATE contact_reasons SET theme_id = NULL")
    con.execute("UPDATE reasons SET theme_id = NULL")
    con.execute("DELETE FROM themes")
    report.run(con, report_config)
    html = page.read_text("utf-8")
    assert "<th>Thema</th>" not in html and "nog geen thema" in html
    assert _data(html)["themes"] is False


def test_sub_reasons_are_listed_under_their_reason(written):
    con, report_config, _ = written
    out = Path(report_config.output_dir)
    html = (out / "klantvraag-rapport.html").read_text("utf-8")
    subs = con.execute("SELECT s.label, count(*) FROM contact_reasons cr JOIN sub_reasons s "
                       "USING (sub_reason_id) JOIN contact_text t USING (contact_id) "
                       "WHERE NOT t.is_auto_reply GROUP BY ALL").fetchall()
    assert len(subs) == 2
    row = html[html.index(">levering vertraagd</button>"):]
    row = row[:row.index("</tr>")]
    for label, count in subs:
        assert f"{label} ({count})" in row
    import zipfile

    with zipfile.ZipFile(out / "klantvraag-rapport.xlsx") as book:
        assert 'name="Subredenen"' in book.read("xl/workbook.xml").decode()
