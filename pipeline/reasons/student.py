"""A fast stand-in for a slow reason model at apply time (knowledge distillation).

A sentence encoder such as MiniLM finds good English reasons, but embeds only a few hundred
questions a second on two cores. At fit time the :class:`Student` learns, from the fit's own
questions, which reason and sub-reason the model would give each one, on features that cost
almost nothing (a static MiniLM table and character n-grams, :mod:`pipeline.reasons.embed`).
At apply time it answers where it is sure (its probability at least ``gate``); the questions
it is unsure of go to the model itself. The model stays the judge of what a reason is; the
student only spares it the questions whose answer is plain.

Measured on BANKING77 (fit on train, apply to test; bench/student.py):
see README, "English backends: speed against quality".
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from pipeline.reasons.embed import make_embedder

DEFAULT_GATE = 0.5


class Student:
    """fit(texts, labels, subs) / predict(texts) -> (labels, subs, probabilities, sure).

    features: an embedder spec (embed.make_embedder); C: the logistic regression's inverse
    regularisation; gate: the probability from which a prediction counts as sure."""

    def __init__(self, features: str = "minilm-static+char-tfidf", C: float = 10.0,
                 gate: float = DEFAULT_GATE, random_state: int = 42, language: str = "en"):
        self.features = features
        self.C = C
        self.gate = gate
        self.random_state = random_state
        self.language = language

    def fit(self, texts: Sequence[str], labels: np.ndarray, subs: np.ndarray) -> "Student":
        from sklearn.linear_model import LogisticRegression

        labels, subs = np.asarray(labels, dtype=np.int64), np.asarray(subs, dtype=np.int64)
        # one class per (reason, sub-reason) pair: the sub-reason comes with the reason
        self.pairs_ = np.unique(np.stack([labels, subs], axis=1), axis=0)
        index = {(int(a), int(b)): i for i, (a, b) in enumerate(self.pairs_)}
        target = np.array([index[(int(a), int(b))] for a, b in zip(labels, subs)])
        self.embedder_ = make_embedder(self.features, random_state=self.random_state,
                                       language=self.language)
        self.embedder_.fit(list(texts))
        if len(self.pairs_) < 2:          # one reason only: nothing to choose
            self.classifier_ = None
            return self
        self.classifier_ = LogisticRegression(C=self.C, max_iter=2000,
                                              random_state=self.random_state)
        self.classifier_.fit(self.embedder_.transform(list(texts)), target)
        return self

    def predict(self, texts: Sequence[str]):
        """Reason, sub-reason (-1: none), probability and whether it is sure, per text."""
        texts = [t or "" for t in texts]
        if self.classifier_ is None:
            n = len(texts)
            label, sub = self.pairs_[0]
            return (np.full(n, label), np.full(n, sub), np.ones(n), np.ones(n, dtype=bool))
        proba = self.classifier_.predict_proba(self.embedder_.transform(texts))
        pairs = self.pairs_[self.classifier_.classes_]
        # Sure of the reason is what counts: a reason's probability is the sum over its
        # sub-reasons (a question between two sub-reasons of one reason is still plain).
        reasons, column = np.unique(pairs[:, 0], return_inverse=True)
        by_reason = np.zeros((len(texts), len(reasons)))
        np.add.at(by_reason.T, column, proba.T)
        best = by_reason.argmax(axis=1)
        top = by_reason[np.arange(len(texts)), best]
        within = np.where(column[None, :] == best[:, None], proba, -1.0).argmax(axis=1)
        return reasons[best], pairs[within, 1], top, top >= self.gate
