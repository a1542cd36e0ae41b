"""Readable reasons: Dutch c-TF-IDF keywords, a label a person could have written, examples.

Keywords come from the lemmas (1-3-grams, stop words out, negations kept). The label is a phrase
of the question texts themselves: up to 4 content words that stand close together in one clause
(:func:`candidates`), scored by coverage x lift, read as the customers most often wrote it with
a few prepositions kept ('pakket bij buren afgeleverd'). Only words frequent in the corpus or
known to a Dutch word-frequency list (no typo variants), never greetings or names (stop list,
masked text). What shapes a phrase (clause words, idioms like 'per ongeluk', compound names like
'track en trace') is data: pipeline/resources/reasons/label_words.yaml.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from pipeline.reasons.merge import OUTLIER
from pipeline.reasons.resources import (LabelGroup, compounds, label_rules,  # noqa: F401
                                        kept_words, load_groups, load_label_groups, stop_words,
                                        tokens)

MIN_COVERAGE = 0.12      # a label's n-gram must occur in this share of the reason's questions
LENGTH_FACTOR = {1: 0.35, 2: 1.0, 3: 1.1, 4: 1.1}   # prefer 2-4 words ('pakket niet bezorgd')
MIN_WORD_LIFT = 1.5      # every content word of a label is this much more common in the reason
LABEL_MAX_WORDS = 4
COVERAGE_POWER = 0.75     # < 1: a 2-3-word phrase may cover less than a single word
HEAD_POWER = 0.5          # > 0: prefer phrases around the reason's most common word ('cadeaubon')
EXTEND_SHARE = 0.3        # a single word gives way to a phrase around it covering this share
MAX_GAP = 3               # other words allowed between two words of a label in the text
PHRASE_MAX_WORDS = 4      # longest incidental idiom or compound name
CLAUSE_BREAK = re.compile(r"[.!?;:,()\n\r\"“”]+")
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
    counts, _ = _class_counts(matrix, labels, classes)
    return vectorizer.get_feature_names_out(), counts, matrix


def _class_counts(matrix, labels: np.ndarray, classes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Docs per class containing each term (class x term) and each doc's row in ``classes``
    (-1: outlier or a class not listed)."""
    index = {c: i for i, c in enumerate(classes)}
    rows = np.array([index.get(int(c), -1) for c in labels], dtype=np.int64)
    keep = rows >= 0
    onehot = sparse.csr_matrix((np.ones(int(keep.sum()), dtype=np.float32),
                                (rows[keep], np.flatnonzero(keep))),
                               shape=(len(classes), matrix.shape[0]))
    return (onehot @ matrix).toarray(), rows


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


def _clauses(text: str, language: str) -> list[list[str]]:
    """The text's clauses as token lists: split at punctuation and clause words ('maar',
    'omdat'); compound names become one token ('track_en_trace'), incidental idioms ('per
    ongeluk') gaps ('')."""
    rules, joins = label_rules(language), compounds(language)
    result = []
    for part in CLAUSE_BREAK.split(text or ""):
        words = tokens(part)
        for n in range(PHRASE_MAX_WORDS, 1, -1):      # compounds first: one token each
            i = 0
            while i <= len(words) - n:
                joined = joins.get(" ".join(words[i:i + n]))
                words[i:i + n] = [joined] if joined else words[i:i + n]
                i += 1
        for n in range(PHRASE_MAX_WORDS, 0, -1):
            for i in range(len(words) - n + 1):
                if " ".join(words[i:i + n]) in rules["incidental"]:
                    words[i:i + n] = [""] * n
        clause: list[str] = []
        for word in words:
            if word in rules["breaker"]:
                result.append(clause)
                clause = []
            else:
                clause.append(word)
        result.append(clause)
    return [c for c in result if c]


def candidates(text: str, language: str) -> dict[str, str]:
    """Label candidates of one text: key (1-4 content words, each within MAX_GAP other words of
    the next, in one clause) -> how it reads (the content words with the bridge words between
    them: 'het pakket is bij de buren afgeleverd' -> 'pakket bij buren afgeleverd')."""
    stops, bridges = stop_words(language), label_rules(language)["bridge"]
    found: dict[str, str] = {}
    for clause in _clauses(text, language):
        content = [i for i, w in enumerate(clause) if w and w not in stops and len(w) > 1]
        for a, start in enumerate(content):
            span = [start]
            for nxt in content[a + 1:a + LABEL_MAX_WORDS]:
                if nxt - span[-1] - 1 > MAX_GAP:
                    break
                span.append(nxt)
                words = [clause[i] for i in span]
                if not _distinct(words):
                    break
                key = " ".join(words)
                if key not in found:
                    found[key] = " ".join(w for w in clause[start:nxt + 1]
                                          if w in words or w in bridges).replace("_", " ")
            found.setdefault(clause[start], clause[start].replace("_", " "))
    return found


def labels(texts: Sequence[str], labels_: np.ndarray, classes: list[int], language: str,
           fallback: dict[int, list[str]] | None = None,
           typical: dict[int, np.ndarray] | None = None) -> dict[int, str]:
    """One readable, unique label per class from the question texts: the phrase (1-4 content
    words close together in one clause of the text, see :func:`candidates`) that best combines
    coverage of the reason and lift over the corpus, preferring 2-4 words, whose every content
    word is itself distinctive for the reason and which passes the label word rules (no time
    words, chatter or dangling negations). It reads as the customers most often wrote it.
    ``typical``: per class, the rows of its most typical questions (nearest its centre); the
    coverage that ranks phrases is then half over those (a label should say what the core of
    the reason says: sample nl, label support 0.62 -> see README), half over all."""
    found = [candidates(str(t), language) for t in texts]
    vectorizer = CountVectorizer(analyzer=list, binary=True, dtype=np.float32,
                                 min_df=min(2, max(1, len(texts) // 4)))
    matrix = vectorizer.fit_transform([list(f) for f in found])
    names = vectorizer.get_feature_names_out()
    counts, rows = _class_counts(matrix, labels_, classes)
    sizes = np.array([max(1, int(np.sum(labels_ == c))) for c in classes], dtype=np.float32)
    coverage = counts / sizes[:, None]
    doc_freq = np.asarray(matrix.sum(axis=0)).ravel()
    lift = coverage / np.maximum(doc_freq / max(1, len(texts)), 1e-9)[None, :]
    unigram = {name: i for i, name in enumerate(names) if " " not in name}
    unigram_df = Counter({name: int(doc_freq[i]) for name, i in unigram.items()})
    min_corpus_df = max(3, int(0.002 * len(texts)))
    function = _function_words(language)
    factor = np.array([LENGTH_FACTOR.get(n.count(" ") + 1, LENGTH_FACTOR[LABEL_MAX_WORDS])
                       for n in names])
    allowed = np.array([label_allowed(n, language)
                        and all(_known(w, unigram_df, language, min_corpus_df) for w in n.split())
                        for n in names])
    content = [[unigram[w] for w in n.split() if w not in function and w in unigram]
               for n in names]
    result: dict[int, str] = {}
    used: set[str] = set()
    for row, cls in enumerate(classes):
        ranked = coverage[row]
        if typical is not None and len(typical.get(cls, [])):
            core = np.asarray(matrix[np.asarray(typical[cls])].sum(axis=0)).ravel()
            ranked = (coverage[row] + core / len(typical[cls])) / 2
        word_lift = np.array([min((lift[row, j] for j in idx), default=0.0) for idx in content])
        ok = allowed & (word_lift >= MIN_WORD_LIFT)
        if not np.any(ok & (coverage[row] >= MIN_COVERAGE)):   # a spread-out reason ('weer')
            ok &= coverage[row] >= MIN_COVERAGE / 2
        else:
            ok &= coverage[row] >= MIN_COVERAGE
        head = np.array([max((coverage[row, j] for j in idx), default=0.0) for idx in content])
        rank = ranked ** COVERAGE_POWER * np.log1p(lift[row]) * factor * head ** HEAD_POWER
        rank = np.where(ok, rank, -1.0)
        order = _extend([i for i in np.argsort(-rank, kind="stable")[:40] if rank[i] > 0],
                        names, coverage[row])
        members = np.flatnonzero(rows == row)
        shown = [_reading(names[i], members, found) for i in order]
        label = next((s for s in shown if s not in used), None)
        if label is None and fallback and fallback.get(cls):
            # the keywords obey the same word rules as the phrases: a lone particle or
            # negation ('nog', 'niet') is a keyword of a group, never its label
            label = next((k for k in fallback[cls]
                          if k not in used and label_allowed(k, language)), None)
        if label is None or label in used:
            label = f"{shown[0] if shown else 'reden'} ({cls})"
        used.add(label)
        result[cls] = label
    return result


def sub_reasons(texts: Sequence[str], lemmas: Sequence[str], labels_: np.ndarray,
                sub_labels: np.ndarray, sub_parents: np.ndarray, language: str) -> list[dict]:
    """Label and size per sub-reason; a sub-reason is labelled against its siblings (the same
    reason's other sub-reasons), so the label says what sets it apart within its reason. A
    reason whose questions hold no word at all (chatter only) numbers its groups."""
    result = [{"parent": int(p), "label": "", "size": int(np.sum(sub_labels == i))}
              for i, p in enumerate(sub_parents)]
    for parent in sorted(set(int(p) for p in sub_parents)):
        members = np.flatnonzero((labels_ == parent) & (sub_labels != OUTLIER))
        subs = [i for i, p in enumerate(sub_parents) if p == parent]
        try:
            words = keywords([lemmas[i] for i in members], sub_labels[members], subs, language)
            names = labels([texts[i] for i in members], sub_labels[members], subs, language,
                           fallback=words)
        except ValueError:        # scikit-learn: empty vocabulary
            names = {sub: f"groep {rank}" for rank, sub in enumerate(subs, start=1)}
        for sub in subs:
            result[sub]["label"] = names[sub]
    return result


def _extend(order: list[int], names: np.ndarray, coverage: np.ndarray) -> list[int]:
    """Put before each single word the best phrase around it that still covers EXTEND_SHARE of
    its questions ('cadeaubon' -> 'cadeaubon niet geaccepteerd')."""
    result: list[int] = []
    for i in order:
        if " " not in names[i]:
            result.extend(j for j in order if j not in result and " " in names[j]
                          and names[i] in names[j].split()
                          and coverage[j] >= EXTEND_SHARE * coverage[i])
        if i not in result:
            result.append(i)
    return result


def _reading(key: str, members: np.ndarray, found: list[dict[str, str]]) -> str:
    """How the class's questions most often wrote the phrase ``key``."""
    seen = Counter(found[i][key] for i in members if key in found[i])
    return min(seen, key=lambda s: (-seen[s], len(s), s)) if seen else key.replace("_", " ")


@lru_cache(maxsize=8)
def _function_words(language: str) -> frozenset[str]:
    """Kept stop words (negations, 'nog') and edge/last label words: exempt from the lift test."""
    rules = label_rules(language)
    return frozenset(kept_words(language) | rules["edge"] | rules["last"])


def label_allowed(phrase: str, language: str) -> bool:
    """Whether a phrase's words may form a label: no time words, chatter or units anywhere,
    no particle or indefinite pronoun at either end, no negation at the end, no 'ander(e)' or
    second half of a split compound first (the groups of label_words.yaml)."""
    words = tokens(phrase)
    if not words:
        return False
    rules = label_rules(language)
    return (not set(words) & rules["anywhere"]
            and words[0] not in rules["edge"] | rules["first"]
            and words[-1] not in rules["edge"]
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
