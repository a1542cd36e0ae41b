"""Cleaning rules on real-looking Dutch e-mails, chats and call transcripts."""

from __future__ import annotations

from pipeline.nlp import clean
from pipeline.nlp.question import Message, prepare_contact

THREE_DEEP = """Hallo,

Het pakket is nog steeds niet bezorgd. Wat nu?

Groetjes,
Fleur

Op wo 12 aug. 2026 om 14:05 schreef Klantenservice Voorbeeldwinkel <info@voorbeeldwinkel.nl>:
> Beste Fleur,
> Uw pakket wordt morgen bezorgd.
>
> Op di 11 aug. 2026 om 09:12 schreef Fleur <fleur@gmail.com>:
>> Waar blijft mijn pakket?
>>
>> Van: Klantenservice <info@voorbeeldwinkel.nl>
>> Verzonden: maandag 10 augustus 2026 16:00
>> Aan: fleur@gmail.com
>> Onderwerp: Uw bestelling
>>
>> Uw bestelling is verzonden.
"""


def test_reply_chain_three_deep_keeps_only_the_new_text():
    found: list[str] = []
    out = clean.clean_email(THREE_DEEP, found)
    assert out == "Hallo,\n\nHet pakket is nog steeds niet bezorgd. Wat nu?"
    assert "nl_op_schreef" in found and "nl_mvg" in found


def test_outlook_header_block_and_original_message_separator():
    outlook = ("Kunnen jullie de factuur opnieuw sturen?\n\n"
               "Van: Voorbeeldwinkel <factuur@voorbeeldwinkel.nl>\n"
               "Verzonden: dinsdag 4 augustus 2026 10:00\nAan: Piet\nOnderwerp: Factuur\n\nBeste klant")
    assert clean.clean_email(outlook) == "Kunnen jullie de factuur opnieuw sturen?"
    original = "Graag een reactie.\n-----Oorspronkelijk bericht-----\nVan: info@voorbeeldwinkel.nl"
    assert clean.clean_email(original) == "Graag een reactie."
    english = "Any news?\n\nOn Mon, 3 Aug 2026 at 10:12, Service <info@voorbeeldwinkel.nl> wrote:\n> Hi"
    assert clean.clean_email(english) == "Any news?"


def test_signature_without_closing_phrase():
    mail = ("Mijn wasmachine lekt sinds de installatie. Kan er een monteur langskomen?\n\n"
            "Jan de Vries\nKerkstraat 12\n1234 AB Amsterdam\n06-12345678")
    found: list[str] = []
    assert clean.clean_email(mail, found) == (
        "Mijn wasmachine lekt sinds de installatie. Kan er een monteur langskomen?")
    assert "signature_block" in found


def test_signature_block_keeps_a_last_sentence_with_a_number():
    mail = "Het pakket is niet bezorgd.\nMijn rekeningnummer is NL91 ABNA 0417 1643 00."
    assert clean.clean_email(mail) == mail


def test_closings_and_device_signature():
    mail = ("De airfryer doet het niet meer.\n\nMet vriendelijke groet,\n\nAnne Jansen\n"
            "Bakker Installaties B.V.\n\nVerzonden vanaf mijn iPhone")
    assert clean.clean_email(mail) == "De airfryer doet het niet meer."
    inline = "Kunnen jullie kijken waar mijn retour blijft? Alvast bedankt!\nMvg Kees"
    assert clean.clean_email(inline) == "Kunnen jullie kijken waar mijn retour blijft?"


def test_closing_phrase_in_the_middle_of_a_long_mail_is_not_a_closing():
    body = "Groet is een raar woord om mee te beginnen.\n" + "Het pakket is zoek. " * 40
    assert clean.clean_email(body).startswith("Groet is een raar woord")


def test_disclaimer_paragraph_is_removed():
    mail = ("Graag een nieuwe factuur op naam van het bedrijf.\n\n"
            "Dit e-mailbericht is uitsluitend bestemd voor de geadresseerde(n). "
            "Aan dit bericht kunnen geen rechten worden ontleend.")
    assert clean.clean_email(mail) == "Graag een nieuwe factuur op naam van het bedrijf."


def test_greetings_and_name_introduction_leave_the_question():
    out = clean.strip_turn("Beste klantenservice,\nMijn naam is [NAAM]. Mijn koelkast is kapot.",
                           spoken=False)
    assert out == "Mijn koelkast is kapot."


def test_asr_filler_in_a_transcript_without_punctuation():
    out = clean.strip_turn("ja eh ik bel over uhm mijn bestelling die is ja nee nog niet gekomen "
                           "zeg maar", spoken=True)
    assert out == "ik bel over mijn bestelling die is nog niet gekomen"


def test_call_greeting_only_turn_is_skipped_for_the_question():
    turns = [
        Message("agent", "Goedemiddag, u spreekt met Sanne van Voorbeeldwinkel, waarmee kan ik u helpen?",
                "Spreker 1"),
        Message("customer", "ja goedemiddag met kees de boer", "Spreker 2"),
        Message("customer", "ja eh ik bel omdat de monteur niet is gekomen vandaag", "Spreker 2"),
        Message("agent", "Dat is vervelend, ik kijk even mee.", "Spreker 1"),
        Message("customer", "ja", "Spreker 2"),
        Message("customer", "en de afspraak was om tien uur", "Spreker 2"),
    ]
    prepared = prepare_contact("call", turns, question_turns=2)
    assert prepared.question_text == ("ik bel omdat de monteur niet is gekomen vandaag "
                                      "en de afspraak was om tien uur")
    assert "kees" not in prepared.customer_text
    assert "Sanne" not in prepared.agent_text and "ik kijk even mee" in prepared.agent_text


def test_email_question_is_the_first_customer_mail_and_agents_are_apart():
    mails = [
        Message("customer", "Goedemorgen,\n\nIk wil mijn bestelling annuleren.\n\nGroet,\nPiet Smit",
                "Piet Smit"),
        Message("agent", "Beste Piet,\n\nUw bestelling is geannuleerd.\n\nMet vriendelijke groet,\n"
                "Lotte\nKlantenservice Voorbeeldwinkel", "Voorbeeldwinkel"),
        Message("customer", "Dank je wel voor de snelle reactie!\n\nOp do 13 aug. 2026 om 10:00 "
                "schreef Voorbeeldwinkel <info@voorbeeldwinkel.nl>:\n> Beste Piet", "Piet Smit"),
    ]
    prepared = prepare_contact("email", mails, subject="Annuleren")
    assert prepared.question_text == "Ik wil mijn bestelling annuleren."
    assert prepared.customer_text.endswith("Dank je wel voor de snelle reactie!")
    assert prepared.agent_text == "Uw bestelling is geannuleerd."


def test_chat_bot_turns_go_to_bot_text():
    turns = [Message("bot", "Hoi! Ik ben Vera, de digitale assistent. Waar kan ik je mee helpen?", "Vera"),
             Message("customer", "kortingscode werkt niet", "Yusuf"),
             Message("bot", "Ik verbind je door met een medewerker.", "Vera")]
    prepared = prepare_contact("chat", turns)
    assert prepared.question_text == "kortingscode werkt niet"
    assert "Ik verbind je door" in prepared.bot_text and not prepared.agent_text


def test_empty_body_falls_back_to_the_subject():
    prepared = prepare_contact("email", [Message("customer", "Verzonden vanaf mijn iPhone")],
                               subject="RE: Factuur klopt niet")
    assert prepared.question_text == "Factuur klopt niet"
