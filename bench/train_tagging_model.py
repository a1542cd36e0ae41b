"""Train the tagging stage's small text model (pipeline/resources/tagging/text_model.npz).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/train_tagging_model.py [--add-organisations]
        [--regenerate [--size 8000]
        [--seed 101] [--handwritten FILE ...] [--handwritten-weight 24]] [--out PATH]

It trains on the shipped training set (pipeline/resources/tagging/training_set.jsonl.gz) with a
calibration (pipeline/tagging/training.py); --regenerate first rewrites that set from:
two sources of training data:
- a generated sample export (pipeline.sample, seed 101: not the benchmark's seed 7), run
  through ingest + prepare (nlp) and joined with the generator's ground truth on external_id;
- the hand-written training files data/tagging/train_handwritten*.jsonl (written in other
  words than the generator's, see data/tagging/README.md), each contact counting
  ``--handwritten-weight`` times, so that 400 real-sounding texts are not drowned by thousands
  of generated ones.
pipeline.tagging.learned.TextModel is fitted on the customer's text (question + later customer
turns). The evaluation files tests/data/tagging/*.jsonl are never used, so they stay test sets.
Deterministic: the same inputs give the same model (lbfgs on the same data).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("KLANTVRAAG_QUIET", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.tagging.evaluate import load_labelled  # noqa: E402
from pipeline.tagging.learned import DEFAULT_MODEL, TextModel  # noqa: E402
from pipeline.tagging.tagger import ContactInput, model_text  # noqa: E402

HANDWRITTEN = sorted((ROOT / "data" / "tagging").glob("train_handwritten*.jsonl"))
# The four other sectors' dev files (tests/data/tagging/sectors/PROVENANCE.md; never a holdout
# file). bench/tagging.py --loso leaves a sector's group out again when it scores that sector.
SECTOR_DEV = sorted(p for p in (ROOT / "tests" / "data" / "tagging" / "sectors").glob("*.jsonl")
                    if not p.name.endswith(".holdout.jsonl"))


def training_data(size: int, seed: int) -> tuple[list[str], list[str], list[str]]:
    from pipeline import ingest, nlp, sample, store
    from pipeline.config import load_config
    config = load_config(None)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sample"
        sample.generate(out, size=size, seed=seed)
        con = store.connect(Path(tmp) / "train.duckdb")
        ingest.run(con, [out], config.ingest)
        nlp.run(con, config.nlp)
        rows = con.execute(
            "SELECT c.external_id, t.question_text, t.customer_text, t.agent_text "
            "FROM contact_text t JOIN contacts c USING (contact_id) "
            "WHERE NOT t.is_auto_reply ORDER BY c.external_id").fetchall()
        truth = {row["external_id"]: row
                 for row in csv.DictReader(open(out / "ground_truth.csv", encoding="utf-8"))}
        con.close()
    texts, avoidable, third_party = [], [], []
    for external_id, question, customer, agent in rows:
        row = truth.get(external_id)
        if row is None:
            continue
        texts.append(model_text(ContactInput(external_id, question, customer, agent)))
        avoidable.append(row["avoidable_category"])
        third_party.append(row["third_party_type"] or "none")
    return texts, avoidable, third_party


def handwritten_data(path: Path) -> tuple[list[str], list[str], list[str]]:
    contacts, gold = load_labelled(path)
    return ([model_text(c) for c in contacts], [g["avoidable_category"] for g in gold],
            [g["third_party_type"] or "none" for g in gold])


def write_training_set(size: int, seed: int, handwritten: list[Path], weight: float) -> None:
    """Regenerate pipeline/resources/tagging/training_set.jsonl.gz: the generated contacts (one
    row per distinct text and labels, weighted by its count) and the hand-written files."""
    import gzip
    import json
    from collections import Counter

    from pipeline.tagging.rules import package_dir
    from pipeline.tagging.training import TRAINING_SET
    texts, avoidable, third_party = training_data(size, seed)
    counts = Counter(zip(texts, avoidable, third_party))
    path = Path(str(package_dir().joinpath(TRAINING_SET)))
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as out:
        for (text, a, t), n in counts.items():
            out.write(json.dumps({"group": "generated", "text": text, "avoidable": a,
                                  "third_party": t, "weight": float(n)},
                                 ensure_ascii=False) + "\n")
        for file in handwritten:
            contacts, gold = load_labelled(file)
            organisation = organisation_beside(file)
            for c, g in zip(contacts, gold):
                group = f"sector:{g['sector']}" if g.get("sector") else "handwritten"
                row = {"group": group, "id": g["id"], "question_text": g["question_text"],
                       "customer_text": g["customer_text"], "agent_text": g["agent_text"],
                       "avoidable": g["avoidable_category"],
                       "third_party": g["third_party_type"] or "none", "weight": weight}
                if organisation:
                    row["organisation"] = organisation
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"training set: {len(counts)} distinct generated contacts (seed {seed}) and "
          f"{len(handwritten)} hand-written file(s), weight {weight:g}: {path}")


def organisation_beside(file: Path) -> dict | None:
    """The [organisatie] of a sector's file (<sector>.org.toml beside <sector>.jsonl), parsed
    and as a plain dict, for the training set (pipeline.tagging.training.organisation_of)."""
    import dataclasses

    from pipeline.config import load_config
    org_file = file.with_name(file.name.replace(".jsonl", ".org.toml"))
    if not org_file.exists():
        return None
    return dataclasses.asdict(load_config(org_file).organisatie)


def add_organisations() -> None:
    """Add each sector's [organisatie] to its rows of the shipped training set, leaving every
    other row as it is (no regeneration)."""
    import gzip
    import json

    from pipeline.tagging.rules import package_dir
    from pipeline.tagging.training import TRAINING_SET
    by_group = {f"sector:{f.stem}": organisation_beside(f) for f in SECTOR_DEV}
    path = Path(str(package_dir().joinpath(TRAINING_SET)))
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    added = 0
    for row in rows:
        if by_group.get(row["group"]):
            row["organisation"] = by_group[row["group"]]
            added += 1
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"training set: the [organisatie] of its sector added to {added} rows: {path}")


def main() -> None:
    from pipeline.tagging import training
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regenerate", action="store_true",
                        help="first rewrite the shipped training set from the generator and the "
                             "hand-written files (else: train on the shipped set as it is)")
    parser.add_argument("--size", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--handwritten", type=Path, nargs="*", default=HANDWRITTEN + SECTOR_DEV,
                        help="hand-written training JSONL files (with --regenerate)")
    parser.add_argument("--handwritten-weight", type=float, default=24.0)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--add-organisations", action="store_true",
                        help="first add each sector's [organisatie] (tests/data/tagging/sectors/"
                             "*.org.toml) to its rows of the shipped training set")
    args = parser.parse_args()
    if args.add_organisations:
        add_organisations()
    if args.regenerate:
        write_training_set(args.size, args.seed, args.handwritten, args.handwritten_weight)
    began = time.perf_counter()
    examples = training.shipped()
    model = training.fit(examples)
    path = model.save(args.out)
    print(f"fitted on {len(examples)} examples with calibration (3 held-out folds of the "
          f"non-generated ones: hand-written and sectors) in {time.perf_counter() - began:.0f} s: "
          f"{len(model.char_vocabulary_)} character and {len(model.word_vocabulary_)} word "
          f"features; saved {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
