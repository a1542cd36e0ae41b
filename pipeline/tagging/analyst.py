"""Learning from the analyst: which contacts to ask about, and the answers in analyst_labels.

- ``select_uncertain`` picks the contacts the tagger is least sure of (uncertainty sampling on
  the calibrated confidences in contact_tags), spread over the contact reasons so that one large
  unclear reason does not take every row of the sheet.
- ``store_labels`` writes the analyst's answers into analyst_labels (migration 0007), one row per
  contact, a later answer replacing an earlier one; they survive a re-run of tag and a refit.
- ``apply_analyst_labels`` gives a labelled contact its label (decided_by 'analyst').
- ``training_examples`` turns the labels and their contacts' text into training examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from pipeline.tagging.rules import CATEGORIES, THIRD_PARTY_TYPES
from pipeline.tagging.tagger import ContactInput, TagResult
from pipeline.tagging.third_party import ThirdPartyTag

THIRD_PARTY_VALUES = THIRD_PARTY_TYPES + ("none",)


@dataclass(frozen=True)
class Label:
    contact_id: str
    avoidable_category: str | None
    third_party_type: str | None      # a type, "none", or None (not given)
    party: str | None = None


def analyst_labels(con) -> dict[str, Label]:
    rows = con.execute("SELECT contact_id, avoidable_category, third_party_type, party "
                       "FROM analyst_labels").fetchall()
    return {r[0]: Label(r[0], r[1], r[2], r[3]) for r in rows}


def apply_analyst_labels(results: list[TagResult], labels: dict[str, Label]) -> int:
    """Labelled contacts take the analyst's category and/or third party; returns how many."""
    n = 0
    for result in results:
        label = labels.get(result.contact_id)
        if label is None:
            continue
        n += 1
        result.decided_by = "analyst"
        item = {"rule": "analyst", "source": "analyst", "span": "", "weight": 0.0}
        if label.avoidable_category:
            result.avoidable_category = label.avoidable_category
            result.confidence, result.avoidable_unsure = 1.0, False
            item["category"] = label.avoidable_category
        if label.third_party_type:
            kind = None if label.third_party_type == "none" else label.third_party_type
            result.third_party_type = kind
            result.party = (label.party or None) if kind else None
            result.third_party_confidence, result.third_party_unsure = 1.0, False
            result.third_parties = [ThirdPartyTag(kind, result.party, 1.0, "analyst", "",
                                                  "cause", "analyst", 1.0)] if kind else []
            item["third_party_type"] = kind
        result.evidence.insert(0, item)
    return n


def store_labels(con, labels: list[Label], source_file: str) -> int:
    """Insert or replace the labels (one transaction); returns how many were written."""
    if not labels:
        return 0
    frame = pd.DataFrame({
        "contact_id": [label.contact_id for label in labels],
        "avoidable_category": pd.array([label.avoidable_category for label in labels],
                                       dtype="object"),
        "third_party_type": pd.array([label.third_party_type for label in labels],
                                     dtype="object"),
        "party": pd.array([label.party for label in labels], dtype="object"),
        "labelled_at": datetime.now(),
        "source_file": source_file})
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("labels_frame", frame)
        con.execute("DELETE FROM analyst_labels WHERE contact_id IN "
                    "(SELECT contact_id FROM labels_frame)")
        con.execute("INSERT INTO analyst_labels (contact_id, avoidable_category, "
                    "third_party_type, party, labelled_at, source_file) SELECT contact_id, "
                    "avoidable_category, third_party_type, party, labelled_at, source_file "
                    "FROM labels_frame")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("labels_frame")
    return len(frame)


def uncertainty(avoidable_confidence: float | None, third_party_confidence: float | None) -> float:
    """How unsure the tagger is of a contact: 1 minus its least sure calibrated confidence."""
    values = [v for v in (avoidable_confidence, third_party_confidence) if v is not None]
    return 1.0 - min(values) if values else 1.0


def select_uncertain(candidates: list[dict], n: int) -> list[dict]:
    """``candidates``: dicts with contact_id, reason and uncertainty. The n most uncertain,
    taken in turns from each reason (most uncertain reason first), so that they spread."""
    groups: dict[str, list[dict]] = {}
    for item in sorted(candidates, key=lambda c: (-c["uncertainty"], c["contact_id"])):
        groups.setdefault(item.get("reason") or "", []).append(item)
    order = sorted(groups, key=lambda g: (-groups[g][0]["uncertainty"], g))
    chosen: list[dict] = []
    depth = 0
    while len(chosen) < n and any(depth < len(groups[g]) for g in order):
        for group in order:
            if depth < len(groups[group]) and len(chosen) < n:
                chosen.append(groups[group][depth])
        depth += 1
    return chosen


_CANDIDATES = """
SELECT t.contact_id, t.avoidable_category, t.confidence, t.third_party_type, t.party,
       t.third_party_confidence, t.evidence, c.channel, x.question_text, x.customer_text,
       x.agent_text, r.reason_id, rs.label AS reason_label
FROM contact_tags t
JOIN contacts c USING (contact_id)
JOIN contact_text x USING (contact_id)
LEFT JOIN contact_reasons r USING (contact_id)
LEFT JOIN reasons rs ON rs.reason_id = r.reason_id
WHERE t.contact_id NOT IN (SELECT contact_id FROM analyst_labels)
ORDER BY t.contact_id
"""


def candidates(con) -> list[dict]:
    """Tagged contacts without an analyst label, with what the sheet shows."""
    frame = con.execute(_CANDIDATES).df()
    out = []
    for row in frame.to_dict("records"):
        row = {k: (None if _missing(v) else v) for k, v in row.items()}
        row["reason"] = row.get("reason_label") or row.get("reason_id") or ""
        row["uncertainty"] = uncertainty(row["confidence"], row["third_party_confidence"])
        out.append(row)
    return out


def training_examples(con, weight: float):
    """The analyst's labels with their contacts' text, as training examples."""
    from pipeline.tagging.training import Example
    rows = con.execute(
        "SELECT a.contact_id, a.avoidable_category, a.third_party_type, x.question_text, "
        "x.customer_text, x.agent_text FROM analyst_labels a JOIN contact_text x USING "
        "(contact_id) ORDER BY a.contact_id").fetchall()
    return [Example(category if category in CATEGORIES else None,
                    kind if kind in THIRD_PARTY_VALUES else None, weight, "analyst",
                    ContactInput(cid, question, customer or question, agent))
            for cid, category, kind, question, customer, agent in rows]


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
