"""Leave-one-sector-out and the analyst learning curve (used by bench/tagging.py --loso).

For every sector S in tests/data/tagging/sectors/ (PROVENANCE.md):
- the text model is trained on the shipped training data plus the other sectors' dev files
  (never a holdout file), with its calibration (pipeline/tagging/training.py);
- the tagger runs with S's own organisation config (S.org.toml) and scores S's dev file and,
  with --holdout, S's never-tuned holdout file;
- the learning curve: 25, 50 and 100 of S's dev contacts, picked by the same uncertainty sampling
  as `klantvraag label` (in rounds: pick, retrain, pick more), are added as analyst labels; it
  scores S's dev contacts that were not labelled, and the holdout file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from pipeline.config import load_config
from pipeline.tagging import Tagger, analyst, training
from pipeline.tagging.evaluate import load_labelled, scores
from pipeline.tagging.labelling import ANALYST_WEIGHT

SECTORS = Path(__file__).resolve().parents[1] / "tests" / "data" / "tagging" / "sectors"
CURVE = (25, 50, 100)


def _macro(gold: list[dict], results) -> tuple[float, float]:
    a = scores([g["avoidable_category"] for g in gold], [r.avoidable_category for r in results])
    t = scores([g["third_party_type"] or "none" for g in gold],
               [r.third_party_type or "none" for r in results])
    return a["macro_f1"], t["macro_f1"]


def _unsure(gold: list[dict], results) -> str:
    """Unsure share and the accuracy of the sure and the unsure tags (is the flag honest?)."""
    parts = []
    for name, key, flag in (("cat", "avoidable_category", "avoidable_unsure"),
                            ("3p", "third_party_type", "third_party_unsure")):
        def right(g, r):
            return (getattr(r, key) or "none") == (g[key] or "none")
        sure = [right(g, r) for g, r in zip(gold, results) if not getattr(r, flag)]
        unsure = [right(g, r) for g, r in zip(gold, results) if getattr(r, flag)]
        parts.append(f"{name}: onzeker {len(unsure) / max(1, len(gold)):.0%}, juist zeker "
                     f"{sum(sure) / max(1, len(sure)):.2f} / onzeker "
                     f"{sum(unsure) / max(1, len(unsure)):.2f}")
    return "; ".join(parts)


def organisations(directory: Path = SECTORS) -> dict:
    """Each sector's own [organisatie] config (its *.org.toml), by sector name: the held-out
    folds of a sector's contacts are tagged with it, as its users would."""
    out = {}
    for name in sectors(directory):
        org_file = directory / f"{name}.org.toml"
        out[name] = load_config(org_file if org_file.exists() else None).organisatie
    return out


def sectors(directory: Path = SECTORS) -> list[str]:
    return sorted(p.name[:-len(".jsonl")] for p in directory.glob("*.jsonl")
                  if not p.name.endswith(".holdout.jsonl"))


def run(directory: Path = SECTORS, with_holdout: bool = False, curve: bool = True,
        only: list[str] | None = None, lite: bool = False) -> None:
    names = sectors(directory)
    if not names:
        print(f"sectors: none in {directory}")
        return
    # The shipped set holds the sectors' dev files too: the left-out sector must not be in it.
    shipped = [e for e in training.shipped() if not e.group.startswith("sector:")]
    if lite:
        # A quarter of the generated contacts, each counting four times: 3-4x faster fits on a
        # shared 2-core machine (the shipped model is trained on all of them).
        generated = [e for e in shipped if e.group == "generated"][::4]
        for e in generated:
            e.weight *= 4
        shipped = generated + [e for e in shipped if e.group != "generated"]
    data = {name: load_labelled(directory / f"{name}.jsonl") for name in names}
    rows = []
    for name in only or names:
        began = time.perf_counter()
        others = [e for other in names if other != name
                  for e in training.from_labelled(*data[other], group=other)]
        organisation = organisations(directory)[name]
        model, held = training.fit_with_held(shipped + others,
                                             organisations=organisations(directory))
        contacts, gold = data[name]
        holdout = None
        if with_holdout and (directory / f"{name}.holdout.jsonl").exists():
            holdout = load_labelled(directory / f"{name}.holdout.jsonl")
        tagger = Tagger(text_model=model, organisation=organisation, workers=1)
        results = tagger.tag(contacts)
        dev = _macro(gold, results)
        scored = _macro(holdout[1], tagger.tag(holdout[0])) if holdout else None
        print(f"{name}: trained on shipped + {', '.join(n for n in names if n != name)} "
              f"({len(others)} contacts){' (lite)' if lite else ''} in "
              f"{time.perf_counter() - began:.0f} s", flush=True)
        print(f"  0 labels: dev {dev[0]:.3f} / {dev[1]:.3f}"
              + (f", holdout {scored[0]:.3f} / {scored[1]:.3f}" if scored else "")
              + f"   [{_unsure(gold, results)}]", flush=True)
        row = {"sector": name, 0: (dev, scored)}
        if curve:
            row.update(_curve(shipped + others, held, organisation, contacts, gold, results,
                              holdout))
        rows.append(row)
        _speed(tagger, contacts)
    _table(rows, with_holdout, curve)


def _curve(base, held, organisation, contacts, gold, results, holdout) -> dict:
    """Rounds of `klantvraag label`: pick the most uncertain, label, refit, pick again. Each
    refit trains the text model on the base data plus the labels; the combiner and calibration
    are refitted from the base's held-out results plus the labelled contacts as the tagger saw
    them before they were labelled (they were held out then)."""
    out = {}
    labelled: list[int] = []
    extra_held: list[tuple] = []
    for n in CURVE:
        taken = set(labelled)
        pool = [{"contact_id": str(i), "reason": "", "uncertainty": analyst.uncertainty(
                 r.confidence, r.third_party_confidence)}
                for i, r in enumerate(results) if i not in taken]
        new = [int(c["contact_id"]) for c in analyst.select_uncertain(pool, n - len(labelled))]
        examples = training.from_labelled([contacts[i] for i in new], [gold[i] for i in new],
                                          group="analyst", weight=ANALYST_WEIGHT)
        extra_held += list(zip(examples, [results[i] for i in new]))
        labelled += new
        refit = training.fit_model(base + [e for e, _ in extra_held])
        training.finish(refit, held + extra_held)
        tagger = Tagger(text_model=refit, organisation=organisation, workers=1)
        rest = [i for i in range(len(contacts)) if i not in set(labelled)]
        results = tagger.tag(contacts)
        dev = _macro([gold[i] for i in rest], [results[i] for i in rest])
        held_score = _macro(holdout[1], tagger.tag(holdout[0])) if holdout else None
        print(f"  {n} labels: dev (the {len(rest)} not labelled) {dev[0]:.3f} / {dev[1]:.3f}"
              + (f", holdout {held_score[0]:.3f} / {held_score[1]:.3f}" if held_score else ""),
              flush=True)
        out[n] = (dev, held_score)
    return out


def _speed(tagger: Tagger, contacts) -> None:
    from pipeline.tagging import ContactInput
    batch = [ContactInput(f"{c.contact_id}-{i}", c.question_text, c.customer_text, c.agent_text)
             for i in range(max(1, 3000 // len(contacts))) for c in contacts]
    began, cpu = time.perf_counter(), time.process_time()
    tagger.tag(batch)
    print(f"  speed with this organisation's config: {len(batch) / (time.perf_counter() - began):,.0f}"
          f" contacts/s wall-clock, {len(batch) / (time.process_time() - cpu):,.0f} per CPU-second "
          f"(load {os.getloadavg()[0]:.1f})")


def _table(rows: list[dict], with_holdout: bool, curve: bool) -> None:
    points = (0,) + (CURVE if curve else ())
    print("\nmacro-F1 avoidable / third-party type (dev; holdout)")
    for point in points:
        for part, label in ((0, "dev"), (1, "holdout")):
            if part == 1 and not with_holdout:
                continue
            cells = [r[point][part] for r in rows if r[point][part]]
            if not cells:
                continue
            mean_a = sum(c[0] for c in cells) / len(cells)
            mean_t = sum(c[1] for c in cells) / len(cells)
            each = ", ".join(f"{r['sector']} {r[point][part][0]:.3f}/{r[point][part][1]:.3f}"
                             for r in rows if r[point][part])
            print(f"  {point:>3} labels, {label:<7}: mean {mean_a:.3f} / {mean_t:.3f}  "
                  f"(min {min(c[0] for c in cells):.3f} / {min(c[1] for c in cells):.3f})  "
                  f"[{each}]")
