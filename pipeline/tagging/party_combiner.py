"""The third-party decision, learned: whose step failed (a type), or none.

The rules find candidates: a cause phrase next to a named party, a cause phrase that implies its
type on its own ("aanmaning" -> payment), planning, the failure contact's party, the text model's
guess. Hand-ordered, the first kind wins, and that is where an unseen organisation goes wrong: a
retailer's standalone phrase ("storing", "incasso", "zou terugkomen") outvotes the installer
the customer names, and a department the agent names as the culprit counts for nothing.

This combiner scores every candidate type (and 'none') with one linear model over what the
tagger already knows about that type in the contact:
- how the rules found it (next to a party, standalone, planning, failure context; in the
  customer's or the agent's words) and which cause rule fired (rule reliability, learned);
- which parties of that type are named (the organisation's own configured partners and
  departments, the package's gazetteer, topics; by the customer or the agent; as a means);
- the text model's probability of the type and whether the hand-ordered rules chose it;
and for 'none' the text model's probability of none and the avoidable category. Weights are
shared by all types (a cause next to a named party means the same for a carrier as for an
installer) plus a per-type deviation that is regularised more strongly, so a type with few
examples borrows from the others. Fitted like pipeline/tagging/combiner.py on contacts the text
model did not see (held-out folds of the hand-written and sector contacts); saved in the text
model's .npz (``party_combiner_*`` arrays).
"""

from __future__ import annotations

import math

import numpy as np

from pipeline.tagging.rules import CATEGORIES, THIRD_PARTY_TYPES
from pipeline.tagging.third_party import Mention, ThirdPartyTag

CANDIDATES = ("none",) + THIRD_PARTY_TYPES
CUSTOMER_SOURCES = ("question", "customer")
# What the tagger knows about one candidate type in one contact (values 0/1 unless said).
TYPE_FEATURES = (
    "model_log_probability",     # log of the text model's probability of the type
    "rule_choice",               # the hand-ordered rules' main type
    "party_cause_customer",      # a cause phrase next to a party of the type, customer's words
    "party_cause_agent",         # ... in the agent's words (an attribution to a configured party)
    "standalone_customer",       # a cause phrase that implies the type, customer's words
    "standalone_agent",
    "involved",                  # planning / the type's process is the subject
    "failure_context",           # the failure contact's named party (or topic) is of the type
    "configured_customer",       # a configured partner or department of the type, customer
    "configured_agent",          # ... named by the agent
    "gazetteer_customer",        # a package gazetteer party of the type, customer
    "gazetteer_agent",
    "topic",                     # a topic word of the type (pakket, factuur, installatie)
    "means",                     # a party of the type named as a means ("via PostNL")
    # A name is a cause only in a failure contact ("gaat DHL ook op zaterdag bezorgen?" is not):
    # the same evidence again when the avoidable category is voorkomen.
    "failure_named",             # a party of the type named (not as a means), voorkomen
    "failure_means",             # a party of the type named as a means, voorkomen
    "failure_topic",             # a topic word of the type, voorkomen
    "failure_model_log_probability",
)
NONE_FEATURES = ("model_log_probability", "rule_choice") + tuple(
    f"category_{c}" for c in CATEGORIES) + ("parties_named",)
MIN_RULE_COUNT = 3       # a cause rule becomes a feature when it fired in this many examples
# L2 strength 1/C on the weights shared by all types, and on each type's deviation from them
# (stronger: few examples). Chosen on the sectors' dev files in leave-one-sector-out (mean
# third-party macro-F1 0.826-0.860 over C_SHARED 0.3-10, C_TYPE 0.1-0.5; flat from 3 up).
# Unbalanced classes: balancing them made 'none' contacts get a party (0.837 against 0.852).
C_SHARED = 3.0
C_TYPE = 0.2


def row(tags: list[ThirdPartyTag], mentions: list[Mention],
        probabilities: dict[str, float] | None, rule_type: str | None,
        category: str, failure: bool | None = None) -> tuple:
    """What the combiner reads of one contact: (per-type features, per-type cause rules, the
    'none' features, the types it may choose). ``failure``: the contact is failure demand by a
    rule signal or a sure model (the tagger's test; default: the category is voorkomen). Plain
    tuples: a result stays picklable and small."""
    probabilities = probabilities or {}
    index = {t: i for i, t in enumerate(THIRD_PARTY_TYPES)}
    dense = [[0.0] * len(TYPE_FEATURES) for _ in THIRD_PARTY_TYPES]
    fired: list[set[str]] = [set() for _ in THIRD_PARTY_TYPES]
    position = {name: i for i, name in enumerate(TYPE_FEATURES)}
    for t, values in zip(THIRD_PARTY_TYPES, dense):
        values[0] = math.log(probabilities.get(t, 1.0 / len(CANDIDATES)) + 1e-3)
        values[1] = float(rule_type == t)
    for tag in tags:
        i = index.get(tag.third_party_type)
        if i is None:
            continue
        side = "customer" if tag.source in CUSTOMER_SOURCES else "agent"
        name = {"party": f"party_cause_{side}", "standalone": f"standalone_{side}",
                "involved": "involved", "context": "failure_context"}.get(tag.basis)
        if name:
            dense[i][position[name]] = 1.0
        if tag.basis in ("party", "standalone", "involved"):
            fired[i].add(tag.rule_id)
    for mention in mentions:
        i = index.get(mention.third_party_type)
        if i is None:
            continue
        side = "customer" if mention.source in CUSTOMER_SOURCES else "agent"
        if mention.means:
            name = "means"
        elif mention.topic:
            name = "topic"
        else:
            name = f"{'configured' if mention.configured else 'gazetteer'}_{side}"
        dense[i][position[name]] = 1.0
    if category == "voorkomen":
        for values in dense:
            values[position["failure_named"]] = max(values[position[n]] for n in NAMED)
            values[position["failure_topic"]] = values[position["topic"]]
            values[position["failure_means"]] = values[position["means"]]
            values[position["failure_model_log_probability"]] = values[0]
    named = {m.third_party_type for m in mentions
             if not m.topic and not m.means and m.source in CUSTOMER_SOURCES}
    none = [math.log(probabilities.get("none", 1.0 / len(CANDIDATES)) + 1e-3),
            float(rule_type is None)] + [float(category == c) for c in CATEGORIES]
    none.append(float(min(len(named), 2)))
    # The types it may choose: those the rules tagged, and in a failure contact those named. A
    # party named in a contact where nothing failed is a mention, never a cause ("de monteur
    # was erg vriendelijk").
    allowed = {t.third_party_type for t in tags}
    if category == "voorkomen" if failure is None else failure:
        allowed |= {m.third_party_type for m in mentions if not m.topic}
    return (tuple(tuple(v) for v in dense), tuple(frozenset(f) for f in fired), tuple(none),
            frozenset(allowed))


class PartyCombiner:
    """Multinomial choice among 'none' and the types (a conditional logit)."""

    def __init__(self, c_shared: float = C_SHARED, c_type: float = C_TYPE,
                 balanced: bool = False) -> None:
        self.c_shared = c_shared
        self.c_type = c_type
        self.balanced = balanced

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, rows: list[tuple], gold: list[str],
            sample_weight: list[float] | None = None) -> "PartyCombiner":
        from collections import Counter

        from scipy.optimize import minimize
        counts = Counter(rule for r in rows for fired in r[1] for rule in fired)
        self.vocabulary_ = sorted(r for r, n in counts.items() if n >= MIN_RULE_COUNT)
        x_types, x_none = self._arrays(rows)           # (n, T, D), (n, G)
        y = np.array([CANDIDATES.index(g if g in CANDIDATES else "none") for g in gold])
        w = np.ones(len(rows)) if sample_weight is None else np.asarray(sample_weight, float)
        if self.balanced:      # every candidate counts as much in total
            totals = np.bincount(y, weights=w, minlength=len(CANDIDATES))
            present = totals > 0
            w = w * (totals[present].sum() / present.sum() / np.maximum(totals, 1e-9))[y]
        w = w / w.sum()
        n_types, d = x_types.shape[1], x_types.shape[2]
        g = x_none.shape[1]
        sizes = (d, n_types * d, n_types, g)
        penalty = np.concatenate([np.full(d, 1 / self.c_shared), np.full(n_types * d,
                                  1 / self.c_type), np.zeros(n_types), np.full(g, 1 / self.c_shared)])
        scale = 1.0 / len(rows)

        def unpack(theta):
            parts = np.split(theta, np.cumsum(sizes)[:-1])
            return parts[0], parts[1].reshape(n_types, d), parts[2], parts[3]

        def loss(theta):
            shared, own, bias, none_w = unpack(theta)
            logits = self._logits(x_types, x_none, shared, own, bias, none_w)
            logits -= logits.max(axis=1, keepdims=True)
            log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
            value = -(w * log_p[np.arange(len(y)), y]).sum() + 0.5 * scale * (
                penalty * theta ** 2).sum()
            residual = np.exp(log_p)
            residual[np.arange(len(y)), y] -= 1.0
            residual *= w[:, None]                     # d loss / d logits
            r_types = residual[:, 1:]
            grad_shared = np.einsum("nt,ntd->d", r_types, x_types)
            grad_own = np.einsum("nt,ntd->td", r_types, x_types)
            grad_bias = r_types.sum(axis=0)
            grad_none = residual[:, 0] @ x_none
            grad = np.concatenate([grad_shared, grad_own.ravel(), grad_bias, grad_none])
            return value, grad + scale * penalty * theta

        start = np.zeros(sum(sizes))
        result = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
        shared, own, bias, none_w = unpack(result.x)
        self.type_coef_ = own + shared[None, :]        # per type: shared + its own deviation
        self.type_intercept_ = bias
        self.none_coef_ = none_w
        self._compiled = None
        return self

    @staticmethod
    def _logits(x_types, x_none, shared, own, bias, none_w) -> np.ndarray:
        types = np.einsum("ntd,d->nt", x_types, shared) + np.einsum("ntd,td->nt", x_types, own)
        return np.hstack([(x_none @ none_w)[:, None], types + bias[None, :]])

    def _arrays(self, rows: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
        index = {rule: i for i, rule in enumerate(self.vocabulary_)}
        base = len(TYPE_FEATURES)
        x_types = np.zeros((len(rows), len(THIRD_PARTY_TYPES), base + len(index)))
        x_none = np.zeros((len(rows), len(NONE_FEATURES)))
        for r, (dense, fired, none, _) in enumerate(rows):
            x_types[r, :, :base] = dense
            for t, rules in enumerate(fired):
                for rule in rules:
                    if rule in index:
                        x_types[r, t, base + index[rule]] = 1.0
            x_none[r] = none
        return x_types, x_none

    # -- predicting --------------------------------------------------------------------------
    def predict_proba(self, rows: list[tuple]) -> np.ndarray:
        """Probabilities per contact over CANDIDATES ('none' first)."""
        x_types, x_none = self._arrays(rows)
        types = np.einsum("ntd,td->nt", x_types, self.type_coef_) + self.type_intercept_
        logits = np.hstack([(x_none @ self.none_coef_)[:, None], types])
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict_one(self, row_: tuple) -> list[float]:
        """``predict_proba([row_])[0]`` in plain Python: the tagger calls it once per contact,
        where building arrays would cost more than the arithmetic."""
        compiled = getattr(self, "_compiled", None)
        if compiled is None:
            index = {rule: i for i, rule in enumerate(self.vocabulary_)}
            base = len(TYPE_FEATURES)
            compiled = self._compiled = (
                [list(map(float, c[:base])) for c in self.type_coef_],
                [{rule: float(c[base + i]) for rule, i in index.items()} for c in self.type_coef_],
                list(map(float, self.type_intercept_)), list(map(float, self.none_coef_)))
        dense_w, rule_w, bias, none_w = compiled
        dense, fired, none, _ = row_
        logits = [sum(w * x for w, x in zip(none_w, none))]
        for t in range(len(bias)):
            value = bias[t] + sum(w * x for w, x in zip(dense_w[t], dense[t]) if x)
            value += sum(rule_w[t].get(rule, 0.0) for rule in fired[t])
            logits.append(value)
        top = max(logits)
        exp = [math.exp(v - top) for v in logits]
        total = sum(exp)
        return [e / total for e in exp]

    # -- saved inside the text model's .npz ---------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        return {"vocabulary": np.array(self.vocabulary_ or [""]),
                "n_vocabulary": np.array([len(self.vocabulary_)]),
                "type_coef": self.type_coef_, "type_intercept": self.type_intercept_,
                "none_coef": self.none_coef_}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "PartyCombiner":
        combiner = cls()
        n = int(arrays["n_vocabulary"][0])
        combiner.vocabulary_ = [str(v) for v in arrays["vocabulary"]][:n]
        combiner.type_coef_ = np.asarray(arrays["type_coef"], dtype=np.float64)
        combiner.type_intercept_ = np.asarray(arrays["type_intercept"], dtype=np.float64)
        combiner.none_coef_ = np.asarray(arrays["none_coef"], dtype=np.float64)
        combiner._compiled = None
        if combiner.type_coef_.shape != (len(THIRD_PARTY_TYPES), len(TYPE_FEATURES) + n) or \
                combiner.none_coef_.shape != (len(NONE_FEATURES),):
            raise ValueError("the third-party combiner was saved by another version (other "
                             "features)")
        return combiner


def decide(probabilities, rule_type: str | None = None, margin: float = 0.0,
           allowed: frozenset | None = None) -> tuple[str | None, float]:
    """The chosen type (None for 'none') and its probability: the most probable of 'none', the
    rules' own choice (``rule_type``) and the ``allowed`` types (all when None). The rules'
    choice stands unless the best is more probable by at least ``margin``."""
    rule = CANDIDATES.index(rule_type or "none")
    best = max((i for i, c in enumerate(CANDIDATES)
                if i in (0, rule) or allowed is None or c in allowed),
               key=probabilities.__getitem__)
    if probabilities[best] - probabilities[rule] < margin:
        best = rule
    return (None if best == 0 else CANDIDATES[best]), round(float(probabilities[best]), 3)


def rule_choice(row_: tuple) -> str | None:
    """The hand-ordered rules' own choice, as recorded in the row (None: no third party)."""
    position = TYPE_FEATURES.index("rule_choice")
    return next((t for t, dense in zip(THIRD_PARTY_TYPES, row_[0]) if dense[position]), None)


NAMED = ("configured_customer", "configured_agent", "gazetteer_customer", "gazetteer_agent")


def rule_cause(row_: tuple, type_: str | None) -> bool:
    """Did a rule (not the model) name the chosen type as a cause?"""
    if type_ is None:
        return False
    dense = row_[0][THIRD_PARTY_TYPES.index(type_)]
    return any(dense[TYPE_FEATURES.index(n)] for n in (
        "party_cause_customer", "party_cause_agent", "standalone_customer", "standalone_agent"))


def named(row_: tuple, type_: str | None) -> bool:
    """Is a party of the chosen type named (not as a means, not a topic)?"""
    if type_ is None:
        return False
    dense = row_[0][THIRD_PARTY_TYPES.index(type_)]
    return any(dense[TYPE_FEATURES.index(n)] for n in NAMED)
