from __future__ import annotations

import pytest

from pipeline.nlp.autoreply import classify
from pipeline.nlp.question import Message, prepare_contact


@pytest.mark.parametrize("subject, body, kind", [
    ("Automatisch antwoord: Re: uw bestelling", "Ik ben afwezig tot en met 21 augustus.", "out_of_office"),
    ("Re: retour", "Bedankt voor je mail! Ik ben momenteel niet aanwezig. Vanaf maandag lees ik "
                   "mijn mail weer.", "out_of_office"),
    ("Out of Office: order", "I am out of the office until Monday with limited access to e-mail.",
     "out_of_office"),
    ("Onbestelbaar: Re: factuur", "Uw bericht heeft sommige of alle geadresseerden niet bereikt.",
     "delivery_failure"),
    ("Undelivered Mail Returned to Sender", "This is the mail system at host mx.example.nl.",
     "delivery_failure"),
    ("Re: vraag", "Dit is een automatisch gegenereerd bericht. U kunt niet op deze e-mail reageren.",
     "auto_acknowledgement"),
])
def test_auto_replies_are_recognised(subject, body, kind):
    assert classify(subject, body)[0] == kind


def test_customer_mail_about_a_holiday_is_not_an_auto_reply():
    assert classify("Bezorging", "Ik ga volgende week op vakantie, kan het pakket eerder komen?") is None


def test_contact_with_only_an_auto_reply_is_marked_and_has_no_question():
    prepared = prepare_contact("email", [
        Message("agent", "Beste klant, uw retour is ontvangen.", "Voorbeeldwinkel"),
        Message("customer", "Ik ben met vakantie en weer terug op 24 augustus. Voor dringende "
                            "zaken kunt u bellen met 06-12345678.", "Anne", subject="Afwezig: retour"),
    ])
    assert prepared.is_auto_reply and prepared.auto_reply_kind == "out_of_office"
    assert prepared.question_text == "" and prepared.customer_text == ""


def test_a_real_question_with_a_later_auto_reply_is_not_an_auto_reply():
    prepared = prepare_contact("email", [
        Message("customer", "Mijn retour is nog niet terugbetaald.", "Anne"),
        Message("customer", "Ik ben afwezig tot en met 3 september.", "Anne",
                subject="Automatisch antwoord: Re: retour"),
    ])
    assert not prepared.is_auto_reply
    assert prepared.question_text == "Mijn retour is nog niet terugbetaald."
    assert "afwezig" not in prepared.customer_text
