"""Benchmark of the tagging stage: quality and throughput.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/tagging.py [--size 1600] [--no-sample] [--reasons]
                                                       [--rules-only]

Prints per-label precision/recall/F1 and macro-F1 for the avoidable category and the third-party
type
- against the hand-labelled file tests/data/tagging/handlabelled.jsonl (all, and split into the
  odd ids that were looked at while adjusting rules and the even ids that were not), and
  against the file tests/data/tagging/heldout.jsonl (65 contacts; its errors were read to add
  rules on 2026-12-01, so it is a tuning file now like the hand-labelled one),
  against the blind file tests/data/tagging/blind.jsonl (220 contacts written by someone who
  never saw the tagger, its rules or its training data; only its aggregate scores are read), and
- against the sample export's ground truth (data/sample/ground_truth.csv joined on
  contacts.external_id), generated into a temporary folder and run through ingest + prepare
  (+ reasons with --reasons) + tag, when those stages exist;
with --loso instead leave-one-sector-out over tests/data/tagging/sectors/ and the analyst
learning curve (bench/tagging_sectors.py); then throughput in contacts/s (rules compiled beforehand) and peak memory. By default the tagger
uses the shipped text model (pipeline/resources/tagging/text_model.npz, see
bench/train_tagging_model.py) with the rules; --rules-only measures the rules alone.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("KLANTVRAAG_QUIET", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pipeline.tagging import Tagger  # noqa: E402
from pipeline.tagging.evaluate import format_scores, load_labelled, scores  # noqa: E402
from pipeline.tagging.tagger import ContactInput  # noqa: E402

HANDLABELLED = ROOT / "tests" / "data" / "tagging" / "handlabelled.jsonl"
# A second hand-labelled file (65 contacts), fresh until 2026-12-01, when its errors and the
# hand-labelled file's were read to add rules: both are tuning files now (see BLIND for the
# honest estimate).
HELDOUT = ROOT / "tests" / "data" / "tagging" / "heldout.jsonl"
# The blind file (220 contacts, tests/data/tagging/BLIND.md): its items are never read to
# adjust anything, so its scores are the honest estimate of quality on unseen wording.
BLIND = ROOT / "tests" / "data" / "tagging" / "blind.jsonl"


def report(title: str, gold: list[dict], results) -> None:
    avoidable = scores([g["avoidable_category"] for g in gold],
                       [r.avoidable_category for r in results])
    third = scores([g["third_party_type"] or "none" for g in gold],
                   [r.third_party_type or "none" for r in results])
    print(format_scores(f"{title} — avoidable category", avoidable))
    print(format_scores(f"{title} — third-party type", third))
    print()


def bench_handlabelled(tagger: Tagger) -> list[ContactInput]:
    contacts, gold = load_labelled(HANDLABELLED)
    results = tagger.tag(contacts)
    report(f"hand-labelled ({len(gold)} contacts)", gold, results)
    for name, parity in (("odd ids, read while adjusting since 2026-11", 1),
                         ("even ids, read while adjusting since 2026-12-01", 0)):
        pairs = [(g, r) for g, r in zip(gold, results) if int(g["id"].split("-")[1]) % 2 == parity]
        summary_a = scores([g["avoidable_category"] for g, _ in pairs],
                           [r.avoidable_category for _, r in pairs])
        summary_t = scores([g["third_party_type"] for g, _ in pairs],
                           [r.third_party_type or "none" for _, r in pairs])
        print(f"  {name} ({len(pairs)}): macro-F1 avoidable {summary_a['macro_f1']:.3f}, "
              f"third-party {summary_t['macro_f1']:.3f}")
    print()
    if HELDOUT.exists():
        held, held_gold = load_labelled(HELDOUT)
        report(f"held-out ({len(held_gold)} contacts, read while adding rules)", held_gold,
               tagger.tag(held))
    if BLIND.exists():
        blind, blind_gold = load_labelled(BLIND)
        report(f"blind ({len(blind_gold)} contacts, never read)", blind_gold, tagger.tag(blind))
    return contacts


def bench_sample(tagger: Tagger, size: int, with_reasons: bool) -> list[ContactInput]:
    try:
        from pipeline import ingest, nlp, sample, store, tagging
        from pipeline.config import load_config
    except ImportError as exc:
        print(f"sample export: skipped ({exc})\n")
        return []
    config = load_config(None)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sample"
        began = time.perf_counter()
        sample.generate(out, size=size, seed=7)
        con = store.connect(Path(tmp) / "bench.duckdb")
        ingest.run(con, [out], config.ingest)
        nlp.run(con, config.nlp)
        if with_reasons:
            from pipeline import reasons
            reasons.run(con, config.reasons, models_dir=Path(tmp) / "models")
        print(f"sample export: {size} contacts generated, ingested and prepared in "
              f"{time.perf_counter() - began:.0f} s")
        tagging.run(con, config.tagging, tagger=tagger)
        truth = {row["external_id"]: row
                 for row in csv.DictReader(open(out / "ground_truth.csv", encoding="utf-8"))}
        rows = con.execute(
            "SELECT c.external_id, t.avoidable_category, t.third_party_type, t.party "
            "FROM contact_tags t JOIN contacts c USING (contact_id)").fetchall()
        inputs = con.execute(
            "SELECT contact_id, question_text, customer_text, agent_text FROM contact_text "
            "WHERE NOT is_auto_reply").fetchall()
    gold, predicted = [], []
    for external_id, category, third_type, party in rows:
        row = truth.get(external_id)
        if row is None or row.get("is_auto_reply", "").lower() in ("true", "1"):
            continue
        gold.append({"avoidable_category": row["avoidable_category"],
                     "third_party_type": row["third_party_type"] or "none"})
        predicted.append(_Result(category, third_type))
    print(f"  joined on external_id: {len(gold)} of {len(rows)} tagged contacts "
          f"({'with' if with_reasons else 'without'} reasons)")
    report("sample export", gold, predicted)
    return [ContactInput(cid, q, c, a) for cid, q, c, a in inputs]


class _Result:
    def __init__(self, category, third_type):
        self.avoidable_category = category
        self.third_party_type = third_type


def bench_throughput(contacts: list[ContactInput], model, target: int = 20000) -> None:
    if not contacts:
        return
    batch = [ContactInput(f"{c.contact_id}-{i}", c.question_text, c.customer_text, c.agent_text)
             for i in range(max(1, target // len(contacts))) for c in contacts]
    chars = sum(len(c.question_text or "") + len(c.customer_text or "") + len(c.agent_text or "")
                for c in batch) / len(batch)
    print(f"throughput on {len(batch):,} contacts (~{chars:.0f} characters of text each; "
          f"{os.cpu_count()} cores; load average now {os.getloadavg()[0]:.1f}):")
    for workers in (1, 2):
        tagger = Tagger(workers=workers, text_model=model)
        began, cpu = time.perf_counter(), time.process_time()
        tagger.tag(batch)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        line = f"  {workers} process(es): {len(batch) / seconds:,.0f} contacts/s wall-clock"
        if workers == 1:
            line += f", {len(batch) / cpu:,.0f} contacts per CPU-second"
        print(line)
    print("  (wall-clock figures drop when other work shares the cores; contacts per CPU-second "
          "is the single-core rate without that)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1600)
    parser.add_argument("--no-sample", action="store_true")
    parser.add_argument("--reasons", action="store_true", help="also run the reasons stage")
    parser.add_argument("--rules-only", action="store_true",
                        help="without the learned text model")
    parser.add_argument("--loso", action="store_true",
                        help="only leave-one-sector-out and the analyst learning curve on "
                             "tests/data/tagging/sectors/ (bench/tagging_sectors.py)")
    parser.add_argument("--holdout", action="store_true",
                        help="with --loso: also score the never-tuned *.holdout.jsonl files")
    parser.add_argument("--no-curve", action="store_true", help="with --loso: no learning curve")
    parser.add_argument("--sector", action="append", help="with --loso: only this sector")
    parser.add_argument("--lite", action="store_true",
                        help="with --loso: a quarter of the generated training contacts (x4 "
                             "weight) for faster fits")
    args = parser.parse_args()
    if args.loso:
        import tagging_sectors
        tagging_sectors.run(with_holdout=args.holdout, curve=not args.no_curve,
                            only=args.sector, lite=args.lite)
        return
    began = time.perf_counter()
    model = None if args.rules_only else "default"
    tagger = Tagger(text_model=model)
    print(f"text model: {'none (rules only)' if tagger.text_model is None else 'shipped'}")
    print(f"rules compiled: {len(tagger.ruleset.rules)} rules from {len(tagger.ruleset.files)} "
          f"files in {time.perf_counter() - began:.1f} s\n")
    contacts = bench_handlabelled(tagger)
    sample_contacts = [] if args.no_sample else bench_sample(tagger, args.size, args.reasons)
    bench_throughput(sample_contacts or contacts, model)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (whole process): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
