"""`klantvraag prepare` on the store: rows, idempotence, incremental updates, bookkeeping."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pytest

from pipeline import nlp
from pipeline.errors import StageInputMissing

CONTACTS = [
    ("c-mail", "m-1", "email", "eml", "Waar blijft mijn pakket?"),
    ("c-call", "gesprek_1.txt", "call", "transcript_txt", None),
    ("c-ooo", "m-9", "email", "eml", "Automatisch antwoord: Re: uw retour"),
    ("c-en", "chat-7", "chat", "chat_json", None),
]
MESSAGES = [
    ("c-mail", 0, "customer", "Jan de Vries",
     "Goedemiddag,\n\nMijn pakket is nog steeds niet bezorgd. Bel me op 06-12345678.\n\n"
     "Met vriendelijke groet,\nJan de Vries"),
    ("c-mail", 1, "agent", "Klantenservice Voorbeeldwinkel",
     "Beste Jan,\n\nIk heb navraag gedaan bij PostNL.\n\nMet vriendelijke groet,\nLotte"),
    ("c-call", 0, "agent", "Spreker 1", "goedemiddag u spreekt met sanne van voorbeeldwinkel"),
    ("c-call", 1, "customer", "Spreker 2", "ja goedemiddag met kees de boer"),
    ("c-call", 2, "customer", "Spreker 2", "ik wil mijn abonnement opzeggen want ik gebruik het niet"),
    ("c-ooo", 0, "customer", "Anne", "Ik ben afwezig tot en met 24 augustus."),
    ("c-en", 0, "bot", "Vera", "Hoi! Waar kan ik je mee helpen?"),
    ("c-en", 1, "customer", "Tom", "Hello, my order never arrived and nobody answers my emails."),
]


def load(con, contacts=CONTACTS, messages=MESSAGES) -> None:
    c = pd.DataFrame(contacts, columns=["contact_id", "external_id", "channel", "format", "subject"])
    c["source_id"] = "src"
    c["n_messages"] = 1
    m = pd.DataFrame(messages, columns=["contact_id", "seq", "role", "author", "text"])
    m["message_id"] = m["contact_id"] + "-" + m["seq"].astype(str)
    m["source_id"] = "src"
    m["sent_at"] = datetime(2026, 8, 12, 10, 0)
    con.execute("INSERT INTO contacts (contact_id, external_id, channel, format, source_id, subject, "
                "n_messages) SELECT contact_id, external_id, channel, format, source_id, subject, "
                "n_messages FROM c")
    con.execute("INSERT INTO messages (message_id, contact_id, seq, role, sent_at, author, text, "
                "source_id) SELECT message_id, contact_id, seq, role, sent_at, author, text, "
                "source_id FROM m")


def rows(con) -> dict[str, dict]:
    frame = con.execute("SELECT * FROM contact_text ORDER BY contact_id").df()
    return {r["contact_id"]: r for r in frame.to_dict("records")}


def test_prepare_writes_one_row_per_contact(con, config):
    load(con)
    summary = nlp.run(con, config.nlp)
    got = rows(con)
    assert set(got) == {"c-mail", "c-call", "c-ooo", "c-en"}
    mail = got["c-mail"]
    assert mail["question_text"] == "Mijn pakket is nog steeds niet bezorgd. Bel me op [TELEFOON]."
    assert mail["agent_text"] == "Ik heb navraag gedaan bij PostNL."
    assert {"pakket", "nog", "niet", "bezorgen"} <= set(mail["question_lemmas"].split())
    assert json.loads(mail["pii_counts"])["TELEFOON"] == 1
    assert mail["language"] == "nl" and not mail["is_auto_reply"]
    assert got["c-call"]["question_text"] == "ik wil mijn abonnement opzeggen want ik gebruik het niet"
    assert "kees" not in got["c-call"]["customer_text"]
    assert got["c-ooo"]["is_auto_reply"] and got["c-ooo"]["auto_reply_kind"] == "out_of_office"
    assert got["c-en"]["language"] == "en" and got["c-en"]["bot_text"]
    languages = dict(con.execute("SELECT contact_id, language FROM contacts").fetchall())
    assert languages["c-en"] == "en" and languages["c-mail"] == "nl"
    labels = [row[0] for row in summary.rows]
    assert any("en (aparte groep)" in label for label in labels)
    run = con.execute("SELECT command, status, counts FROM runs").fetchall()
    assert run[0][0] == "prepare" and run[0][1] == "ok"
    assert json.loads(run[0][2])["prepared"] == 4


def test_rerun_is_idempotent_and_incremental(con, config):
    load(con)
    nlp.run(con, config.nlp)
    before = con.execute("SELECT * EXCLUDE (prepared_at) FROM contact_text ORDER BY contact_id").fetchall()
    summary = nlp.run(con, config.nlp)
    assert dict((r[0], r[1]) for r in summary.rows)["nu voorbereid (nieuw of gewijzigd)"] == 0
    con.execute("UPDATE messages SET text = 'Ik wil mijn abonnement per direct opzeggen' "
                "WHERE contact_id = 'c-call' AND seq = 2")
    con.execute("DELETE FROM messages WHERE contact_id = 'c-en'")
    con.execute("DELETE FROM contacts WHERE contact_id = 'c-en'")
    summary = nlp.run(con, config.nlp)
    counts = dict((r[0], r[1]) for r in summary.rows)
    assert counts["nu voorbereid (nieuw of gewijzigd)"] == 1
    assert counts["verwijderd (niet meer in de export)"] == 1
    after = con.execute("SELECT * EXCLUDE (prepared_at) FROM contact_text ORDER BY contact_id").fetchall()
    assert [r for r in after if r[0] != "c-call"] == [r for r in before if r[0] not in ("c-call", "c-en")]
    assert "per direct" in rows(con)["c-call"]["question_text"]


def test_changing_question_turns_reprepares(con, config):
    load(con)
    nlp.run(con, config.nlp)
    config.nlp.question_turns = 1
    summary = nlp.run(con, config.nlp)
    assert dict((r[0], r[1]) for r in summary.rows)["nu voorbereid (nieuw of gewijzigd)"] == 4


def test_empty_store_says_what_to_do(con, config):
    with pytest.raises(StageInputMissing, match="ingest"):
        nlp.run(con, config.nlp)


def test_worker_processes_give_the_same_rows(con, config, monkeypatch):
    from pipeline.nlp import parallel

    load(con)
    nlp.run(con, config.nlp, workers=1)
    single = con.execute("SELECT * EXCLUDE (prepared_at) FROM contact_text ORDER BY 1").fetchall()
    con.execute("DELETE FROM contact_text")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_CONTACTS", 1)
    nlp.run(con, config.nlp, workers=2, chunk_size=1)
    assert con.execute("SELECT * EXCLUDE (prepared_at) FROM contact_text ORDER BY 1").fetchall() == single


def test_pure_core_without_a_database(config):
    contacts = pd.DataFrame({"contact_id": ["x"], "channel": ["chat"], "subject": [None],
                             "input_hash": ["h"]})
    messages = pd.DataFrame({"contact_id": ["x", "x"], "seq": [1, 0], "role": ["customer", "bot"],
                             "author": ["Noor", "Vera"], "text": ["mijn kortingscode werkt niet", "Hoi!"],
                             "subject": [None, None]})
    frame = nlp.prepare_frame(contacts, messages, config.nlp)
    assert frame.loc[0, "question_text"] == "mijn kortingscode werkt niet"
    assert "kortingscode" in frame.loc[0, "question_lemmas"].split()
