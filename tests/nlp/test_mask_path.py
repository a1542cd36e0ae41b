"""File names carry personal data too (WhatsApp names an export after the phone number)."""

import pytest

from pipeline.nlp.pii import mask_path


@pytest.mark.parametrize("path, shown", [
    ("/export/WhatsApp Chat met +31 6 12345678.txt", "/export/WhatsApp Chat met [TELEFOON].txt"),
    ("/export/0612345678.txt", "/export/[TELEFOON].txt"),
    ("/export/+31612345678_chat.txt", "/export/[TELEFOON] chat.txt"),
    ("/export/archief.zip!/calls/0031612345678.vtt", "/export/archief.zip!/calls/[TELEFOON].vtt"),
    ("/mail/jan.jansen@example.nl.eml", "/mail/[EMAIL]"),
    ("/export/calls/gesprek_2026-08-03_15-49-44_c0bf2000036.json",
     "/export/calls/gesprek_2026-08-03_15-49-44_c0bf2000036.json"),
    ("/export/naam\nmet\tregeleinde.txt", "/export/naam?met?regeleinde.txt"),
    ("", ""),
])
def test_personal_data_in_names_is_masked(path, shown):
    assert mask_path(path) == shown


def test_a_message_that_names_a_file_is_masked_too():
    text = "/export/0612345678.txt: lege file — controleer de export"
    assert mask_path(text) == "/export/[TELEFOON].txt: lege file — controleer de export"
