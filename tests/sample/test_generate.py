"""The generated export: formats, ground truth, determinism, valid files, PII present."""

from __future__ import annotations

import email
import hashlib
import json
import re
import zipfile
from collections import Counter
from email import policy
from pathlib import Path

import pytest

from pipeline.sample import GT_COLUMNS, generate
from pipeline.sample.broken import BROKEN_FILES
from pipeline.sample.catalogue import CATEGORIES, THIRD_PARTY_TYPES, default_catalogue
from pipeline.sample.people import iban_is_valid
from pipeline.sample.plan import FORMATS

ALL_FORMATS = {fmt for options in FORMATS.values() for fmt, _ in options}


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path):
    generate(tmp_path / "a", size=250, seed=11)
    generate(tmp_path / "b", size=250, seed=11)
    generate(tmp_path / "c", size=250, seed=12)
    a, b, c = (_digest(tmp_path / n) for n in "abc")
    assert a == b
    assert a["ground_truth.csv"] != c["ground_truth.csv"]


def test_regenerating_into_the_same_folder_replaces_the_old_export(tmp_path):
    generate(tmp_path, size=300, seed=1)
    generate(tmp_path, size=40, seed=1)
    fresh = tmp_path.parent / (tmp_path.name + "_fresh")
    generate(fresh, size=40, seed=1)
    assert _digest(tmp_path) == _digest(fresh)


def test_size_and_period(truth, export):
    assert len(truth) == 1600
    for path in (export[0] / "chat" / "json").glob("gesprekken_*.json"):
        if path.name.endswith("afgebroken.json"):
            continue
        for conv in json.loads(path.read_text(encoding="utf-8"))["conversations"]:
            assert "2026-08-01" <= conv["started_at"][:10] <= "2026-10-31"


def test_every_channel_and_format_is_present(truth, export):
    assert {row["format"] for row in truth} == ALL_FORMATS
    assert {row["channel"] for row in truth} == {"email", "chat", "call"}
    assert any("!/" in row["file"] for row in truth), "some contacts live inside the zip"
    summary = export[1]
    assert {row[1] for row in summary.rows if row[0] != "totaal"} == ALL_FORMATS


def test_ground_truth_columns_labels_and_ids(truth, export):
    out = export[0]
    assert list(truth[0]) == GT_COLUMNS
    ids = [row["external_id"] for row in truth]
    assert len(ids) == len(set(ids)), "external ids are unique"
    reasons = set(default_catalogue().reason_ids)
    assert {row["reason"] for row in truth} == reasons
    assert {row["secondary_reason"] for row in truth} - {""} <= reasons
    assert {row["avoidable_category"] for row in truth} == set(CATEGORIES)
    assert {row["third_party_type"] for row in truth} == set(THIRD_PARTY_TYPES)
    assert {row["language"] for row in truth} == {"nl", "en"}
    assert {row["is_auto_reply"] for row in truth} == {"true", "false"}
    named = [row["party"] != "" for row in truth if row["third_party_type"] != "none"]
    assert sum(named) > 0.8 * len(named), "most third-party causes are named"
    for row in truth:
        if row["third_party_type"] == "none":
            assert row["party"] == ""
        if row["channel"] in ("call",) or row["format"].startswith("whatsapp"):
            assert row["file"].endswith(row["external_id"])
        if "!/" not in row["file"]:
            assert (out / row["file"]).is_file()
    parties = Counter(row["party"] for row in truth)
    assert {"PostNL", "DHL", "magazijn"} <= set(parties)
    assert any(p.startswith("winkel ") for p in parties)


def test_share_of_english_repeats_and_auto_replies(truth):
    n = len(truth)
    english = sum(row["language"] == "en" for row in truth) / n
    assert 0.03 < english < 0.08
    auto = [row for row in truth if row["is_auto_reply"] == "true"]
    assert auto and all(row["channel"] == "email" for row in auto)
    per_customer = Counter(row["customer"] for row in truth)
    assert sum(1 for c in per_customer.values() if c > 1) > 0.1 * len(per_customer)


def test_eml_files_parse_and_threads_link(export, truth):
    out = export[0]
    roots = {row["external_id"] for row in truth if row["format"] == "eml"}
    seen_roots, charsets, html_only = set(), set(), 0
    for path in sorted((out / "email" / "eml").glob("*.eml")):
        if path.name in {Path(b).name for b in BROKEN_FILES}:
            continue
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert not msg.defects, path
        assert msg["Message-ID"] and msg["Date"] and msg["From"]
        refs = msg.get("References", "").split()
        seen_roots.add((refs[0] if refs else msg["Message-ID"]).strip("<>"))
        charsets.update(p.get_content_charset() for p in msg.walk() if p.get_content_maintype() == "text")
        html_only += msg.get_content_type() == "text/html"
        body = msg.get_body(("plain", "html"))
        assert body is not None and body.get_content().strip()
    zipped = {row["external_id"] for row in truth if row["format"] == "eml" and "!/" in row["file"]}
    assert roots - zipped <= seen_roots
    assert {"utf-8", "windows-1252", "iso-8859-1"} <= charsets
    assert html_only > 0


def test_mbox_parses(export, truth):
    import mailbox

    out = export[0]
    boxes = sorted((out / "email" / "mbox").glob("*.mbox"))
    assert len(boxes) == 1, "the bundled sample has one mbox"
    messages = list(mailbox.mbox(boxes[0]))
    ids = {m["Message-ID"].strip("<>") for m in messages}
    roots = {row["external_id"] for row in truth if row["format"] == "mbox"}
    assert roots <= ids


def test_json_files_are_valid_except_the_broken_one(export):
    out = export[0]
    broken = {str(out / b) for b in BROKEN_FILES}
    bad = []
    for path in sorted(out.rglob("*.json")):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            bad.append(str(path))
    assert bad == sorted(b for b in broken if b.endswith(".json"))
    for path in sorted(out.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            json.loads(line)


def test_shapes_follow_the_brief(export):
    out = export[0]
    zendesk = json.loads(next((out / "chat" / "zendesk").glob("*.json")).read_text(encoding="utf-8"))
    roles = {u["role"] for u in zendesk["users"]}
    assert roles == {"end-user", "agent"}
    assert any(not c["public"] for t in zendesk["tickets"] for c in t["comments"])
    intercom = json.loads(next((out / "chat" / "intercom").glob("*.json")).read_text(encoding="utf-8"))
    assert intercom["type"] == "conversation.list"
    parts = [p for c in intercom["conversations"] for p in c["conversation_parts"]["conversation_parts"]]
    assert {"comment", "assignment"} <= {p["part_type"] for p in parts}
    assert all(isinstance(c["created_at"], int) for c in intercom["conversations"])
    ios = next((out / "chat" / "whatsapp" / "ios").glob("*.txt")).read_text(encoding="utf-8")
    assert re.match(r"\[\d\d-\d\d-2026 \d\d:\d\d:\d\d\] [^:]+: ", ios)
    android = "".join(p.read_text(encoding="utf-8") for p in (out / "chat" / "whatsapp" / "android").glob("*.txt"))
    assert re.search(r"^\d\d-\d\d-2026 \d\d:\d\d - Voorbeeldwinkel Klantenservice: ", android, re.M)
    assert "<Media weggelaten>" in android + ios or "<Media weggelaten>" in "".join(
        p.read_text(encoding="utf-8") for p in (out / "chat" / "whatsapp").rglob("*.txt"))
    txt = "".join(p.read_text(encoding="utf-8") for p in (out / "calls" / "txt").glob("*.txt"))
    for label in ("Klant: ", "Medewerker: ", "Agent: ", "Spreker 1: ", "# datum: ", "# beller: "):
        assert label in txt
    vtt = "".join(p.read_text(encoding="utf-8") for p in (out / "calls" / "vtt").glob("*.vtt"))
    assert vtt.startswith("WEBVTT") and "<v " in vtt and "NOTE datum: " in vtt
    srt = "".join(p.read_text(encoding="utf-8") for p in (out / "calls" / "srt").glob("*.srt"))
    assert "Spreker 1: " in srt and " --> " in srt and "," in srt.split(" --> ")[0][-4:]
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in (out / "calls" / "json").glob("*.json")]
    assert any("language" in d and "segments" in d and "speaker" not in d["segments"][0] for d in docs)
    assert any(d["segments"][0].get("speaker", "").startswith("SPEAKER_") for d in docs)
    with zipfile.ZipFile(next((out / "archive").glob("*.zip"))) as archive:
        names = archive.namelist()
    assert any(n.endswith(".eml") for n in names) and any(n.startswith("calls/") for n in names)


PII_PATTERNS = {
    "iban": re.compile(r"\bNL\d\d ?[A-Z]{4} ?\d{4} ?\d{4} ?\d{2}\b", re.I),
    "postcode_house": re.compile(r"\b\d{4} ?[A-Z]{2}\b[ ,]+(nummer )?\d+"),
    "mobile": re.compile(r"(\+31|0031|\b0)[ -]?\(?6\)?[ -]*\d"),
    "email": re.compile(r"\b[\w.]+@(gmail|hotmail|outlook|ziggo|kpnmail|live|planet|xs4all|icloud|home|yahoo|hetnet)\.\w+"),
    "order": re.compile(r"\bVW-2026-\d{7}\b"),
    "tracking": re.compile(r"\b3SVWK\d{7}\b"),
    "dob": re.compile(r"\bgeboortedatum\b", re.I),
}


def test_pii_is_present_in_the_raw_files(export):
    out = export[0]
    text = ""
    for folder in ("chat", "calls"):
        text += "".join(p.read_text(encoding="utf-8", errors="replace") for p in (out / folder).rglob("*")
                        if p.is_file())
    text += (out / "email" / "mbox" / "klantenservice_001.mbox").read_text(encoding="utf-8", errors="replace")
    for kind, pattern in PII_PATTERNS.items():
        assert len(pattern.findall(text)) >= 5, kind
    ibans = [m.group(0) for m in PII_PATTERNS["iban"].finditer(text)]
    assert all(iban_is_valid(i) for i in ibans)
    assert any(" " in i for i in ibans) and any(" " not in i for i in ibans)


def test_realism_markers(export):
    out = export[0]
    import mailbox

    decoded = []
    for msg in mailbox.mbox(out / "email" / "mbox" / "klantenservice_001.mbox"):
        body = email.message_from_bytes(msg.as_bytes(), policy=policy.default).get_body(("plain", "html"))
        decoded.append(body.get_content() if body else "")
    text = "\n".join(decoded)
    for marker in ("-----Oorspronkelijk bericht-----", "schreef", "Verzonden:", "\n> ", "Met vriendelijke groet",
                   "Dit e-mailbericht is uitsluitend bestemd", "ook al gebeld"):
        assert marker in text, marker
    calls = "".join(p.read_text(encoding="utf-8") for p in (out / "calls").rglob("*.txt"))
    assert re.search(r"\b(eh|uhm)\b", calls) and "ja nee" in calls
    assert re.search(r"doorverbinden|terugbelverzoek|navragen", calls)


def _external_ids(folder: Path) -> set[str]:
    import csv

    with open(folder / "ground_truth.csv", encoding="utf-8", newline="") as handle:
        return {row["external_id"] for row in csv.DictReader(handle)}


def test_parts_of_one_large_export_get_ids_of_their_own(tmp_path):
    # Two seeds alone reuse the conversation ids (they are built from the contact's number),
    # so a store would merge the parts' chats; a range per part keeps them apart.
    generate(tmp_path / "one", size=300, seed=1)
    generate(tmp_path / "same", size=300, seed=2)
    generate(tmp_path / "two", size=300, seed=2, first_index=300)
    one, same, two = (_external_ids(tmp_path / n) for n in ("one", "same", "two"))
    assert one & same
    assert not one & two
    assert len(two) == 300
