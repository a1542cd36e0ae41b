from pathlib import Path

import pytest

from pipeline.errors import InputFileError
from pipeline.ingest.email import normalise_subject, parse_eml, parse_mbox
from pipeline.ingest.thread import contact_id_for_root, thread_mails


def read(data_dir, name):
    return (data_dir / name).read_bytes()


def test_quoted_printable_plain_mail(data_dir, ctx_factory):
    [mail] = parse_eml(read(data_dir, "email/01_root_qp.eml"), ctx_factory("01.eml"))
    assert mail.message_id == "root-1@mail.example.nl"
    assert mail.role == "customer" and mail.customer == "jan.devries@example.nl"
    assert "écht klaar mee" in mail.text and "=C3" not in mail.text
    assert mail.sent_at.isoformat() == "2026-08-12T09:15:00"


def test_multipart_alternative_prefers_plain_and_agent_by_subdomain(data_dir, ctx_factory):
    [mail] = parse_eml(read(data_dir, "email/02_reply_alternative.eml"), ctx_factory("02.eml"))
    assert mail.role == "agent"
    assert mail.customer == "jan.devries@example.nl"
    assert mail.text.startswith("Beste Jan,") and "<b>" not in mail.text
    assert mail.in_reply_to == "root-1@mail.example.nl"
    assert mail.references == ["root-1@mail.example.nl"]


def test_html_only_base64_windows_1252(data_dir, ctx_factory):
    [mail] = parse_eml(read(data_dir, "email/03_html_only_cp1252.eml"), ctx_factory("03.eml"))
    assert "nét bezorgd" in mail.text and "€ 80" in mail.text and "Geïrriteerd" in mail.text
    assert "<p>" not in mail.text
    assert mail.meta["body_from_html"] is True


def test_latin1_with_attachment_recorded_not_stored(data_dir, ctx_factory):
    [mail] = parse_eml(read(data_dir, "email/04_latin1_attachment.eml"), ctx_factory("04.eml"))
    assert "één boze klant, café" in mail.text
    assert "PDF" not in mail.text
    [attachment] = mail.attachments
    assert attachment.filename == "factuur 40012345.pdf"
    assert attachment.content_type == "application/pdf" and attachment.size_bytes == 440


def test_mbox_splits_messages_and_unescapes_from_lines(data_dir, ctx_factory):
    mails = parse_mbox(read(data_dir, "email/thread.mbox"), ctx_factory("thread.mbox"))
    assert [m.message_id for m in mails] == ["m1@example.com", "m2@voorbeeldwinkel.nl", "m3@example.com"]
    assert "\nFrom now on" in mails[0].text
    assert [m.role for m in mails] == ["customer", "agent", "customer"]


@pytest.mark.parametrize("name, message, where", [
    ("broken/truncated.eml", "afgebroken of kapotte MIME", "MIME-deel 1"),
    ("broken/bad_charset.eml", "onbekende tekenset 'x-klingon-7'", "MIME-deel 1"),
])
def test_broken_mail_names_the_mime_part(data_dir, ctx_factory, name, message, where):
    with pytest.raises(InputFileError, match=message) as info:
        parse_eml(read(data_dir, name), ctx_factory(name))
    assert info.value.where == where and info.value.path == name


def test_text_that_is_not_mail_is_refused(ctx_factory):
    with pytest.raises(InputFileError, match="geen e-mail"):
        parse_eml(b"Klant: hallo\nMedewerker: goedendag\n", ctx_factory("x.eml"))


@pytest.mark.parametrize("subject, key, prefixed", [
    ("Re: Factuur klopt niet", "factuur klopt niet", True),
    ("RE: Antw: Fw:  Factuur   klopt niet", "factuur klopt niet", True),
    ("Doorst: WG: Bestelling", "bestelling", True),
    ("Retour aanmelden", "retour aanmelden", False),
    (None, "", False),
])
def test_subject_normalisation(subject, key, prefixed):
    assert normalise_subject(subject) == (key, prefixed)


def _mails(data_dir, ctx_factory):
    mails = []
    for index, name in enumerate(["01_root_qp.eml", "02_reply_alternative.eml",
                                  "03_html_only_cp1252.eml", "04_latin1_attachment.eml"]):
        mails += parse_eml(read(data_dir, f"email/{name}"), ctx_factory(name, source_id=f"s{index}"))
    return mails


def test_threading_by_headers_and_subject_fallback(data_dir, ctx_factory):
    contacts, messages = thread_mails(_mails(data_dir, ctx_factory), "pepper", {}, {})
    assert len(contacts) == 1
    assert contacts[0].external_id == "root-1@mail.example.nl"
    assert contacts[0].contact_id == contact_id_for_root("root-1@mail.example.nl")
    assert [m.meta["threaded_by"] for m in messages] == ["root", "header", "header", "subject"]


def test_reply_ingested_before_its_root_gets_the_roots_contact(data_dir, ctx_factory):
    mails = _mails(data_dir, ctx_factory)
    reply_first, _ = thread_mails([mails[2]], "pepper", {}, {})
    root_later, _ = thread_mails([mails[0]], "pepper", {}, {})
    assert reply_first[0].contact_id == root_later[0].contact_id


def test_subject_fallback_only_for_the_same_customer(data_dir, ctx_factory):
    mails = _mails(data_dir, ctx_factory)
    forwarded = mails[3]
    forwarded.customer = "someone.else@example.nl"
    contacts, _ = thread_mails([mails[0], forwarded], "pepper", {}, {})
    assert len(contacts) == 2


# -- Outlook winmail.dat (TNEF), fixtures built by tests/fixtures/outlook/build_fixtures.py -------
OUTLOOK = Path(__file__).resolve().parents[1] / "fixtures" / "outlook"


def test_tnef_body_is_the_mail_body_and_its_attachments_are_listed(ctx_factory):
    [mail] = parse_eml((OUTLOOK / "winmail_body.eml").read_bytes(), ctx_factory("w.eml"))
    assert mail.text.startswith("Beste klantenservice,\n\nMijn factuur van september is € 12,50 te hoog.")
    assert mail.meta["body_from_tnef"] is True
    assert [(a.filename, a.size_bytes) for a in mail.attachments][1:] == [("factuur-sept.pdf", 34)]
    assert mail.attachments[0].filename == "winmail.dat"


def test_tnef_body_kept_only_as_compressed_rtf_is_unpacked(ctx_factory):
    [mail] = parse_eml((OUTLOOK / "winmail_rtf_body.eml").read_bytes(), ctx_factory("r.eml"))
    assert mail.text == ("Goedemiddag,\n\nIk wil mijn abonnement opzeggen per 1 oktober. Het "
                         "café-pakket van € 9,95 gebruik ik niet meer.\n\nMet vriendelijke groet,\n"
                         "Karin Jansen")


def test_tnef_without_any_body_is_an_error_naming_the_reason(ctx_factory):
    with pytest.raises(InputFileError) as info:
        parse_eml((OUTLOOK / "winmail_no_body.eml").read_bytes(), ctx_factory("n.eml"))
    assert "holds no message body" in info.value.message and info.value.where == "MIME part 1"
    assert info.value.hint


def test_damaged_tnef_next_to_a_text_part_keeps_the_text_and_the_reason(ctx_factory):
    [mail] = parse_eml((OUTLOOK / "winmail_damaged_with_text.eml").read_bytes(), ctx_factory("d.eml"))
    assert mail.text == "Mijn pakket is niet aangekomen, bestelling 4711."
    assert "damaged or cut off" in mail.meta["tnef_unreadable"]


def test_tnef_error_is_recorded_on_the_source_in_a_run(con, config):
    from pipeline import ingest

    ingest.run(con, [OUTLOOK / "winmail_no_body.eml"], config.ingest)
    status, error = con.execute("SELECT status, error FROM sources").fetchone()
    assert status == "error" and "holds no message body" in error
    assert con.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0


@pytest.mark.parametrize("payload, reason", [(b"PK\x03\x04 not tnef at all", "not TNEF"),
                                             (b"\x78\x9f", "too short")])
def test_read_tnef_names_why_it_cannot(payload, reason):
    from pipeline.ingest.tnef import TnefUnreadable, read_tnef

    with pytest.raises(TnefUnreadable, match=reason):
        read_tnef(payload)
