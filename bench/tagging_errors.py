"""Where the third-party errors come from, per sector, in leave-one-sector-out (dev files only).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/tagging_errors.py [--sector energie] [--items]
                                                             [--lite] [--cache DIR]

For every sector (as bench/tagging_sectors.py: the text model, combiner and calibration trained on
the shipped data plus the other sectors' dev files) it tags the sector's dev file and prints
- the third-party confusion matrix (true type in rows, predicted type in columns),
- the errors split by kind: a party where there is none, none where there is a party, the wrong
  party type; and by what decided the tag (a cause phrase next to a party, a standalone cause
  phrase, the failure context, planning/involvement, the text model, nothing),
- with --items each wrong dev contact with its evidence.
It never opens a *.holdout.jsonl file. --cache keeps fitted text models on disk between runs
(keyed on their training data), for quick iterations on rules and weights.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import sys
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("KLANTVRAAG_QUIET", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pipeline.tagging import Tagger, training  # noqa: E402
from pipeline.tagging.evaluate import load_labelled, scores  # noqa: E402
from pipeline.tagging.rules import THIRD_PARTY_TYPES  # noqa: E402

import tagging_sectors  # noqa: E402

TYPES = ("none",) + tuple(THIRD_PARTY_TYPES)


def _cached_fit(directory: Path):
    """training.fit_model, remembered on disk by a hash of its examples."""
    original = training.fit_model

    def fit_model(examples, **params):
        digest = hashlib.sha1(repr(params).encode())
        for e in examples:
            digest.update(f"{e.model_text()}\x00{e.avoidable}\x00{e.third_party}\x00"
                          f"{e.weight}\x01".encode())
        path = directory / f"{digest.hexdigest()}.pkl"
        if path.exists():
            return pickle.loads(path.read_bytes())
        model = original(examples, **params)
        directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(model))
        return model
    return fit_model


def decided_by(result) -> str:
    evidence = [e for e in result.evidence if e.get("kind") in ("cause", "involved", "model")]
    if not result.third_party_type:
        return "nothing"
    main = next((e for e in evidence if e.get("third_party_type") == result.third_party_type
                 and e.get("party") == result.party), evidence[0] if evidence else None)
    if main is None:
        return "?"
    rule = main["rule"]
    if rule == "party_combiner":
        return "combiner (no rule tag of the type)"
    if main["kind"] == "model":
        return "model"
    if main["kind"] == "involved":
        return "involved"
    if rule.startswith("context:"):
        return "context:" + ("config" if "org." in rule else "topic" if "topic" in rule
                             else "gazetteer")
    if " … " in main["span"] or any(rule == e["rule"] for e in evidence) and main.get("party") \
            and main["party"] not in ("", None):
        return "cause+party"
    return "standalone"


def matrix(gold: list[str], predicted: list[str]) -> str:
    counts = Counter(zip(gold, predicted))
    used = [t for t in TYPES if any(t in pair for pair in counts)]
    width = max(len(t) for t in used) + 1
    lines = [" " * width + " ".join(f"{t[:7]:>7}" for t in used)]
    for g in used:
        lines.append(f"{g:<{width}}" + " ".join(f"{counts[(g, p)] or '.':>7}" for p in used))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sector", action="append")
    parser.add_argument("--items", action="store_true", help="print every wrong contact")
    parser.add_argument("--lite", action="store_true", help="as bench/tagging.py --lite")
    parser.add_argument("--cache", type=Path, help="keep fitted text models here")
    args = parser.parse_args()
    if args.cache:
        training.fit_model = _cached_fit(args.cache)
    directory = tagging_sectors.SECTORS
    names = tagging_sectors.sectors(directory)
    shipped = [e for e in training.shipped() if not e.group.startswith("sector:")]
    if args.lite:
        generated = [e for e in shipped if e.group == "generated"][::4]
        for e in generated:
            e.weight *= 4
        shipped = generated + [e for e in shipped if e.group != "generated"]
    data = {name: load_labelled(directory / f"{name}.jsonl") for name in names}
    totals = {}
    for name in args.sector or names:
        others = [e for other in names if other != name
                  for e in training.from_labelled(*data[other], group=other)]
        orgs = tagging_sectors.organisations(directory)
        organisation = orgs[name]
        model, _ = training.fit_with_held(shipped + others, organisations=orgs)
        contacts, gold = data[name]
        results = Tagger(text_model=model, organisation=organisation, workers=1).tag(contacts)
        g = [x["third_party_type"] or "none" for x in gold]
        p = [r.third_party_type or "none" for r in results]
        a = scores([x["avoidable_category"] for x in gold], [r.avoidable_category for r in results])
        t = scores(g, p)
        totals[name] = (a["macro_f1"], t["macro_f1"])
        print(f"\n== {name}: avoidable {a['macro_f1']:.3f}, third party {t['macro_f1']:.3f}")
        print("  per type F1: " + ", ".join(f"{k} {v['f1']:.2f} (n={v['support']})"
                                            for k, v in t["labels"].items()))
        print(matrix(g, p))
        kinds = Counter()
        for gg, pp, r in zip(g, p, results):
            if gg == pp:
                continue
            kind = "spurious" if gg == "none" else "missed" if pp == "none" else "wrong type"
            kinds[(kind, decided_by(r))] += 1
        print("  errors: " + ", ".join(f"{k[0]} by {k[1]} {n}" for k, n in kinds.most_common()))
        if args.items:
            for c, x, r, gg, pp in zip(contacts, gold, results, g, p):
                if gg == pp:
                    continue
                print(f"\n  {x['id']}: gold {gg} ({x.get('party')}), got {pp} ({r.party}) "
                      f"[{decided_by(r)}; conf {r.third_party_confidence:.2f}; cat "
                      f"{r.avoidable_category}/{x['avoidable_category']}]")
                print(f"    Q: {(c.question_text or '')[:400]!r}")
                if c.customer_text:
                    print(f"    C: {c.customer_text[:250]!r}")
                if c.agent_text:
                    print(f"    A: {c.agent_text[:300]!r}")
                for e in r.evidence:
                    if e.get("kind") in ("cause", "involved", "model", "mention", "topic"):
                        print(f"    - {e['kind']}: {e['rule']} {e.get('third_party_type')} "
                              f"{e.get('party')!r} {e['span']!r} ({e['source']})")
    if len(totals) > 1:
        n = len(totals)
        print(f"\nmean: avoidable {sum(v[0] for v in totals.values()) / n:.3f}, third party "
              f"{sum(v[1] for v in totals.values()) / n:.3f}")


if __name__ == "__main__":
    main()
