"""Tagging stage: avoidable category and third-party cause per contact, with evidence.

``run(con, config)`` reads contacts + contact_text (+ contact_reasons/reasons when present),
tags every contact that is not an auto-reply with :class:`Tagger` (the pure core) and rewrites
contact_tags, contact_third_parties and contact_symptoms in one transaction.

Auto-replies (contact_text.is_auto_reply) are not customer questions: they get no row in any of
the three tables, and the summary counts them as skipped.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import pandas as pd

from pathlib import Path

from pipeline.config import OrganisationConfig, TaggingConfig
from pipeline.errors import StageInputMissing
from pipeline.summary import Summary
from pipeline.tagging.analyst import analyst_labels, apply_analyst_labels
from pipeline.tagging.rules import CATEGORIES, RuleSet, load_rules
from pipeline.tagging.tagger import ContactInput, TagResult, Tagger

__all__ = ["run", "Tagger", "ContactInput", "TagResult", "load_rules", "RuleSet"]

_QUERY = """
SELECT c.contact_id, c.customer_key, c.started_at,
       t.question_text, t.customer_text, t.agent_text, t.question_lemmas,
       coalesce(t.is_auto_reply, false) AS is_auto_reply,
       r.reason_id, rs.default_category
FROM contacts c
JOIN contact_text t USING (contact_id)
LEFT JOIN contact_reasons r USING (contact_id)
LEFT JOIN reasons rs ON rs.reason_id = r.reason_id
ORDER BY c.contact_id
"""


def run(con, config: TaggingConfig, *, tagger: Tagger | None = None,
        organisation: OrganisationConfig | None = None,
        model_path: Path | None = None) -> Summary:
    """Tag every prepared contact and rewrite the tagging tables (idempotent).

    ``organisation``: the [organisatie] config (its parties are matched in the text);
    ``model_path``: the organisation's own text model (models/<name>/tagging_model.npz, written
    by ``klantvraag label --read``), used when it exists instead of the shipped one. Contacts
    with an analyst label (table analyst_labels) take that label (decided_by 'analyst')."""
    from pipeline import store

    ruleset = tagger.ruleset if tagger else load_rules(config.extra_rule_files)
    n_text = con.execute("SELECT count(*) FROM contact_text").fetchone()[0]
    if n_text == 0:
        raise StageInputMissing("no prepared contact text to tag", where="contact_text",
                                hint="run `klantvraag prepare` first")
    with store.Run(con, "tag", dataclasses.asdict(config)) as run_row:
        frame = con.execute(_QUERY).df()
        auto = frame[frame["is_auto_reply"].astype(bool)]
        todo = frame[~frame["is_auto_reply"].astype(bool)]
        contacts = [_contact(row) for row in todo.itertuples(index=False)]
        own_model = model_path is not None and Path(model_path).exists()
        tagger = tagger or Tagger(ruleset, repeat_window_days=config.repeat_window_days,
                                  text_model=model_path if own_model else "default",
                                  organisation=organisation, unsure_below=config.unsure_below)
        results = tagger.tag(contacts, repeat_window_days=config.repeat_window_days)
        n_labels = apply_analyst_labels(results, analyst_labels(con))
        _write(con, results)
        counts = Counter(r.avoidable_category for r in results)
        parties = Counter(r.third_party_type for r in results if r.third_party_type)
        run_row.counts = {
            "tagged": len(results), "auto_replies_skipped": len(auto),
            "categories": dict(counts), "third_party_types": dict(parties),
            "repeats": sum(r.is_repeat for r in results),
            "symptoms": sum(len(r.symptoms) for r in results),
            "rule_files": ruleset.files, "analyst_labels": n_labels,
            "unsure": {"avoidable": sum(r.avoidable_unsure for r in results),
                       "third_party": sum(r.third_party_unsure for r in results)},
        }
    summary = _summary(results, len(auto), ruleset)
    summary.notes.append(
        f"analistlabels: {n_labels} contact(en) gelabeld door de analist; tekstmodel: "
        + ("eigen model van de organisatie (" + str(model_path) + ")" if own_model
           else "meegeleverd model"))
    return summary


def _contact(row) -> ContactInput:
    started = row.started_at
    started = None if started is None or pd.isna(started) else pd.Timestamp(started).to_pydatetime()
    return ContactInput(
        contact_id=row.contact_id, question_text=_text(row.question_text),
        customer_text=_text(row.customer_text), agent_text=_text(row.agent_text),
        customer_key=_text(row.customer_key), started_at=started,
        reason_id=_text(row.reason_id), reason_default=_text(row.default_category),
        question_lemmas=_text(row.question_lemmas))


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    return str(value)


def _write(con, results: list[TagResult]) -> None:
    tags = pd.DataFrame({
        "contact_id": [r.contact_id for r in results],
        "avoidable_category": [r.avoidable_category for r in results],
        "confidence": pd.array([r.confidence for r in results], dtype="float64"),
        "third_party_type": pd.array([r.third_party_type for r in results], dtype="object"),
        "party": pd.array([r.party for r in results], dtype="object"),
        "is_repeat": pd.array([r.is_repeat for r in results], dtype="bool"),
        "repeat_of": pd.array([r.repeat_of for r in results], dtype="object"),
        "repeat_gap_days": pd.array([r.repeat_gap_days for r in results], dtype="Float64"),
        "evidence": [json.dumps(r.evidence, ensure_ascii=False) for r in results],
        "avoidable_unsure": pd.array([r.avoidable_unsure for r in results], dtype="bool"),
        "third_party_confidence": pd.array([r.third_party_confidence for r in results],
                                           dtype="float64"),
        "third_party_unsure": pd.array([r.third_party_unsure for r in results], dtype="bool"),
        "decided_by": [r.decided_by for r in results],
    })
    parties = pd.DataFrame(
        [(r.contact_id, t.third_party_type, t.party, t.confidence, t.rule_id, t.span, t.kind)
         for r in results for t in r.third_parties],
        columns=["contact_id", "third_party_type", "party", "confidence", "rule_id", "span",
                 "kind"]).astype({"party": "object", "confidence": "float64"})
    symptoms = pd.DataFrame(
        [(r.contact_id, s.symptom, s.rule_id, s.span) for r in results for s in r.symptoms],
        columns=["contact_id", "symptom", "rule_id", "span"])
    con.execute("BEGIN TRANSACTION")
    try:
        for table in ("contact_tags", "contact_third_parties", "contact_symptoms"):
            con.execute(f"DELETE FROM {table}")
        con.register("tags_frame", tags)
        con.register("parties_frame", parties)
        con.register("symptoms_frame", symptoms)
        con.execute(
            "INSERT INTO contact_tags (contact_id, avoidable_category, confidence, "
            "third_party_type, party, is_repeat, repeat_of, repeat_gap_days, evidence, "
            "avoidable_unsure, third_party_confidence, third_party_unsure, decided_by) "
            "SELECT contact_id, avoidable_category, confidence, third_party_type, party, "
            "is_repeat, repeat_of, repeat_gap_days, CAST(evidence AS JSON), avoidable_unsure, "
            "third_party_confidence, third_party_unsure, decided_by FROM tags_frame")
        con.execute(
            "INSERT INTO contact_third_parties (contact_id, third_party_type, party, confidence, "
            "rule_id, span, kind) SELECT contact_id, third_party_type, party, confidence, "
            "rule_id, span, kind FROM parties_frame")
        con.execute(
            "INSERT INTO contact_symptoms (contact_id, symptom, rule_id, span) "
            "SELECT contact_id, symptom, rule_id, span FROM symptoms_frame")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in ("tags_frame", "parties_frame", "symptoms_frame"):
            con.unregister(name)


def _percent(fraction: float) -> str:
    """Dutch notation: 36,7%."""
    return f"{fraction * 100:.1f}%".replace(".", ",")


def _summary(results: list[TagResult], n_auto: int, ruleset: RuleSet) -> Summary:
    total = len(results) or 1
    counts = Counter(r.avoidable_category for r in results)
    unsure = Counter(r.avoidable_category for r in results if r.avoidable_unsure)
    summary = Summary(title="Vermijdbaar contact",
                      columns=["categorie", "contacten", "aandeel", "waarvan onzeker"])
    for category in CATEGORIES:
        summary.rows.append([category, counts.get(category, 0),
                             _percent(counts.get(category, 0) / total), unsure.get(category, 0)])
    n_unsure = sum(unsure.values())
    n_third_unsure = sum(r.third_party_unsure for r in results)
    summary.notes.append(
        f"onzeker (gekalibreerde betrouwbaarheid onder de drempel): categorie {n_unsure} "
        f"({_percent(n_unsure / total)}), derde partij {n_third_unsure} "
        f"({_percent(n_third_unsure / total)}); tel deze niet als zeker")
    parties = Counter(r.third_party_type for r in results if r.third_party_type)
    if parties:
        summary.notes.append("derde partij als oorzaak: " + ", ".join(
            f"{k} {v}" for k, v in parties.most_common()))
    repeats = sum(r.is_repeat for r in results)
    summary.notes.append(f"herhaalcontacten: {repeats}")
    # Contacts no rule spoke for: say how they were decided (text model, the run's most common
    # strong category, or the configured default), as their evidence records it.
    no_signal = Counter(r.avoidable_category for r in results
                        if r.evidence and r.evidence[0].get("rule") == "fallback")
    if no_signal:
        how = next(r.evidence[0].get("note", "") for r in results
                   if r.evidence and r.evidence[0].get("rule") == "fallback")
        summary.notes.append(
            f"zonder regelsignaal: {sum(no_signal.values())} ({how}: "
            + ", ".join(f"{k} {v}" for k, v in no_signal.most_common()) + ")")
    if n_auto:
        summary.notes.append(f"automatische antwoorden overgeslagen: {n_auto}")
    summary.notes.append(f"regelbestanden: {len(ruleset.files)}, regels: {len(ruleset.rules)}")
    if not results:
        summary.warnings.append("geen contacten om te taggen (alleen automatische antwoorden?)")
    return summary
