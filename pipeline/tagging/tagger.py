"""The pure core of the tagging stage: contacts in, tags with evidence out. No database."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator

from pipeline.config import OrganisationConfig
from pipeline.progress import track
from pipeline.tagging import avoidable, repeat, symptoms, third_party
from pipeline.tagging import combiner as combiner_mod
from pipeline.tagging import party_combiner
from pipeline.tagging import confidence as conf
from pipeline.tagging.avoidable import Signal
from pipeline.tagging.learned import DEFAULT_MODEL, TextModel
from pipeline.tagging.matcher import Hit, PhraseMatcher
from pipeline.tagging.organisation import OrganisationFilter, rules as organisation_rules
from pipeline.tagging.rules import RuleSet, load_rules


@dataclass
class ContactInput:
    contact_id: str
    question_text: str | None = None
    customer_text: str | None = None
    agent_text: str | None = None
    customer_key: str | None = None
    started_at: datetime | None = None
    reason_id: str | None = None
    reason_default: str | None = None     # reasons.default_category, when the taxonomy sets one
    question_lemmas: str | None = None


@dataclass
class TagResult:
    contact_id: str
    avoidable_category: str
    confidence: float
    third_party_type: str | None
    party: str | None
    is_repeat: bool
    repeat_of: str | None
    repeat_gap_days: float | None
    evidence: list[dict]
    third_parties: list[third_party.ThirdPartyTag] = field(default_factory=list)
    symptoms: list[symptoms.Symptom] = field(default_factory=list)
    # Calibrated (pipeline/tagging/confidence.py); 'onzeker' below the tagger's unsure_below.
    third_party_confidence: float = 0.0
    avoidable_unsure: bool = False
    third_party_unsure: bool = False
    calibration_features: tuple = ((), ())     # (avoidable, third party): what was calibrated
    combiner_row: tuple = ((), set())           # what pipeline/tagging/combiner.py reads
    party_row: tuple = ()                       # what pipeline/tagging/party_combiner.py reads
    decided_by: str = "tagger"                  # tagger | analyst (pipeline/tagging/analyst.py)


class Tagger:
    """Rules compiled once; ``tag`` handles a whole batch (repeats and learned defaults need it).

    ``text_model``: the learned back-up (pipeline.tagging.learned.TextModel); "default" loads the
    shipped model when it exists, another string or a Path loads the model saved there, None
    tags with the rules alone."""

    def __init__(self, ruleset: RuleSet | None = None, repeat_window_days: float = 7.0,
                 batch_size: int = 512, workers: int | None = None,
                 text_model: TextModel | str | Path | None = "default",
                 organisation: OrganisationConfig | None = None,
                 unsure_below: float = 0.6) -> None:
        if isinstance(text_model, str) and text_model == "default":
            text_model = TextModel.load(DEFAULT_MODEL) if DEFAULT_MODEL.exists() else None
        elif isinstance(text_model, (str, Path)):
            text_model = TextModel.load(text_model)
        self.text_model = text_model
        self.ruleset = ruleset or load_rules()
        self.organisation = organisation or OrganisationConfig()
        own = organisation_rules(self.organisation)
        if own:     # a copy: the package's rule set may be shared by other taggers
            self.ruleset = dataclasses.replace(self.ruleset, rules=self.ruleset.rules + own,
                                               files=self.ruleset.files + ["[organisatie]"])
        self.repeat_window_days = repeat_window_days
        self.unsure_below = unsure_below
        self.batch_size = batch_size
        # Processes for matching large batches; None: one per core (small batches stay serial).
        self.workers = workers
        self.matcher = PhraseMatcher(self.ruleset)
        self.rules = self.ruleset.by_id()
        self.weights = self.ruleset.weights
        self.org_filter = OrganisationFilter(self.organisation, self.rules)

    # -- matching ----------------------------------------------------------------------------
    def hits(self, contacts: list[ContactInput]) -> list[dict[str, list[Hit]]]:
        texts, owners = [], []
        for i, contact in enumerate(contacts):
            for source, text in _sources(contact).items():
                if text:
                    texts.append(text)
                    owners.append((i, source))
        result: list[dict[str, list[Hit]]] = [{} for _ in contacts]
        for (i, source), hits in zip(owners, self._match_texts(texts)):
            result[i][source] = self.org_filter(hits)
        return result

    def _match_texts(self, texts: list[str]) -> Iterator[list[Hit]]:
        workers = self.workers if self.workers is not None else (os.cpu_count() or 1)
        workers = min(workers, max(1, len(texts) // PARALLEL_MIN_TEXTS))
        if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            docs = self.matcher.docs(texts, batch_size=self.batch_size)
            for doc in track(docs, "Tags zoeken", total=len(texts)):
                yield self.matcher.match_doc(doc)
            return
        # Matching is independent per text: split it over processes (fork shares the compiled
        # rules); repeats and learned defaults need the whole batch and stay here.
        chunks = [texts[i:i + CHUNK_TEXTS] for i in range(0, len(texts), CHUNK_TEXTS)]
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_init_worker, initargs=(self.matcher,)) as pool:
            for hits in track(pool.imap(_match_chunk, chunks), "Tags zoeken", total=len(chunks)):
                yield from hits

    # -- tagging -----------------------------------------------------------------------------
    def tag(self, contacts: list[ContactInput], repeat_window_days: float | None = None, *,
            hits: list[dict[str, list[Hit]]] | None = None,
            votes: "Votes | None" = None) -> list[TagResult]:
        """Tag a batch; ``repeat_window_days`` overrides the window given at construction.

        A run too large for one batch passes, per batch, the ``hits`` already found for it and
        the ``votes`` of the whole run (:meth:`contact_votes`), so learned defaults and the fallback
        prior are those of the run, not of the batch (repeats need each customer's contacts in
        one batch)."""
        window = self.repeat_window_days if repeat_window_days is None else repeat_window_days
        all_hits = self.hits(contacts) if hits is None else hits
        factors = self.weights.get("sources", {})
        phrase = [avoidable.phrase_signals(h, self.rules, factors) for h in all_hits]
        if votes is None:
            votes = self._votes(contacts, phrase)
        strong = float(self.weights.get("failure_context_score", 2.0))
        parties = [third_party.find(h, self.rules, self.weights,
                                    failure=avoidable.scores(p)["voorkomen"] >= strong)
                   for h, p in zip(all_hits, phrase)]
        found_symptoms = [symptoms.find(h, self.rules) for h in all_hits]
        repeats = repeat.find(
            [repeat.RepeatInput(c.contact_id, c.customer_key, c.started_at, c.reason_id,
                                frozenset((c.question_lemmas or "").split())) for c in contacts],
            window, float(self.weights.get("repeat_min_overlap", 0.3)))
        learned = self._learned_defaults(votes.by_reason)
        prior = self._prior(votes.prior)
        model = self._model_probabilities(contacts)

        # First every contact's rule signals, so that the learned combiner runs once per batch.
        base, mains = [], []
        for contact, signals, (tags, _), found in zip(contacts, phrase, parties, found_symptoms):
            signals = list(signals)
            signals += self._repeat_signal(repeats.get(contact.contact_id))
            signals += self._reason_signal(contact, learned)
            signals += self._symptom_signals(found)
            main = third_party.main_tag(tags)
            signals += self._third_party_signal(main)
            base.append(signals)
            mains.append(main)
        defer = set(self.weights.get("learned", {}).get("defer_to", ()))
        a_rows = [_row(model, "avoidable", i) for i in range(len(contacts))]
        deferred = [any(s.rule in defer for s in signals) for signals in base]
        voted = [signals + self._model_signals(model["avoidable"], i)
                 if model is not None and not deferred[i] else signals
                 for i, signals in enumerate(base)]
        hand = [avoidable.decide(signals, self.weights) for signals in voted]
        combined = [combiner_mod.raw_features(s, p, h[0])
                    for s, p, h in zip(base, a_rows, hand)]
        combiner = getattr(self.text_model, "combiner_", None)
        if combiner is None or model is None or not contacts:
            combiner = None
            learned_p = None
        else:
            learned_p = combiner.predict_proba(combined)

        results = []
        for i, (contact, signals, (tags, mentions), found) in enumerate(
                zip(contacts, base, parties, found_symptoms)):
            main = mains[i]
            rule_signals = bool(signals)
            signals = voted[i]
            category, confidence = hand[i]
            if learned_p is not None and not deferred[i]:
                best = int(learned_p[i].argmax())
                category = combiner.classes_[best]
                confidence = round(float(learned_p[i][best]), 3)
            if model is not None and not any(t.kind == "cause" for t in tags):
                tags = tags + self._late_third_party(category, signals, model["third_party"], i,
                                                     mentions, bool(tags), all_hits[i])
                main = third_party.main_tag(tags)
            if not signals and prior:
                category = prior[0]
            rep = repeats.get(contact.contact_id)
            t_probs = _row(model, "third_party", i)
            a_features = conf.avoidable_features(
                confidence, a_rows[i], category, rule_signals,
                rep is not None or bool(found))
            t_type = main.third_party_type if main else None
            party_row = party_combiner.row(tags, mentions, t_probs, t_type, category,
                                           self._is_failure(category, signals))
            chooser = getattr(self.text_model, "party_combiner_", None)
            if chooser is not None and model is not None:
                # The learned third-party decision (whose step failed) replaces the rules' order.
                margin = float(self.weights.get("party_override_margin", 0.0))
                t_type, chosen_p = party_combiner.decide(chooser.predict_one(party_row), t_type,
                                                         margin, party_row[3])
                main, tags = _chosen(t_type, chosen_p, tags, mentions)
                t_features = conf.third_party_features(
                    chosen_p, t_probs, t_type, party_combiner.rule_cause(party_row, t_type),
                    party_combiner.named(party_row, t_type))
            else:
                t_features = conf.third_party_features(
                    main.confidence if main else 0.0, t_probs, t_type,
                    bool(main and main.kind == "cause" and main.rule_id != "model"),
                    bool(main and main.party))
            evidence = avoidable.evidence(signals, category)
            if learned_p is not None and not deferred[i]:
                evidence.insert(0, {"rule": "combiner", "source": "model", "span": "",
                                    "weight": confidence, "category": category,
                                    "note": "geleerde weging van regels en tekstmodel"})
            evidence += [{"rule": t.rule_id, "source": t.source, "span": t.span,
                          "weight": round(t.score, 3), "third_party_type": t.third_party_type,
                          "party": t.party, "kind": t.kind} for t in tags]
            evidence += [{"rule": m.rule_id, "source": m.source, "span": m.span, "weight": 0.0,
                          "third_party_type": m.third_party_type, "party": m.party,
                          "kind": "topic" if m.topic else "mention"}
                         for m in _unique_mentions(mentions)]
            if not rule_signals:
                note = ("geen signaal gevonden; meest voorkomende categorie bij "
                        f"{prior[1]} contacten met sterke signalen" if prior else
                        "geen signaal gevonden; standaardcategorie")
                if model is not None:
                    note = "geen regel gevonden; categorie van het tekstmodel"
                evidence.insert(0, {"rule": "fallback", "source": "none", "span": "",
                                    "weight": 0.0, "category": category, "note": note})
            calibration = getattr(self.text_model, "calibration_", None) or {}
            a_conf = conf.apply_platt(calibration.get("avoidable"), a_features, confidence)
            t_raw = t_features[0] if chooser is not None and model is not None else (
                main.confidence if main else (t_probs or {}).get("none", 0.5))
            t_conf = conf.apply_platt(calibration.get("third_party"), t_features, t_raw)
            results.append(TagResult(
                contact_id=contact.contact_id, avoidable_category=category,
                confidence=a_conf, third_party_confidence=t_conf,
                avoidable_unsure=a_conf < self.unsure_below,
                third_party_unsure=t_conf < self.unsure_below,
                calibration_features=(tuple(a_features), tuple(t_features)),
                combiner_row=combined[i], party_row=party_row,
                third_party_type=main.third_party_type if main else None,
                party=main.party if main else None,
                is_repeat=rep is not None, repeat_of=rep.repeat_of if rep else None,
                repeat_gap_days=rep.gap_days if rep else None,
                evidence=evidence, third_parties=tags, symptoms=found))
        return results

    def _model_probabilities(self, contacts: list[ContactInput]) -> dict | None:
        if self.text_model is None or not contacts:
            return None
        return self.text_model.predict_proba([model_text(c) for c in contacts])

    def _model_signals(self, head: tuple, i: int) -> list[Signal]:
        """The text model's probabilities as votes: weight x probability per category."""
        classes, probabilities = head
        weight = float(self.weights.get("learned", {}).get("avoidable_weight", 2.0))
        return [Signal(label, weight * float(p), "model", "model", f"tekstmodel {p:.0%}")
                for label, p in zip(classes, probabilities[i]) if p >= 0.05]

    def _named_types(self, hits_by_source: dict[str, list[Hit]], only_ruled_out: bool
                     ) -> set[str]:
        """Types of the parties named in the contact (not topics); with ``only_ruled_out`` only
        those named as a means ("via PostNL"), negated or hypothetical ("als DHL ...")."""
        return {self.rules[h.rule_id].label for hits in hits_by_source.values() for h in hits
                if self.rules[h.rule_id].kind == "parties" and not self.rules[h.rule_id].topic
                and (not only_ruled_out or h.means or h.negated or h.hypothetical)}

    def _late_third_party(self, category: str, signals: list[Signal], head: tuple, i: int,
                          mentions: list[third_party.Mention], has_tags: bool,
                          hits: dict[str, list[Hit]]) -> list[third_party.ThirdPartyTag]:
        """No cause found by the rules: a failure contact (decided `voorkomen` by a rule signal,
        or by a sure model) about a named party takes that party; else, when no rule tag exists
        at all, the text model's type unless the contact names a party of that type (see
        weights.yaml, learned)."""
        cfg = self.weights.get("learned", {})
        failure = self._is_failure(category, signals)
        if failure and cfg.get("failure_context_after_model", False):
            conf = float(self.weights.get("third_party_confidence", {}).get("failure_context", 0.5))
            found = third_party.failure_context(
                [m for m in mentions if not m.topic or cfg.get("topics", False)],
                self.weights.get("sources", {}), conf)
            if found:
                return found
        if has_tags:
            return []
        mode = cfg.get("fill_skips", "named")
        named = self._named_types(hits, mode == "ruled_out" or (mode == "failure" and failure))
        return self._model_third_party(head, i, mentions, named)

    def _is_failure(self, category: str, signals: list[Signal]) -> bool:
        """Failure demand: decided `voorkomen` with a rule signal for it, or a sure model."""
        cfg = self.weights.get("learned", {})
        sure = float(cfg.get("context_model_probability", 1.0)) * float(
            cfg.get("avoidable_weight", 2.0))
        return category == "voorkomen" and any(
            s.category == "voorkomen" and (s.rule != "model" or s.weight >= sure)
            for s in signals)

    def _model_third_party(self, head: tuple, i: int, mentions: list[third_party.Mention],
                           named: set[str]) -> list[third_party.ThirdPartyTag]:
        """No rule found a third party: the text model's type when it is sure enough."""
        classes, probabilities = head
        minimum = float(self.weights.get("learned", {}).get("third_party_min_probability", 0.4))
        ranked = sorted((float(p), label) for label, p in zip(classes, probabilities[i])
                        if label != "none")
        if not ranked or ranked[-1][0] < minimum:
            return []
        p, label = ranked[-1]
        if label in named:
            return []
        party = third_party.same_type_party(mentions, label)
        return [third_party.ThirdPartyTag(label, party, round(p, 3), "model", "", "model",
                                          "model", p, "model")]

    def _repeat_signal(self, rep: repeat.Repeat | None) -> list[Signal]:
        if rep is None:
            return []
        cfg = self.weights.get("repeat", {})
        return [Signal(cfg.get("category", "voorkomen"), float(cfg.get("weight", 3.0)),
                       "repeat", "repeat", repeat.evidence_text(rep))]

    def _reason_signal(self, contact: ContactInput, learned: dict[str, tuple]) -> list[Signal]:
        if contact.reason_default:
            return [Signal(contact.reason_default, float(self.weights.get("reason_default", 1.2)),
                           "reason_default", "reason",
                           f"standaard van reden {contact.reason_id}")]
        if contact.reason_id in learned:
            category, n, share = learned[contact.reason_id]
            weight = float(self.weights.get("reason_learned", {}).get("weight", 0.8))
            return [Signal(category, weight, "reason_learned", "reason",
                           f"afgeleid: {n} contacten van reden {contact.reason_id} met sterke "
                           f"signalen, {share:.0%} {category}")]
        return []

    def _symptom_signals(self, found: list[symptoms.Symptom]) -> list[Signal]:
        cfg = self.weights.get("symptoms", {})
        out, seen = [], set()
        for symptom in found:
            if symptom.symptom in seen:
                continue
            seen.add(symptom.symptom)
            out.append(Signal(cfg.get("category", "voorkomen"), float(cfg.get(symptom.symptom, 0.5)),
                              symptom.rule_id, "agent", symptom.span))
        return out

    def _third_party_signal(self, main: third_party.ThirdPartyTag | None) -> list[Signal]:
        if main is None or main.kind != "cause":
            return []
        cfg = self.weights.get("third_party_cause", {})
        return [Signal(cfg.get("category", "voorkomen"), float(cfg.get("weight", 1.0)),
                       main.rule_id, "third_party", main.span)]

    def contact_votes(self, contacts: list[ContactInput],
                      hits: list[dict[str, list[Hit]]]) -> list[tuple[str | None, str | None]]:
        """Each contact's vote: its best category where its phrase signals are strong (else
        None), and the reason it counts for (its reason, where that has no set default).
        :meth:`Votes.of` counts them; :meth:`Votes.add` adds up the batches of a run."""
        factors = self.weights.get("sources", {})
        return self._contact_votes(contacts, [avoidable.phrase_signals(h, self.rules, factors)
                                              for h in hits])

    def _contact_votes(self, contacts: list[ContactInput], phrase: list[list[Signal]]
                       ) -> list[tuple[str | None, str | None]]:
        strong = float(self.weights.get("reason_learned", {}).get("strong_score", 2.0))
        result: list[tuple[str | None, str | None]] = []
        for contact, signals in zip(contacts, phrase):
            totals = avoidable.scores(signals)
            best = max(totals, key=totals.get)
            if totals[best] < strong:
                result.append((None, None))
                continue
            counts_for = contact.reason_id if contact.reason_id and not contact.reason_default \
                else None
            result.append((best, counts_for))
        return result

    def _votes(self, contacts: list[ContactInput], phrase: list[list[Signal]]) -> Votes:
        """Per contact with strong phrase signals, its best category: counted for the fallback
        prior and, when it has a reason without a set default, for that reason."""
        return Votes.of(self._contact_votes(contacts, phrase))

    def _prior(self, counter: Counter) -> tuple[str, int] | None:
        """For contacts without any signal: the most common category among strong contacts."""
        cfg = self.weights.get("fallback", {})
        if not cfg.get("learn", False):
            return None
        n = sum(counter.values())
        if n < int(cfg.get("min_contacts", 20)):
            return None
        return _most_common(counter), n

    def _learned_defaults(self, votes: dict[str, Counter]) -> dict[str, tuple[str, int, float]]:
        """Per reason without a set default: the category most of its strong contacts have."""
        cfg = self.weights.get("reason_learned", {})
        learned = {}
        for reason_id, counter in votes.items():
            n = sum(counter.values())
            category = _most_common(counter)
            count = counter[category]
            if n >= int(cfg.get("min_contacts", 5)) and count / n >= float(cfg.get("min_share", 0.6)):
                learned[reason_id] = (category, n, count / n)
        return learned


def _chosen(type_: str | None, probability: float, tags: list[third_party.ThirdPartyTag],
            mentions: list[third_party.Mention]
            ) -> tuple[third_party.ThirdPartyTag | None, list[third_party.ThirdPartyTag]]:
    """The main tag for the third-party combiner's choice: the rules' best tag of that type, else
    a tag of its own (party: a named party of that type), added to the tags for the evidence."""
    if type_ is None:
        return None, tags
    same = [t for t in tags if t.third_party_type == type_]
    if same:
        return dataclasses.replace(third_party.main_tag(same), confidence=probability), tags
    tag = third_party.ThirdPartyTag(type_, third_party.same_type_party(mentions, type_),
                                    probability, "party_combiner", "", "cause", "model",
                                    probability, "combiner")
    return tag, tags + [tag]


def _row(model: dict | None, head: str, i: int) -> dict[str, float] | None:
    if model is None:
        return None
    classes, probabilities = model[head]
    return {label: float(p) for label, p in zip(classes, probabilities[i])}


@dataclass
class Votes:
    """Strong contacts' best categories, counted over a run: all (the fallback prior) and per
    reason (learned defaults). Small: one counter per reason, whatever the run's size."""
    prior: Counter = field(default_factory=Counter)
    by_reason: dict[str, Counter] = field(default_factory=dict)

    @classmethod
    def of(cls, contact_votes) -> "Votes":
        """Count (category or None, reason or None) pairs, one per contact, or (category,
        reason, count) triples (the stored votes of a run)."""
        votes = cls()
        for best, reason, *count in contact_votes:
            if best is None:
                continue
            n = count[0] if count else 1
            votes.prior[best] += n
            if reason:
                votes.by_reason.setdefault(reason, Counter())[best] += n
        return votes

    def add(self, other: "Votes") -> "Votes":
        self.prior.update(other.prior)
        for reason_id, counter in other.by_reason.items():
            self.by_reason.setdefault(reason_id, Counter()).update(counter)
        return self


def _most_common(counter: Counter) -> str:
    """The most counted key; a tie goes to the first in alphabetical order, so the answer is the
    same whatever order the batches of a run were counted in."""
    return min(counter.items(), key=lambda item: (-item[1], item[0]))[0]


def _unique_mentions(mentions: list[third_party.Mention]) -> list[third_party.Mention]:
    """One evidence item per rule and wording (the question and later turns repeat a lot)."""
    seen, out = set(), []
    for mention in mentions:
        key = (mention.rule_id, mention.span.lower())
        if key not in seen:
            seen.add(key)
            out.append(mention)
    return out


PARALLEL_MIN_TEXTS = 3000
CHUNK_TEXTS = 1000
_worker_matcher: PhraseMatcher | None = None


def _init_worker(matcher: PhraseMatcher) -> None:
    global _worker_matcher
    _worker_matcher = matcher


def _match_chunk(texts: list[str]) -> list[list[Hit]]:
    matcher = _worker_matcher
    return [matcher.match_doc(doc) for doc in matcher.docs(texts)]


def model_text(contact: ContactInput) -> str:
    """What the text model reads: the customer's words (question and later customer turns)."""
    sources = _sources(contact)
    return " ".join(t for t in (sources["question"], sources["customer"]) if t)


def _sources(contact: ContactInput) -> dict[str, str | None]:
    question = (contact.question_text or "").strip()
    customer = (contact.customer_text or "").strip()
    if question and customer.startswith(question):
        customer = customer[len(question):].strip()
    elif customer == question:
        customer = ""
    return {"question": question, "customer": customer, "agent": contact.agent_text}
