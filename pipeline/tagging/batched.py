"""The tagging stage in batches, so memory stays flat however large the store is.

A run reads the contacts ordered by customer (a customer's contacts share a batch: repeats need
them together) and goes over the batches twice:
1. :func:`find_hits` matches the rules and counts each batch's :class:`~.tagger.Votes` (strong
   contacts' categories), which add up to the run's learned defaults and fallback prior; the hits
   are kept on disk, one file per batch, so they are not matched twice;
2. :func:`tag_batch` tags the batch with the run's votes and writes its rows as Parquet shards.
The stage then replaces its tables from the shards in one transaction. Both steps are plain
functions of one batch: :class:`pipeline.batches.Runner` runs them here or on Dask workers,
where the rules and the text model are loaded once per worker (:func:`tagger_for`).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.tagging.analyst import Label, apply_analyst_labels
from pipeline.tagging.rules import load_rules
from pipeline.tagging.tagger import ContactInput, TagResult, Tagger, Votes

_ROWS = """
SELECT c.contact_id, c.customer_key, c.started_at,
       t.question_text, t.customer_text, t.agent_text, t.question_lemmas,
       r.reason_id, rs.default_category
FROM contacts c
JOIN contact_text t USING (contact_id)
LEFT JOIN contact_reasons r USING (contact_id)
LEFT JOIN reasons rs ON rs.reason_id = r.reason_id
WHERE NOT coalesce(t.is_auto_reply, false)
"""
_ORDER = "ORDER BY c.customer_key NULLS LAST, c.contact_id\n"
QUERY = _ROWS + _ORDER
# One ORDER BY over the whole store, every text as payload, needs DuckDB memory in proportion to
# the store (it does not spill all of it). The rows are read in partitions instead, by a hash of
# the customer (a customer's contacts stay together; a contact without one goes by its own id),
# each sorted on its own: DuckDB needs the memory of one partition, whatever the store's size.
PARTITION_ROWS = 100_000
_PARTITION = "  AND hash(coalesce(c.customer_key, c.contact_id)) % ? = ?\n"
KEY = "customer_key"


def partitions(n_rows: int, todo: str | None = None) -> list[tuple[str, list]]:
    """(query, params) per partition of about PARTITION_ROWS rows; one plain query when the
    store is small. ``todo``: a table of the contacts to read (an incremental run)."""
    rows = _ROWS + (f"  AND c.contact_id IN (SELECT contact_id FROM {todo})\n" if todo else "")
    parts = max(1, -(-n_rows // PARTITION_ROWS))
    if parts == 1:
        return [(rows + _ORDER, [])]
    return [(rows + _PARTITION + _ORDER, [parts, part]) for part in range(parts)]


TAGS = pa.schema([("contact_id", pa.string()), ("avoidable_category", pa.string()),
                  ("confidence", pa.float64()), ("third_party_type", pa.string()),
                  ("party", pa.string()), ("is_repeat", pa.bool_()), ("repeat_of", pa.string()),
                  ("repeat_gap_days", pa.float64()), ("evidence", pa.string()),
                  ("avoidable_unsure", pa.bool_()), ("third_party_confidence", pa.float64()),
                  ("third_party_unsure", pa.bool_()), ("decided_by", pa.string()),
                  ("tagged_reason_id", pa.string()), ("vote", pa.string()),
                  ("vote_reason_id", pa.string())])
PARTIES = pa.schema([("contact_id", pa.string()), ("seq", pa.int32()),
                     ("third_party_type", pa.string()), ("party", pa.string()),
                     ("confidence", pa.float64()), ("rule_id", pa.string()),
                     ("span", pa.string()), ("kind", pa.string())])
SYMPTOMS = pa.schema([("contact_id", pa.string()), ("seq", pa.int32()), ("symptom", pa.string()),
                      ("rule_id", pa.string()), ("span", pa.string())])


@dataclass(frozen=True)
class TaggerSpec:
    """What a worker needs to build the same Tagger as the run: small, hashable, shipped with
    each task (the organisation as JSON, the text model by path)."""
    extra_rule_files: tuple[str, ...] = ()
    repeat_window_days: float = 7.0
    organisation_json: str = ""
    text_model: str = "default"
    unsure_below: float = 0.6
    # Size and modification time of the model and rule files: a file replaced on disk (a refit
    # by `klantvraag label --read`) makes a new spec, so a long-lived worker never keeps tagging
    # with the old one.
    stamps: tuple[tuple[str, int, int], ...] = ()

    @classmethod
    def of(cls, config, organisation=None, model_path=None) -> "TaggerSpec":
        # Absolute paths: a worker may run in another folder (or on another machine that
        # mounts the same one).
        rules = tuple(str(Path(f).resolve()) for f in config.extra_rule_files)
        model = str(Path(model_path).resolve()) if model_path else "default"
        return cls(rules, config.repeat_window_days,
                   json.dumps(dataclasses.asdict(organisation), sort_keys=True)
                   if organisation is not None else "",
                   model, config.unsure_below, _stamps([*rules, model]))

    def organisation(self):
        from pipeline.config import OrganisationConfig, PartyConfig

        if not self.organisation_json:
            return None
        data = json.loads(self.organisation_json)
        data["partijen"] = [PartyConfig(**p) for p in data.get("partijen", [])]
        return OrganisationConfig(**data)


def _stamps(paths: list[str]) -> tuple[tuple[str, int, int], ...]:
    out = []
    for path in paths:
        try:
            info = Path(path).stat()
        except OSError:
            continue
        out.append((path, info.st_size, info.st_mtime_ns))
    return tuple(out)


_TAGGERS: dict[TaggerSpec, Tagger] = {}


def tagger_for(source: Tagger | TaggerSpec, workers: int | None = 1) -> Tagger:
    """The Tagger itself in this process; on a worker, one built per spec and kept (compiling
    the rules takes seconds: once per worker process, never per task). A worker tags its batch
    in its own process (workers=1): the cluster is the parallelism. In-process runs pass
    workers=None: the Tagger's own process pool then takes large batches."""
    if isinstance(source, Tagger):
        return source
    tagger = _TAGGERS.get(source)
    if tagger is None or tagger.workers != workers:
        tagger = _TAGGERS[source] = Tagger(load_rules(list(source.extra_rule_files)),
                                           repeat_window_days=source.repeat_window_days,
                                           workers=workers, text_model=source.text_model,
                                           organisation=source.organisation(),
                                           unsure_below=source.unsure_below)
    return tagger


@dataclass
class Batch:
    number: int
    rows: list[dict]


@dataclass
class Tally:
    """What the summary needs of a run's results, added up batch by batch."""
    tagged: int = 0
    repeats: int = 0
    symptoms: int = 0
    categories: Counter = field(default_factory=Counter)
    third_party_types: Counter = field(default_factory=Counter)
    no_signal: Counter = field(default_factory=Counter)
    no_signal_note: str = ""
    unsure: Counter = field(default_factory=Counter)       # unsure categories, by category
    third_party_unsure: int = 0
    analyst: int = 0                                       # contacts an analyst label decided

    @classmethod
    def of(cls, results: list[TagResult]) -> "Tally":
        tally = cls(tagged=len(results), repeats=sum(r.is_repeat for r in results),
                    symptoms=sum(len(r.symptoms) for r in results),
                    categories=Counter(r.avoidable_category for r in results),
                    third_party_types=Counter(r.third_party_type for r in results
                                              if r.third_party_type),
                    unsure=Counter(r.avoidable_category for r in results if r.avoidable_unsure),
                    third_party_unsure=sum(r.third_party_unsure for r in results),
                    analyst=sum(r.decided_by == "analyst" for r in results))
        for r in results:
            if r.evidence and r.evidence[0].get("rule") == "fallback":
                tally.no_signal[r.avoidable_category] += 1
                tally.no_signal_note = tally.no_signal_note or r.evidence[0].get("note", "")
        return tally

    def add(self, other: "Tally") -> "Tally":
        self.tagged += other.tagged
        self.repeats += other.repeats
        self.symptoms += other.symptoms
        self.categories.update(other.categories)
        self.third_party_types.update(other.third_party_types)
        self.no_signal.update(other.no_signal)
        self.no_signal_note = self.no_signal_note or other.no_signal_note
        self.unsure.update(other.unsure)
        self.third_party_unsure += other.third_party_unsure
        self.analyst += other.analyst
        return self


def contact(row: dict) -> ContactInput:
    return ContactInput(
        contact_id=row["contact_id"], question_text=row["question_text"],
        customer_text=row["customer_text"], agent_text=row["agent_text"],
        customer_key=row["customer_key"], started_at=row["started_at"],
        reason_id=row["reason_id"], reason_default=row["default_category"],
        question_lemmas=row["question_lemmas"])


def find_hits(batch: Batch, source: Tagger | TaggerSpec, folder: Path) -> Votes:
    """Step 1 for one batch: match the rules, keep the hits on disk, return the batch's votes.
    A batch an interrupted run already matched is not matched again (its votes are on disk)."""
    from pipeline.batches import done, load_done, save_done

    finished = load_done(done(folder, "votes", batch.number))
    if finished is not None:
        return finished
    hits, votes = _match(tagger_for(source), [contact(row) for row in batch.rows])
    save_done(done(folder, "hits", batch.number), (hits, votes))
    result = Votes.of(votes)
    save_done(done(folder, "votes", batch.number), result)   # last: marks the step finished
    return result


def _match(tagger: Tagger, contacts: list[ContactInput]) -> tuple[list, list]:
    """The rules' hits and each contact's vote."""
    hits = tagger.hits(contacts)
    return hits, tagger.contact_votes(contacts, hits)


def tag_batch(batch: Batch, source: Tagger | TaggerSpec, folder: Path, votes: Votes,
              window: float, labels: dict[str, Label] | None = None) -> Tally:
    """Step 2 for one batch: tag with the run's votes, let the analyst's labels decide the
    contacts they cover, write the rows as Parquet shards. A batch an interrupted run already
    tagged keeps its shards and is not tagged again."""
    from pipeline.batches import done, load_done, save_done

    finished = load_done(done(folder, "tally", batch.number))
    if finished is not None:
        return finished
    tagger = tagger_for(source)
    contacts = [contact(row) for row in batch.rows]
    hits_file = done(folder, "hits", batch.number)
    found = load_done(hits_file)
    hits, own_votes = found if found is not None else _match(tagger, contacts)
    results = tagger.tag(contacts, window, hits=hits, votes=votes)
    if labels:
        apply_analyst_labels(results, labels)
    kept = {c.contact_id: (c.reason_id, *vote) for c, vote in zip(contacts, own_votes)}
    write_shards(folder, batch.number, results, kept)
    tally = Tally.of(results)
    save_done(done(folder, "tally", batch.number), tally)    # last: marks the step finished
    hits_file.unlink(missing_ok=True)     # absent when it was unreadable and matched again
    return tally


def write_shards(folder: Path, number: int, results: list[TagResult],
                 kept: dict[str, tuple] | None = None) -> None:
    """The batch's rows as Parquet shards; ``kept``: per contact the reason it was tagged with
    and its vote (category, reason), stored with its tags for the next incremental run."""
    kept = kept or {}
    tags = pa.Table.from_pylist([{
        "contact_id": r.contact_id, "avoidable_category": r.avoidable_category,
        "confidence": r.confidence, "third_party_type": r.third_party_type, "party": r.party,
        "is_repeat": r.is_repeat, "repeat_of": r.repeat_of,
        "repeat_gap_days": r.repeat_gap_days,
        "evidence": json.dumps(r.evidence, ensure_ascii=False),
        "avoidable_unsure": bool(r.avoidable_unsure),
        "third_party_confidence": r.third_party_confidence,
        "third_party_unsure": bool(r.third_party_unsure), "decided_by": r.decided_by,
        **dict(zip(("tagged_reason_id", "vote", "vote_reason_id"),
                   kept.get(r.contact_id, (None, None, None))))}
        for r in results], schema=TAGS)
    parties = pa.Table.from_pylist([{
        "contact_id": r.contact_id, "seq": i, "third_party_type": t.third_party_type,
        "party": t.party, "confidence": t.confidence, "rule_id": t.rule_id, "span": t.span,
        "kind": t.kind} for r in results for i, t in enumerate(r.third_parties)], schema=PARTIES)
    symptoms = pa.Table.from_pylist([{
        "contact_id": r.contact_id, "seq": i, "symptom": s.symptom, "rule_id": s.rule_id,
        "span": s.span} for r in results for i, s in enumerate(r.symptoms)], schema=SYMPTOMS)
    for prefix, table in (("tags", tags), ("parties", parties), ("symptoms", symptoms)):
        if table.num_rows:
            # Written under a temporary name and renamed: a shard is whole or absent.
            final = folder / f"{prefix}-{number:06d}.parquet"
            partial = final.with_suffix(".partial")
            pq.write_table(table, partial)
            partial.rename(final)
