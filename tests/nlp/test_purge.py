"""`klantvraag purge --raw`: the raw text goes, the analysis stays, prepare has nothing to redo."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipeline import nlp
from pipeline.cli import app
from pipeline.errors import StageInputMissing
from pipeline.nlp.purge import mask_file_name, purge_raw
from tests.nlp.test_stage import CONTACTS, MESSAGES, load, rows

PERSONAL = ["06-12345678", "Jan de Vries", "kees de boer", "jan@example.nl", "Tom",
            "+31 6 1130 1866"]


def _store(con):
    contacts = [*CONTACTS, ("c-wa", "WhatsApp Chat met +31 6 1130 1866.txt", "chat", "whatsapp",
                            "Vraag van jan@example.nl")]
    messages = [*MESSAGES, ("c-wa", 0, "customer", "+31 6 1130 1866",
                            "hoi mijn postcode is 7522 vt enschede, waar blijft mijn bestelling")]
    load(con, contacts, messages)
    con.execute("INSERT INTO sources (source_id, path, size_bytes, status, first_seen_at) VALUES "
                "('src', 'export/WhatsApp Chat met +31 6 1130 1866.txt', 10, 'ingested', now())")
    con.execute("INSERT INTO attachments VALUES ('c-mail-0', 'factuur jan@example.nl.pdf', "
                "'application/pdf', 1000)")


def _everything(con) -> str:
    parts = []
    for table in ("messages", "contacts", "sources", "attachments"):
        parts += [str(row) for row in con.execute(f"SELECT * FROM {table}").fetchall()]
    return "\n".join(parts)


def test_purge_masks_raw_text_and_keeps_the_analysis(con, config):
    _store(con)
    nlp.run(con, config.nlp, workers=1)
    before = rows(con)
    assert any(p in _everything(con) for p in PERSONAL)
    summary = purge_raw(con, nlp.hash_salt(config.nlp))
    raw = _everything(con)
    for personal in PERSONAL:
        assert personal not in raw, personal
    assert "7522 vt" not in raw
    assert "[TELEFOON]" in raw and "klant" in raw
    # The analysis is untouched and prepare sees nothing to redo.
    assert rows(con).keys() == before.keys()
    assert all(rows(con)[k]["question_text"] == before[k]["question_text"] for k in before)
    again = nlp.run(con, config.nlp, workers=1)
    assert con.execute("SELECT counts->>'prepared' FROM runs WHERE command = 'prepare' "
                       "ORDER BY started_at DESC LIMIT 1").fetchone()[0] == "0"
    assert con.execute("SELECT value FROM settings WHERE key = 'raw_text_purged_at'").fetchone()
    assert summary.rows[0] == ["berichten", len(MESSAGES) + 1]
    assert again is not None


def test_purge_refuses_before_prepare(con, config):
    _store(con)
    with pytest.raises(StageInputMissing, match="klantvraag prepare"):
        purge_raw(con, nlp.hash_salt(config.nlp))
    assert "06-12345678" in _everything(con)  # nothing changed


def test_purge_command_needs_raw(tmp_path):
    result = CliRunner().invoke(app, ["purge", "--db", str(tmp_path / "k.duckdb")])
    assert result.exit_code == 1 and "--raw" in result.output


def test_file_names_are_masked_part_by_part():
    assert mask_file_name("chat/WhatsApp Chat met +31 6 1130 1866.txt") == \
        "chat/WhatsApp Chat met [TELEFOON].txt"
    assert mask_file_name("mail/jan@example.nl.eml").startswith("mail/[EMAIL]")
