"""Data quality texts: file names without folders, reader errors explained in Dutch."""

from __future__ import annotations

import pytest

from pipeline.errors import ResourceError
from pipeline.report import quality


@pytest.mark.parametrize("path, name", [
    ("/home/anna/exports/2026/chat/kapot.json", "kapot.json"),
    ("C:\\Users\\anna\\export\\mail.mbox", "mail.mbox"),
    ("export/calls.zip!2026/09/gesprek-12.vtt", "gesprek-12.vtt"),
    ("leeg.eml", "leeg.eml"),
])
def test_file_name_drops_folders(path, name):
    assert quality.file_name(path) == name


def test_strip_paths_keeps_the_message():
    message = "line 5 in /home/anna/exports/chat/kapot.json: invalid JSON (see /tmp/x/log.txt)"
    assert quality.strip_paths(message) == "line 5 in kapot.json: invalid JSON (see log.txt)"
    assert quality.strip_paths("regel 14: geen geldige JSON") == "regel 14: geen geldige JSON"


def test_errors_are_explained_in_dutch_with_their_place():
    assert quality.explain_error("line 5, column 86: invalid JSON: Unterminated string") == (
        "regel 5, kolom 86: geen geldige JSON: het bestand is afgebroken of beschadigd; "
        "exporteer het opnieuw")
    assert quality.explain_error(
        "MIME part 1: truncated or malformed MIME: CloseBoundaryNotFoundDefect").startswith(
        "e-mail afgebroken")
    # An unknown message stays as it is (without folders); English reports keep the original.
    assert quality.explain_error("something new in /a/b/c.eml") == "something new in c.eml"
    assert quality.explain_error("line 2: invalid JSON", "en") == "line 2: invalid JSON"


def test_every_phrase_rule_matches_its_examples_and_a_bad_rule_is_named():
    assert len(quality._phrases()) >= 10
    with pytest.raises(ResourceError, match="does not match"):
        quality.validate_phrases([{"id": "x", "match": "invalid JSON", "nl": "ongeldig",
                                   "examples": ["invalid CSV"]}])
    with pytest.raises(ResourceError, match="invalid pattern"):
        quality.validate_phrases([{"id": "x", "match": "(", "nl": "y", "examples": []}])
