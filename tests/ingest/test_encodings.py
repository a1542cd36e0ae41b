"""Text encodings are detected (BOM, UTF-8, then charset-normalizer), never guessed in order."""

import codecs

import pytest

from pipeline.errors import InputFileError
from pipeline.ingest.detect import parse_file
from pipeline.ingest.text import decode_bytes, decode_text, encoding_candidates, file_text
from pipeline.resources import package_file, read_yaml

DUTCH = "Ik heb € 12,50 te veel betaald voor één café; mijn ideeën over de scène – “nee”."
LATIN = "Waar blijft mijn pakket? Overeenkomst geëindigd, één week gewacht, café gesloten."


@pytest.mark.parametrize("raw, text, encoding", [
    (DUTCH.encode("cp1252"), DUTCH, "cp1252"),
    (LATIN.encode("latin-1"), LATIN, None),            # latin-1 letters read the same in cp1252
    (codecs.BOM_UTF16_LE + DUTCH.encode("utf-16-le"), DUTCH, "utf-16"),
    (codecs.BOM_UTF16_BE + DUTCH.encode("utf-16-be"), DUTCH, "utf-16"),
    (DUTCH.encode("utf-16-le"), DUTCH, "utf-16-le"),    # BOM stripped by some tool
    (codecs.BOM_UTF8 + DUTCH.encode("utf-8"), DUTCH, "utf-8"),
    (DUTCH.encode("utf-8"), DUTCH, "utf-8"),
])
def test_decode_text_reads_dutch_in_each_encoding(raw, text, encoding):
    decoded = decode_text(raw)
    assert decoded.text == text
    if encoding:
        assert decoded.encoding == encoding


def test_short_dutch_text_is_not_read_as_an_asian_or_central_european_encoding():
    # unrestricted, charset-normalizer reads these bytes as big5 ("Graag 澭n") or mac_latin2
    assert decode_text("Graag één factuur".encode("cp1252")).text == "Graag één factuur"
    assert decode_text("De scène, crème".encode("cp1252")).text == "De scène, crème"


def test_every_example_in_the_encodings_file_is_read_back():
    data = read_yaml(package_file("ingest", "encodings.yaml"))
    assert encoding_candidates()[0] == "cp1252"
    for example in data["examples"]:
        assert decode_text(example["text"].encode(example["encoding"])).text == example["text"]


def test_mail_part_with_a_wrong_declared_charset_is_detected():
    text, fell_back = decode_bytes(DUTCH.encode("cp1252"), "utf-8")
    assert fell_back and text == DUTCH
    assert decode_bytes("één".encode("utf-8"), "us-ascii") == ("één", False)
    with pytest.raises(LookupError):
        decode_bytes(b"x", "x-no-such-charset")


def test_file_text_names_the_file_when_nothing_decodes(monkeypatch):
    import pipeline.ingest.text as text_module

    monkeypatch.setattr(text_module, "decode_text", lambda data: None)
    with pytest.raises(InputFileError, match="export.csv.*geen tekst"):
        file_text(b"\x81\x82", "export.csv")


@pytest.mark.parametrize("encoding, bom", [("cp1252", b""), ("utf-16-le", codecs.BOM_UTF16_LE),
                                           ("utf-8", codecs.BOM_UTF8)])
def test_chat_csv_and_transcript_in_other_encodings(ctx_factory, encoding, bom):
    rows = ("conversation_id,timestamp,sender_type,sender_name,customer_id,message\r\n"
            "c-1,2026-08-12T10:00:00,customer,José,K1,\"Ik heb € 12,50 te veel betaald\"\r\n"
            "c-1,2026-08-12T10:01:00,agent,Sanne,K1,Dat zoek ik uit – één moment\r\n")
    parsed = parse_file(bom + rows.encode(encoding), ctx_factory("chat.csv"))
    assert [m.text for m in parsed.messages] == ["Ik heb € 12,50 te veel betaald",
                                                 "Dat zoek ik uit – één moment"]
    assert parsed.messages[0].author == "José"
    transcript = "Klant: Mijn café kreeg een factuur van € 80\nMedewerker: Dat spijt me, één moment\n"
    call = parse_file(bom + transcript.encode(encoding), ctx_factory("gesprek.txt"))
    assert "€ 80" in call.messages[0].text and "één" in call.messages[1].text
