"""Data-driven spelling normalisation: a rare word is mapped to a frequent word one typing error
away ('ontvnagen' -> 'ontvangen', 'bestleling' -> 'bestelling').

Frequent words are wordfreq's Dutch list plus the words frequent in the corpus itself. Lookup uses
a SymSpell-style index of one-character deletions (built once, ~0.5 s) and an optimal-string-
alignment distance, so substitutions, insertions, deletions and swapped neighbours are found;
corrections are cached per word.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Callable, Mapping

# Longer "words" are pasted data (a base64 blob, a run of one letter), never Dutch: the speller
# and the compound splitter are quadratic in a word's length, so they leave such words alone.
MAX_WORD_CHARS = 60


def osa_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein without repeated edits), capped."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


_INDEXES: dict[tuple[int, float, int], tuple[Mapping, dict[str, float], dict[str, list[str]]]] = {}


def _vocabulary_index(vocabulary: Mapping[str, float], target_zipf: float, min_length: int):
    """The deletion index of a word list's frequent words, built once per process and list."""
    key = (id(vocabulary), target_zipf, min_length)
    cached = _INDEXES.get(key)
    if cached is None or cached[0] is not vocabulary:    # an id can be reused after collection
        targets = {w: z for w, z in vocabulary.items()
                   if z >= target_zipf and len(w) >= min_length and w.isalpha()}
        index: dict[str, list[str]] = {}
        for word in targets:
            for deleted in _deletes(word):
                index.setdefault(deleted, []).append(word)
        cached = _INDEXES[key] = (vocabulary, targets, index)
    return cached[1], cached[2]


class _Overlay:
    """Read-only view of a small per-corpus mapping over the shared word-list mapping."""

    def __init__(self, top: dict, base: Mapping, merge: bool = False) -> None:
        self.top, self.base, self.merge = top, base, merge

    def get(self, key, default=None):
        if self.merge:
            found = list(self.base.get(key, ())) + self.top.get(key, [])
            return found or default
        if key in self.top:
            return self.top[key]
        return self.base.get(key, default)

    def __contains__(self, key) -> bool:
        return key in self.top or key in self.base

    def __getitem__(self, key):
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value


class SpellingNormaliser:
    """``correct(word)``: the frequent form of a rare ``word`` or ``word`` itself.

    vocabulary: word -> zipf frequency (wordfreq scale). corpus: word -> count in this corpus.
    A word is left alone when it is known (zipf >= known_zipf or corpus count >= corpus_known),
    shorter than min_length, or a compound of known parts (``is_compound``). Words of 4 letters
    only map to very frequent words (short_target_zipf), one edit away; 8+ letters allow two.
    """

    def __init__(self, vocabulary: Mapping[str, float], corpus: Mapping[str, int] | None = None,
                 *, known_zipf: float = 2.0, target_zipf: float = 3.0, corpus_known: int = 20,
                 min_length: int = 4, short_target_zipf: float = 4.0,
                 is_compound: Callable[[str], bool] | None = None) -> None:
        self.vocabulary = vocabulary
        self.corpus = Counter(corpus or {})
        self.known_zipf = known_zipf
        self.target_zipf = target_zipf
        self.corpus_known = corpus_known
        self.min_length = min_length
        self.short_target_zipf = short_target_zipf
        self.is_compound = is_compound
        self._cache: dict[str, str] = {}
        self._index: _Overlay | None = None
        self._targets: _Overlay | dict[str, float] = {}

    def score(self, word: str) -> float:
        """zipf, raised by the word's corpus frequency."""
        zipf = self.vocabulary.get(word, 0.0)
        count = self.corpus.get(word, 0)
        return max(zipf, 2.0 + math.log10(count)) if count else zipf

    def known(self, word: str) -> bool:
        return (self.vocabulary.get(word, 0.0) >= self.known_zipf
                or self.corpus.get(word, 0) >= self.corpus_known)

    def _build(self) -> None:
        base_targets, base_index = _vocabulary_index(self.vocabulary, self.target_zipf,
                                                     self.min_length - 1)
        extra: dict[str, float] = {}
        for word, count in self.corpus.items():
            if count >= self.corpus_known and word.isalpha() and len(word) >= self.min_length - 1:
                score = self.score(word)
                if score > base_targets.get(word, 0.0):
                    extra[word] = score
        index: dict[str, list[str]] = {}
        for word in extra:
            for deleted in _deletes(word):
                index.setdefault(deleted, []).append(word)
        self._targets = _Overlay(extra, base_targets)
        self._index = _Overlay(index, base_index, merge=True)

    def warm(self) -> None:
        """Build the deletion index now (before worker processes fork) instead of on first use."""
        if self._index is None:
            self._build()

    def correct(self, word: str) -> str:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        result = word
        if (self.min_length <= len(word) <= MAX_WORD_CHARS and word.isalpha()
                and not self.known(word)
                and not (self.is_compound and self.is_compound(word))):
            result = self._best(word) or word
        self._cache[word] = result
        return result

    def _best(self, word: str) -> str | None:
        if self._index is None:
            self._build()
        index, targets = self._index, self._targets
        candidates = set(index.get(word, ()))
        for deleted in _deletes(word):
            if deleted in targets:
                candidates.add(deleted)
            candidates.update(index.get(deleted, ()))
        limit = 2 if len(word) >= 8 else 1
        best, best_key = None, None
        for candidate in candidates:
            distance = osa_distance(word, candidate, limit)
            if distance > limit:
                continue
            if len(word) < 5 and targets[candidate] < self.short_target_zipf:
                continue                    # short words only become very frequent words
            # the word itself breaks a tie: the candidates are a set, whose order changes with
            # each process's string hashing (two runs, or a run on workers, chose differently)
            key = (distance, -targets[candidate], candidate)
            if best_key is None or key < best_key:
                best, best_key = candidate, key
        return best
