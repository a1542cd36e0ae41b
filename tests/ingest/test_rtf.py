"""Outlook's RTF bodies: [MS-OXRTFCP] decompression and RTF to text."""

import struct

import pytest

from pipeline.ingest.rtf import RtfError, decompress, is_compressed_rtf, rtf_to_text


def test_stream_from_another_implementation_decompresses():
    # written by an independent MS-OXRTFCP compressor (the xrtf package's README example):
    # literals, references into the preset dictionary and into its own output, the end marker
    data = b"\x1a\x00\x00\x00\x1c\x00\x00\x00LZFu\xe2\xd4KQA\x00\x04 WXYZ\rn}\x01\x0e\xb0"
    assert is_compressed_rtf(data)
    assert decompress(data) == b"{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}"


def test_uncompressed_and_broken_streams():
    raw = b"{\\rtf1 hoi}"
    assert decompress(struct.pack("<IIII", len(raw) + 12, len(raw), 0x414C454D, 0) + raw) == raw
    with pytest.raises(RtfError, match="unknown RTF compression"):
        decompress(struct.pack("<IIII", 12, 0, 0x12345678, 0))
    with pytest.raises(RtfError, match="shorter than its 16-byte header"):
        decompress(b"LZFu")


@pytest.mark.parametrize("rtf, text", [
    (rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}{\colortbl;\red0;}\pard Beste,\par\par Caf\'e9 \'80 5\line Karin\par}",
     "Beste,\n\nCafé € 5\nKarin"),
    (rb"{\rtf1\ansi\uc1 Prijs \u8364? 5, \u8220?ja\u8221?}", "Prijs € 5, “ja”"),
    (rb"{\rtf1\ansi\fromhtml1{\*\htmltag19 <html>}\htmlrtf {\htmlrtf0 Mijn pakket\htmlrtf }\htmlrtf0 "
     rb"{\*\htmltag84 <br>}\htmlrtf \par \htmlrtf0 is kwijt.}", "Mijn pakket\nis kwijt."),
    (rb"{\rtf1 a\{b\}c\\d{\*\unknown verborgen}e}", "a{b}c\\de"),
])
def test_rtf_to_text(rtf, text):
    assert rtf_to_text(rtf) == text
