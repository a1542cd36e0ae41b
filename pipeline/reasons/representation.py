"""Readable reasons: Dutch c-TF-IDF keywords, a label a person could have written, examples.

Keywords come from the lemmas (1-3-grams, stop words out, negations kept); the label is the
best-covering 1-3-gram of the question texts themselves, so it reads like the customers wrote
it ('pakket niet bezorgd'), using only words that are frequent in the corpus or known to a Dutch
word-frequency list (no typo variants), never greetings or names (stop list, masked text).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from pipeline.errors import ResourceError
from pipeline.reasons.resources import load_groups, stop_words, tokens, word_groups

MIN_COVERAGE = 0.12      # a label's n-gram must occur in this share of the reason's questions
LENGTH_FACTOR = {1: 0.5, 2: 1.0, 3: 1.1, 4: 1.1}   # prefer 2-4 words ('pakket niet bezorgd')
MIN_WORD_LIFT = 1.5      # every content word of a label is this much more common in the reason
LABEL_MAX_WORDS = 4
COVERAGE_POWER = 0.75     # < 1: a 2-3-word phrase may cover less than a single word
_POSITIONS = {"anywhere", "edge", "last"}
EXAMPLE_CHARS = 240


def analyzer(language: str, max_n: int = 3):
    stops = stop_words(language)

    def analyze(text: str) -> list[str]:
        words = [w for w in tokens(text) if w not in stops and len(w) > 1]
        grams = list(words)
        for n in range(2, max_n + 1):
            grams.extend(" ".join(words[i:i + n]) for i in range(len(words) - n + 1)
                         if _distinct(words[i:i + n]))
        return grams
    return analyze


def _distinct(words: list[str]) -> bool:
    """No repeated word and no compound next to its own parts ('terugbetaling terug')."""
    return all(a != b and a not in b and b not in a
               for i, a in enumerate(words) for b in words[i + 1:])


def _class_matrix(docs: Sequence[str], labels: np.ndarray, classes: list[int], language: str,
                  min_df: int, max_n: int = 3):
    vectorizer = CountVectorizer(analyzer=analyzer(language, max_n), binary=True,
                                 min_df=min(min_df, max(1, len(docs) // 4)), dtype=np.float32)
    matrix = vectorizer.fit_transform(docs)
    index = {c: i for i, c in enumerate(classes)}
    rows = [index.get(int(c), -1) for c in labels]
    keep = np.array([r >= 0 for r in rows])
    onehot = sparse.csr_matrix((np.ones(keep.sum(), dtype=np.float32),
                                (np.array(rows)[keep], np.flatnonzero(keep))),
                               shape=(len(classes), len(docs)))
    counts = (onehot @ matrix).toarray()               # docs per class containing each term
    return vectorizer.get_feature_names_out(), counts, matrix


def ctfidf(counts: np.ndarray) -> np.ndarray:
    """BERTopic's class-based TF-IDF (ClassTfidfTransformer, reduce_frequent_words=True) on a
    class x term count matrix: sqrt of the L1-normalised term frequency per class times
    log(1 + mean words per class / term frequency over all classes)."""
    counts = np.asarray(counts, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    tf = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    df = counts.sum(axis=0)
    avg = counts.sum() / max(1, counts.shape[0])
    idf = np.log(1 + np.divide(avg, df, out=np.zeros_like(df), where=df > 0))
    return np.sqrt(tf) * idf


def _dedupe(terms: list[str], limit: int) -> list[str]:
    chosen: list[str] = []
    for term in terms:
        words = set(term.split())
        if any(words <= set(c.split()) for c in chosen):
            continue
        chosen = [c for c in chosen if not set(c.split()) < words or len(chosen) < 2]
        chosen.append(term)
        if len(chosen) == limit:
            break
    return chosen


def keywords(docs: Sequence[str], labels: np.ndarray, classes: list[int], language: str,
             top_n: int = 8) -> dict[int, list[str]]:
    """c-TF-IDF keywords (1-3-grams) per class from lemma strings (or texts)."""
    names, counts, _ = _class_matrix(docs, labels, classes, language, min_df=2)
    scores = ctfidf(counts)
    result = {}
    for row, cls in enumerate(classes):
        order = np.argsort(-scores[row], kind="stable")[: top_n * 4]
        terms = [names[i] for i in order if scores[row, i] > 0]
        result[cls] = _dedupe(terms, top_n)
    return result


def _known(word: str, corpus_df: Counter, language: str, min_corpus_df: int) -> bool:
    if corpus_df[word] >= min_corpus_df:
        return True
    from wordfreq import zipf_frequency

    return zipf_frequency(word, language if language in ("nl", "en") else "nl") >= 2.5


def labels(texts: Sequence[str], labels_: np.ndarray, classes: list[int], language: str,
           fallback: dict[int, list[str]] | None = None) -> dict[int, str]:
    """One readable, unique label per class from the question texts: the 1-4-gram (stop words
    out) that best combines coverage of the reason and lift over the corpus, preferring 2-4
    words, whose every content word is itself distinctive for the reason and which passes the
    label word rules (no time words, chatter or dangling negations)."""
    names, counts, matrix = _class_matrix(texts, labels_, classes, language, min_df=2,
                                          max_n=LABEL_MAX_WORDS)
    scores = ctfidf(counts)
    sizes = np.array([max(1, int(np.sum(labels_ == c))) for c in classes], dtype=np.float32)
    coverage = counts / sizes[:, None]
    doc_freq = np.asarray(matrix.sum(axis=0)).ravel()
    overall = doc_freq / max(1, len(texts))
    lift = coverage / np.maximum(overall, 1e-9)[None, :]
    unigram = {name: i for i, name in enumerate(names) if " " not in name}
    unigram_df = Counter({name: int(doc_freq[i]) for name, i in unigram.items()})
    min_corpus_df = max(3, int(0.002 * len(texts)))
    function = _function_words(language)
    lengths = np.array([n.count(" ") + 1 for n in names])
    factor = np.array([LENGTH_FACTOR.get(int(n), LENGTH_FACTOR[max(LENGTH_FACTOR)])
                       for n in lengths])
    allowed = np.array([label_allowed(n, language)
                        and all(_known(w, unigram_df, language, min_corpus_df) for w in n.split())
                        for n in names])
    content = [[unigram[w] for w in n.split() if w not in function and w in unigram]
               for n in names]
    result: dict[int, str] = {}
    used: set[str] = set()
    for row, cls in enumerate(classes):
        word_lift = np.array([min((lift[row, j] for j in idx), default=0.0) for idx in content])
        ok = allowed & (coverage[row] >= MIN_COVERAGE) & (scores[row] > 0) & \
            (word_lift >= MIN_WORD_LIFT)
        rank = coverage[row] ** COVERAGE_POWER * np.log1p(lift[row]) * factor
        rank = np.where(ok, rank, -1.0)
        order = [i for i in np.argsort(-rank, kind="stable")[:20] if rank[i] > 0]
        label = names[order[0]] if order else None
        if label is None and fallback and fallback.get(cls):
            label = fallback[cls][0]
        label = label or f"reden {cls}"
        if label in used:  # make it unique with the next distinct term
            extra = next((names[i] for i in order[1:]
                          if not set(names[i].split()) <= set(label.split())), None)
            label = f"{label} ({extra})" if extra else f"{label} ({cls})"
        used.add(label)
        result[cls] = label
    return result


@dataclass(frozen=True)
class LabelGroup:
    id: str
    language: str
    position: str
    words: frozenset[str]
    examples: tuple[tuple[str, bool], ...]


def load_label_groups(path: str | Path | None = None) -> list[LabelGroup]:
    """Words that read badly in a label (time words, chatter, dangling particles), validated."""
    groups = []
    for item, name, where in word_groups("label_words.yaml", path):
        words = item["words"]
        if item.get("position") not in _POSITIONS:
            raise ResourceError(f"'position' must be one of {sorted(_POSITIONS)}", path=name,
                                where=where)
        cases = item.get("examples")
        if not isinstance(cases, list) or not cases or not all(
                isinstance(c, dict) and isinstance(c.get("phrase"), str)
                and isinstance(c.get("ok"), bool) for c in cases):
            raise ResourceError("'examples' must list {phrase: str, ok: bool} (tests run them)",
                                path=name, where=where)
        groups.append(LabelGroup(item["id"], item["language"], item["position"],
                                 frozenset(w.lower().strip() for w in words),
                                 tuple((c["phrase"], c["ok"]) for c in cases)))
    return groups


@lru_cache(maxsize=8)
def _label_rules(language: str) -> dict[str, frozenset[str]]:
    rules: dict[str, set[str]] = {p: set() for p in _POSITIONS}
    for group in load_label_groups():
        if group.language in (language, "any"):
            rules[group.position] |= group.words
    return {p: frozenset(w) for p, w in rules.items()}


@lru_cache(maxsize=8)
def _function_words(language: str) -> frozenset[str]:
    """Kept stop words (negations, 'nog') and edge/last label words: exempt from the lift test."""
    rules = _label_rules(language)
    kept = {w for g in load_groups() if g.kind == "keep" and g.language in (language, "any")
            for w in g.words}
    return frozenset(kept | rules["edge"] | rules["last"])


def label_allowed(phrase: str, language: str) -> bool:
    """Whether a phrase's words may form a label: no time words or chatter anywhere, no
    particle at either end, no negation at the end."""
    words = tokens(phrase)
    if not words:
        return False
    rules = _label_rules(language)
    return (not set(words) & rules["anywhere"]
            and words[0] not in rules["edge"] and words[-1] not in rules["edge"]
            and words[-1] not in rules["last"])


def examples(texts: Sequence[str], embeddings: np.ndarray, labels_: np.ndarray,
             centroids: dict[int, np.ndarray], n: int = 3) -> dict[int, list[str]]:
    """The ``n`` distinct questions nearest to each reason's centre (texts are PII-masked)."""
    result = {}
    for cls, centre in centroids.items():
        members = np.flatnonzero(labels_ == cls)
        order = members[np.argsort(-(embeddings[members] @ centre), kind="stable")]
        chosen, seen = [], set()
        for i in order:
            text = " ".join(str(texts[i]).split())
            key = text.lower()
            if len(text) < 8 or key in seen:
                continue
            seen.add(key)
            chosen.append(text if len(text) <= EXAMPLE_CHARS else text[:EXAMPLE_CHARS - 1] + "…")
            if len(chosen) == n:
                break
        result[cls] = chosen
    return result


def describe(language: str, words: list[str], size: int) -> str:
    if language == "en":
        return f"Found automatically in {size} contacts; key words: {', '.join(words[:5])}."
    return f"Automatisch gevonden in {size} contacten; kernwoorden: {', '.join(words[:5])}."
