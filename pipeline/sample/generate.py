"""Generate the sample export: plan every contact, compose it, write it in its format, and write
one ground-truth row per contact. Streams: memory stays flat whatever the size."""

from __future__ import annotations

import csv
import random
import shutil
import time
from collections import Counter
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.progress import track
from pipeline.sample import dialog
from pipeline.sample.broken import BROKEN_FILES, write_broken
from pipeline.sample.catalogue import Catalogue, default_catalogue
from pipeline.sample.compose import Contact, Slots, compose
from pipeline.sample.people import make_person
from pipeline.sample.plan import Plan, make_plans
from pipeline.sample.sink import Sink
from pipeline.sample.write_call import CallWriter, asr_style
from pipeline.sample.write_chat import ChatWriter
from pipeline.sample.write_email import EmailWriter
from pipeline.summary import Summary

GROUND_TRUTH = "ground_truth.csv"
GT_COLUMNS = ["external_id", "channel", "format", "file", "reason", "avoidable_category", "third_party_type",
              "party", "language", "customer", "is_auto_reply", "secondary_reason"]
GENERATED = ("email", "chat", "calls", "archive", GROUND_TRUTH)
_FORMAL_SHARE = {"email": 0.55, "chat": 0.25, "call": 0.5}


def build_contact(index: int, plan: Plan, seed: int, cat: Catalogue) -> tuple[Contact, random.Random]:
    """Compose one planned contact (labels, subject, turns) from its own seeded random stream."""
    rng = random.Random(f"klantvraag-sample:{seed}:contact:{index}")
    person = make_person(random.Random(f"klantvraag-sample:{seed}:customer:{plan.customer_no}"), cat.people,
                         f"K{100000 + plan.customer_no}")
    reason = cat.reasons[plan.reason]
    secondary = cat.reasons[plan.secondary] if plan.secondary else None
    agent = rng.choice(cat.people["agent_first_names"])
    slots = Slots(rng, cat, person, plan.started_at, reason, plan.language, agent)
    pieces, category, tp_type, party = compose(rng, cat, reason, secondary, slots, plan.language, plan.repeat)
    c = Contact(index=index, channel=plan.channel, format=plan.format, started_at=plan.started_at, person=person,
                reason=plan.reason, secondary=plan.secondary, category=category, third_party_type=tp_type,
                party=party, language=plan.language, is_auto_reply=bool(plan.auto_reply),
                formal=rng.random() < _FORMAL_SHARE[plan.channel], repeat=plan.repeat, agent=agent,
                container=plan.container)
    c.extra["invoice"] = slots.values["invoice"]
    pool = reason.en["subject"] if plan.language == "en" else reason.pools["subject"]
    c.subject = slots.fill(rng.choice(pool))
    if plan.auto_reply:
        c.extra["bounce"] = plan.auto_reply == "bounce"
        c.subject = slots.fill(rng.choice(cat.conversation["auto_reply"]["outbound_subject"]))
    if plan.channel == "email":
        dialog.email_turns(c, rng, cat, slots, pieces)
    elif plan.channel == "chat":
        dialog.chat_turns(c, rng, cat, slots, pieces, whatsapp=plan.format.startswith("whatsapp"))
    else:
        dialog.call_turns(c, rng, cat, slots, pieces, asr_style(plan.format, rng))
    if c.third_party_type != "none" and not c.party:
        # the party is named only when some turn names it (a slot used late, e.g. by the agent)
        c.party = _late_party(reason.party, slots)
    return c, rng


def _late_party(template: str, slots: Slots) -> str:
    keys = {k.strip("{}") for k in template.split() if k.startswith("{")}
    return slots.fill(template) if keys and keys <= slots.used else ""


def _clean(out: Path) -> None:
    for name in GENERATED:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def generate(out_dir: Path, size: int = 1600, seed: int = 7, first_index: int = 0) -> Summary:
    """Write a fictional export of ``size`` contacts into ``out_dir`` (replacing an earlier one there).

    ``first_index``: the number of the first contact. The contacts' conversation and ticket ids are
    built from their numbers, so the parts of one large export (written one part at a time) need
    ranges of their own, or a store merges their conversations."""
    if size < 1:
        raise ConfigError(f"--size moet minstens 1 zijn, niet {size}", hint="gebruik --size 1600 voor de meegeleverde sample")
    if first_index < 0:
        raise ConfigError(f"--first-index moet 0 of meer zijn, niet {first_index}")
    began = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _clean(out)
    cat = default_catalogue()
    plans = make_plans(size, seed, {rid: r.weight for rid, r in cat.reasons.items()})
    sink = Sink(out)
    writers = {"email": EmailWriter(out, sink), "chat": ChatWriter(sink), "call": CallWriter(sink)}
    counts: Counter = Counter()
    with open(out / GROUND_TRUTH, "w", encoding="utf-8", newline="") as handle:
        gt = csv.writer(handle, lineterminator="\n")
        gt.writerow(GT_COLUMNS)
        for index, plan in enumerate(track(plans, "Voorbeeldexport schrijven", total=len(plans)),
                                     start=first_index):
            contact, rng = build_contact(index, plan, seed, cat)
            writers[plan.channel].add(contact, rng)
            counts[(contact.channel, contact.format)] += 1
            gt.writerow([contact.external_id, contact.channel, contact.format, contact.file, contact.reason,
                         contact.category, contact.third_party_type, contact.party, contact.language,
                         contact.person.customer_id, str(contact.is_auto_reply).lower(), contact.secondary])
    for writer in writers.values():
        writer.close()
    write_broken(sink)
    sink.close()
    rows = [[channel, fmt, n, len(sink.files.get(fmt, ()))] for (channel, fmt), n in sorted(counts.items())]
    rows.append(["totaal", "", sum(counts.values()), sum(len(v) for k, v in sink.files.items() if k != "zip")])
    notes = [f"map: {out}", f"grondwaarheid: {out / GROUND_TRUTH} (niet gelezen door de pipeline)",
             f"archief: {len(sink.files.get('zip', ()))} zip-bestand(en) met een deel van de e-mails en gesprekken",
             "opzettelijk kapotte bestanden: " + ", ".join(BROKEN_FILES),
             f"seed {seed}, {size} contacten in {time.perf_counter() - began:.1f} s"]
    return Summary("Voorbeeldexport gegenereerd", ["kanaal", "formaat", "contacten", "bestanden"], rows, notes)
