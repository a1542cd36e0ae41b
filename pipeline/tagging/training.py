"""Fit the tagging text model with its calibration, on the shipped data plus extra examples.

The shipped training set (pipeline/resources/tagging/training_set.jsonl.gz, written by
bench/train_tagging_model.py) holds the generated contacts (each with its count) and the
hand-written ones. An organisation adds its analyst's labels (`klantvraag label --read`); the
benchmark adds other sectors' files. ``fit`` trains the final model on everything and, with
``calibrate``, Platt-scales the tagger's confidence on held-out folds of the examples that are not
generated (pipeline/tagging/confidence.py): each fold is tagged by a model that did not see it.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass

from pipeline.config import OrganisationConfig
from pipeline.tagging import confidence as conf
from pipeline.tagging.learned import TextModel
from pipeline.tagging.rules import package_dir
from pipeline.tagging.tagger import ContactInput, Tagger, model_text

TRAINING_SET = "training_set.jsonl.gz"
HANDWRITTEN_WEIGHT = 24.0
# Generated contacts kept in the fold models that only serve calibration (a quarter: 4x faster,
# and the calibration is about the real, non-generated contacts anyway).
FOLD_GENERATED_EVERY = 4


@dataclass
class Example:
    avoidable: str | None          # None: not given (that head ignores the example)
    third_party: str | None        # "none": no third party; None: not given
    weight: float
    group: str                     # generated | handwritten | analyst | a sector name
    contact: ContactInput | None = None
    text: str = ""                 # generated examples: the model text only

    def model_text(self) -> str:
        return model_text(self.contact) if self.contact else self.text


def shipped() -> list[Example]:
    """The package's training set: generated plus hand-written contacts."""
    out = []
    with gzip.open(package_dir().joinpath(TRAINING_SET), "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            contact = None
            if "question_text" in row:
                contact = ContactInput(row.get("id", ""), row["question_text"],
                                       row.get("customer_text") or row["question_text"],
                                       row.get("agent_text") or None)
            out.append(Example(row["avoidable"], row["third_party"], float(row["weight"]),
                               row["group"], contact, row.get("text", "")))
    return out


def from_labelled(contacts: list[ContactInput], gold: list[dict], group: str,
                  weight: float = HANDWRITTEN_WEIGHT) -> list[Example]:
    """Examples from a labelled file (pipeline.tagging.evaluate.load_labelled)."""
    return [Example(g["avoidable_category"], g["third_party_type"] or "none", weight, group, c)
            for c, g in zip(contacts, gold)]


def fit_model(examples: list[Example], **params) -> TextModel:
    return TextModel(**params).fit([e.model_text() for e in examples],
                                   [e.avoidable for e in examples],
                                   [e.third_party for e in examples],
                                   sample_weight=[e.weight for e in examples])


def fit(examples: list[Example], *, calibrate: bool = True, folds: int = 3,
        organisation: OrganisationConfig | None = None, ruleset=None) -> TextModel:
    """The text model on all examples, with ``calibration_`` from held-out folds."""
    model = fit_model(examples)
    if calibrate:
        model.calibration_ = calibration(examples, folds=folds, organisation=organisation,
                                         ruleset=ruleset)
    return model


def calibration(examples: list[Example], *, folds: int = 3,
                organisation: OrganisationConfig | None = None, ruleset=None) -> dict:
    """Platt coefficients per head from the tagger's results on held-out folds."""
    real = [i for i, e in enumerate(examples) if e.contact is not None]
    generated = [i for i, e in enumerate(examples) if e.contact is None]
    features = {"avoidable": ([], []), "third_party": ([], [])}
    for k in range(folds):
        held = set(real[k::folds])
        train = [examples[i] for i in real if i not in held]
        train += [examples[i] for i in generated[::FOLD_GENERATED_EVERY]]
        tagger = Tagger(ruleset, text_model=fit_model(train), organisation=organisation,
                        workers=1)
        fold = [examples[i] for i in sorted(held)]
        for example, result in zip(fold, tagger.tag([e.contact for e in fold])):
            a_features, t_features = result.calibration_features
            if example.avoidable is not None:
                features["avoidable"][0].append(list(a_features))
                features["avoidable"][1].append(result.avoidable_category == example.avoidable)
            if example.third_party is not None:
                features["third_party"][0].append(list(t_features))
                features["third_party"][1].append(
                    (result.third_party_type or "none") == example.third_party)
    return {head: conf.fit_platt(x, y) for head, (x, y) in features.items() if x}
