"""`klantvraag inspect`: what ingest would read, per file, without a database."""

import json
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.ingest.inspect import inspect_paths, summaries

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"


def by_name(report):
    return {Path(f.path.split("!/")[-1]).name: f for f in report.files}


def test_recognised_files_with_counts_fields_channels_roles_and_dates(config):
    report = inspect_paths([FIXTURES / "sheets" / "crm_export.xlsx",
                            FIXTURES / "sheets" / "berichten_per_regel.csv"], config.ingest)
    files = by_name(report)
    sheet = files["crm_export.xlsx"]
    assert (sheet.status, sheet.format, sheet.recognised_as) == ("herkend", "sheet_xlsx", "CRM-sheet 'Contacten'")
    assert (sheet.contacts, sheet.messages, sheet.without_customer_text) == (4, 8, 1)
    assert sheet.channels == {"chat": 2, "call": 1, "email": 1}
    assert sheet.roles == {"customer": 4, "agent": 4}
    assert sheet.fields["question"] == "Omschrijving" and sheet.fields["channel"] == "Kanaal"
    assert (f"{sheet.first:%d-%m-%Y %H:%M}", f"{sheet.last:%d-%m-%Y %H:%M}") == ("03-09-2026 14:05",
                                                                                 "06-09-2026 11:00")
    assert files["berichten_per_regel.csv"].roles == {"customer": 2, "agent": 1, "system": 1}


def test_unrecognised_file_names_why_and_the_closest_shape(config, tmp_path):
    (tmp_path / "export.json").write_text(json.dumps(
        {"conversations": [{"id": 1, "berichten": []}]}))
    (tmp_path / "klanten.csv").write_text("Naam;Adres\nJan;Dorpsstraat 1\n")
    files = by_name(inspect_paths([tmp_path], config.ingest))
    chat = files["export.json"]
    assert chat.status == "niet herkend" and "geen chat-mapping past" in chat.reason
    assert chat.closest.startswith("lijkt het meest op mapping generic") and "mist: messages" in chat.closest
    assert "klanttekst" in files["klanten.csv"].closest


def test_skipped_files_say_why(config, tmp_path):
    (tmp_path / "README.md").write_text("uitleg")
    data = (FIXTURES / "sheets" / "berichten_per_regel.csv").read_bytes()
    (tmp_path / "a.csv").write_bytes(data)
    (tmp_path / "b.csv").write_bytes(data)
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as archive:
        archive.writestr("../weg.txt", "x")
    files = by_name(inspect_paths([tmp_path], config.ingest))
    assert files["b.csv"].status == "overgeslagen" and "zelfde inhoud als" in files["b.csv"].reason
    assert "ignore ('README*')" in files["README.md"].reason
    assert "buiten het archief" in files["weg.txt"].reason


def test_mails_are_threaded_into_contacts_across_files(config):
    report = inspect_paths([DATA / "email" / "01_root_qp.eml", DATA / "email" / "02_reply_alternative.eml"],
                           config.ingest)
    files = by_name(report)
    assert files["01_root_qp.eml"].contacts == 1 and files["02_reply_alternative.eml"].contacts == 0
    assert sum(f.messages for f in report.files) == 2


def test_summary_table_and_notes_are_dutch(config):
    [table] = summaries(inspect_paths([FIXTURES / "sheets" / "crm_export.xlsx"], config.ingest))
    assert table.columns == ["bestand", "herkend als", "contacten", "berichten", "periode"]
    assert table.rows == [["crm_export.xlsx", "sheet_xlsx (CRM-sheet 'Contacten')", 4, 8,
                           "03-09-2026 t/m 06-09-2026"]]
    assert "1 zonder klanttekst" in table.notes[0] and "question ← Omschrijving" in table.notes[0]


def test_cli_inspect_json_and_no_database_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["inspect", str(FIXTURES / "mappings" / "05_channel" / "export.json"),
                                      "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["totals"]["not_recognised"] == 1      # no mapping configured for it
    assert not (tmp_path / "data").exists()
    config = tmp_path / "klantvraag.toml"
    config.write_text('[ingest]\nchat_mapping_files = ["%s"]\n'
                      % (FIXTURES / "mappings" / "05_channel" / "mapping.yaml"))
    result = CliRunner().invoke(app, ["inspect", str(FIXTURES / "mappings" / "05_channel" / "export.json"),
                                      "--json", "--config", str(config)])
    [file] = json.loads(result.output)["files"]
    assert file["channels"] == {"call": 1, "chat": 1, "email": 1}
    assert file["recognised_as"] == "mapping contactmomenten"
    table = CliRunner().invoke(app, ["inspect", str(FIXTURES / "sheets" / "crm_export.xlsx")])
    assert table.exit_code == 0 and "crm_export.xlsx" in table.output and "herkend als" in table.output


def test_tickets_are_joined_with_their_comment_files_as_ingest_does(config, tmp_path):
    import shutil

    zendesk = FIXTURES / "vendors" / "zendesk"
    shutil.copy(zendesk / "incremental_tickets_cursor.json", tmp_path / "page.json")
    shutil.copytree(zendesk / "tickets", tmp_path / "tickets")
    files = by_name(inspect_paths([tmp_path], config.ingest))
    page = files["page.json"]
    assert page.contacts == 3 and page.messages == 7     # the comments counted on their ticket
    assert page.roles["customer"] >= 2
    assert all(f.contacts == 0 for name, f in files.items() if name == "comments.json")


def test_file_names_are_masked_in_the_summary(config, tmp_path):
    (tmp_path / "WhatsApp Chat met +31 6 12345678.txt").write_text(
        "[12-09-2026 10:01:02] Klant: Waar blijft mijn pakket?\n", "utf-8")
    text = "\n".join(str(row) + "\n".join(s.notes) for s in summaries(
        inspect_paths([tmp_path], config.ingest)) for row in s.rows)
    assert "12345678" not in text


def test_a_hostile_file_is_that_files_error_not_the_end_of_inspect(config, tmp_path):
    (tmp_path / "diep.json").write_text("[" * 5000 + "]" * 5000)
    (tmp_path / "vraag.eml").write_bytes((DATA / "email" / "01_root_qp.eml").read_bytes())
    files = by_name(inspect_paths([tmp_path], config.ingest))
    assert files["diep.json"].status == "niet herkend" and "diep" in files["diep.json"].reason
    assert files["vraag.eml"].status == "herkend"
