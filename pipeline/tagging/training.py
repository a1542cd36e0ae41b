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

import numpy as np

from pipeline.config import OrganisationConfig, PartyConfig
from pipeline.tagging import confidence as conf
from pipeline.tagging import party_combiner as party
from pipeline.tagging.combiner import Combiner
from pipeline.tagging.learned import TextModel
from pipeline.tagging.rules import CATEGORIES, load_rules, package_dir
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
    # The [organisatie] config its organisation's users wrote (the sectors' partners and
    # departments): its held-out fold is tagged with it, so the third-party combiner learns what
    # a configured party is worth.
    organisation: OrganisationConfig | None = None

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
                               row["group"], contact, row.get("text", ""),
                               organisation_of(row.get("organisation"))))
    return out


def organisation_of(data: dict | None) -> OrganisationConfig | None:
    """An [organisatie] as stored in the training set (dataclasses.asdict of the parsed one)."""
    if not data:
        return None
    parties = [PartyConfig(p["naam"], p["type"], list(p.get("aliassen", [])))
               for p in data.get("partijen", [])]
    return OrganisationConfig(data.get("naam", ""), list(data.get("aliassen", [])),
                              list(data.get("afdelingen", [])), parties)


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
        organisation: OrganisationConfig | None = None, ruleset=None,
        combine: bool = True, organisations: dict[str, OrganisationConfig] | None = None
        ) -> TextModel:
    """The text model on all examples; with ``calibrate`` also the learned combiners of rules
    and model (``combine``: the avoidable category and the third party) and the calibration, all
    from held-out folds. ``organisations``: the [organisatie] config per example group (the
    sectors' own partners), else ``organisation``."""
    return fit_with_held(examples, calibrate=calibrate, folds=folds, organisation=organisation,
                         ruleset=ruleset, combine=combine, organisations=organisations)[0]


def fit_with_held(examples: list[Example], *, calibrate: bool = True, folds: int = 3,
                  organisation: OrganisationConfig | None = None, ruleset=None,
                  combine: bool = True, organisations: dict[str, OrganisationConfig] | None = None
                  ) -> tuple[TextModel, list[tuple]]:
    """``fit`` and the held-out (example, result) pairs it learned the combiners from."""
    model = fit_model(examples)
    held: list[tuple] = []
    if calibrate:
        held = held_out(examples, folds=folds, organisation=organisation, ruleset=ruleset,
                        organisations=organisations)
        finish(model, held, combine, ruleset)
    return model, held


def finish(model: TextModel, held: list[tuple], combine: bool = True,
           ruleset=None) -> TextModel:
    """Fit the combiners and the calibration of ``model`` from held-out (example, result)
    pairs: contacts tagged by a model that had not seen them."""
    model.combiner_ = fit_combiner(held) if combine else None
    model.party_combiner_ = fit_party_combiner(held) if combine else None
    weights = (ruleset or load_rules()).weights
    model.calibration_ = calibration(held, model.combiner_, model.party_combiner_,
                                     margin=float(weights.get("party_override_margin", 0.0)))
    return model


def held_out(examples: list[Example], *, folds: int = 3,
             organisation: OrganisationConfig | None = None, ruleset=None,
             organisations: dict[str, OrganisationConfig] | None = None) -> list[tuple]:
    """(example, tag result) for every real example, tagged by a model that did not see it,
    with the example's own organisation config, else its group's, else ``organisation``."""
    real = [i for i, e in enumerate(examples) if e.contact is not None]
    generated = [i for i, e in enumerate(examples) if e.contact is None]
    organisations = organisations or {}
    out = []
    for k in range(folds):
        held = set(real[k::folds])
        train = [examples[i] for i in real if i not in held]
        train += [examples[i] for i in generated[::FOLD_GENERATED_EVERY]]
        text_model = fit_model(train)
        fold = [examples[i] for i in sorted(held)]
        by_organisation: dict[int, tuple] = {}
        for e in fold:
            own = e.organisation or organisations.get(e.group, organisation)
            by_organisation.setdefault(id(own), (own, []))[1].append(e)
        for own, part in by_organisation.values():
            tagger = Tagger(ruleset, text_model=text_model, workers=1, organisation=own)
            out += list(zip(part, tagger.tag([e.contact for e in part])))
    return out


def fit_combiner(held: list[tuple]) -> Combiner | None:
    rows = [(e, r) for e, r in held if e.avoidable is not None]
    if len({e.avoidable for e, _ in rows}) < 2:
        return None
    return Combiner().fit([r.combiner_row for _, r in rows], [e.avoidable for e, _ in rows],
                          sample_weight=[e.weight for e, _ in rows])


def fit_party_combiner(held: list[tuple]) -> party.PartyCombiner | None:
    rows = [(e, r) for e, r in held if e.third_party is not None and r.party_row]
    if len({e.third_party for e, _ in rows}) < 2:
        return None
    return party.PartyCombiner().fit([r.party_row for _, r in rows],
                                     [e.third_party for e, _ in rows],
                                     sample_weight=[e.weight for e, _ in rows])


def calibration(held: list[tuple], combiner: Combiner | None = None,
                party_combiner: party.PartyCombiner | None = None, folds: int = 5,
                margin: float = 0.0) -> dict:
    """Platt coefficients per head. With a combiner, its own out-of-fold answers are calibrated
    (the folds' tagger did not have it yet)."""
    features = {"avoidable": ([], []), "third_party": ([], [])}
    rows = [(e, r) for e, r in held if e.avoidable is not None]
    if combiner is not None and rows:
        for k in range(folds):
            train = [x for j, x in enumerate(rows) if j % folds != k]
            test = [x for j, x in enumerate(rows) if j % folds == k]
            if not test or len({e.avoidable for e, _ in train}) < 2:
                continue
            part = Combiner().fit([r.combiner_row for _, r in train],
                                  [e.avoidable for e, _ in train],
                                  sample_weight=[e.weight for e, _ in train])
            for (example, result), p in zip(test, part.predict_proba(
                    [r.combiner_row for _, r in test])):
                best = int(p.argmax())
                category = part.classes_[best]
                dense = result.combiner_row[0]
                probs = {c: float(np.exp(v)) - 1e-3 for c, v in zip(CATEGORIES, dense[4:8])}
                _, _, _, rule_signal, process = result.calibration_features[0]
                features["avoidable"][0].append(conf.avoidable_features(
                    float(p[best]), probs, category, bool(rule_signal), bool(process)))
                features["avoidable"][1].append(category == example.avoidable)
    else:
        for example, result in rows:
            features["avoidable"][0].append(list(result.calibration_features[0]))
            features["avoidable"][1].append(result.avoidable_category == example.avoidable)
    if party_combiner is not None:
        features["third_party"] = _party_calibration(held, folds, margin)
    else:
        for example, result in held:
            if example.third_party is not None:
                features["third_party"][0].append(list(result.calibration_features[1]))
                features["third_party"][1].append(
                    (result.third_party_type or "none") == example.third_party)
    return {head: conf.fit_platt(x, y) for head, (x, y) in features.items() if x}


def _party_calibration(held: list[tuple], folds: int, margin: float) -> tuple[list, list]:
    """Calibration features of the third-party combiner's out-of-fold answers (with the
    tagger's margin over the rules' own choice)."""
    rows = [(e, r) for e, r in held if e.third_party is not None and r.party_row]
    x, y = [], []
    for k in range(folds):
        train = [p for j, p in enumerate(rows) if j % folds != k]
        test = [p for j, p in enumerate(rows) if j % folds == k]
        if not test or len({e.third_party for e, _ in train}) < 2:
            continue
        part = party.PartyCombiner().fit([r.party_row for _, r in train],
                                         [e.third_party for e, _ in train],
                                         sample_weight=[e.weight for e, _ in train])
        for (example, result), p in zip(test, part.predict_proba([r.party_row for _, r in test])):
            row = result.party_row
            chosen, probability = party.decide(p, party.rule_choice(row), margin, row[3])
            model_p = {t: float(np.exp(v[0])) - 1e-3
                       for t, v in zip(party.THIRD_PARTY_TYPES, row[0])}
            model_p["none"] = float(np.exp(row[2][0])) - 1e-3
            x.append(conf.third_party_features(probability, model_p, chosen,
                                               party.rule_cause(row, chosen),
                                               party.named(row, chosen)))
            y.append((chosen or "none") == example.third_party)
    return x, y
