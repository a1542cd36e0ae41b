"""Contact-centre tools' own exports (tests/fixtures/vendors, written from each vendor's API docs):
recognised without a mapping, right channel, roles, opening question and times; tickets joined
with comment files of the same run in any order; broken files are recorded errors."""

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from pipeline import ingest
from pipeline.errors import InputFileError
from pipeline.ingest.detect import parse_file
from pipeline.ingest.vendors.common import codes, validate_codes
from pipeline.ingest.vendors.pieces import resolve

VENDORS = Path(__file__).resolve().parents[1] / "fixtures" / "vendors"


def parse(ctx_factory, relative: str):
    path = VENDORS / relative
    return parse_file(path.read_bytes(), ctx_factory(path))


def by_id(parsed):
    return {c.external_id: c for c in parsed.contacts}


def roles(parsed, external_id):
    contact = by_id(parsed)[external_id]
    return [m.role for m in parsed.messages if m.contact_id == contact.contact_id]


def messages(parsed, external_id):
    contact = by_id(parsed)[external_id]
    return [m for m in parsed.messages if m.contact_id == contact.contact_id]


def joined(ctx_factory, *relatives):
    held = [parse(ctx_factory, r) for r in relatives]
    assert all(p.pending and not p.contacts for p in held)
    return resolve(held)


# -- Zendesk --------------------------------------------------------------------------------------


def test_zendesk_ticket_page_joined_with_comment_files_in_any_order(ctx_factory):
    files = [
        "zendesk/tickets/4102/comments.json",
        "zendesk/incremental_tickets_cursor.json",
        "zendesk/tickets/4101/comments.json",
    ]
    outcomes = joined(ctx_factory, *files)
    assert [o[0] for o in outcomes] == ["ok", "ok", "ok"]
    page = outcomes[1][1]
    assert len(page.contacts) == 3
    tickets = by_id(page)
    assert {k: c.channel for k, c in tickets.items()} == {
        "4101": "email",
        "4102": "call",
        "4103": "chat",
    }
    assert tickets["4102"].meta["vendor_channel"] == "voice"
    assert roles(page, "4101") == ["customer", "note", "agent"]  # public: false is a note
    first = messages(page, "4101")[0]
    assert first.text.startswith("Hallo, mijn bestelling 100234") and first.author == "Jan de Vries"
    assert first.sent_at == datetime(2026, 9, 1, 9, 58, 12)  # 07:58:12Z in Amsterdam
    assert first.source_id == "s-comments.json"  # counted for the comment file
    # a voice ticket is opened by the agent who took the call: the caller's question, logged
    assert roles(page, "4102") == ["customer", "system", "customer"]
    assert messages(page, "4102")[0].meta["logged_by_agent"] is True
    # 4103 has no comment file: read from its description, the note names the missing file
    assert [m.text for m in messages(page, "4103")] == [
        "Kan ik mijn retour ook in de winkel inleveren?"
    ]
    assert tickets["4103"].meta["comments_missing"] == "tickets/4103/comments.json"
    assert page.notes == [
        (
            "Zendesk: 1 ticket(s) alleen uit de beschrijving gelezen, ontbrekende "
            "bestanden tickets/4103/comments.json"
        )
    ]


def test_zendesk_comment_file_without_its_ticket_is_a_recorded_error(ctx_factory):
    [outcome] = joined(ctx_factory, "zendesk/tickets/4101/comments.json")
    assert outcome[0] == "error" and "Zendesk-comments zonder ticket: ticket 4101" in outcome[1]


def test_zendesk_admin_center_ndjson_in_a_json_file(ctx_factory):
    parsed = parse(ctx_factory, "zendesk/admin_center_export.json")
    assert parsed.format == "zendesk_export" and len(parsed.contacts) == 2
    assert any("NDJSON" in note for note in parsed.notes)
    assert {c.external_id: c.channel for c in parsed.contacts} == {"5201": "email", "5202": "chat"}
    assert roles(parsed, "5201") == ["customer", "note", "agent"]  # no users: requester vs others
    assert messages(parsed, "5201")[0].text == "Op mijn factuur staat twee keer verzendkosten."
    assert by_id(parsed)["5201"].started_at == datetime(2026, 10, 5, 10, 0)


def test_zendesk_ticket_events_with_comment_events(ctx_factory):
    [(status, parsed)] = resolve([parse(ctx_factory, "zendesk/ticket_events.json")])
    assert status == "ok"
    [ticket] = parsed.contacts
    assert (ticket.external_id, ticket.channel) == ("6301", "email")
    assert ticket.meta["vendor_channel"] == "Web form"
    assert roles(parsed, "6301") == ["customer", "note", "agent"]
    first = parsed.messages[0]
    assert first.text == "Ik wil de stofzuiger retourneren, hij is te zwaar."
    assert first.sent_at == datetime(2026, 9, 21, 16, 13, 20)


def test_zendesk_ticket_events_of_one_ticket_over_two_pages(ctx_factory, tmp_path):
    """A later page starts with the agent's reply: the requester still comes from the Create
    event on the first page, whichever file is read first."""
    document = json.loads((VENDORS / "zendesk/ticket_events.json").read_text())
    first, second = tmp_path / "events_1.json", tmp_path / "events_2.json"
    first.write_text(json.dumps({**document, "ticket_events": document["ticket_events"][:1]}))
    second.write_text(json.dumps({**document, "ticket_events": document["ticket_events"][1:]}))
    later, earlier = resolve([parse_file(p.read_bytes(), ctx_factory(p)) for p in (second, first)])
    assert later[1].contacts == [] and len(earlier[1].contacts) == 1
    parsed = earlier[1]
    assert roles(parsed, "6301") == ["customer", "note", "agent"]
    assert [m.source_id for m in parsed.messages] == [
        "s-events_1.json",
        "s-events_2.json",
        "s-events_2.json",
    ]


def test_zendesk_page_whose_ticket_has_neither_comments_nor_description(ctx_factory, tmp_path):
    page = {
        "tickets": [
            {
                "id": 123,
                "requester_id": 1,
                "status": "open",
                "via": {"channel": "web"},
                "created_at": "2026-09-01T08:00:00Z",
                "description": "",
            }
        ],
        "end_of_stream": True,
    }
    path = tmp_path / "tickets.json"
    path.write_text(json.dumps(page))
    [outcome] = resolve([parse_file(path.read_bytes(), ctx_factory(path))])
    assert outcome[0] == "error"
    assert (
        outcome[1]
        == "Zendesk-pagina zonder comments: ontbrekende bestanden tickets/123/comments.json"
    )


# -- Freshdesk ------------------------------------------------------------------------------------


def test_freshdesk_ticket_with_conversations(ctx_factory):
    parsed = parse(ctx_factory, "freshdesk/ticket_20431_include_conversations.json")
    [ticket] = parsed.contacts
    assert (ticket.external_id, ticket.channel, ticket.meta["vendor_channel"]) == (
        "20431",
        "email",
        "email",
    )
    assert roles(parsed, "20431") == ["customer", "note", "agent", "customer"]
    assert parsed.messages[0].text.endswith("Hoe kan ik hem ruilen?")  # description_text
    assert parsed.messages[0].sent_at == datetime(2026, 9, 10, 14, 30)
    assert ticket.subject == "Verkeerde kleur bank geleverd"


def test_freshdesk_list_page_joined_with_conversations_by_ticket_id(ctx_factory):
    conversations, page = joined(
        ctx_factory, "freshdesk/ticket_20450_conversations.json", "freshdesk/tickets_page_1.json"
    )
    assert conversations[0] == "ok" and page[0] == "ok"
    parsed = page[1]
    assert {c.external_id: c.channel for c in parsed.contacts} == {"20450": "call", "20451": "chat"}
    assert roles(parsed, "20450") == ["customer", "note", "agent"]
    assert (
        messages(parsed, "20450")[0].text
        == "Klant vraagt wanneer de monteur komt voor de vaatwasser."
    )
    assert messages(parsed, "20450")[2].sent_at == datetime(2026, 9, 14, 11, 20)
    assert "tickets/20451/conversations.json" in parsed.notes[0]


def test_freshdesk_outbound_email_is_opened_by_the_agent(ctx_factory, tmp_path):
    ticket = json.loads((VENDORS / "freshdesk/ticket_20431_include_conversations.json").read_text())
    ticket["source"] = 10
    path = tmp_path / "t.json"
    path.write_text(json.dumps(ticket))
    parsed = parse_file(path.read_bytes(), ctx_factory(path))
    assert (
        parsed.messages[0].role == "agent"
        and parsed.contacts[0].meta["vendor_channel"] == "outbound_email"
    )


def test_freshdesk_list_crash_is_fixed(ctx_factory):
    """A Freshdesk array used to reach chat._describe and crash the whole run with a TypeError."""
    parsed = parse(ctx_factory, "freshdesk/tickets_page_1.json")
    assert parsed.format == "freshdesk_api" and parsed.pending


def test_broken_freshdesk_conversation_names_the_missing_field(ctx_factory, tmp_path):
    path = tmp_path / "conversations.json"
    path.write_text(
        json.dumps(
            [{"id": 1, "incoming": True, "private": False, "ticket_id": 9, "body_text": "x"}]
        )
    )
    with pytest.raises(InputFileError, match="Freshdesk-gesprek zonder 'created_at'") as info:
        parse_file(path.read_bytes(), ctx_factory(path))
    assert info.value.path == str(path) and info.value.where == "item 1"


# -- Intercom -------------------------------------------------------------------------------------


def test_intercom_single_conversation(ctx_factory):
    parsed = parse(ctx_factory, "intercom/conversation_215470.json")
    [conv] = parsed.contacts
    assert conv.channel == "chat" and conv.meta["vendor_channel"] == "conversation"
    assert roles(parsed, "215470000123") == [
        "customer",
        "bot",
        "note",
        "agent",
    ]  # assignment, close skipped
    assert parsed.messages[0].text == "Hoi, ik wil mijn abonnement opzeggen. Hoe doe ik dat?"
    assert parsed.messages[0].sent_at == datetime(2026, 8, 31, 10, 0)  # 1788163200 = 08:00Z


def test_intercom_list_page_reads_the_opening_message_and_says_parts_are_missing(ctx_factory):
    parsed = parse(ctx_factory, "intercom/conversations_list.json")
    assert {c.external_id: c.channel for c in parsed.contacts} == {
        "215470000200": "email",
        "215470000201": "chat",
    }
    assert roles(parsed, "215470000201") == ["customer"]
    assert (
        messages(parsed, "215470000200")[0].text
        == "Mijn factuur van oktober is dubbel afgeschreven."
    )
    assert "conversation_parts" in parsed.notes[0]


# -- calls ----------------------------------------------------------------------------------------


def test_genesys_participant_purposes_and_epoch_millis(ctx_factory):
    parsed = parse(ctx_factory, "genesys/transcript_6f1c.json")
    [call] = parsed.contacts
    assert call.channel == "call" and call.started_at == datetime(2026, 9, 1, 11, 0)
    assert roles(parsed, call.external_id) == [
        "bot",
        "agent",
        "customer",
        "agent",
    ]  # two phrases merged
    assert (
        parsed.messages[2].text
        == "Ja hallo, mijn koelkast is beschadigd bezorgd. De deur heeft een deuk."
    )
    assert parsed.messages[2].sent_at == datetime(2026, 9, 1, 11, 0, 20, 500000)
    other = parse(ctx_factory, "genesys/transcript_91aa.json")
    assert [m.role for m in other.messages] == [
        "system",
        "agent",
        "customer",
    ]  # acd, agent, customer


def test_contact_lens_participants_offsets_and_start_from_file_name(ctx_factory):
    parsed = parse(
        ctx_factory,
        "contact_lens/0a1b2c3d-4e5f-6789-abcd-ef0123456789_analysis_2026-09-02T08-30-00Z.json",
    )
    [call] = parsed.contacts
    assert call.external_id == "0a1b2c3d-4e5f-6789-abcd-ef0123456789" and call.channel == "call"
    assert call.started_at == datetime(2026, 9, 2, 10, 30)  # 08:30Z
    assert [m.role for m in parsed.messages] == ["agent", "customer", "agent"]
    assert parsed.messages[1].sent_at == datetime(2026, 9, 2, 10, 30, 5, 300000)
    assert parsed.messages[1].text.startswith("Goedemorgen, ik heb een retourlabel nodig")
    other = parse(
        ctx_factory,
        "contact_lens/7f7f0000-1111-2222-3333-444444444444_analysis_2026-09-03T12-05-10Z.json",
    )
    assert [m.role for m in other.messages] == ["customer", "agent"]


@pytest.mark.parametrize(
    "name, agent",
    [("gesprek-2026-09-04_10-00-00.json", "spk_1"), ("gesprek-2026-09-05_14-30-00.json", "spk_1")],
)
def test_transcribe_speaker_labels_and_audio_segments_agent_inferred_not_speaker_0(
    ctx_factory, name, agent
):
    parsed = parse(ctx_factory, f"transcribe/{name}")
    [call] = parsed.contacts
    assert call.channel == "call" and call.meta["role_inferred"] is True
    assert {m.author: m.role for m in parsed.messages} == {agent: "agent", "spk_0": "customer"}
    customer = [m for m in parsed.messages if m.role == "customer"]
    assert customer[-1].text in (
        "Mijn wasmachine is nog niet geleverd.",
        "Ik bel over mijn factuur, er staan verzendkosten op die ik niet verwacht had.",
    )
    assert call.started_at.date() in (datetime(2026, 9, 4).date(), datetime(2026, 9, 5).date())
    assert all(m.sent_at >= call.started_at for m in parsed.messages)


def test_transcribe_items_rebuild_words_and_punctuation(ctx_factory):
    parsed = parse(ctx_factory, "transcribe/gesprek-2026-09-04_10-00-00.json")
    assert [m.text for m in parsed.messages] == [
        "Hallo?",
        "Goedemiddag, u spreekt met Sanne van Voorbeeldwinkel, waarmee kan ik u helpen?",
        "Mijn wasmachine is nog niet geleverd.",
    ]
    assert parsed.messages[2].sent_at == datetime(2026, 9, 4, 10, 0, 5, 800000)


def test_twilio_participants_from_the_transcript_resource(ctx_factory):
    parsed = parse(ctx_factory, "twilio/GT11111111111111111111111111111111.json")
    [call] = parsed.contacts
    assert call.external_id == "GT11111111111111111111111111111111" and call.started_at == datetime(
        2026, 9, 8, 15, 0
    )
    assert [m.role for m in parsed.messages] == ["customer", "agent", "customer"]
    assert "role_inferred" not in call.meta and call.customer_key is not None


def test_twilio_without_participants_infers_the_agent_channel(ctx_factory):
    [(status, parsed)] = resolve([parse(ctx_factory, "twilio/sentences_GT22.json")])
    [call] = parsed.contacts
    assert status == "ok" and call.external_id == "GT22222222222222222222222222222222"  # meta.url
    roles = [m.role for m in parsed.messages]
    assert roles == ["customer", "agent", "customer"]  # channel 1 is the customer here
    assert call.meta["role_inferred"] is True and call.started_at is None
    assert parsed.messages[0].text.startswith("Mijn bestelling is niet compleet")


def test_twilio_sentences_joined_with_their_transcript_resource_file(ctx_factory):
    resource, sentences = joined(
        ctx_factory, "twilio/transcript_GT22.json", "twilio/sentences_GT22.json"
    )
    assert resource == ("ok", resource[1]) and not resource[1].contacts
    [call] = sentences[1].contacts
    assert "role_inferred" not in call.meta and call.customer_key is not None
    assert call.started_at == datetime(2026, 9, 9, 9, 45)  # media_start_time 07:45Z
    assert [m.role for m in sentences[1].messages] == ["customer", "agent", "customer"]
    assert sentences[1].messages[1].sent_at == datetime(2026, 9, 9, 9, 45, 2, 500000)
    [alone] = joined(ctx_factory, "twilio/transcript_GT22.json")
    assert alone[0] == "error" and alone[1].startswith("Twilio-transcript zonder zinnen")


def test_broken_genesys_phrase_is_a_located_dutch_error(ctx_factory, tmp_path):
    doc = json.loads((VENDORS / "genesys/transcript_91aa.json").read_text())
    del doc["transcripts"][0]["phrases"][1]["startTimeMs"]
    path = tmp_path / "g.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputFileError, match="Genesys-phrase zonder 'startTimeMs'") as info:
        parse_file(path.read_bytes(), ctx_factory(path))
    assert info.value.where == "transcript 1, phrase 2"


# -- code tables ----------------------------------------------------------------------------------


def test_code_tables_examples():
    table = codes()
    for example in table["zendesk"]["examples"]:
        key = example["via"].lower().replace(" ", "_")
        assert table["zendesk"]["via_channels"][key] == example["channel"]
    for example in table["freshdesk"]["examples"]:
        assert (
            table["freshdesk"]["ticket_sources"][str(example["source"])]["channel"]
            == example["channel"]
        )
    for example in table["genesys"]["examples"]:
        assert table["genesys"]["purposes"][example["purpose"]] == example["role"]
    for example in table["contact_lens"]["examples"]:
        assert (
            table["contact_lens"]["participant_roles"][example["participant"].lower()]
            == example["role"]
        )


def test_code_tables_are_validated():
    from pipeline.errors import ResourceError

    with pytest.raises(ResourceError, match="'telefoon' is not one of email, chat, call"):
        validate_codes({"zendesk": {"via_channels": {"voice": "telefoon"}}})


# -- a whole run ----------------------------------------------------------------------------------


def test_run_reads_every_vendor_and_joins_across_windows(con, config, tmp_path):
    export = tmp_path / "export"
    shutil.copytree(VENDORS, export)
    summary = ingest.run(
        con, [export], config.ingest, batch_files=2
    )  # comments and tickets in other windows
    errors = con.execute("SELECT path, error FROM sources WHERE status = 'error'").fetchall()
    assert errors == []
    per_vendor = dict(
        con.execute(
            "SELECT json_extract_string(meta, '$.vendor'), count(*) FROM contacts GROUP BY 1"
        ).fetchall()
    )
    assert per_vendor == {
        "zendesk": 6,
        "freshdesk": 3,
        "intercom": 3,
        "genesys": 2,
        "contact_lens": 2,
        "aws_transcribe": 2,
        "twilio": 2,
    }
    note = con.execute(
        "SELECT status, error FROM sources WHERE path LIKE '%incremental_tickets_cursor.json'"
    ).fetchone()
    assert note[0] == "ingested" and "tickets/4103/comments.json" in note[1]
    counted = dict(
        con.execute("SELECT path, n_messages FROM sources WHERE path LIKE '%4101%'").fetchall()
    )
    assert list(counted.values()) == [3]
    assert any("tickets/4103/comments.json" in n for n in summary.notes)
    assert con.execute("SELECT count(*) FROM messages WHERE role = 'note'").fetchone()[0] == 6
    again = ingest.run(con, [export], config.ingest)
    assert again.rows[-1][5] == 0  # nothing new the second time


def test_a_broken_vendor_file_does_not_stop_the_others(con, config, tmp_path):
    export = tmp_path / "export"
    shutil.copytree(VENDORS / "genesys", export)
    (export / "kapot.json").write_text(
        json.dumps({"conversationId": "x", "transcripts": [{"phrases": [{"text": "a"}]}]})
    )
    ingest.run(con, [export], config.ingest)
    [(path, error)] = con.execute(
        "SELECT path, error FROM sources WHERE status = 'error'"
    ).fetchall()
    assert path.endswith("kapot.json") and "startTimeMs" in error
    assert con.execute("SELECT count(*) FROM contacts").fetchone()[0] == 2


# -- the two crashes of issue 12 ------------------------------------------------------------------


def test_chats_saved_as_a_top_level_list_are_read(ctx_factory, data_dir):
    """Used to crash with a TypeError in chat._describe, taking the other files of the run along."""
    document = json.loads((data_dir / "chat/generic.json").read_text())
    parsed = parse_file(json.dumps(document["conversations"]).encode(), ctx_factory("chats.json"))
    assert parsed.format == "chat_json" and len(parsed.contacts) == len(document["conversations"])


def test_an_unknown_top_level_list_is_an_error_not_a_crash(ctx_factory):
    with pytest.raises(
        InputFileError, match=r"een lijst van 2 item\(s\); sleutels van het eerste object: rij, waarde"
    ):
        parse_file(b'[{"rij": 1, "waarde": 2}, {"rij": 2, "waarde": 3}]', ctx_factory("x.json"))
    with pytest.raises(InputFileError, match=r"een lijst van int"):
        parse_file(b"[1, 2, 3]", ctx_factory("y.json"))


def test_status_lists_the_note_of_a_file_that_was_read(con, config, tmp_path):
    from pipeline import status

    export = tmp_path / "zendesk"
    shutil.copytree(VENDORS / "zendesk", export)
    ingest.run(con, [export], config.ingest)
    files = status.summaries(con, "db")[1]
    assert any("tickets/4103/comments.json" in note for note in files.notes)
    assert files.warnings == []


def test_joined_in_worker_processes_too(con, config, tmp_path):
    export = tmp_path / "zendesk"
    shutil.copytree(VENDORS / "zendesk" / "tickets", export / "tickets")
    shutil.copy(VENDORS / "zendesk" / "incremental_tickets_cursor.json", export)
    ingest.run(con, [export], config.ingest, workers=2, batch_files=1)
    rows = con.execute(
        "SELECT c.external_id, count(*) FROM contacts c JOIN messages m USING (contact_id) "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert rows == [("4101", 3), ("4102", 3), ("4103", 1)]


def test_zendesk_single_ticket_and_intercom_ndjson(ctx_factory, tmp_path):
    page = json.loads((VENDORS / "zendesk/incremental_tickets_cursor.json").read_text())
    single = tmp_path / "4103.json"
    single.write_text(json.dumps({"ticket": page["tickets"][2]}))
    [outcome] = resolve([parse_file(single.read_bytes(), ctx_factory(single))])
    assert [m.text for m in outcome[1].messages] == [
        "Kan ik mijn retour ook in de winkel inleveren?"
    ]
    conv = json.loads((VENDORS / "intercom/conversation_215470.json").read_text())
    lines = tmp_path / "intercom.jsonl"
    lines.write_text(json.dumps(conv) + "\n" + json.dumps({**conv, "id": "215470000124"}) + "\n")
    parsed = parse_file(lines.read_bytes(), ctx_factory(lines))
    assert parsed.format == "intercom_api" and len(parsed.contacts) == 2


def test_a_broken_line_in_an_ndjson_export_names_the_line(ctx_factory, tmp_path):
    path = tmp_path / "export.json"
    good = (VENDORS / "zendesk/admin_center_export.json").read_text().splitlines()[0]
    path.write_text(good + "\n" + good[:-20] + "\n")
    with pytest.raises(InputFileError, match="ongeldige JSON") as info:
        parse_file(path.read_bytes(), ctx_factory(path))
    assert info.value.where.startswith("regel 2")


def test_transcribe_channel_identification(ctx_factory, tmp_path):
    def word(start, content):
        return {
            "start_time": start,
            "end_time": start,
            "type": "pronunciation",
            "alternatives": [{"confidence": "0.9", "content": content}],
        }

    comma = {"type": "punctuation", "alternatives": [{"confidence": "0.0", "content": ","}]}
    document = {
        "jobName": "kanaal-2026-09-06_11-00-00",
        "results": {
            "transcripts": [{"transcript": "..."}],
            "items": [],
            "channel_labels": {
                "number_of_channels": 2,
                "channels": [
                    {
                        "channel_label": "ch_0",
                        "items": [
                            word("2.0", "Mijn"),
                            word("2.4", "pakket"),
                            word("2.9", "is"),
                            word("3.1", "zoek"),
                        ],
                    },
                    {
                        "channel_label": "ch_1",
                        "items": [
                            word("0.1", "Welkom"),
                            word("0.5", "bij"),
                            word("0.7", "de"),
                            word("0.9", "klantenservice"),
                            comma,
                            word("1.3", "waarmee"),
                            word("1.5", "kan"),
                            word("1.6", "ik"),
                            word("1.7", "u"),
                            word("1.8", "helpen"),
                        ],
                    },
                ],
            },
        },
    }
    path = tmp_path / "kanaal-2026-09-06_11-00-00.json"
    path.write_text(json.dumps(document))
    parsed = parse_file(path.read_bytes(), ctx_factory(path))
    assert [(m.author, m.role, m.text) for m in parsed.messages] == [
        ("ch_1", "agent", "Welkom bij de klantenservice, waarmee kan ik u helpen"),
        ("ch_0", "customer", "Mijn pakket is zoek"),
    ]
    assert parsed.messages[1].sent_at == datetime(2026, 9, 6, 11, 0, 2)


def test_contact_lens_chat_with_participant_ids(ctx_factory, tmp_path):
    name = "0a1b2c3d-4e5f-6789-abcd-ef0123456789_analysis_2026-09-02T08-30-00Z.json"
    document = json.loads((VENDORS / "contact_lens" / name).read_text())
    document["Channel"] = "CHAT"
    document["Participants"] = [
        {"ParticipantId": "8f2c-klant", "ParticipantRole": "CUSTOMER"},
        {"ParticipantId": "77aa-agent", "ParticipantRole": "AGENT"},
    ]
    for line in document["Transcript"]:
        line["ParticipantId"] = "77aa-agent" if line["ParticipantId"] == "AGENT" else "8f2c-klant"
    path = tmp_path / name
    path.write_text(json.dumps(document))
    parsed = parse_file(path.read_bytes(), ctx_factory(path))
    assert parsed.contacts[0].channel == "chat"
    assert [m.role for m in parsed.messages] == ["agent", "customer", "agent"]
