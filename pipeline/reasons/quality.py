"""How well a label says what its reason's questions say: the share of the reason's most
typical questions that hold every content word of the label.

A label word is found in a question when a word of the question is the same word, holds it
(a compound: 'retour' in 'retourlabel') or shares its stem (a common start of at least four
letters and all but three letters of the shorter word: 'bezorgd' / 'bezorging',
'terugbetaald' / 'terugbetaling'). Stop words, greetings and the label words of
``label_words.yaml`` that only glue a phrase together do not count; negations do
('niet bezorgd' is not 'bezorgd'), but only beside a content word: a label of negations and
particles alone ('nog', 'niet') has no content word, and so no support.
"""

from __future__ import annotations

from typing import Sequence

from pipeline.reasons.resources import kept_words, noise_words, stop_words, tokens


def content_words(label: str, language: str) -> list[str]:
    skip = stop_words(language) | noise_words(language)
    words = [w for w in tokens(label) if w not in skip and len(w) > 1]
    if all(w in kept_words(language) for w in words):
        return []
    return words


def word_in(word: str, words: set[str]) -> bool:
    if word in words:
        return True
    for other in words:
        if len(word) >= 4 and word in other:
            return True
        shared = 0
        for a, b in zip(word, other):
            if a != b:
                break
            shared += 1
        if shared >= max(4, min(len(word), len(other)) - 3):
            return True
    return False


def support(label: str, questions: Sequence[str], language: str) -> float:
    """Share of ``questions`` that hold every content word of ``label`` (0 for a label
    without any)."""
    wanted = content_words(label, language)
    if not wanted or not questions:
        return 0.0
    hits = 0
    for text in questions:
        words = set(tokens(text))
        hits += all(word_in(w, words) for w in wanted)
    return hits / len(questions)
