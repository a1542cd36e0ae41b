"""CRM spreadsheets and CSV read by their headers (pipeline/ingest/sheet.py)."""

from datetime import datetime
from pathlib import Path

import pytest

from pipeline.errors import InputFileError
from pipeline.ingest.archive import discover
from pipeline.ingest.detect import parse_file
from pipeline.ingest.sheet import load_sheet_rules, normalise, recognise, sheet_rules
from pipeline.resources import package_file, read_yaml

SHEETS = Path(__file__).resolve().parents[1] / "fixtures" / "sheets"
SAME_EXPORT = ["crm_export.xlsx", "crm_export_puntkomma_cp1252.csv",
               "crm_export_unicode_tekst.txt", "crm_export_english_utf8bom.csv"]


def contact(parsed, external_id):
    [found] = [c for c in parsed.contacts if c.external_id == external_id]
    return found, [m for m in parsed.messages if m.contact_id == found.contact_id]


@pytest.mark.parametrize("name", SAME_EXPORT)
def test_the_same_crm_export_in_every_shape(ctx_factory, name):
    parsed = parse_file((SHEETS / name).read_bytes(), ctx_factory(SHEETS / name))
    assert parsed.format == ("sheet_xlsx" if name.endswith(".xlsx") else "sheet_csv")
    assert [c.external_id for c in parsed.contacts] == ["T-1001", "T-1002", "T-1003", "T-1004"]
    assert [c.channel for c in parsed.contacts] == ["call", "email", "chat", "chat"]
    first, messages = contact(parsed, "T-1001")             # two rows of one ticket
    assert [m.role for m in messages] == ["customer", "agent", "customer", "agent"]
    assert messages[0].text == "Mijn factuur van september is € 12,50 te hoog. Hoe kan dat?"
    assert messages[1].author == "Sanne"
    assert first.started_at == datetime(2026, 9, 3, 14, 5)      # 03-09-2026: day first
    assert first.ended_at == datetime(2026, 9, 3, 15, 10)
    assert first.subject == "Factuur te hoog" and first.customer_key is not None
    _, opening = contact(parsed, "T-1003")
    assert "ideeën" in opening[0].text and opening[0].role == "customer"
    no_answer, only_question = contact(parsed, "T-1002")
    assert [m.role for m in only_question] == ["customer"]
    empty, agent_only = contact(parsed, "T-1004")               # kept, not dropped
    assert [m.role for m in agent_only] == ["agent"] and empty.started_at == datetime(2026, 9, 6, 11)


def test_the_same_ticket_gets_the_same_contact_id_from_every_shape(ctx_factory):
    ids = {name: [c.contact_id for c in parse_file((SHEETS / name).read_bytes(),
                                                    ctx_factory(SHEETS / name)).contacts]
           for name in SAME_EXPORT}
    assert len({tuple(v) for v in ids.values()}) == 1


def test_workbook_title_row_and_explanation_sheet(ctx_factory):
    parsed = parse_file((SHEETS / "crm_export.xlsx").read_bytes(), ctx_factory("crm_export.xlsx"))
    assert {c.meta["sheet"] for c in parsed.contacts} == {"Contacten"}   # not 'Toelichting'
    assert parsed.contacts[0].meta["kanaal"] == "Telefoon"


def test_message_per_row_export_with_a_sender_column(ctx_factory):
    path = SHEETS / "berichten_per_regel.csv"
    parsed = parse_file(path.read_bytes(), ctx_factory(path))
    assert [(c.external_id, c.channel) for c in parsed.contacts] == [("G-1", "chat"), ("G-2", "call")]
    _, chat = contact(parsed, "G-1")
    assert [(m.role, m.sent_at) for m in chat] == [("customer", datetime(2026, 8, 12, 10, 0)),
                                                   ("agent", datetime(2026, 8, 12, 10, 1))]
    _, call = contact(parsed, "G-2")
    assert [m.role for m in call] == ["customer", "system"]       # Interne notitie


def test_workbook_is_not_opened_as_a_zip_archive(tmp_path):
    target = tmp_path / "export.xlsx"
    target.write_bytes((SHEETS / "crm_export.xlsx").read_bytes())
    assert [item.name for item in discover([tmp_path])] == ["export.xlsx"]


def test_rows_without_id_are_one_contact_each_and_unknown_channel_is_kept(ctx_factory):
    data = ("Datum;Vraag;Kanaal\n03-09-2026;Waar is mijn pakket?;Balie\n"
            "04-09-2026;Kan ik opzeggen?;\n").encode()
    parsed = parse_file(data, ctx_factory("vragen.csv"))
    assert len(parsed.contacts) == 2 and [c.channel for c in parsed.contacts] == ["email", "email"]
    assert parsed.contacts[0].meta == {"kanaal": "Balie", "channel_assumed": True}
    assert parsed.contacts[0].external_id == "vragen.csv#2"


@pytest.mark.parametrize("data, message, where", [
    (b"Naam;Adres\nJan;Dorpsstraat 1\n", "geen kolom bevat de tekst van de klant (gevonden: Naam, Adres)", "kopregel"),
    (b"Datum;Vraag\n31-31-2026;Waar is mijn pakket?\n", "onleesbare datum '31-31-2026'", "regel 2"),
    ("Nr;Rol;Bericht\n1;Klant;Hoi\n1;Robot;Hallo\n".encode(), "onbekende rol 'Robot'", "regel 3"),
])
def test_errors_name_the_file_the_place_and_what_to_do(ctx_factory, data, message, where):
    with pytest.raises(InputFileError) as info:
        parse_file(data, ctx_factory("export.csv"))
    assert message in info.value.message and info.value.where == where and info.value.hint


def test_a_broken_workbook_is_an_input_error(ctx_factory):
    with pytest.raises(InputFileError, match="geen leesbaar werkblad"):
        parse_file(b"PK\x03\x04 not really a workbook", ctx_factory("kapot.xlsx"))


def test_header_examples_in_the_data_file():
    rules = load_sheet_rules()
    for example in rules.examples:
        found = recognise(example["headers"], rules)
        assert {f: example["headers"][i] for f, i in found.items()} == example["expect"]


@pytest.mark.parametrize("value, channel", [("Telefoon", "call"), ("telefonisch", "call"),
                                            ("E-mail", "email"), ("e mail", "email"),
                                            ("WhatsApp", "chat"), ("Live chat", "chat"),
                                            ("Webformulier", "email")])
def test_channel_values(value, channel):
    assert load_sheet_rules().channels[normalise(value)] == channel


def test_the_data_file_is_validated():
    data = read_yaml(package_file("ingest", "sheet_columns.yaml"))
    with pytest.raises(Exception, match="'fax' is not one of email, chat, call"):
        sheet_rules({**data, "channels": {"fax": ["Fax"]}}, "x.yaml")
    with pytest.raises(Exception, match="listed under two channels"):
        sheet_rules({**data, "channels": {"call": ["Chat"], "chat": ["Chat"]}}, "x.yaml")


def test_csv_with_a_title_line_and_a_repeated_header_name(ctx_factory):
    data = ("Export klantcontacten september 2026\n\n"
            "Nr;Notitie;Vraag;Notitie;Datum\n"
            "1;intern;Waar is mijn pakket?;nog een;03-09-2026 14:05\n").encode()
    parsed = parse_file(data, ctx_factory("export.csv"))
    [message] = parsed.messages
    assert message.text == "Waar is mijn pakket?" and message.sent_at == datetime(2026, 9, 3, 14, 5)


def test_excel_serial_number_in_a_date_cell(tmp_path, ctx_factory):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Vraag", "Datum"])
    book.active.append(["Kan ik opzeggen?", 46268.5])      # 3 September 2026, 12:00, no date format
    book.save(tmp_path / "serieel.xlsx")
    parsed = parse_file((tmp_path / "serieel.xlsx").read_bytes(), ctx_factory("serieel.xlsx"))
    assert parsed.contacts[0].started_at == datetime(2026, 9, 3, 12, 0)


def test_two_rows_of_one_ticket_keep_question_answer_order_in_the_store(con, config):
    from pipeline import ingest

    ingest.run(con, [SHEETS / "crm_export_puntkomma_cp1252.csv"], config.ingest)
    rows = con.execute("SELECT m.role, m.text FROM messages m JOIN contacts c USING (contact_id) "
                       "WHERE c.external_id = 'T-1001' ORDER BY m.seq").fetchall()
    assert [r[0] for r in rows] == ["customer", "agent", "customer", "agent"]
    assert rows[2][1] == "En krijg ik het verschil terug?"


def test_a_tiny_workbook_that_spans_a_huge_area_is_refused_before_it_is_built(ctx_factory,
                                                                                tmp_path):
    import openpyxl

    from pipeline.ingest.sheet import read_workbook

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["B1"] = "Onderwerp", "Omschrijving"
    sheet["ZZ30000"] = "x"             # 702 columns x 30.000 rows: 21 million cells, ~5 kB file
    path = tmp_path / "groot.xlsx"
    book.save(path)
    assert path.stat().st_size < 20_000
    with pytest.raises(InputFileError, match="cellen wordt niet ingelezen"):
        read_workbook(path.read_bytes(), ctx_factory(path))
