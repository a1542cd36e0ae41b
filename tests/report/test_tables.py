"""The exported tables and the workbook, read back as an analyst's tools would read them."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline import report, store
from pipeline.errors import ConfigError, ResourceError
from pipeline.report import tabular

FORMULA = "=HYPERLINK(\"http://x.example\",\"klik\")"


@pytest.fixture
def exported(filled, report_config):
    con, _ = filled
    # A customer who writes a formula, and one whose question starts with '@' and '-'.
    con.execute("UPDATE contact_text SET question_text = ? WHERE contact_id = (SELECT min("
                "contact_id) FROM contact_text WHERE NOT is_auto_reply)", [FORMULA])
    con.execute("UPDATE contact_text SET question_text = '@SUM(1)' WHERE contact_id = (SELECT "
                "max(contact_id) FROM contact_text WHERE NOT is_auto_reply)")
    report.run(con, report_config)
    return con, Path(report_config.output_dir)


def test_dutch_csv_round_trips_through_a_semicolon_decimal_comma_reader(exported):
    con, out = exported
    raw = (out / "tables" / "channels.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # BOM and CRLF for Dutch Excel
    frame = pd.read_csv(out / "tables" / "channels.csv", sep=";", decimal=",",
                        encoding="utf-8-sig")
    assert list(frame.columns)[:4] == ["Kanaalcode", "Kanaal", "Contacten", "Aandeel (%)"]
    assert frame["Contacten"].dtype.kind == "i"  # 1974, never '1974.0'
    assert frame["Aandeel (%)"].sum() == pytest.approx(100, abs=0.2)
    analysed = con.execute("SELECT count(*) FROM contacts c LEFT JOIN contact_text t "
                           "USING (contact_id) WHERE NOT coalesce(t.is_auto_reply, false)"
                           ).fetchone()[0]
    assert frame["Contacten"].sum() == analysed
    # Values are rounded: one decimal for shares, two for money.
    text = raw.decode("utf-8-sig")
    assert all(len(cell.split(",")[1]) <= 2 for line in text.splitlines()[1:]
               for cell in line.split(";") if cell.replace(",", "").isdigit() and "," in cell)


def test_contacts_table_has_calendar_and_labels_beside_every_key(exported):
    _, out = exported
    frame = pd.read_csv(out / "tables" / "contacts.csv", sep=";", decimal=",",
                        encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for key, label in (("Kanaalcode", "Kanaal"), ("Reden-id", "Reden"),
                       ("Thema-id", "Thema"), ("Subreden-id", "Subreden")):
        columns = list(frame.columns)
        assert columns.index(label) == columns.index(key) + 1
    assert frame["ISO-week"].str.fullmatch(r"\d{4}-W\d{2}").all()
    assert frame["Maand"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert set(frame["Herhaalcontact"]) <= {"ja", "nee", ""}


def test_formulas_from_customers_are_neutralised_in_csv_and_excel(exported):
    _, out = exported
    with open(out / "tables" / "contacts.csv", encoding="utf-8-sig", newline="") as handle:
        questions = [row["Vraag (gemaskeerd)"] for row in csv.DictReader(handle, delimiter=";")]
    assert "'" + FORMULA in questions and "'@SUM(1)" in questions
    assert not any(q.startswith(("=", "+", "-", "@")) for q in questions)
    book = openpyxl.load_workbook(out / "klantvraag-rapport.xlsx")
    cells = [c.value for row in book["Contacten"].iter_rows() for c in row]
    assert "'" + FORMULA in cells
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)


def test_parquet_has_real_types_and_no_null_columns(exported):
    _, out = exported
    for path in (out / "tables").glob("*.parquet"):
        schema = pq.read_schema(path)
        assert not any(str(f.type) == "null" for f in schema), path.name
    schema = pq.read_schema(out / "tables" / "contacts.parquet")
    assert str(schema.field("started_at").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("is_repeat").type) == "bool"
    assert str(schema.field("handling_minutes").type) == "double"
    # A column that is empty everywhere (no themes in this database) still has its type.
    assert str(schema.field("theme_label").type) == "string"
    assert str(pq.read_schema(out / "tables" / "channels.parquet").field("contacts").type) == "int64"


def test_data_dictionary_lists_every_column_of_every_table(exported):
    _, out = exported
    readme = (out / "tables" / "README.md").read_text("utf-8")
    for path in (out / "tables").glob("*.parquet"):
        assert f"## {path.stem}" in readme
        for name in pq.read_schema(path).names:
            assert f"| `{name}` |" in readme, (path.stem, name)


def test_international_dialect(filled, report_config):
    con, _ = filled
    report.run(con, dataclasses.replace(report_config, csv_dialect="international"))
    raw = (Path(report_config.output_dir) / "tables" / "channels.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    frame = pd.read_csv(Path(report_config.output_dir) / "tables" / "channels.csv")
    assert frame["Aandeel (%)"].sum() == pytest.approx(100, abs=0.2)
    with pytest.raises(ConfigError, match="CSV-dialect"):
        tabular.dialect("excel")


def test_workbook_has_excel_tables_charts_and_number_formats(exported):
    _, out = exported
    book = openpyxl.load_workbook(out / "klantvraag-rapport.xlsx")
    summary = book.worksheets[0]
    assert summary.title == "Samenvatting"
    assert len(summary._charts) == 3
    for sheet in book.worksheets[1:]:
        assert len(sheet.tables) == 1, sheet.title
    reasons = book["Contactredenen"]
    header = [c.value for c in reasons[1]]
    assert len(header) == len(set(header))  # never the same header twice
    assert "Reden-id" in header and "Contacten" in header and "reason_key" not in header
    table = next(iter(reasons.tables.values()))
    assert table.ref.startswith("A1:")
    contacts_col = header.index("Contacten")
    cell = reasons.cell(row=2, column=contacts_col + 1)
    assert isinstance(cell.value, int) and cell.number_format == "#,##0"
    money_col = header.index("Kosten vermijdbaar per jaar")
    assert "€" in reasons.cell(row=2, column=money_col + 1).number_format


def test_every_exported_column_must_be_described():
    with pytest.raises(ResourceError, match="not described"):
        tabular.typed(pd.DataFrame({"made_up_column": [1]}))
    with pytest.raises(ResourceError, match="unknown type"):
        tabular.validate_columns({"x": {"nl": "X", "en": "X", "type": "float", "doc": "d"}})
    with pytest.raises(ResourceError, match="exactly"):
        tabular.validate_columns({"x": {"nl": "X", "type": "int", "doc": "d"}})


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+31 6", "'+31 6"), ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1)", "'@SUM(1)"), ("\tx", "'\tx"), ("gewoon", "gewoon"), ("", ""), (None, None),
])
def test_neutralise(value, expected):
    assert tabular.neutralise(value) == expected


def test_contacts_table_is_the_same_whatever_the_batch_size(filled, report_config, monkeypatch):
    """The contacts table is streamed from the store in batches; a batch of 7 rows gives the same
    files as one batch, byte for byte."""
    from pipeline.report import tables

    con, _ = filled
    out = Path(report_config.output_dir) / "tables"
    report.run(con, report_config)
    whole = [(out / f"contacts.{kind}").read_bytes() for kind in ("csv", "parquet")]
    monkeypatch.setattr(tables, "CONTACT_BATCH", 7)
    for partition_rows in (tables.PARTITION_ROWS, 9):   # also read in ranges of started_at
        monkeypatch.setattr(tables, "PARTITION_ROWS", partition_rows)
        assert (len(tables._time_ranges(con)) > 2) == (partition_rows == 9)
        report.run(con, report_config)
        assert (out / "contacts.csv").read_bytes() == whole[0]
        assert pd.read_parquet(out / "contacts.parquet").equals(pd.read_parquet(
            __import__("io").BytesIO(whole[1])))
    assert whole[0].startswith(b"\xef\xbb\xbf") and whole[0].count(b"\xef\xbb\xbf") == 1
    assert not list(out.glob(".*.tmp"))


def test_a_failed_contacts_stream_leaves_the_previous_files(filled, report_config, monkeypatch):
    from pipeline.report import tables

    con, _ = filled
    out = Path(report_config.output_dir) / "tables"
    report.run(con, report_config)
    before = (out / "contacts.csv").read_bytes()
    monkeypatch.setattr(tables, "CONTACT_BATCH", 5)
    calls = {"n": 0}
    real = tabular.typed

    def typed_then_fail(frame):
        calls["n"] += 1
        if calls["n"] > 3 and "question_text" in frame:
            raise OSError("schijf vol")
        return real(frame)

    monkeypatch.setattr(tabular, "typed", typed_then_fail)
    with pytest.raises(OSError):
        report.run(con, report_config)
    assert (out / "contacts.csv").read_bytes() == before
    assert not list(out.glob(".*.tmp"))


def test_workbook_shows_the_most_recent_contacts_when_capped(filled, report_config, monkeypatch):
    from pipeline.report import excel

    con, _ = filled
    monkeypatch.setattr(excel, "MAX_CONTACT_ROWS", 25)
    report.run(con, report_config)
    out = Path(report_config.output_dir)
    book = openpyxl.load_workbook(out / "klantvraag-rapport.xlsx")
    sheet = book["Contacten"]
    header = [c.value for c in sheet[1]]
    shown = [row[header.index("Contact-id")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    every = pd.read_parquet(out / "tables" / "contacts.parquet")
    newest = every.dropna(subset=["started_at"]).sort_values(
        ["started_at", "contact_id"]).tail(25)["contact_id"].tolist()
    assert shown == newest
    summary = [c.value for row in book.worksheets[0].iter_rows() for c in row if c.value]
    assert any(str(v).startswith("Het blad Contacten toont de 25 meest recente van") for v in summary)


def test_time_ranges_cover_every_contact_once_in_order(monkeypatch):
    """Ranges cut at quantiles of started_at: equal times share a range, undated contacts come
    last, and read one after the other they give the order of one ORDER BY."""
    from pipeline.report import tables

    con = store.connect(":memory:")
    times = ["2026-01-0%d 10:00" % (1 + i % 5) if i % 7 else None for i in range(40)]
    con.executemany("INSERT INTO contacts (contact_id, external_id, channel, format, source_id, "
                    "started_at) VALUES (?, ?, 'mail', 'eml', 's', CAST(? AS TIMESTAMP))",
                    [(f"c{i:02d}", f"c{i:02d}", t) for i, t in enumerate(times)])
    monkeypatch.setattr(tables, "PARTITION_ROWS", 6)
    ranges = tables._time_ranges(con)
    assert 3 < len(ranges) <= 8 and ranges[-1] == ("c.started_at IS NULL", [])
    read = [row[0] for condition, params in ranges for row in con.execute(
        f"SELECT c.contact_id FROM contacts c WHERE {condition} "
        "ORDER BY c.started_at NULLS LAST, c.contact_id", params).fetchall()]
    assert read == [row[0] for row in con.execute(
        "SELECT contact_id FROM contacts ORDER BY started_at NULLS LAST, contact_id").fetchall()]


@pytest.mark.parametrize("limit", [1, 5, 34, 38, 60])
def test_recent_ranges_hold_the_newest_contacts(limit):
    """The workbook's newest contacts are read from a range that holds them (never a LIMIT over
    the whole join): the same rows as one ORDER BY ... LIMIT, undated ones last."""
    from pipeline.report import tables

    con = store.connect(":memory:")
    times = ["2026-01-0%d 10:00" % (1 + i % 5) if i % 7 else None for i in range(40)]
    con.executemany("INSERT INTO contacts (contact_id, external_id, channel, format, source_id, "
                    "started_at) VALUES (?, ?, 'mail', 'eml', 's', CAST(? AS TIMESTAMP))",
                    [(f"c{i:02d}", f"c{i:02d}", t) for i, t in enumerate(times)])
    order = "c.started_at DESC NULLS LAST, c.contact_id DESC"
    read = [row[0] for condition, params in tables._recent_ranges(con, limit)
            for row in con.execute(f"SELECT c.contact_id FROM contacts c WHERE {condition} "
                                   f"ORDER BY {order} LIMIT {limit}", params).fetchall()]
    assert read[:limit] == [row[0] for row in con.execute(
        f"SELECT c.contact_id FROM contacts c ORDER BY {order} LIMIT {limit}").fetchall()]
    assert len(read) == min(limit, 40)
