"""PII masking on real-looking Dutch text: one test per type, the tricky cases, the validators."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.nlp import pii


def masked(text: str, names=()) -> tuple[str, Counter]:
    counts: Counter = Counter()
    return pii.mask(text, names, counts), counts


@pytest.mark.parametrize("text, raw, kind", [
    ("Mail me gerust op jan.devries@gmail.com als het pakket er is.", "jan.devries@gmail.com", "EMAIL"),
    ("Mijn nummer is 06-12345678, bel maar na vijf uur.", "06-12345678", "TELEFOON"),
    ("U kunt mij bereiken op 06 1234 5678.", "06 1234 5678", "TELEFOON"),
    ("Bereikbaar via +31 6 12345678 of thuis.", "+31 6 12345678", "TELEFOON"),
    ("Mijn vaste nummer: (020) 123 45 67.", "(020) 123 45 67", "TELEFOON"),
    ("Bel 0031 6 12 34 56 78 maar.", "0031 6 12 34 56 78", "TELEFOON"),
    ("Het geld mag naar NL91ABNA0417164300 t.n.v. mij.", "NL91ABNA0417164300", "IBAN"),
    ("Mijn rekeningnummer is NL91 ABNA 0417 1643 00.", "NL91 ABNA 0417 1643 00", "IBAN"),
    ("Mijn postcode is 3511 EX en het huisnummer 12.", "3511 EX", "POSTCODE_HUISNR"),
    ("Bezorgadres: Kerkstraat 12, 1234 AB Amsterdam.", "Kerkstraat 12", "ADRES"),
    ("Mijn BSN is 111222333, dat vroegen jullie de vorige keer.", "111222333", "BSN"),
    ("Mijn geboortedatum is 12-03-1985, voor de verificatie.", "12-03-1985", "GEBOORTEDATUM"),
    ("Het gaat om bestelnummer 2026061234567.", "2026061234567", "ORDERNUMMER"),
    ("Ik mail over bestelling VW-2026-123456.", "VW-2026-123456", "ORDERNUMMER"),
    ("De track en trace code 3SVWK1234567 geeft al dagen dezelfde melding.", "3SVWK1234567", "TRACKINGCODE"),
    ("Mijn naam is Anne Jansen en ik wacht op mijn pakket.", "Anne Jansen", "NAAM"),
])
def test_each_type_is_masked(text, raw, kind):
    out, counts = masked(text)
    assert raw not in out
    assert f"[{kind}]" in out
    assert counts[kind] >= 1


def test_phone_number_inside_order_number_stays_one_order_number():
    out, counts = masked("Mijn ordernummer is 0612345678901, graag snel antwoord.")
    assert out == "Mijn ordernummer is [ORDERNUMMER], graag snel antwoord."
    assert counts == Counter({"ORDERNUMMER": 1})


def test_phone_digits_in_a_longer_run_are_not_a_phone_number():
    out, counts = masked("Artikelcode 2026061234567890 staat op de doos.")
    assert "TELEFOON" not in out


def test_iban_with_spaces_and_lower_case():
    out, _ = masked("iban: nl91 abna 0417 1643 00, graag terugstorten")
    assert out == "iban: [IBAN], graag terugstorten"


def test_foreign_iban_needs_a_valid_check_digit():
    assert masked("DE89 3704 0044 0532 0130 00")[0] == "[IBAN]"
    assert masked("Code DE00 3704 0044 0532 0130 00 klopt niet")[1]["IBAN"] == 0


def test_bsn_needs_the_eleven_test():
    assert masked("BSN 123456782")[0] == "BSN [BSN]"
    # Nine digits that fail the 11-proef are no BSN; as a long number they are still masked.
    out, counts = masked("Nummer 123456789 op de bon")
    assert out == "Nummer [NUMMER] op de bon" and not counts["BSN"]


def test_delivery_date_without_birth_context_is_kept():
    out, _ = masked("Ik heb op 12-08-2026 besteld en het is er nog niet.")
    assert "12-08-2026" in out


def test_greedy_phone_match_is_trimmed_to_a_valid_number():
    out, _ = masked("bel 06 12345678 2 keer per dag")
    assert out == "bel [TELEFOON] 2 keer per dag"


def test_spoken_email_in_a_transcript():
    out, _ = masked("het e-mailadres is a koster@outlook com")
    assert "koster" not in out and "[EMAIL]" in out


@pytest.mark.parametrize("text, gone", [
    ("Goedemiddag, u spreekt met Sanne van Voorbeeldwinkel.", "Sanne"),
    ("ja goedemiddag met kees de boer", "kees de boer"),
    ("Goedemorgen, met Visser.", "Visser"),
    ("Beste Fleur,", "Fleur"),
    ("Geachte heer/mevrouw Bakker,", "Bakker"),
    ("Ik sprak gisteren met mevrouw El Amrani van de winkel.", "El Amrani"),
    ("Het geld mag naar mijn rekening t.n.v. P. Bakker.", "Bakker"),
    ("Gisteren heeft Pieter van den Berg het pakket aangenomen.", "Pieter van den Berg"),
])
def test_names_from_cues_and_first_names(text, gone):
    out, counts = masked(text)
    assert gone not in out
    assert counts["NAAM"] >= 1


def test_author_names_are_masked_wherever_they_appear():
    from pipeline.nlp.names import author_names

    known = author_names(["Marloes Dijkstra", "Klantenservice Voorbeeldwinkel", "Spreker 1"])
    assert "Klantenservice" not in known and "Spreker" not in known
    out, _ = masked("groetjes van marloes, en dijkstra staat ook op de deur", known)
    assert "marloes" not in out and "dijkstra" not in out


def test_ordinary_words_after_cues_are_not_names():
    out, counts = masked("Ik ben teleurgesteld. Hallo, ik heb een vraag. Beste klantenservice,")
    assert counts["NAAM"] == 0, out


def test_url_with_tracking_parameters_is_masked_but_own_site_kept():
    out, _ = masked("Zie https://jouw.postnl.nl/track?b=3SABCD123456789&p=1234AB en "
                    "https://www.voorbeeldwinkel.nl/retour")
    assert "3SABCD" not in out and "https://www.voorbeeldwinkel.nl/retour" in out


@pytest.mark.parametrize("value, ok", [
    ("NL91ABNA0417164300", True), ("GB82 WEST 1234 5698 7654 32", True),
    ("GB82 WEST 1234 5698 7654 33", False), ("NL12 RABO 0123 4567 89", True),
])
def test_iban_validator(value, ok):
    assert pii.iban_valid(value) is ok


@pytest.mark.parametrize("value, ok", [
    ("111222333", True), ("123456782", True), ("123456789", False), ("000000000", False),
    ("12345678", False),
])
def test_bsn_validator(value, ok):
    assert pii.bsn_valid(value) is ok


@pytest.mark.parametrize("value, ok", [
    ("06-12345678", True), ("+31 6 12345678", True), ("+31 (0)6 12345678", True),
    ("020 123 4567", True), ("0800-1234", True), ("+32 470 12 34 56", True),
    ("06-1234567", False), ("12-08-2026", False), ("01-02-1990", False),
])
def test_phone_validator(value, ok):
    assert pii.phone_valid(value) is ok


def test_placeholders_do_not_overlap_and_text_outside_is_untouched():
    text = "Bel 06-12345678 of mail piet@ziggo.nl over VW-2026-000123. Groet!"
    out, counts = masked(text)
    assert out == "Bel [TELEFOON] of mail [EMAIL] over [ORDERNUMMER]. Groet!"
    assert sum(counts.values()) == 3
