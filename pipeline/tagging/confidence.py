"""Calibrated confidence per tag: Platt scaling of the tagger's own numbers.

The tagger's raw confidence (top score against the runner-up) is not a probability: on an
organisation it has never seen it is sure far too often. Platt scaling (a logistic regression of
"was the tag right?" on a few numbers the tagger already has) is fitted on contacts the text model
did not see: the held-out folds of the training data (pipeline/tagging/training.py). A tag whose
calibrated probability is below ``[tagging] unsure_below`` is flagged 'onzeker'
(contact_tags.avoidable_unsure / third_party_unsure, migration 0007): the best guess stays, the
flag says it must not be counted as certain.

The fitted coefficients are saved with the text model (``calibration_`` in its .npz).
"""

from __future__ import annotations

import numpy as np

# The numbers each head is calibrated on (in this order; a saved calibration has one coefficient
# per name plus the intercept).
AVOIDABLE_FEATURES = ("raw_confidence", "model_probability", "model_margin", "rule_signal",
                      "repeat_or_symptom")
THIRD_PARTY_FEATURES = ("tag_confidence", "model_probability", "is_none", "rule_cause",
                        "named_party")


def avoidable_features(raw: float, probabilities: dict[str, float] | None, category: str,
                       rule_signal: bool, process_signal: bool) -> list[float]:
    probabilities = probabilities or {}
    ranked = sorted(probabilities.values(), reverse=True) + [0.0, 0.0]
    return [raw, probabilities.get(category, 0.0), ranked[0] - ranked[1], float(rule_signal),
            float(process_signal)]


def third_party_features(tag_confidence: float, probabilities: dict[str, float] | None,
                         third_party_type: str | None, rule_cause: bool,
                         named: bool) -> list[float]:
    probabilities = probabilities or {}
    return [tag_confidence, probabilities.get(third_party_type or "none", 0.0),
            float(third_party_type is None), float(rule_cause), float(named)]


def fit_platt(features: list[list[float]], correct: list[bool]) -> np.ndarray:
    """Coefficients and intercept of P(correct | features); a constant when all agree."""
    from sklearn.linear_model import LogisticRegression
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(correct, dtype=bool)
    if len(set(y.tolist())) < 2:
        rate = float(y.mean()) if len(y) else 0.5
        rate = min(max(rate, 1e-3), 1 - 1e-3)
        return np.concatenate([np.zeros(x.shape[1] if x.ndim == 2 else 0),
                               [np.log(rate / (1 - rate))]])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    return np.concatenate([model.coef_[0], model.intercept_])


def apply_platt(coefficients: np.ndarray | None, features: list[float],
                fallback: float) -> float:
    """The calibrated probability; ``fallback`` (the raw number) when nothing was fitted."""
    if coefficients is None or len(coefficients) != len(features) + 1:
        return round(float(min(max(fallback, 0.0), 1.0)), 3)
    z = float(np.dot(coefficients[:-1], features) + coefficients[-1])
    return round(1.0 / (1.0 + np.exp(-z)), 3)
