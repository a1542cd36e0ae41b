from __future__ import annotations

from pipeline.nlp.language import detect_many


def test_languages_short_texts_and_empty():
    texts = ["Mijn pakket is nog steeds niet bezorgd, kunt u kijken waar het blijft?",
             "My parcel was delivered to the wrong address, can you help me?",
             "Ich habe meine Bestellung noch nicht erhalten, bitte helfen Sie mir.",
             "ok top",
             ""]
    codes = [code for code, _ in detect_many(texts)]
    assert codes == ["nl", "en", "de", "nl", "unknown"]
