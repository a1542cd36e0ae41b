"""Synthetic stage output for the report's tests and bench: the rows that ingest, prepare, reasons
and tag would write for Voorbeeldwinkel, inserted directly into the store (vectorised, no
row-by-row inserts). Reasons and their masked questions come from tests/data/report/reasons.yaml.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REASONS_FILE = Path(__file__).parents[1] / "data" / "report" / "reasons.yaml"
CHANNELS = np.array(["email", "chat", "call"])
FORMATS = {"email": "eml", "chat": "chat_json", "call": "transcript_txt"}
START = datetime(2026, 8, 1)
DAYS = 92


def load_reasons() -> list[dict]:
    return yaml.safe_load(REASONS_FILE.read_text("utf-8"))


def _insert(con, table: str, frame: pd.DataFrame) -> None:
    con.register("_synth_frame", frame)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _synth_frame")
    con.unregister("_synth_frame")


def synthesise(con, n: int = 600, seed: int = 7, *, text: bool = True, reasons: bool = True,
               tags: bool = True, themes: bool = True, auto_reply_share: float = 0.03,
               unassigned_share: float = 0.07, empty_customer_share: float = 0.02) -> pd.DataFrame:
    """Insert ``n`` contacts (plus auto-replies among them) and return the truth per contact."""
    rng = np.random.default_rng(seed)
    catalogue = load_reasons()
    weights = np.array([r["weight"] for r in catalogue], dtype=float)
    reason_idx = rng.choice(len(catalogue), size=n, p=weights / weights.sum())
    channel = CHANNELS[rng.choice(3, size=n, p=[0.45, 0.25, 0.30])]
    # A rising October for late deliveries gives the weekly trend something to show.
    day = rng.integers(0, DAYS, size=n)
    late = np.array([catalogue[i]["id"] == "levering_vertraagd" for i in reason_idx])
    day = np.where(late & (rng.random(n) < 0.5), rng.integers(61, DAYS, size=n), day)
    started = pd.to_datetime(START) + pd.to_timedelta(day, "D") + pd.to_timedelta(
        rng.integers(8 * 3600, 21 * 3600, size=n), "s")
    ids = np.array([f"c{seed}-{i:07d}" for i in range(n)])
    customers = rng.integers(0, max(n // 3, 1), size=n)
    sources = pd.DataFrame({
        "source_id": [hashlib.sha256(f"{seed}-{c}".encode()).hexdigest() for c in
                      ["email", "chat", "call", "bad1", "bad2"]],
        "path": ["export/mail.mbox", "export/chat/gesprekken.json", "export/calls.zip",
                 "export/chat/kapot.json", "export/email/leeg.eml"],
        "size_bytes": [1_200_000, 800_000, 2_500_000, 1_024, 0],
        "format": ["mbox", "chat_json", "transcript_txt", "chat_json", "eml"],
        "status": ["ingested", "ingested", "ingested", "error", "error"],
        "error": [None, None, None, "regel 14: geen geldige JSON (Expecting ',' delimiter)",
                  "leeg bestand"],
        "n_contacts": [int((channel == c).sum()) for c in CHANNELS] + [0, 0],
        "n_messages": [0, 0, 0, 0, 0],
        "first_seen_at": [datetime(2026, 11, 2)] * 5,
    })
    _insert(con, "sources", sources)
    source_of = dict(zip(["email", "chat", "call"], sources["source_id"][:3]))
    english = rng.random(n) < 0.05
    _insert(con, "contacts", pd.DataFrame({
        "contact_id": ids, "external_id": [f"ext-{i}" for i in ids], "channel": channel,
        "format": [FORMATS[c] for c in channel], "source_id": [source_of[c] for c in channel],
        "started_at": started, "ended_at": started + pd.to_timedelta(7, "min"),
        "customer_key": [f"k{c}" for c in customers], "subject": None,
        "language": np.where(english, "en", "nl"), "n_messages": 4,
    }))
    auto = rng.random(n) < auto_reply_share
    questions = [catalogue[i]["questions"][j % len(catalogue[i]["questions"])]
                 for i, j in zip(reason_idx, rng.integers(0, 99, size=n))]
    # One customer message per contact; a few are empty (an attachment only, a blank chat).
    empty = rng.random(n) < empty_customer_share
    _insert(con, "messages", pd.DataFrame({
        "message_id": [f"m-{i}" for i in ids], "contact_id": ids, "seq": 0, "role": "customer",
        "sent_at": started, "author": None, "text": np.where(empty, "  ", questions),
        "source_id": [source_of[c] for c in channel], "meta": None, "external_id": None}))
    if text:
        _insert(con, "contact_text", pd.DataFrame({
            "contact_id": ids, "language": np.where(english, "en", "nl"),
            "language_confidence": 0.95, "is_auto_reply": auto,
            "auto_reply_kind": np.where(auto, rng.choice(["out_of_office", "delivery_failure"],
                                                         size=n), None),
            "question_text": np.where(auto, "Ik ben afwezig tot maandag.", questions),
            "customer_text": questions, "agent_text": "", "bot_text": "",
            "question_lemmas": "", "input_hash": ids, "prepared_at": datetime(2026, 11, 2),
        }))
    unassigned = rng.random(n) < unassigned_share
    theme_ids = {label: f"T{k + 1:02d}" for k, label in
                 enumerate(dict.fromkeys(r["theme"] for r in catalogue))}
    if reasons:
        _insert(con, "reasons", pd.DataFrame([{
            "reason_id": r["id"], "model_name": "default", "model_version": "1",
            "language": "nl", "label": r["label"], "description": r["description"],
            "keywords": json.dumps(r["keywords"]), "examples": json.dumps(r["questions"]),
            "size": int(((reason_idx == i) & ~unassigned).sum()),
            "default_category": r["category"], "owner": None,
            "theme_id": theme_ids[r["theme"]] if themes else None,
        } for i, r in enumerate(catalogue)]))
        if themes:
            _insert(con, "themes", pd.DataFrame([{
                "theme_id": tid, "model_name": "default", "model_version": "1", "label": label,
                "size": int(sum(((reason_idx == i) & ~unassigned).sum()
                                for i, r in enumerate(catalogue) if r["theme"] == label))}
                for label, tid in theme_ids.items()]))
        # a reason with sub_reasons in the fixture: its contacts spread over them at random
        sub = np.array([None] * n, dtype=object)
        for i, r in enumerate(catalogue):
            members = np.flatnonzero((reason_idx == i) & ~unassigned)
            if r.get("sub_reasons") and len(members):
                picks = rng.integers(0, len(r["sub_reasons"]), size=len(members))
                sub[members] = [f"{r['id']}.{k + 1}" for k in picks]
        _insert(con, "contact_reasons", pd.DataFrame({
            "contact_id": ids,
            "reason_id": np.where(unassigned, None, [catalogue[i]["id"] for i in reason_idx]),
            "probability": rng.random(n), "how": np.where(unassigned, "outlier", "assigned"),
            "model_name": "default", "sub_reason_id": sub,
            "theme_id": np.where(unassigned | (not themes), None,
                                 [theme_ids[catalogue[i]["theme"]] for i in reason_idx])}))
        subs = [{"sub_reason_id": f"{r['id']}.{k + 1}", "reason_id": r["id"],
                 "model_name": "default", "model_version": "1", "language": "nl",
                 "label": label, "size": int((sub == f"{r['id']}.{k + 1}").sum())}
                for r in catalogue for k, label in enumerate(r.get("sub_reasons", []))]
        if subs:
            _insert(con, "sub_reasons", pd.DataFrame(subs))
    truth = pd.DataFrame({"contact_id": ids, "channel": channel, "started_at": started,
                          "auto": auto, "reason": [catalogue[i]["id"] for i in reason_idx],
                          "unassigned": unassigned})
    if tags:
        truth = _tags(con, rng, catalogue, reason_idx, ids, truth)
    return truth


def _tags(con, rng, catalogue, reason_idx, ids, truth) -> pd.DataFrame:
    n = len(ids)
    category = np.array([catalogue[i]["category"] for i in reason_idx], dtype=object)
    flip = rng.random(n) < 0.12  # the text says it went wrong again: prevent
    category = np.where(flip & (category != "waardevol"), "voorkomen", category)
    tp_type = np.array([catalogue[i]["third_party_type"] for i in reason_idx], dtype=object)
    tp_type = np.where(rng.random(n) < 0.1, "none", tp_type)
    party = np.array([
        (catalogue[i]["parties"][k % len(catalogue[i]["parties"])]
         if catalogue[i]["parties"] and t != "none" and k % 5 else None)
        for i, k, t in zip(reason_idx, rng.integers(0, 1000, size=n), tp_type)], dtype=object)
    repeat = rng.random(n) < np.where(category == "voorkomen", 0.22, 0.06)
    unsure = rng.random(n) < 0.1
    analyst = rng.random(n) < 0.02
    _insert(con, "contact_tags", pd.DataFrame({
        "contact_id": ids, "avoidable_category": category, "confidence": 0.8,
        "third_party_type": np.where(tp_type == "none", None, tp_type), "party": party,
        "is_repeat": repeat, "repeat_of": None, "repeat_gap_days": None, "evidence": "[]",
        "avoidable_unsure": unsure & ~analyst, "third_party_unsure": False,
        "decided_by": np.where(analyst, "analyst", "tagger")}))
    _insert(con, "analyst_labels", pd.DataFrame({
        "contact_id": ids[analyst], "avoidable_category": category[analyst],
        "third_party_type": None, "party": None, "labelled_at": datetime(2026, 11, 3),
        "source_file": "labels.xlsx"}))
    has_tp = tp_type != "none"
    _insert(con, "contact_third_parties", pd.DataFrame({
        "contact_id": ids[has_tp], "third_party_type": tp_type[has_tp], "party": party[has_tp],
        "confidence": 0.9, "rule_id": "tp-" + tp_type[has_tp],
        "span": [f"pakket bij {p}" if t == "carrier" and p else (p or t).lower()
                 for p, t in zip(party[has_tp], tp_type[has_tp])]}))
    symptom = rng.choice(["transfer", "callback", "consultation", ""], size=n,
                         p=[0.06, 0.08, 0.10, 0.76])
    has_symptom = symptom != ""
    _insert(con, "contact_symptoms", pd.DataFrame({
        "contact_id": ids[has_symptom], "symptom": symptom[has_symptom],
        "rule_id": "sym-" + symptom[has_symptom], "span": "ik verbind u door"}))
    truth = truth.assign(category=category, third_party_type=tp_type, party=party,
                         is_repeat=repeat, unsure=unsure & ~analyst, analyst=analyst)
    return truth
