"""How the rule signals and the text model are combined, learned instead of hand-weighted.

The hand weights in weights.yaml add up phrase votes: a contact that says "kapot" or "klacht"
goes to `voorkomen` whatever it is about, which holds for a webshop and fails for a municipality
("mijn wasmachine is kapot en ik weet niet hoe ik rond moet komen" is a person who needs help).
The combiner is a multinomial logistic regression over
- the hand-weighted score per category (so a signal it never saw, such as a repeat contact,
  still counts through the score it adds),
- one indicator per rule that fired (a phrase, a process symptom, a third-party cause),
- the text model's log-probability per category,
- the hand-weighted decision itself (rules plus the model's votes, one-hot), so that where the
  tuned rules are right the combiner can keep them,
fitted on contacts the text model did not see (the held-out folds of the real training examples,
pipeline/tagging/training.py). So it learns from many organisations how much each signal is
worth, and the text model's sense of the topic is weighed against the failure signals.
Saved with the text model (``combiner_`` arrays in its .npz).
"""

from __future__ import annotations

import numpy as np

from pipeline.tagging.avoidable import Signal, scores
from pipeline.tagging.rules import CATEGORIES

MIN_RULE_COUNT = 3          # a rule becomes a feature when it fired in this many examples
C = 0.1          # strong regularisation: the best of 0.05-2 over held-out sectors (bench)


DENSE = 3 * len(CATEGORIES)


def raw_features(signals: list[Signal], probabilities: dict[str, float] | None,
                 hand_category: str | None = None) -> tuple[list[float], set[str]]:
    """The dense part (scores, log-probabilities, hand decision) and the rules that fired."""
    totals = scores([s for s in signals if s.rule != "model"])
    probabilities = probabilities or {}
    dense = [totals[c] for c in CATEGORIES]
    dense += [float(np.log(probabilities.get(c, 0.25) + 1e-3)) for c in CATEGORIES]
    dense += [float(c == hand_category) for c in CATEGORIES]
    return dense, {s.rule for s in signals if s.rule != "model"}


class Combiner:
    def fit(self, rows: list[tuple[list[float], set[str]]], gold: list[str],
            sample_weight: list[float] | None = None) -> "Combiner":
        from collections import Counter

        from sklearn.linear_model import LogisticRegression
        counts = Counter(rule for _, rules in rows for rule in rules)
        self.vocabulary_ = sorted(r for r, n in counts.items() if n >= MIN_RULE_COUNT)
        x = self._matrix(rows)
        model = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
        model.fit(x, gold, sample_weight=sample_weight)
        self.classes_ = [str(k) for k in model.classes_]
        self.coef_ = model.coef_.astype(np.float64)
        self.intercept_ = model.intercept_.astype(np.float64)
        return self

    def _matrix(self, rows) -> np.ndarray:
        index = {rule: i for i, rule in enumerate(self.vocabulary_)}
        x = np.zeros((len(rows), DENSE + len(index)))
        for r, (dense, rules) in enumerate(rows):
            x[r, :DENSE] = dense
            for rule in rules:
                if rule in index:
                    x[r, DENSE + index[rule]] = 1.0
        return x

    def predict_proba(self, rows) -> np.ndarray:
        logits = self._matrix(rows) @ self.coef_.T + self.intercept_
        if logits.shape[1] == 1:
            logits = np.hstack([-logits / 2, logits / 2])
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    # -- saved inside the text model's .npz ---------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        return {"vocabulary": np.array(self.vocabulary_ or [""]), "classes": np.array(self.classes_),
                "coef": self.coef_, "intercept": self.intercept_,
                "n_vocabulary": np.array([len(self.vocabulary_)])}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "Combiner":
        combiner = cls()
        n = int(arrays["n_vocabulary"][0])
        combiner.vocabulary_ = [str(v) for v in arrays["vocabulary"]][:n]
        combiner.classes_ = [str(v) for v in arrays["classes"]]
        combiner.coef_ = np.asarray(arrays["coef"], dtype=np.float64)
        combiner.intercept_ = np.asarray(arrays["intercept"], dtype=np.float64)
        if combiner.coef_.shape[1] != DENSE + n:
            # A model saved by another version of this module (other features): refit it.
            raise ValueError(f"the combiner has {combiner.coef_.shape[1]} features, this version "
                             f"reads {DENSE + n}")
        return combiner
