"""Precision, recall and F1 per label for the tagging stage (used by bench/ and tests/)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.errors import InputFileError
from pipeline.tagging.tagger import ContactInput

GOLD_COLUMNS = ("id", "channel", "question_text", "customer_text", "agent_text",
                "avoidable_category", "third_party_type", "party")


def load_labelled(path: str | Path) -> tuple[list[ContactInput], list[dict]]:
    """A hand-labelled JSONL file: contacts for the tagger and their gold labels."""
    contacts, gold = [], []
    for number, line in enumerate(Path(path).read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputFileError(f"not valid JSON: {exc}", path=str(path),
                                 where=f"line {number}") from exc
        missing = [c for c in GOLD_COLUMNS if c not in row]
        if missing:
            raise InputFileError(f"missing columns {missing}", path=str(path),
                                 where=f"line {number}")
        contacts.append(ContactInput(
            contact_id=row["id"], question_text=row["question_text"],
            customer_text=row["customer_text"] or row["question_text"],
            agent_text=row["agent_text"] or None))
        gold.append(row)
    return contacts, gold


def scores(gold: list[str], predicted: list[str]) -> dict:
    """Per-label precision/recall/F1/support and the macro F1 over the labels in gold."""
    labels = sorted(set(gold) | set(predicted))
    per_label = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1,
                            "support": tp + fn}
    in_gold = [label for label in labels if per_label[label]["support"]]
    macro = sum(per_label[label]["f1"] for label in in_gold) / len(in_gold) if in_gold else 0.0
    accuracy = sum(g == p for g, p in zip(gold, predicted)) / len(gold) if gold else 0.0
    return {"labels": per_label, "macro_f1": macro, "accuracy": accuracy}


def format_scores(title: str, result: dict) -> str:
    lines = [f"{title}: macro-F1 {result['macro_f1']:.3f}, accuracy {result['accuracy']:.3f}",
             f"  {'label':<14}{'P':>7}{'R':>7}{'F1':>7}{'n':>6}"]
    for label, s in result["labels"].items():
        lines.append(f"  {label:<14}{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}"
                     f"{s['support']:>6}")
    return "\n".join(lines)
