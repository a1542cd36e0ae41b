"""Dutch (and English) lemmas for topic words: spaCy's blank tokenizer, the lookup lemmatizer's
table from spacy-lookups-data, stop words (spaCy's plus contact-centre words, negations kept),
spelling normalisation and compound splitting with wordfreq's word list.

Everything is loaded lazily on first use and cached per process; nothing downloads.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from pipeline.nlp import rules
from pipeline.nlp.spelling import MAX_WORD_CHARS, SpellingNormaliser

_PARTICIPLE_PREFIX = re.compile(r"^(?:ge|be|ver|ont|her)")
_LONG_VOWEL = re.compile(r"(aa|ee|oo|uu)([^aeiou])$")
COMPOUND_MIN_PART_ZIPF = 3.0
COMPOUND_MAX_WHOLE_ZIPF = 3.3
_TOKEN = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W_])?")
_SENTENCE_END = re.compile(r"[.!?:]\s*$")


@lru_cache(maxsize=4)
def vocabulary(lang: str = "nl") -> dict[str, float]:
    """wordfreq's word list for ``lang`` as word -> zipf frequency (shipped with the package)."""
    from wordfreq import get_frequency_dict

    return {w: round(math.log10(f) + 9, 2) for w, f in get_frequency_dict(lang).items() if f > 0}


def zipf(word: str, lang: str = "nl") -> float:
    return vocabulary(lang).get(word, 0.0)


def is_common_word(word: str, min_zipf: float = 4.0) -> bool:
    return zipf(word) >= min_zipf


@lru_cache(maxsize=1)
def _stop_data() -> tuple[frozenset[str], frozenset[str], dict[str, str], tuple[str, ...]]:
    from spacy.lang.nl.stop_words import STOP_WORDS

    keep = frozenset(rules.word_list("dutch.yaml", "keep_words"))
    extra = frozenset(w.lower() for w in rules.word_list("dutch.yaml", "stop_words"))
    stop = (frozenset(STOP_WORDS) | extra) - keep
    links = tuple(sorted(rules.word_list("dutch.yaml", "compound_links"), key=len, reverse=True))
    return stop, keep, rules.mapping("dutch.yaml", "lemma_overrides"), links


@lru_cache(maxsize=1)
def _compound_data() -> tuple[frozenset[str], re.Pattern]:
    from pipeline.errors import ResourceError

    heads = frozenset(rules.word_list("dutch.yaml", "compound_not_heads"))
    raw = rules.load("dutch.yaml").get("compound_bad_tail")
    try:
        return heads, re.compile(str(raw))
    except re.error as exc:
        raise ResourceError(f"compound_bad_tail does not compile: {exc}",
                            path=f"{rules.PACKAGE_DIR}/dutch.yaml") from exc


def is_stop_word(word: str) -> bool:
    return word in _stop_data()[0]


@lru_cache(maxsize=4)
def tokenizer(lang: str):
    """spaCy's blank pipeline for ``lang`` (tokenizer only; the lemma table is used directly)."""
    import spacy

    return spacy.blank(lang)


@lru_cache(maxsize=4)
def lemma_table(lang: str):
    """spacy-lookups-data's lemma lookup table (what the lemmatizer's 'lookup' mode uses)."""
    from spacy.lookups import load_lookups

    try:
        table = load_lookups(lang, ["lemma_lookup"]).get_table("lemma_lookup")
    except (ValueError, KeyError):
        return {}
    return table                      # a spacy Table: .get(word) hashes the string


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """Dutch lemma of a lower-case word: overrides, lookup table, then a participle/past-tense
    rule checked against the word list ('bezorgd' -> 'bezorgen', 'betaalde' -> 'betalen')."""
    _, _, overrides, _ = _stop_data()
    if word in overrides:
        return overrides[word]
    table = lemma_table("nl")
    found = table.get(word)
    if found:
        return found.lower()
    return _verb_lemma(word) or word


def _verb_lemma(word: str) -> str | None:
    stems = []
    for ending in ("den", "ten", "de", "te"):
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            stems.append(word[:-len(ending)])
    if word.endswith(("d", "t")) and _PARTICIPLE_PREFIX.match(word) and len(word) >= 6:
        stem = word[:-1]
        stems.append(stem[2:] if stem.startswith("ge") else stem)
    elif word.endswith("t") and len(word) >= 5:             # present tense: werkt -> werken
        stems.append(word[:-1])
    best, best_zipf = None, 3.5
    for stem in stems:
        for candidate in _infinitives(stem):
            z = zipf(candidate)
            if z >= best_zipf and _is_lemma(candidate):
                best, best_zipf = candidate, z
    if best is None and not word.endswith(("d", "t", "en", "e")) and len(word) >= 3:
        # A bare verb stem ("krijg", "kom", "ruil"): only when the infinitive is the more
        # frequent word and a lemma itself (not a plural like "deuren").
        for candidate in _infinitives(word):
            z = zipf(candidate)
            if z > max(zipf(word), best_zipf) and _is_lemma(candidate):
                best, best_zipf = candidate, z
    return best


def _is_lemma(word: str) -> bool:
    found = lemma_table("nl").get(word)
    return found is None or found == word


def _infinitives(stem: str) -> list[str]:
    out = [stem + "en", stem + stem[-1] + "en"]
    short = _LONG_VOWEL.sub(lambda m: m.group(1)[0] + m.group(2), stem)
    if short != stem:
        out.append(short + "en")
    for hard, soft in (("f", "v"), ("s", "z")):
        if stem.endswith(hard):
            out.append(stem[:-1] + soft + "en")
            out.append(_LONG_VOWEL.sub(lambda m: m.group(1)[0] + m.group(2), stem[:-1] + soft) + "en")
    return out


@lru_cache(maxsize=200_000)
def split_compound(word: str) -> tuple[str, ...]:
    """The parts of a Dutch compound ('bezorgkosten' -> ('bezorgen', 'kosten')), or () when the word
    is not one. Parts must be frequent words (a verb stem counts by its infinitive); linking
    s/e/en/er between them is dropped."""
    if (len(word) < 7 or len(word) > MAX_WORD_CHARS or not word.isalpha()
            or zipf(word) >= COMPOUND_MAX_WHOLE_ZIPF):
        return ()
    links = _stop_data()[3]
    not_heads, bad_tail = _compound_data()
    best, best_score = (), 0.0
    for cut in range(3, len(word) - 2):
        head, tail = word[:cut], word[cut:]
        tail_zipf = zipf(tail)
        if (tail_zipf < COMPOUND_MIN_PART_ZIPF or bad_tail.fullmatch(tail)
                or len(tail) < 3 or (len(tail) == 3 and tail_zipf < 4.0)):
            continue
        for link in links:
            if link and not head.endswith(link):
                continue
            base = head[:len(head) - len(link)] if link else head
            if len(base) < 3 or base in not_heads or (len(base) == 3 and zipf(base) < 4.5):
                continue
            form, form_zipf = base, zipf(base)
            for verb in _infinitives(base):                 # verb stem: bezorg -> bezorgen
                if zipf(verb) > form_zipf + 0.5:
                    form, form_zipf = verb, zipf(verb)
            if form_zipf < COMPOUND_MIN_PART_ZIPF:
                continue
            score = min(form_zipf, tail_zipf) + 0.1 * min(len(base), len(tail))
            if score > best_score:
                best, best_score = (form, tail), score
    return best


def words(text: str) -> list[str]:
    """The word tokens of ``text`` (no numbers, punctuation or placeholders), for counting."""
    from pipeline.nlp.pii import PLACEHOLDER

    return _TOKEN.findall(PLACEHOLDER.sub(" ", text or ""))


def is_compound(word: str) -> bool:
    return bool(split_compound(word))


@dataclass
class LemmaMaker:
    """Turns cleaned, masked texts into topic words. ``corpus_counts`` (word -> count over the
    texts being prepared) tells the speller which rare words the corpus itself uses often."""

    corpus_counts: Counter | None = None
    batch_size: int = 256
    # Words the corpus writes capitalised (brands, places: Afterpay, PostNL, Breda): never
    # spell-corrected or split.
    proper: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.speller = SpellingNormaliser(vocabulary("nl"), self.corpus_counts,
                                          is_compound=is_compound)

    def lemmas(self, texts: Iterable[str], lang: str = "nl") -> list[str]:
        """One space-separated lemma string per text."""
        from pipeline.nlp.pii import PLACEHOLDER

        cleaned = [PLACEHOLDER.sub(" . ", t or "") for t in texts]
        if lang == "nl":
            return [" ".join(self._dutch(doc))
                    for doc in tokenizer("nl").pipe(cleaned, batch_size=self.batch_size)]
        return [" ".join(words) for words in other_language_words(cleaned, lang, self.batch_size)]

    def _dutch(self, doc) -> list[str]:
        stop = _stop_data()[0]
        out: list[str] = []
        sentence_start = True
        for token in doc:
            text = token.text
            if not _TOKEN.fullmatch(text):
                sentence_start = sentence_start or bool(_SENTENCE_END.match(text))
                continue
            lower = text.lower()
            if (text[:1].isupper() and not sentence_start and not self.speller.known(lower)
                    and zipf(lower) < 2.5):
                sentence_start = False
                continue                      # a capitalised unknown word mid-sentence: a name
            sentence_start = False
            if lower in stop or len(lower) < 2:
                continue
            if lower in self.proper:
                out.append(lower)
                continue
            word = self.speller.correct(lower)
            base = lemma(word)
            if base in stop:
                continue
            out.append(base)
            for part in split_compound(base) or split_compound(word):
                part_lemma = lemma(part)
                if part_lemma not in stop and part_lemma != base:
                    out.append(part_lemma)
        return out


def other_language_words(texts: list[str], lang: str, batch_size: int = 256) -> Iterable[list[str]]:
    """Lower-case lemmas (English: lookup table) without stop words, for non-Dutch contacts."""
    try:
        nlp = tokenizer(lang)
    except (ImportError, OSError, KeyError, ValueError):
        nlp = tokenizer("xx")
    stop = set(getattr(nlp.Defaults, "stop_words", set()))
    stop |= {w.lower() for w in rules.word_list("dutch.yaml", "other_stop_words")}
    table = lemma_table(lang) if lang == "en" else {}
    for doc in nlp.pipe(texts, batch_size=batch_size):
        words = []
        for token in doc:
            if not _TOKEN.fullmatch(token.text):
                continue
            lower = token.text.lower()
            base = table.get(lower, lower).lower() if table else lower
            if lower in stop or base in stop or len(base) < 2:
                continue
            words.append(base)
        yield words
