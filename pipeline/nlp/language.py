"""Offline language detection per contact with lingua (its models ship in the wheel).

The detector knows only the languages a Dutch contact centre meets, which makes it faster and
more accurate; a short or uncertain text is taken to be Dutch (the export's main language).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

# ISO 639-1 codes the detector chooses between.
LANGUAGES = ("nl", "en", "de", "fr", "tr", "pl", "ar", "es")
DEFAULT = "nl"
MIN_WORDS = 4
MIN_CONFIDENCE = 0.5
MAX_CHARS = 300


@lru_cache(maxsize=4)
def detector(languages: tuple[str, ...] = LANGUAGES):
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    chosen = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
              for code in languages]
    return LanguageDetectorBuilder.from_languages(*chosen).build()


def detect_many(texts: Sequence[str], default: str = DEFAULT) -> list[tuple[str, float]]:
    """(ISO code, confidence) per text. Empty text: ('unknown', 0.0). Fewer than MIN_WORDS words
    or a best guess under MIN_CONFIDENCE: (default, confidence)."""
    results: list[tuple[str, float]] = [("unknown", 0.0)] * len(texts)
    todo = [(i, t[:MAX_CHARS]) for i, t in enumerate(texts) if t and t.strip()]
    if not todo:
        return results
    values = detector().compute_language_confidence_values_in_parallel([t for _, t in todo])
    for (i, text), ranked in zip(todo, values):
        if not ranked:
            results[i] = (default, 0.0)
            continue
        best = ranked[0]
        code = best.language.iso_code_639_1.name.lower()
        confidence = float(best.value)
        if len(text.split()) < MIN_WORDS or confidence < MIN_CONFIDENCE:
            code = default
        results[i] = (code, round(confidence, 4))
    return results
