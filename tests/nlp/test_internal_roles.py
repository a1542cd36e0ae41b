"""Internal notes and system messages are never customer, agent or bot text."""

import pytest

from pipeline.nlp.question import Message, prepare_contact


@pytest.mark.parametrize("channel", ["email", "chat", "call"])
@pytest.mark.parametrize("role", ["note", "system"])
def test_note_and_system_messages_are_not_customer_or_agent_text(channel, role):
    messages = [
        Message("customer", "Mijn wasmachine is niet geleverd, waar blijft hij?"),
        Message(role, "Vervoerder gebeld, rit stond verkeerd gepland in hun systeem"),
        Message("agent", "Excuses, de wasmachine wordt morgen bezorgd."),
    ]
    prepared = prepare_contact(channel, messages)
    every_text = (
        f"{prepared.customer_text}\n{prepared.agent_text}\n{prepared.bot_text}\n"
        f"{prepared.question_text}"
    )
    assert "Vervoerder" not in every_text and "rit stond" not in every_text
    assert "wasmachine" in prepared.customer_text and "morgen bezorgd" in prepared.agent_text


def test_a_contact_of_only_a_note_has_no_question():
    prepared = prepare_contact(
        "chat", [Message("note", "Klant belde over zijn factuur, terugbellen")]
    )
    assert (
        prepared.question_text == "" and prepared.customer_text == "" and prepared.agent_text == ""
    )
