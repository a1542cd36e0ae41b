"""Tagging stage: avoidable category and third-party cause per contact, with evidence.

``run(con, config)`` reads contacts + contact_text (+ contact_reasons/reasons when present),
tags every contact that is not an auto-reply with :class:`Tagger` (the pure core), batch by batch
(:mod:`.batched`), and rewrites contact_tags, contact_third_parties and contact_symptoms in one
transaction. The organisation's own world ([organisatie]) and its own text model (written by
``klantvraag label --read``) shape the Tagger; contacts with an analyst label take that label.

Auto-replies (contact_text.is_auto_reply) are not customer questions: they get no row in any of
the three tables, and the summary counts them as skipped.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from typing import TYPE_CHECKING

from pipeline.batches import DEFAULT_BATCH
from pipeline.errors import StageInputMissing
from pipeline.summary import Summary

if TYPE_CHECKING:
    from pipeline.batches import Runner
    from pipeline.config import OrganisationConfig, TaggingConfig
    from pipeline.tagging import batched
    from pipeline.tagging.rules import RuleSet
    from pipeline.tagging.tagger import Tagger

__all__ = ["run", "Tagger", "ContactInput", "TagResult", "load_rules", "RuleSet"]


def __getattr__(name: str):
    """The engine (spaCy, the text model) is imported when first used, not with the package:
    reading the config imports pipeline.tagging.party_types, and must stay quick."""
    if name in ("Tagger", "ContactInput", "TagResult"):
        from pipeline.tagging import tagger

        return getattr(tagger, name)
    if name in ("load_rules", "RuleSet"):
        from pipeline.tagging import rules

        return getattr(rules, name)
    raise AttributeError(f"module 'pipeline.tagging' has no attribute {name!r}")


def run(con, config: "TaggingConfig", *, tagger: "Tagger | None" = None,
        organisation: "OrganisationConfig | None" = None, model_path: Path | None = None,
        batch_size: int = DEFAULT_BATCH, runner: "Runner | None" = None) -> Summary:
    """Tag every prepared contact and rewrite the tagging tables (idempotent).

    ``organisation``: the [organisatie] config (its parties are matched in the text);
    ``model_path``: the organisation's own text model (models/<name>/tagging_model.npz), used
    when it exists instead of the shipped one. Works batch by batch (see :mod:`.batched`):
    memory stays flat however many contacts there are, and ``runner`` may spread the batches
    over a Dask cluster. The tables are replaced in one transaction at the end: an interrupted
    run leaves the previous tags in place."""
    from pipeline import batches, store
    from pipeline.batches import Runner
    from pipeline.progress import track
    from pipeline.tagging import batched
    from pipeline.tagging.analyst import analyst_labels
    from pipeline.tagging.rules import load_rules
    from pipeline.tagging.tagger import Votes

    ruleset = tagger.ruleset if tagger else load_rules(config.extra_rule_files)
    n_text = con.execute("SELECT count(*) FROM contact_text").fetchone()[0]
    if n_text == 0:
        raise StageInputMissing("er is nog geen voorbereide tekst om te labelen",
                                where="contact_text", hint="draai eerst `klantvraag prepare`")
    runner = runner or Runner()
    window = config.repeat_window_days
    own_model = model_path is not None and Path(model_path).exists()
    spec = batched.TaggerSpec.of(config, organisation, model_path if own_model else None)
    labels = analyst_labels(con)
    with store.Run(con, "tag", dataclasses.asdict(config)) as run_row, \
            batches.work_dir(con, "tag") as folder:
        n_auto = con.execute("SELECT count(*) FROM contact_text WHERE is_auto_reply").fetchone()[0]
        n_todo = n_text - n_auto
        # Workers build their own Tagger from the spec, once each; a Tagger given here (tests,
        # benchmarks) is used as it is in this process.
        source = spec if runner.distributed else (tagger or batched.tagger_for(spec, None))
        steps = -(-n_todo // max(1, batch_size))
        votes = Votes()
        for part in track(runner.map(batched.find_hits, _batches(con, batch_size, n_todo),
                                     source, folder), "Tags zoeken (1/2)", total=steps):
            votes.add(part)
        tally = batched.Tally()
        for part in track(runner.map(batched.tag_batch, _batches(con, batch_size, n_todo),
                                     source, folder, votes, window, labels), "Taggen (2/2)",
                          total=steps):
            tally.add(part)
        _write(con, folder)
        run_row.counts = {
            "tagged": tally.tagged, "auto_replies_skipped": n_auto,
            "categories": dict(tally.categories),
            "third_party_types": dict(tally.third_party_types),
            "repeats": tally.repeats, "symptoms": tally.symptoms,
            "rule_files": ruleset.files, "analyst_labels": tally.analyst,
            "unsure": {"avoidable": sum(tally.unsure.values()),
                       "third_party": tally.third_party_unsure},
        }
    summary = _summary(tally, n_auto, ruleset)
    summary.notes.append(
        f"analistlabels: {tally.analyst} contact(en) gelabeld door de analist; tekstmodel: "
        + (f"eigen model van de organisatie ({model_path})" if own_model else "meegeleverd model"))
    return summary


def _batches(con, size: int, n_rows: int):
    """The contacts to tag, a customer's contacts in one batch, partition by partition."""
    from pipeline import batches
    from pipeline.tagging import batched

    number = 0
    for sql, params in batched.partitions(n_rows):
        for rows in batches.stream(con, sql, params, size=size, key=batched.KEY):
            yield batched.Batch(number, rows)
            number += 1


def _write(con, folder) -> None:
    """Replace the three tables with the run's shards, in one transaction."""
    from pipeline import batches

    inserts = {
        "contact_tags": (
            "tags", "contact_id, avoidable_category, confidence, third_party_type, party, "
            "is_repeat, repeat_of, repeat_gap_days, evidence, avoidable_unsure, "
            "third_party_confidence, third_party_unsure, decided_by",
            "contact_id, avoidable_category, confidence, third_party_type, party, is_repeat, "
            "repeat_of, repeat_gap_days, CAST(evidence AS JSON), avoidable_unsure, "
            "third_party_confidence, third_party_unsure, decided_by", "contact_id"),
        "contact_third_parties": (
            "parties", "contact_id, third_party_type, party, confidence, rule_id, span, kind",
            "contact_id, third_party_type, party, confidence, rule_id, span, kind",
            "contact_id, seq"),
        "contact_symptoms": (
            "symptoms", "contact_id, symptom, rule_id, span", "contact_id, symptom, rule_id, span",
            "contact_id, seq"),
    }
    con.execute("BEGIN TRANSACTION")
    try:
        for table, (prefix, columns, select, order) in inserts.items():
            con.execute(f"DELETE FROM {table}")
            pattern = batches.parquet_glob(folder, prefix)
            if pattern:
                con.execute(f"INSERT INTO {table} ({columns}) SELECT {select} "
                            f"FROM read_parquet('{pattern}') ORDER BY {order}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _percent(fraction: float) -> str:
    """Dutch notation: 36,7%."""
    return f"{fraction * 100:.1f}%".replace(".", ",")


def _summary(tally: "batched.Tally", n_auto: int, ruleset: "RuleSet") -> Summary:
    from pipeline.tagging.rules import CATEGORIES

    total = tally.tagged or 1
    counts, unsure = tally.categories, tally.unsure
    summary = Summary(title="Vermijdbaar contact",
                      columns=["categorie", "contacten", "aandeel", "waarvan onzeker"])
    for category in CATEGORIES:
        summary.rows.append([category, counts.get(category, 0),
                             _percent(counts.get(category, 0) / total), unsure.get(category, 0)])
    n_unsure = sum(unsure.values())
    summary.notes.append(
        f"onzeker (gekalibreerde betrouwbaarheid onder de drempel): categorie {n_unsure} "
        f"({_percent(n_unsure / total)}), derde partij {tally.third_party_unsure} "
        f"({_percent(tally.third_party_unsure / total)}); tel deze niet als zeker")
    parties = tally.third_party_types
    if parties:
        from pipeline.report.i18n import Texts   # the report's Dutch words for the codes

        words = Texts("nl")
        summary.notes.append("derde partij als oorzaak: " + ", ".join(
            f"{words.label('third_party_type', k)} {v}" for k, v in parties.most_common()))
    summary.notes.append(f"herhaalcontacten: {tally.repeats}")
    # Contacts no rule spoke for: say how they were decided (text model, the run's most common
    # strong category, or the configured default), as their evidence records it.
    if tally.no_signal:
        summary.notes.append(
            f"zonder regelsignaal: {sum(tally.no_signal.values())} ({tally.no_signal_note}: "
            + ", ".join(f"{k} {v}" for k, v in tally.no_signal.most_common()) + ")")
    if n_auto:
        summary.notes.append(f"automatische antwoorden overgeslagen: {n_auto}")
    summary.notes.append(f"regelbestanden: {len(ruleset.files)}, regels: {len(ruleset.rules)}")
    if not tally.tagged:
        summary.warnings.append("geen contacten om te taggen (alleen automatische antwoorden?)")
    return summary
