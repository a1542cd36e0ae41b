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
from contextlib import contextmanager
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
        batch_size: int = DEFAULT_BATCH, runner: "Runner | None" = None,
        everything: bool = False) -> Summary:
    """Tag the prepared contacts and rewrite their rows in the tagging tables (idempotent).

    ``organisation``: the [organisatie] config (its parties are matched in the text);
    ``model_path``: the organisation's own text model (models/<name>/tagging_model.npz), used
    when it exists instead of the shipped one. Works batch by batch (see :mod:`.batched`):
    memory stays flat however many contacts there are, and ``runner`` may spread the batches
    over a Dask cluster. The tables are changed in one transaction at the end: an interrupted
    run leaves the previous tags in place.

    Incremental (see :func:`_unchanged_since`): after a run with the same config, rules, text
    model, analyst labels and reason defaults, only the customers with a new contact, a contact
    prepared again or one whose reason changed are tagged again (all their contacts: repeats),
    with the votes of every contact (those of the others are stored with their tags). The
    others keep their tags. ``everything`` tags every contact."""
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
    settings = dataclasses.asdict(config)
    fingerprint = _fingerprint(con, spec, tagger)
    since = None if everything or tagger is not None else \
        _unchanged_since(con, settings, fingerprint)
    resume_key = _resume_key(con, settings, fingerprint, since, batch_size)
    with store.Run(con, "tag", settings) as run_row, \
            batches.work_dir(con, "tag", resume_key) as folder, _todo(con, since) as todo:
        n_auto = con.execute("SELECT count(*) FROM contact_text WHERE is_auto_reply").fetchone()[0]
        n_todo = n_text - n_auto if todo is None else \
            con.execute(f"SELECT count(*) FROM {todo}").fetchone()[0]
        resumed = batches.count_done(folder, "votes")
        # Workers build their own Tagger from the spec, once each; a Tagger given here (tests,
        # benchmarks) is used as it is in this process.
        source = spec if runner.distributed else (tagger or batched.tagger_for(spec, None))
        steps = -(-n_todo // max(1, batch_size))
        votes = Votes() if todo is None else _stored_votes(con, todo)
        for part in track(runner.map(batched.find_hits, _batches(con, batch_size, n_todo, todo),
                                     source, folder), "Tags zoeken (1/2)", total=steps):
            votes.add(part)
        tally = batched.Tally()
        for part in track(runner.map(batched.tag_batch, _batches(con, batch_size, n_todo, todo),
                                     source, folder, votes, window, labels), "Taggen (2/2)",
                          total=steps):
            tally.add(part)
        _write(con, folder, todo)
        kept = con.execute("SELECT count(*) FROM contact_tags").fetchone()[0] - tally.tagged
        run_row.counts = {
            "tagged": tally.tagged, "kept": kept, "auto_replies_skipped": n_auto,
            "categories": dict(tally.categories),
            "third_party_types": dict(tally.third_party_types),
            "repeats": tally.repeats, "symptoms": tally.symptoms,
            "rule_files": ruleset.files, "analyst_labels": tally.analyst,
            "unsure": {"avoidable": sum(tally.unsure.values()),
                       "third_party": tally.third_party_unsure},
            "fingerprint": fingerprint, "resumed_batches": resumed,
        }
    summary = _summary(tally, n_auto, ruleset)
    if resumed:
        summary.notes.insert(0, f"hervat: {resumed} van {steps} batches hadden hun tags al "
                                "gezocht in de onderbroken run en zijn overgeslagen")
    summary.notes.insert(0, (
        f"nieuw of veranderd: {tally.tagged:,} contacten getagd (met alle contacten van hun "
        f"klant); {kept:,} ongewijzigd overgenomen (--all tagt alles opnieuw)"
        if todo is not None else f"alle {tally.tagged:,} contacten getagd").replace(",", "."))
    summary.notes.append(
        f"analistlabels: {tally.analyst} contact(en) gelabeld door de analist; tekstmodel: "
        + (f"eigen model van de organisatie ({model_path})" if own_model else "meegeleverd model"))
    return summary


# What the tags of a contact depend on besides its own text and reason: when any of it changed
# since the last run, every contact is tagged again.
_LABELS_SQL = "SELECT count(*), max(labelled_at)::VARCHAR FROM analyst_labels"
_DEFAULTS_SQL = ("SELECT string_agg(reason_id || '=' || coalesce(default_category, ''), ';' "
                 "ORDER BY reason_id) FROM reasons")


def _fingerprint(con, spec: "batched.TaggerSpec", tagger: "Tagger | None") -> str:
    """A digest of the rules, text model and organisation (the spec with its files' sizes and
    times), the analyst's labels and the reasons' default categories."""
    import hashlib

    if tagger is not None:          # a Tagger given as it is (tests, benchmarks): no spec
        return "given-tagger"
    digest = hashlib.sha256(repr(spec).encode())
    digest.update(repr(con.execute(_LABELS_SQL).fetchone()).encode())
    digest.update(repr(con.execute(_DEFAULTS_SQL).fetchone()).encode())
    return digest.hexdigest()[:16]


# What the batches of a run read: a run interrupted and started again over the same rows, with
# the same settings, rules and model, continues with the batches it had not finished.
_ROWS_STAMP_SQL = """
SELECT (SELECT count(*) FROM contacts), (SELECT sum(hash(contact_id, customer_key)) FROM contacts),
       (SELECT count(*) FROM contact_text), (SELECT max(prepared_at)::VARCHAR FROM contact_text),
       (SELECT sum(hash(contact_id, reason_id)) FROM contact_reasons),
       (SELECT sum(hash(contact_id, avoidable_category)) FROM contact_tags)
"""


def _resume_key(con, settings: dict, fingerprint: str, since, batch_size: int) -> str | None:
    """The work folder's key (see :func:`pipeline.batches.work_dir`); None for a Tagger given
    as it is (tests, benchmarks): nothing says it is the same one next time."""
    import hashlib
    import json

    if fingerprint == "given-tagger":
        return None
    stamp = con.execute(_ROWS_STAMP_SQL).fetchone()
    return hashlib.sha256(json.dumps(
        [settings, fingerprint, str(since), batch_size, repr(stamp)], default=str,
        sort_keys=True).encode()).hexdigest()


def _unchanged_since(con, settings: dict, fingerprint: str):
    """The start of the last successful tag run, if it tagged with the same settings and
    fingerprint and stored its votes (runs from before 0009 did not): then only what changed
    since needs tagging. Else None: every contact is tagged."""
    import json

    last = con.execute("SELECT started_at, config, counts FROM runs WHERE command = 'tag' "
                       "AND status = 'ok' ORDER BY started_at DESC LIMIT 1").fetchone()
    if last is None:
        return None
    started, stored, counts = last
    try:
        stored, counts = json.loads(stored or "{}"), json.loads(counts or "{}")
    except ValueError:
        return None
    same = (stored == json.loads(json.dumps(settings, default=str))
            and counts.get("fingerprint") == fingerprint)
    return started if same else None


# The contacts to tag again: every contact of a customer with a contact that is new, prepared
# again since the last run, or whose reason is not the one it was tagged with (a contact
# without a customer: itself). Params: the last run's start.
_TODO_SQL = """
CREATE OR REPLACE TABLE {table} AS
WITH changed AS (
    SELECT c.contact_id, c.customer_key
    FROM contacts c JOIN contact_text t USING (contact_id)
    LEFT JOIN contact_tags g USING (contact_id)
    LEFT JOIN contact_reasons r USING (contact_id)
    WHERE NOT coalesce(t.is_auto_reply, false)
      AND (g.contact_id IS NULL OR t.prepared_at >= ?
           OR r.reason_id IS DISTINCT FROM g.tagged_reason_id)
)
SELECT contact_id FROM contacts
WHERE customer_key IN (SELECT customer_key FROM changed WHERE customer_key IS NOT NULL)
UNION
SELECT contact_id FROM changed
"""
TODO_TABLE = "tag_todo"


@contextmanager
def _todo(con, since):
    """The table of contacts to tag again (None: all), dropped when the run ends. A table of
    the store, not a temporary one: the batches are read on cursors of their own."""
    if since is None:
        yield None
        return
    con.execute(_TODO_SQL.format(table=TODO_TABLE), [since])
    try:
        yield TODO_TABLE
    finally:
        con.execute(f"DROP TABLE IF EXISTS {TODO_TABLE}")


def _stored_votes(con, todo: str):
    """The votes of the contacts that keep their tags, as stored with them."""
    from pipeline.tagging.tagger import Votes

    return Votes.of(con.execute(
        "SELECT g.vote, g.vote_reason_id, count(*) FROM contact_tags g "
        "JOIN contacts c USING (contact_id) "
        f"WHERE g.vote IS NOT NULL AND g.contact_id NOT IN (SELECT contact_id FROM {todo}) "
        "GROUP BY ALL ORDER BY ALL").fetchall())


def _batches(con, size: int, n_rows: int, todo: str | None = None):
    """The contacts to tag, a customer's contacts in one batch, partition by partition."""
    from pipeline import batches
    from pipeline.tagging import batched

    number = 0
    for sql, params in batched.partitions(n_rows, todo):
        for rows in batches.stream(con, sql, params, size=size, key=batched.KEY):
            yield batched.Batch(number, rows)
            number += 1


def _write(con, folder, todo: str | None = None) -> None:
    """Replace the three tables with the run's shards, in one transaction; with ``todo``, only
    the rows of those contacts (and of contacts no longer tagged: gone, or now an
    auto-reply)."""
    from pipeline import batches

    inserts = {
        "contact_tags": (
            "tags", "contact_id, avoidable_category, confidence, third_party_type, party, "
            "is_repeat, repeat_of, repeat_gap_days, evidence, avoidable_unsure, "
            "third_party_confidence, third_party_unsure, decided_by, tagged_reason_id, vote, "
            "vote_reason_id",
            "contact_id, avoidable_category, confidence, third_party_type, party, is_repeat, "
            "repeat_of, repeat_gap_days, CAST(evidence AS JSON), avoidable_unsure, "
            "third_party_confidence, third_party_unsure, decided_by, tagged_reason_id, vote, "
            "vote_reason_id", "contact_id"),
        "contact_third_parties": (
            "parties", "contact_id, third_party_type, party, confidence, rule_id, span, kind",
            "contact_id, third_party_type, party, confidence, rule_id, span, kind",
            "contact_id, seq"),
        "contact_symptoms": (
            "symptoms", "contact_id, symptom, rule_id, span", "contact_id, symptom, rule_id, span",
            "contact_id, seq"),
    }
    stale = "" if todo is None else (
        f" WHERE contact_id IN (SELECT contact_id FROM {todo}) OR contact_id NOT IN ("
        "SELECT contact_id FROM contact_text WHERE NOT coalesce(is_auto_reply, false) "
        "INTERSECT SELECT contact_id FROM contacts)")
    con.execute("BEGIN TRANSACTION")
    try:
        for table, (prefix, columns, select, order) in inserts.items():
            con.execute(f"DELETE FROM {table}{stale}")
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
