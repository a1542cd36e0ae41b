"""`klantvraag status`: contacts without customer text are counted and named, never dropped."""

from pathlib import Path

from pipeline import ingest
from pipeline.status import contacts_without_customer_text, summaries

SHEETS = Path(__file__).resolve().parent / "fixtures" / "sheets"


def test_contact_with_only_an_agent_turn_is_counted_and_named(con, config):
    ingest.run(con, [SHEETS / "crm_export_puntkomma_cp1252.csv"], config.ingest)
    [empty] = contacts_without_customer_text(con)
    assert (empty.external_id, empty.channel, empty.reason) == ("T-1004", "chat", "alleen medewerker/bot")
    assert empty.path.endswith("crm_export_puntkomma_cp1252.csv")
    titles = {s.title: s for s in summaries(con, "test.duckdb")}
    block = titles["Contacten zonder klanttekst"]
    assert block.rows == [["alleen medewerker/bot", "chat", 1]]
    assert any("T-1004" in note for note in block.notes)


def test_contact_with_only_an_attachment_and_none_at_all(con, config):
    ingest.run(con, [SHEETS / "crm_export.xlsx"], config.ingest)
    con.execute("UPDATE messages SET text = '' WHERE role = 'customer' AND text LIKE 'Waar blijft%'")
    con.execute("INSERT INTO attachments SELECT message_id, 'foto.jpg', 'image/jpeg', 10 FROM messages "
                "WHERE role = 'customer' AND text = ''")
    con.execute("DELETE FROM messages WHERE contact_id = (SELECT contact_id FROM contacts "
                "WHERE external_id = 'T-1003')")
    found = {c.external_id: c.reason for c in contacts_without_customer_text(con)}
    assert found == {"T-1002": "alleen een bijlage", "T-1003": "geen berichten",
                     "T-1004": "alleen medewerker/bot"}


def test_no_block_when_every_contact_has_customer_text(con, config):
    ingest.run(con, [SHEETS / "berichten_per_regel.csv"], config.ingest)
    assert contacts_without_customer_text(con) == []
    assert "Contacten zonder klanttekst" not in {s.title for s in summaries(con, "x")}


def test_rows_and_conversations_without_any_text_are_kept_and_named(con, config, tmp_path):
    sheet = tmp_path / "leeg.csv"
    sheet.write_text("Datum;Onderwerp;Vraag;Antwoord\n03-09-2026;Terugbelverzoek;;\n"
                     "04-09-2026;Pakket;Waar is mijn pakket?;Onderweg\n")
    chat = tmp_path / "chat.json"
    chat.write_text('{"conversations": [{"id": "c-1", "messages": [{"from": "customer", "text": " "}]}]}')
    ingest.run(con, [sheet, chat], config.ingest)
    assert con.execute("SELECT count(*) FROM contacts").fetchone()[0] == 3
    found = {(c.external_id, c.reason) for c in contacts_without_customer_text(con)}
    assert found == {("leeg.csv#2", "klantbericht zonder tekst"), ("c-1", "klantbericht zonder tekst")}

