"""Tagging stage: avoidable category and third-party cause per contact, with evidence.

``run(con, config)`` reads contacts + contact_text (+ contact_reasons/reasons when present),
tags every contact that is not an auto-reply with :class:`Tagger` (the pure core), batch by batch
(:mod:`.batched`), and rewrites contact_tags, contact_third_parties and contact_symptoms in one
transaction.

Auto-replies (contact_text.is_auto_reply) are not customer questions: they get no row in any of
the three tables, and the summary counts them as skipped.
"""

from __future__ import annotations

import dataclasses

from pipeline import batches
from pipeline.batches import DEFAULT_BATCH, Runner
from pipeline.config import TaggingConfig
from pipeline.errors import StageInputMissing
from pipeline.progress import track
from pipeline.summary import Summary
from pipeline.tagging import batched
from pipeline.tagging.rules import CATEGORIES, RuleSet, load_rules
from pipeline.tagging.tagger import ContactInput, TagResult, Tagger, Votes

__all__ = ["run", "Tagger", "ContactInput", "TagResult", "load_rules", "RuleSet"]

def run(con, config: TaggingConfig, *, tagger: Tagger | None = None,
        batch_size: int = DEFAULT_BATCH, runner: Runner | None = None) -> Summary:
    """Tag every prepared contact and rewrite the tagging tables (idempotent).

    Works batch by batch (see :mod:`.batched`): memory stays flat however many contacts there
    are, and ``runner`` may spread the batches over a Dask cluster. The tables are replaced in
    one transaction at the end: an interrupted run leaves the previous tags in place."""
    from pipeline import store

    ruleset = tagger.ruleset if tagger else load_rules(config.extra_rule_files)
    n_text = con.execute("SELECT count(*) FROM contact_text").fetchone()[0]
    if n_text == 0:
        raise StageInputMissing("no prepared contact text to tag", where="contact_text",
                                hint="run `klantvraag prepare` first")
    runner = runner or Runner()
    window = config.repeat_window_days
    with store.Run(con, "tag", dataclasses.asdict(config)) as run_row, \
            batches.work_dir(con, "tag") as folder:
        n_auto = con.execute("SELECT count(*) FROM contact_text WHERE is_auto_reply").fetchone()[0]
        n_todo = n_text - n_auto
        if runner.distributed:
            # Workers build their own Tagger from this spec, once each; a Tagger given here
            # (tests, benchmarks) is used as it is in this process.
            source = batched.TaggerSpec(tuple(config.extra_rule_files), window)
        else:
            source = tagger or Tagger(ruleset, repeat_window_days=window)
        steps = -(-n_todo // max(1, batch_size))
        votes = Votes()
        for part in track(runner.map(batched.find_hits, _batches(con, batch_size), source,
                                     folder), "Tags zoeken (1/2)", total=steps):
            votes.add(part)
        tally = batched.Tally()
        for part in track(runner.map(batched.tag_batch, _batches(con, batch_size), source,
                                     folder, votes, window), "Taggen (2/2)", total=steps):
            tally.add(part)
        _write(con, folder)
        run_row.counts = {
            "tagged": tally.tagged, "auto_replies_skipped": n_auto,
            "categories": dict(tally.categories),
            "third_party_types": dict(tally.third_party_types),
            "repeats": tally.repeats, "symptoms": tally.symptoms,
            "rule_files": ruleset.files,
        }
    return _summary(tally, n_auto, ruleset)


def _batches(con, size: int):
    for number, rows in enumerate(batches.stream(con, batched.QUERY, size=size,
                                                 key=batched.KEY)):
        yield batched.Batch(number, rows)


def _write(con, folder) -> None:
    """Replace the three tables with the run's shards, in one transaction."""
    inserts = {
        "contact_tags": (
            "tags", "contact_id, avoidable_category, confidence, third_party_type, party, "
            "is_repeat, repeat_of, repeat_gap_days, evidence",
            "contact_id, avoidable_category, confidence, third_party_type, party, is_repeat, "
            "repeat_of, repeat_gap_days, CAST(evidence AS JSON)", "contact_id"),
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


def _summary(tally: batched.Tally, n_auto: int, ruleset: RuleSet) -> Summary:
    total = tally.tagged or 1
    counts = tally.categories
    summary = Summary(title="Vermijdbaar contact", columns=["categorie", "contacten", "aandeel"])
    for category in CATEGORIES:
        summary.rows.append([category, counts.get(category, 0),
                             f"{counts.get(category, 0) / total:.0%}"])
    parties = tally.third_party_types
    if parties:
        summary.notes.append("derde partij als oorzaak: " + ", ".join(
            f"{k} {v}" for k, v in parties.most_common()))
    summary.notes.append(f"herhaalcontacten: {tally.repeats}")
    # Contacts no rule spoke for: say how they were decided (text model, the run's most common
    # strong category, or the configured default), as their evidence records it.
    no_signal = tally.no_signal
    if no_signal:
        summary.notes.append(
            f"zonder regelsignaal: {sum(no_signal.values())} ({tally.no_signal_note}: "
            + ", ".join(f"{k} {v}" for k, v in no_signal.most_common()) + ")")
    if n_auto:
        summary.notes.append(f"automatische antwoorden overgeslagen: {n_auto}")
    summary.notes.append(f"regelbestanden: {len(ruleset.files)}, regels: {len(ruleset.rules)}")
    if not tally.tagged:
        summary.warnings.append("geen contacten om te taggen (alleen automatische antwoorden?)")
    return summary
