"""ReasonModel: BERTopic (seeded UMAP, HDBSCAN, Ward) over one language's questions, made stable.

The scikit-learn estimator contract: ``__init__`` only stores parameters, ``fit`` returns self
and sets attributes ending in ``_``; ``transform`` needs a fitted (or loaded) model.

fit(texts, lemmas):
  1. embed (the backend is fitted on at most ``fit_sample_size`` texts, chosen by seed); each
     distinct question is clustered once (repeats made UMAP differ from run to run);
  2. UMAP (random_state fixed) once; HDBSCAN with min_cluster_size ~ sqrt(n)/2.5 on it counts
     the dense groups (retried smaller while fewer than ``min_reasons`` come out);
  3. BERTopic with that UMAP output and, as its cluster model, Ward's tree cut into that many
     reasons, held to [min_reasons, max_reasons] (a small group is raised only as far as
     n / PER_REASON). Ward places every question, also the ones HDBSCAN called noise
     (how='reduced'); a reason of one question becomes an outlier. On BANKING77 at 40 reasons
     this scored NMI 0.78-0.79 / ARI 0.40-0.42 against 0.776 / 0.406 for HDBSCAN's clusters
     merged down to 40 with their outliers voted in, and it did better on xSID nl and the
     sample as well. The same tree cut finer gives each reason its sub-reasons: at the
     larger of HDBSCAN's count and its count at half the min_cluster_size (BANKING77 at the
     40-reason cap: 85-95 sub-reasons, NMI 0.836 against the 77 intents; at HDBSCAN's own
     count of ~50 it was 0.807);
     a group of fewer than MIN_FIT_TEXTS distinct questions (say 20 English contacts in a Dutch
     export) is too small for UMAP's neighbour graph: it is clustered by average-linkage
     agglomerative clustering of the embeddings into ~sqrt(n) reasons instead;
  4. guided mode: clusters that match an analyst's seeded reason take its id (how='seeded');
     seeded reasons beyond ``max_reasons`` are reached by merging (merge.py);
  5. any outliers left are reduced by a k-nearest-neighbour vote among assigned questions,
     down to at most ``max_outlier_share``; the similarity bar used is kept as ``threshold_``;
  6. every other text is assigned by the same vote (fast: no UMAP at transform time).
A question's probability is the share of its nearest clustered neighbours' vote that goes to
its own reason. transform(texts) uses step 6 only; texts below ``threshold_`` fit no reason
(-1, drift).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from pipeline.atomic import atomic_path, write_text
from pipeline.batches import DEFAULT_BATCH
from pipeline.errors import NotFittedError
from pipeline.reasons import merge, representation, themes
from pipeline.reasons.embed import make_embedder, needs_saving

OUTLIER = -1
MIN_FIT_TEXTS = 30         # BERTopic (UMAP, HDBSCAN, Ward) from this many distinct questions
MIN_SMALL_FIT_TEXTS = 4    # fewer than MIN_FIT_TEXTS: agglomerative clustering; fewer: no fit
FORMAT_VERSION = 1
NATURAL_QUANTILE = 0.02
MIN_CLUSTER_FLOOR = 3      # smallest HDBSCAN cluster tried while short of min_reasons
PER_REASON = 5             # a small group gets at most n / PER_REASON reasons below min_reasons
MIN_SUB_SIZE = 3           # questions a sub-reason needs
SUB_DENSITY = 2            # sub-reasons: dense groups at 1/SUB_DENSITY of the reasons' size
EMBED_BATCH = DEFAULT_BATCH  # texts embedded at once (the fit sample and every other text)
DESCRIBE_ROWS = 100_000      # questions that describe the reasons (a uniform sample beyond)


class ReasonModel:
    def __init__(self, language: str = "nl", embedding_model: str = "char-tfidf",
                 min_reasons: int = 15, max_reasons: int = 40, max_outlier_share: float = 0.10,
                 random_state: int = 42, fit_sample_size: int = 20000,
                 min_cluster_size: int | None = None, n_neighbors: int = 15,
                 n_components: int = 5, vote_k: int = 15, seed_threshold: float = 0.45,
                 student: str = "", student_gate: float = 0.5,
                 memory: str | Path | None = None):
        self.language = language
        self.embedding_model = embedding_model
        self.min_reasons = min_reasons
        self.max_reasons = max_reasons
        self.max_outlier_share = max_outlier_share
        self.random_state = random_state
        self.fit_sample_size = fit_sample_size
        self.min_cluster_size = min_cluster_size
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.vote_k = vote_k
        self.seed_threshold = seed_threshold
        # apply: a fast model on these features answers where it is sure (student.py); "" none
        self.student = student
        self.student_gate = student_gate
        # a folder where fit keeps the embeddings of its questions, batch by batch (as
        # scikit-learn's Pipeline(memory=...)): a fit interrupted and started again with the
        # same questions and parameters embeds only the batches it had not done. Not saved.
        self.memory = memory

    # -- fitting ----------------------------------------------------------------------------------

    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in (
            "language", "embedding_model", "min_reasons", "max_reasons", "max_outlier_share",
            "random_state", "fit_sample_size", "min_cluster_size", "n_neighbors", "n_components",
            "vote_k", "seed_threshold", "student", "student_gate", "memory")}

    def _model_params(self) -> dict:
        """The parameters that shape the model: all but ``memory`` (where a fit keeps its
        embeddings is no part of it, and is not saved)."""
        return {k: v for k, v in self.get_params().items() if k != "memory"}

    def fit(self, texts: Sequence[str], lemmas: Sequence[str] | None = None,
            seeds: dict[str, list[str]] | None = None) -> "ReasonModel":
        """Fit on ``texts`` (question texts); ``lemmas`` feed the keywords; ``seeds`` maps a
        seeded reason key to example phrases (guided mode)."""
        texts = _Strings(texts)
        lemmas = _Strings(lemmas) if lemmas is not None else texts
        n = len(texts)
        if n < MIN_SMALL_FIT_TEXTS:
            raise ValueError(f"need at least {MIN_SMALL_FIT_TEXTS} texts to fit, got {n}")
        rng = np.random.default_rng(self.random_state)
        sample = np.arange(n) if n <= self.fit_sample_size else np.sort(
            rng.choice(n, size=self.fit_sample_size, replace=False))
        self.embedder_ = make_embedder(self.embedding_model, random_state=self.random_state,
                                       language=self.language)
        self.embedder_.fit([texts[i] for i in sample])
        cache = _EmbeddingCache.of(self, texts)
        embeddings = self._embed(texts, cache)
        self.embeddings_reused_ = cache.reused if cache is not None else 0
        sample_emb = embeddings[sample]

        self.merged_, self.dense_groups_ = 0, None
        # Cluster each distinct question once: repeated texts would weigh on UMAP's neighbour
        # graph and make it differ from one process to the next (seed or not).
        distinct, copies = _distinct_rows(sample_emb)
        fine = None          # Ward's tree cut finer: the groups inside each reason
        if len(distinct) >= MIN_FIT_TEXTS:
            labels, placed, fine = self._cluster(sample_emb[distinct],
                                                 [lemmas[sample[i]] for i in distinct])
            fine = fine[copies] if fine is not None else None
        elif len(distinct) >= 2:
            labels, placed = self._cluster_small(sample_emb[distinct])
        else:                # one question, however often it was asked: one reason
            labels, placed = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=bool)
            self.min_cluster_size_, self.method_ = 1, "agglomerative"
        labels = _without_singletons(labels[copies])
        placed = placed[copies] & (labels != OUTLIER)
        seeded = np.zeros(len(sample), dtype=bool)
        self.seed_keys_: dict[int, str] = {}
        if seeds:
            labels, seeded = self._seed(sample_emb, labels, seeds)
        labels = self._merge(sample_emb, labels, protected=set(self.seed_keys_))

        how = np.where(labels == OUTLIER, "outlier", np.where(
            seeded, "seeded", np.where(placed, "reduced", "assigned")))
        clustered = labels != OUTLIER
        labels, how = self._reduce(sample_emb, labels, how)
        probs = self._own_share(sample_emb, labels,
                                np.where(clustered, np.cumsum(clustered) - 1, -1))

        all_labels = np.full(n, OUTLIER, dtype=np.int64)
        all_probs = np.zeros(n, dtype=np.float64)
        all_how = np.full(n, "outlier", dtype=object)
        all_labels[sample], all_probs[sample], all_how[sample] = labels, probs, how
        rest = np.setdiff1d(np.arange(n), sample)
        if len(rest):
            rest_labels, rest_probs = self._vote(embeddings[rest])
            all_labels[rest], all_probs[rest] = rest_labels, rest_probs
            all_how[rest] = np.where(rest_labels == OUTLIER, "outlier", "assigned")

        final, mapping = merge.relabel_by_size(all_labels)
        self.seed_keys_ = {mapping[k]: v for k, v in self.seed_keys_.items() if k in mapping}
        self.bank_labels_ = np.array([mapping.get(int(x), OUTLIER) for x in self.bank_labels_])
        self.labels_, self.probabilities_, self.how_ = final, all_probs, all_how.astype(str)
        self.centroids_ = merge.centroids(embeddings, final)
        self.n_reasons_ = len(self.centroids_)
        # Up to DESCRIBE_ROWS questions describe the reasons (labels, keywords, examples,
        # typical questions): every question of an export that size, else a uniform sample
        # (every question's label candidates took 2.3 GB and 4 minutes at a million; a 20k
        # sample gave worse labels at 100k). Fit-time only, not saved.
        self.sample_ = sample
        described = np.arange(n) if n <= DESCRIBE_ROWS else np.sort(
            rng.choice(n, size=DESCRIBE_ROWS, replace=False))
        self._describe(texts, lemmas, embeddings, final, described)
        self._sub_reasons(texts, lemmas, embeddings, final, sample, fine, described)
        self._fit_student([texts[i] for i in sample], sample_emb)
        return self

    def _fit_student(self, texts: list[str], emb: np.ndarray) -> None:
        """Teach the student what :meth:`assign` gives the fit's questions (reason and
        sub-reason by the neighbours' vote), so that apply can ask it first."""
        self.student_ = None
        if not self.student or not self.centroids_:
            return
        from pipeline.reasons.student import Student

        labels, _ = self._vote(emb, threshold=-np.inf)
        self.student_ = Student(self.student, gate=self.student_gate,
                                random_state=self.random_state, language=self.language)
        self.student_.fit(texts, labels, self._nearest_sub(emb, labels))

    def _sub_reasons(self, texts, lemmas, embeddings, labels, sample, fine, described) -> None:
        """Sub-reasons: Ward's tree is also cut into as many groups as HDBSCAN finds at a
        finer density (:meth:`_finer_groups`, or at the reasons' own density where that found
        more), nested in the reasons: a reason is a union of them. Each reason
        keeps the groups of at least MIN_SUB_SIZE questions it
        holds; smaller ones join their nearest sibling. A reason left with one group has none.
        Texts outside the fit sample take the nearest sub-reason centre of their reason."""
        self.sub_labels_ = np.full(len(labels), OUTLIER, dtype=np.int64)
        self.sub_reasons_: list[dict] = []
        self.sub_parents_ = np.zeros(0, dtype=np.int64)
        self.sub_centroids_ = np.zeros((0, embeddings.shape[1]), dtype=np.float32)
        if fine is None:
            return
        fine_all = np.full(len(labels), OUTLIER, dtype=np.int64)
        fine_all[sample] = fine
        parents = []
        for parent in sorted(self.centroids_):
            members = np.flatnonzero((labels == parent) & (fine_all != OUTLIER))
            groups, counts = np.unique(fine_all[members], return_counts=True)
            kept = np.argsort(-counts, kind="stable")
            kept = kept[counts[kept] >= MIN_SUB_SIZE]   # smaller: join their nearest sibling
            if len(kept) < 2:
                continue
            for group in groups[kept]:
                self.sub_labels_[members[fine_all[members] == group]] = len(parents)
                parents.append(parent)
        if not parents:
            return
        self.sub_parents_ = np.array(parents, dtype=np.int64)
        centres = merge.centroids(embeddings, self.sub_labels_)
        self.sub_centroids_ = np.stack([centres[i] for i in range(len(parents))])
        outside = np.flatnonzero((self.sub_labels_ == OUTLIER) & np.isin(labels, parents))
        self.sub_labels_[outside] = self._nearest_sub(embeddings[outside], labels[outside])
        # labelled from the ``described`` rows (see fit), counted over every question
        self.sub_reasons_ = representation.sub_reasons(
            [texts[i] for i in described], [lemmas[i] for i in described], labels[described],
            self.sub_labels_[described], self.sub_parents_, self.language)
        sizes = np.bincount(self.sub_labels_[self.sub_labels_ >= 0], minlength=len(parents))
        for sub, info in enumerate(self.sub_reasons_):
            info["size"] = int(sizes[sub])

    def _nearest_sub(self, emb: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """The nearest sub-reason centre among the sub-reasons of each text's reason."""
        result = np.full(len(emb), OUTLIER, dtype=np.int64)
        if len(self.sub_parents_) == 0 or len(emb) == 0:
            return result
        sims = emb @ self.sub_centroids_.T
        sims[self.sub_parents_[None, :] != labels[:, None]] = -np.inf
        best = sims.argmax(axis=1)
        has = np.isfinite(sims[np.arange(len(emb)), best])
        result[has] = best[has]
        return result

    def _cluster(self, emb: np.ndarray, docs: list[str]):
        """Ward clusters on the UMAP output, as many as HDBSCAN finds dense groups (clamped);
        returns the labels, which questions HDBSCAN had left as noise, and the dense groups
        themselves as the same tree cut finer (None when no group was merged)."""
        from bertopic import BERTopic
        from bertopic.backend import BaseEmbedder
        from umap import UMAP

        class Backend(BaseEmbedder):   # our embedder behind BERTopic's backend protocol
            def __init__(self, embedder):
                super().__init__()
                self.embedder = embedder

            def embed(self, documents, verbose=False):
                return self.embedder.transform(documents)

        n = len(emb)
        with warnings.catch_warnings():  # seeded UMAP runs single-threaded: that is intended
            warnings.filterwarnings("ignore", message=".*n_jobs value.*", category=UserWarning)
            reduced = UMAP(n_neighbors=min(self.n_neighbors, n - 1),
                           n_components=min(self.n_components, n - 2), min_dist=0.0,
                           metric="cosine", random_state=self.random_state).fit_transform(emb)
        dense, noise = self._dense_groups(reduced)
        self.dense_groups_ = dense
        # raised towards min_reasons only as far as ~PER_REASON questions per reason allow
        floor = min(self.min_reasons, max(dense, n // PER_REASON))
        k = int(max(1, min(n - 1, np.clip(dense, floor, self.max_reasons))))
        self.merged_ = max(0, dense - k)   # Ward's tree merges the closest groups first
        topic_model = BERTopic(
            embedding_model=Backend(self.embedder_),
            umap_model=_Precomputed(reduced),
            hdbscan_model=(tree := _WardTree(n_clusters=k)),
            vectorizer_model=_vectorizer(self.language),
            calculate_probabilities=False, verbose=False)
        topics, _ = topic_model.fit_transform(docs, embeddings=emb)
        self.method_ = "bertopic"
        finer = max(dense, self._finer_groups(reduced))
        fine = tree.cut(finer) if finer > k else None
        return np.asarray(topics, dtype=np.int64), noise, fine   # noise: placed by Ward

    def _finer_groups(self, reduced: np.ndarray) -> int:
        """HDBSCAN's count of dense groups at 1/SUB_DENSITY of the reasons' min_cluster_size:
        the groups inside the reasons (a reason made of one tight group stays whole)."""
        size = max(MIN_CLUSTER_FLOOR, self.min_cluster_size_ // SUB_DENSITY)
        return len(set(_hdbscan(reduced, size)) - {OUTLIER})

    def _dense_groups(self, reduced: np.ndarray) -> tuple[int, np.ndarray]:
        """Number of HDBSCAN clusters and its noise mask; min_cluster_size shrinks (at most
        three times) while fewer than ``min_reasons`` clusters come out."""
        size = self.min_cluster_size or max(5, round(np.sqrt(len(reduced)) / 2.5))
        for _ in range(4):
            found = _hdbscan(reduced, size)
            count = len(set(found) - {OUTLIER})
            if count >= self.min_reasons or size <= MIN_CLUSTER_FLOOR:
                break
            size = max(MIN_CLUSTER_FLOOR, size * 2 // 3)
        self.min_cluster_size_ = size
        return count, found == OUTLIER

    def _cluster_small(self, emb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """~sqrt(n) reasons by average-linkage clustering on cosine distance (deterministic);
        a reason needs two questions, a lone question is an outlier (and may be reduced)."""
        from sklearn.cluster import AgglomerativeClustering

        n = len(emb)
        k = int(min(self.max_reasons, n - 1, max(2, round(np.sqrt(n)))))
        labels = AgglomerativeClustering(n_clusters=k, metric="cosine",
                                         linkage="average").fit_predict(emb).astype(np.int64)
        self.min_cluster_size_ = 2
        self.method_ = "agglomerative"
        return labels, np.zeros(n, dtype=bool)

    def _seed(self, emb, labels, seeds):
        """Clusters whose questions sit closest to a seeded reason's phrases become that reason."""
        keys = list(seeds)
        phrase_emb = [self.embedder_.transform(seeds[k]) for k in keys]
        doc_seed = np.stack([(emb @ p.T).max(axis=1) for p in phrase_emb], axis=1)
        best, best_sim = doc_seed.argmax(axis=1), doc_seed.max(axis=1)
        labels = labels.copy()
        seeded = np.zeros(len(labels), dtype=bool)
        next_label = int(labels.max()) + 1
        seed_label = {}
        for cluster in sorted(set(labels) - {OUTLIER}):
            members = labels == cluster
            votes = np.bincount(best[members][best_sim[members] >= self.seed_threshold],
                                minlength=len(keys))
            if votes.max() * 2 > members.sum():   # most of the cluster matches one seed
                key = int(votes.argmax())
                seed_label.setdefault(key, next_label + key)
                labels[members] = seed_label[key]
                seeded[members] = True
        for key in range(len(keys)):   # single questions that match a seed closely
            close = (best == key) & (best_sim >= self.seed_threshold) & ~seeded
            if key in seed_label or close.sum() >= 3:
                seed_label.setdefault(key, next_label + key)
                labels[close] = seed_label[key]
                seeded[close] = True
        self.seed_keys_ = {label: keys[key] for key, label in seed_label.items()}
        return labels, seeded

    def _merge(self, emb, labels, protected: set[int]) -> np.ndarray:
        clusters = set(labels) - {OUTLIER}
        if len(clusters) <= self.max_reasons:
            return labels
        centres = merge.centroids(emb, labels, unit=False)
        sizes = {k: int(np.sum(labels == k)) for k in centres}
        plan = merge.merge_plan(centres, sizes, self.max_reasons)
        for old, new in list(plan.items()):   # two seeded reasons are never merged silently
            if old in protected and new in protected and old != new:
                plan[old] = old
        self.merged_ += len(clusters) - len(set(plan.values()))
        return merge.apply_plan(labels, plan)

    def _reduce(self, emb, labels, how):
        """Assign outliers by neighbour vote; keep at most ``max_outlier_share`` unassigned.

        A text fits a reason when its nearest neighbour among that reason's questions is at
        least ``threshold_`` similar: the 2% quantile of the same measure for the clustered
        questions (leave-one-out), lowered only as far as the outlier bound needs."""
        assigned = labels != OUTLIER
        self.bank_, self.bank_labels_ = emb[assigned], labels[assigned]
        self.threshold_ = -1.0
        outliers = np.flatnonzero(~assigned)
        if assigned.sum() < 2:
            return labels, how
        _, _, own = self._vote(self.bank_, threshold=-np.inf, with_similarity=True,
                               exclude_self=True)
        natural = float(np.quantile(own, NATURAL_QUANTILE))
        self.threshold_ = natural
        if len(outliers) == 0:
            return labels, how
        vote_labels, _, sims = self._vote(emb[outliers], threshold=-np.inf,
                                                   with_similarity=True)
        allowed = int(np.floor(self.max_outlier_share * len(labels)))
        threshold = natural
        if np.sum(sims < natural) > allowed:
            threshold = float(np.sort(sims)[::-1][len(outliers) - allowed - 1])
        take = sims >= threshold
        labels, how = labels.copy(), how.copy()
        labels[outliers[take]] = vote_labels[take]
        how[outliers[take]] = "reduced"
        self.threshold_ = float(threshold)
        return labels, how

    # -- assigning --------------------------------------------------------------------------------

    def _neighbour_votes(self, emb: np.ndarray, bank_rows: np.ndarray | None = None):
        """Per block of texts: (slice, votes per reason, the neighbours' reason positions and
        similarities) from a similarity-weighted vote of the ``vote_k`` nearest clustered
        questions (the bank).
        ``bank_rows``: each text's own row in the bank (-1: not in it), so that a question does
        not vote for itself."""
        k = min(self.vote_k, len(self.bank_) - int(bank_rows is not None))
        classes = np.unique(self.bank_labels_)
        index = np.searchsorted(classes, self.bank_labels_)
        for start in range(0, len(emb), 2048):
            block = emb[start:start + 2048] @ self.bank_.T
            rows = np.arange(len(block))
            if bank_rows is not None:
                own = bank_rows[start:start + len(block)]
                block[rows[own >= 0], own[own >= 0]] = -np.inf
            nearest = np.argpartition(-block, k - 1, axis=1)[:, :k]
            near_sims = np.take_along_axis(block, nearest, axis=1)
            votes = np.zeros((len(block), len(classes)))
            np.add.at(votes, (np.repeat(rows, k), index[nearest].ravel()),
                      np.clip(near_sims, 1e-6, None).ravel())
            yield slice(start, start + len(block)), votes, index[nearest], near_sims

    def _vote(self, emb: np.ndarray, threshold: float | None = None,
              with_similarity: bool = False, exclude_self: bool = False):
        """Weighted k-nearest-neighbour vote among the fit's clustered questions; a text fits
        when its nearest neighbour within the winning reason reaches ``threshold``."""
        threshold = self.threshold_ if threshold is None else threshold
        n = len(emb)
        labels = np.full(n, OUTLIER, dtype=np.int64)
        probs = np.zeros(n)
        sims = np.full(n, -1.0)
        if min(self.vote_k, len(self.bank_) - int(exclude_self)) >= 1:
            classes = np.unique(self.bank_labels_)
            rows = np.arange(n) if exclude_self else None
            for span, votes, near_classes, near_sims in self._neighbour_votes(emb, rows):
                winner = votes.argmax(axis=1)
                labels[span] = classes[winner]
                probs[span] = votes[np.arange(len(winner)), winner] / votes.sum(axis=1)
                sims[span] = np.where(near_classes == winner[:, None], near_sims, -1.0).max(axis=1)
        fits = sims >= threshold
        labels = np.where(fits, labels, OUTLIER)
        probs = np.where(fits, probs, 0.0)
        return (labels, probs, sims) if with_similarity else (labels, probs)

    def _own_share(self, emb: np.ndarray, labels: np.ndarray,
                   bank_rows: np.ndarray) -> np.ndarray:
        """Share of the neighbour vote that goes to each question's own reason (0 for an
        outlier): how clearly a question sits in its reason, its probability."""
        share = np.zeros(len(emb))
        if min(self.vote_k, len(self.bank_) - 1) < 1:
            return np.where(labels == OUTLIER, 0.0, 1.0)
        classes = np.unique(self.bank_labels_)
        own = np.searchsorted(classes, labels).clip(0, len(classes) - 1)
        for span, votes, _, _ in self._neighbour_votes(emb, bank_rows):
            rows = np.arange(len(votes))
            share[span] = votes[rows, own[span]] / votes.sum(axis=1)
        return np.where((labels == OUTLIER) | (classes[own] != labels), 0.0, share)

    def assign(self, texts: Sequence[str], embeddings: np.ndarray | None = None):
        """Like :meth:`transform_with_sub`, but every text gets the reason its neighbours vote
        for; the fourth array says which texts fit it (reach ``threshold_``; the rest are
        drift: placed, but candidates for a new reason). ``embeddings``: the texts already
        embedded by this model's backend (the multilingual one is shared with the map)."""
        if not hasattr(self, "bank_") or not hasattr(self, "centroids_"):
            raise NotFittedError("het redenmodel is niet getraind of geladen",
                                 hint="draai eerst `klantvraag reasons` zonder --apply")
        if not self.centroids_:
            empty = np.full(len(texts), OUTLIER)
            return empty, np.zeros(len(texts)), empty, np.zeros(len(texts), dtype=bool)
        if embeddings is None and getattr(self, "student_", None) is not None:
            return self._assign_with_student(texts)
        emb = embeddings if embeddings is not None else \
            self._embed([t or "" for t in texts])
        labels, probs, sims = self._vote(emb, threshold=-np.inf, with_similarity=True)
        return labels, probs, self._nearest_sub(emb, labels), sims >= self.threshold_

    def _assign_with_student(self, texts: Sequence[str]):
        """:meth:`assign` where the student is sure; the model itself for the rest. A sure
        answer counts as fitting (drift is looked for among the unsure)."""
        labels, subs, probs, fits = self.student_.predict(texts)
        labels, subs = labels.astype(np.int64), subs.astype(np.int64)
        probs, fits = probs.astype(np.float64), fits.copy()
        unsure = np.flatnonzero(~fits)
        if len(unsure):
            emb = self._embed([texts[i] or "" for i in unsure])
            own, own_probs, sims = self._vote(emb, threshold=-np.inf, with_similarity=True)
            labels[unsure], probs[unsure] = own, own_probs
            subs[unsure] = self._nearest_sub(emb, own)
            fits[unsure] = sims >= self.threshold_
        return labels, probs, subs, fits

    def transform(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Reason label per text (-1: fits none) and its probability; no refitting."""
        labels, probs, _ = self.transform_with_sub(texts)
        return labels, probs

    def transform_with_sub(self, texts: Sequence[str]):
        """Reason label, probability and sub-reason (-1: none) per text; no refitting."""
        if not hasattr(self, "bank_") or not hasattr(self, "centroids_"):
            raise NotFittedError("het redenmodel is niet getraind of geladen",
                                 hint="draai eerst `klantvraag reasons` zonder --apply")
        if not self.centroids_:
            return (np.full(len(texts), OUTLIER), np.zeros(len(texts)),
                    np.full(len(texts), OUTLIER))
        emb = self._embed([t or "" for t in texts])
        labels, probs = self._vote(emb)
        return labels, probs, self._nearest_sub(emb, labels)

    def _embed(self, texts: Sequence[str], cache: "_EmbeddingCache | None" = None) -> np.ndarray:
        """Embeddings of ``texts`` (float32, one row each), embedded EMBED_BATCH at a time: what
        a backend builds on the way (a TF-IDF matrix: ~3 KiB a text) stays that of one batch,
        only the rows (400 bytes a text for char-tfidf) are held for the whole export.
        ``cache``: batches embedded before are read from it, new ones written to it."""
        n = len(texts)
        if n <= EMBED_BATCH and cache is None:
            return self.embedder_.transform(list(texts[0:n]))
        out = None
        for number, start in enumerate(range(0, n, EMBED_BATCH)):
            rows = min(EMBED_BATCH, n - start)
            batch = cache.get(number, rows) if cache is not None else None
            if batch is None:
                batch = self.embedder_.transform(list(texts[start:start + rows]))
                if cache is not None:
                    cache.put(number, batch)
            if out is None:
                out = np.empty((n, batch.shape[1]), dtype=np.float32)
            out[start:start + rows] = batch
        return out

    # -- describing -------------------------------------------------------------------------------

    def _describe(self, texts, lemmas, embeddings, labels, rows: np.ndarray) -> None:
        """Label, keywords, examples and typical questions of each reason from the questions
        in ``rows``; its size counts every question."""
        classes = sorted(self.centroids_)
        texts_in = [texts[i] for i in rows]
        emb_in, labels_in = embeddings[rows], labels[rows]
        # each reason's most typical questions, nearest its centre: fit output only, for its
        # label and for the multilingual profiles of themes.py (row numbers of ``texts``)
        typical = {cls: themes.central_members(emb_in, labels_in, self.centroids_[cls], cls)
                   for cls in classes}
        self.central_ = {cls: rows[typical[cls]] for cls in classes}
        words = representation.keywords([lemmas[i] for i in rows], labels_in, classes,
                                        self.language)
        names = representation.labels(texts_in, labels_in, classes, self.language,
                                      fallback=words, typical=typical)
        shown = representation.examples(texts_in, emb_in, labels_in, self.centroids_)
        sizes = np.bincount(labels[labels >= 0], minlength=max(classes, default=-1) + 1)
        self.reasons_ = []
        for cls in classes:
            size = int(sizes[cls])
            self.reasons_.append({
                "label": names[cls], "keywords": words[cls], "examples": shown[cls],
                "description": representation.describe(self.language, words[cls], size),
                "size": size, "seed": self.seed_keys_.get(cls)})

    # -- persistence ------------------------------------------------------------------------------

    def save(self, folder: str | Path) -> None:
        import joblib

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        classes = sorted(self.centroids_)
        # Each file is written whole or not at all (pipeline.atomic); model.json goes last, so a
        # kill mid-save leaves the previous model.json describing files that are still whole.
        with atomic_path(folder / "arrays.npz") as arrays_file:
            np.savez_compressed(arrays_file, bank=self.bank_, bank_labels=self.bank_labels_,
                                classes=np.array(classes, dtype=np.int64),
                                centroids=np.stack([self.centroids_[c] for c in classes])
                                if classes else np.zeros((0, self.bank_.shape[1]), np.float32),
                                sub_parents=self.sub_parents_, sub_centroids=self.sub_centroids_)
        if needs_saving(self.embedding_model):
            with atomic_path(folder / "embedder.joblib") as embedder_file:
                joblib.dump(self.embedder_, embedder_file)
        if getattr(self, "student_", None) is not None:
            with atomic_path(folder / "student.joblib") as student_file:
                joblib.dump(self.student_, student_file)
        else:
            (folder / "student.joblib").unlink(missing_ok=True)
        meta = {"format": FORMAT_VERSION, "params": self._model_params(),
                "threshold": self.threshold_, "n_reasons": self.n_reasons_,
                "min_cluster_size": self.min_cluster_size_, "method": self.method_,
                "dense_groups": self.dense_groups_,
                "reasons": self.reasons_, "sub_reasons": self.sub_reasons_,
                "versions": _versions(), "files": _digests(folder)}
        write_text(folder / "model.json", json.dumps(meta, ensure_ascii=False, indent=1))

    @classmethod
    def load(cls, folder: str | Path) -> "ReasonModel":
        folder = Path(folder)
        if not (folder / "model.json").exists():
            raise NotFittedError("hier staat geen getraind redenmodel", path=str(folder),
                                 hint="draai eerst `klantvraag reasons` zonder --apply")
        try:
            return cls._load(folder)
        except NotFittedError:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged file, whatever the reader raises
            raise damaged_model_file(folder, exc) from exc

    @classmethod
    def _load(cls, folder: Path) -> "ReasonModel":
        import joblib

        meta = json.loads((folder / "model.json").read_text("utf-8"))
        if "files" in meta and meta["files"] != _digests(folder, meta["files"]):
            raise ValueError("arrays.npz or embedder.joblib does not belong to model.json")
        model = cls(**meta["params"])
        arrays = np.load(folder / "arrays.npz")
        model.bank_, model.bank_labels_ = arrays["bank"], arrays["bank_labels"]
        model.centroids_ = {int(c): v for c, v in zip(arrays["classes"], arrays["centroids"])}
        model.threshold_ = meta["threshold"]
        model.n_reasons_ = meta["n_reasons"]
        model.min_cluster_size_ = meta["min_cluster_size"]
        model.method_ = meta.get("method", "bertopic")
        model.dense_groups_ = meta.get("dense_groups")
        model.reasons_ = meta["reasons"]
        model.sub_reasons_ = meta.get("sub_reasons", [])
        width = model.bank_.shape[1] if model.bank_.ndim == 2 else 0
        model.sub_parents_ = (arrays["sub_parents"] if "sub_parents" in arrays
                              else np.zeros(0, dtype=np.int64))
        model.sub_centroids_ = (arrays["sub_centroids"] if "sub_centroids" in arrays
                                else np.zeros((0, width), dtype=np.float32))
        if needs_saving(model.embedding_model):
            if meta["versions"].get("scikit-learn") != _versions()["scikit-learn"]:
                raise NotFittedError("model bewaard met een andere scikit-learn-versie",
                                     path=str(folder), hint="train opnieuw: `klantvraag reasons`")
            model.embedder_ = joblib.load(folder / "embedder.joblib")
        else:
            model.embedder_ = make_embedder(model.embedding_model)
        student = folder / "student.joblib"
        model.student_ = joblib.load(student) if model.student and student.exists() else None
        return model


class _Strings:
    """A column of texts handed out one or a batch at a time (``[i]``, ``[a:b]``), a missing one
    as "": a list of every question as Python strings costs about 200 bytes each on top of the
    (Arrow-backed) column the stage read, 350 MB for the texts and lemmas of a million."""

    def __init__(self, values: Sequence[str]):
        self._values = values.array if isinstance(values, pd.Series) else values

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return [_text(value) for value in self._values[key]]
        return _text(self._values[key])


def _text(value) -> str:
    return value if isinstance(value, str) else ""


class _EmbeddingCache:
    """The fit's embeddings, one .npy file per batch in ``memory``, under a key of everything
    they depend on: the parameters (the backend is fitted on a seeded sample of the texts),
    the texts themselves and the installed versions. Each file is written whole or not at all,
    so a kill leaves only finished batches."""

    def __init__(self, folder: Path, key: str):
        self.folder, self.key = folder, key
        folder.mkdir(parents=True, exist_ok=True)
        self.reused = 0

    @classmethod
    def of(cls, model: "ReasonModel", texts: Sequence[str]) -> "_EmbeddingCache | None":
        import hashlib

        if not model.memory:
            return None
        digest = hashlib.sha256(json.dumps(
            [model._model_params(), _versions(),
             EMBED_BATCH], sort_keys=True, default=str).encode())
        for text in texts:
            digest.update(text.encode("utf-8", "surrogatepass") + b"\x1e")
        return cls(Path(model.memory), digest.hexdigest()[:20])

    def _path(self, number: int) -> Path:
        return self.folder / f"embeddings-{self.key}-{number:06d}.npy"

    def get(self, number: int, rows: int) -> np.ndarray | None:
        try:
            batch = np.load(self._path(number))
        except (OSError, ValueError):
            return None                          # not embedded yet, or unreadable: again
        if batch.ndim != 2 or len(batch) != rows:
            return None
        self.reused += 1
        return batch

    def put(self, number: int, batch: np.ndarray) -> None:
        with atomic_path(self._path(number)) as path, open(path, "wb") as handle:
            np.save(handle, np.asarray(batch, dtype=np.float32))


def damaged_model_file(folder: Path, exc: BaseException, name: str | None = None) -> NotFittedError:
    """One Dutch line for a model file that cannot be read back (a kill during an old save, a
    disk error, a hand edit): which file, and that a refit writes it again."""
    names = {"JSONDecodeError": "model.json", "BadZipFile": "arrays.npz",
             "UnpicklingError": "embedder.joblib"}
    name = name or names.get(type(exc).__name__) or next(
        (n for n in ("model.json", "arrays.npz", "embedder.joblib") if n in str(exc)), None)
    return NotFittedError(
        f"modelbestand beschadigd of onvolledig ({type(exc).__name__}); niet te gebruiken",
        path=str(folder / name) if name else str(folder),
        hint="pas het model opnieuw: `klantvraag reasons` (zonder --apply) schrijft het opnieuw; "
             "taxonomy.yaml met je eigen namen blijft bewaard")


def _distinct_rows(emb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers of the distinct rows (first occurrences, in order) and, per row, which of
    those it repeats: ``emb[distinct][copies]`` is ``emb``."""
    _, first, inverse = np.unique(emb, axis=0, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return np.sort(first), rank[np.asarray(inverse).ravel()]


def _without_singletons(labels: np.ndarray) -> np.ndarray:
    """A cluster of one question is no reason: it becomes an outlier (and may be reduced)."""
    values, counts = np.unique(labels[labels != OUTLIER], return_counts=True)
    lone = values[counts < 2]
    return np.where(np.isin(labels, lone), OUTLIER, labels)


def _hdbscan(reduced: np.ndarray, size: int) -> np.ndarray:
    """HDBSCAN's labels (OUTLIER: noise) of the UMAP output at ``min_cluster_size`` ``size``."""
    from hdbscan import HDBSCAN

    return HDBSCAN(min_cluster_size=size, metric="euclidean",
                   cluster_selection_method="eom").fit_predict(reduced)


class _WardTree:
    """BERTopic's cluster model here: Ward's tree over the UMAP output (scipy's, the one
    scikit-learn's AgglomerativeClustering builds too), cut into ``n_clusters``; ``cut(k)``
    gives another partition nested with it, from the same tree."""

    def __init__(self, n_clusters: int):
        self.n_clusters = n_clusters

    def fit(self, X, y=None):
        from scipy.cluster.hierarchy import ward

        self.tree_ = ward(np.asarray(X, dtype=np.float64))
        self.labels_ = self.cut(self.n_clusters)
        return self

    def cut(self, k: int) -> np.ndarray:
        from scipy.cluster.hierarchy import fcluster

        return fcluster(self.tree_, k, criterion="maxclust").astype(np.int64) - 1


class _Precomputed:
    """A UMAP stand-in for BERTopic: UMAP runs once, for HDBSCAN's count and Ward's tree."""

    def __init__(self, reduced: np.ndarray):
        self.reduced = reduced

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return self.reduced

    def fit_transform(self, X, y=None):
        return self.reduced


def _vectorizer(language: str):
    """BERTopic's c-TF-IDF vectorizer. It sees one joined document per topic, so min_df=1:
    a higher one prunes every word of a reason of chatter and stops the fit. (The topic
    words themselves are not used: representation.py names the reasons.)"""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(analyzer=representation.analyzer(language), min_df=1)


def _digests(folder: Path, names=("arrays.npz", "embedder.joblib", "student.joblib")
             ) -> dict[str, str]:
    """sha256 of the model's array and embedder files, kept in model.json: files from two
    different saves (a kill between them) are refused on load instead of mixed."""
    import hashlib

    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
            for name in names if (folder / name).exists()}


def _versions() -> dict:
    import sklearn

    return {"scikit-learn": sklearn.__version__, "numpy": np.__version__}
