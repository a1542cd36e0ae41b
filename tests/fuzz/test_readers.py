"""Fuzzing every reader and the NLP stage: whatever the bytes, a file is parsed or becomes its own
recorded error (never an exception out of ``parse_job``, never a hang), and a valid file beside a
hostile one loses nothing. Examples are few and small so the suite stays fast."""

from __future__ import annotations

import csv
import io
import json
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import ingest, store
from pipeline.config import load_config
from pipeline.ingest.limits import Limits
from pipeline.ingest.mapping import load_mappings
from pipeline.ingest.parallel import parse_job
from pipeline.ingest.speakers import load_speaker_rules

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"
NAMES = ["x.eml", "x.mbox", "x.json", "x.jsonl", "x.csv", "x.txt", "x.vtt", "x.srt", "x", "x.tsv"]
LIMITS = Limits(max_message_chars=2_000, max_nesting_depth=32, max_seconds_per_file=5)
BASE = {"salt": "s", "agent_domains": ("voorbeeldwinkel.nl",), "organisation_names": ("voorbeeldwinkel",),
        "chat_mapping": "auto", "mappings": tuple(load_mappings()), "speakers": load_speaker_rules(),
        "limits": LIMITS}
FAST = settings(max_examples=40, deadline=3000, database=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=10, deadline=10000, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _parse(name: str, data: bytes):
    outcome = parse_job((name, name, "s", data, None), BASE)
    assert outcome[0] in ("ok", "error")
    if outcome[0] == "error":
        assert isinstance(outcome[1], str) and outcome[1]
    else:
        for record in (*outcome[1].messages, *outcome[1].mails):
            assert len(record.text) <= LIMITS.max_message_chars
    return outcome


@FAST
@given(name=st.sampled_from(NAMES), data=st.binary(max_size=3000))
def test_arbitrary_bytes(name, data):
    _parse(name, data)


@FAST
@given(name=st.sampled_from(NAMES), prefix=st.sampled_from(
    [b"WEBVTT\n\n", b"From a@b.nl Mon Aug  3 10:00:00 2026\n", b"From: a@b.nl\nSubject: x\n",
     b'{"conversations": [', b"conversation_id,timestamp,sender_type,message\n",
     b"1\n00:00:01,000 --> 00:00:02,000\n", b"[12-08-2026 14:05:12] Jan: "]),
    tail=st.binary(max_size=2000))
def test_plausible_start_then_garbage(name, prefix, tail):
    _parse(name, prefix + tail)


_leaf = st.builds(lambda text, sub: MIMEText(text, sub, "utf-8"),
                  st.text(max_size=200), st.sampled_from(["plain", "html"]))


def _multipart(parts):
    outer = MIMEMultipart("mixed")
    for part in parts:
        outer.attach(part)
    return outer


_mime_tree = st.recursive(_leaf, lambda children: st.lists(children, min_size=1, max_size=3)
                          .map(_multipart), max_leaves=8)


@settings(max_examples=25, deadline=3000, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_mime_tree, cut=st.integers(min_value=0, max_value=100))
def test_random_mime_trees(tree, cut):
    tree["From"], tree["Subject"] = "klant@example.nl", "vraag"
    tree["Date"], tree["Message-ID"] = "Mon, 3 Aug 2026 10:00:00 +0200", "<f@example.nl>"
    data = tree.as_bytes()
    outcome = _parse("m.eml", data)
    assert outcome[0] == "ok"                     # a whole, shallow tree is always read
    _parse("m.eml", data[:len(data) * cut // 100])  # cut anywhere: read or recorded


@FAST
@given(depth=st.integers(min_value=1, max_value=3000), kind=st.sampled_from(["[", "{\"a\":"]),
       name=st.sampled_from(["d.json", "d.jsonl"]))
def test_deep_nesting_is_refused_before_parsing(depth, kind, name):
    close = "]" if kind == "[" else "}"
    data = (kind * depth + "1" + close * depth).encode()
    outcome = _parse(name, data)
    if depth > LIMITS.max_nesting_depth:
        assert outcome[0] == "error" and "genest" in outcome[1]


@FAST
@given(depth=st.integers(min_value=0, max_value=400))
def test_deep_mime_is_refused_before_parsing(depth):
    head = "From: a@example.nl\nSubject: x\nDate: Mon, 3 Aug 2026 10:00:00 +0200\n"
    opens = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(depth))
    closes = "".join(f"--b{i}--\n" for i in reversed(range(depth)))
    outcome = _parse("d.eml", (head + opens + "Content-Type: text/plain\n\nhoi\n" + closes).encode())
    assert (outcome[0] == "error") == (depth > LIMITS.max_nesting_depth)


def _chat(texts, stamps) -> dict:
    return {"conversations": [{"id": f"c-{i}", "messages": [
        {"from": "customer", "name": "Jan", "timestamp": stamp, "text": text}]}
        for i, (text, stamp) in enumerate(zip(texts, stamps))]}


_stamps = st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=True),
                    st.sampled_from(["2026-02-30T25:61:00", "0000-00-00", "9999-99-99T99:99",
                                     "2026-08-03T10:00:00+02:00", "-1", "1e20"]))


@FAST
@given(texts=st.lists(st.text(max_size=5000), min_size=1, max_size=4),
       stamps=st.lists(_stamps, min_size=4, max_size=4),
       encoding=st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1252", "utf-8-sig"]))
def test_chat_json_with_huge_fields_impossible_dates_and_odd_encodings(texts, stamps, encoding):
    document = json.dumps(_chat(texts, stamps), ensure_ascii=False)
    data = document.encode(encoding, errors="replace")
    _parse("c.json", data)
    _parse("c.jsonl", b"\n".join(json.dumps(c).encode() for c in _chat(texts, stamps)["conversations"]))


@FAST
@given(rows=st.lists(st.lists(st.text(max_size=300), max_size=8), max_size=12))
def test_csv_rows_with_missing_or_extra_fields(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["conversation_id", "timestamp", "sender_type", "sender_name", "customer_id", "message"])
    writer.writerows(rows)
    _parse("c.csv", buffer.getvalue().encode())


@FAST
@given(text=st.text(max_size=20_000), name=st.sampled_from(["t.txt", "t.vtt", "t.srt"]))
def test_transcripts_with_huge_or_odd_text(text, name):
    header = {"t.txt": "", "t.vtt": "WEBVTT\n\n00:00:00.000 --> 00:00:03.000\n",
              "t.srt": "1\n00:00:00,000 --> 00:00:03,000\n"}[name]
    _parse(name, (header + "Spreker 1: " + text).encode("utf-8", errors="surrogatepass"))


@SLOW
@given(hostile=st.binary(max_size=4000), name=st.sampled_from(NAMES))
def test_nothing_is_lost_from_a_valid_file_beside_a_hostile_one(tmp_path_factory, hostile, name):
    folder = tmp_path_factory.mktemp("export")
    (folder / "good.json").write_bytes((DATA / "chat" / "generic.json").read_bytes())
    (folder / f"hostile-{name}").write_bytes(hostile)
    config = load_config(None).ingest
    alone, mixed = store.connect(":memory:"), store.connect(":memory:")
    try:
        ingest.run(alone, [folder / "good.json"], config)
        ingest.run(mixed, [folder], config)
        query = "SELECT contact_id, n_messages FROM contacts WHERE source_id = ? ORDER BY 1"
        good_source = alone.execute("SELECT source_id FROM sources").fetchone()[0]
        assert (mixed.execute(query, [good_source]).fetchall()
                == alone.execute(query, [good_source]).fetchall())
    finally:
        alone.close()
        mixed.close()


@pytest.fixture(scope="module")
def warm_nlp():
    """Load the language models once (15 s cold) so the examples are timed on their own."""
    from pipeline.nlp import prepare_frame

    prepare_frame(pd.DataFrame({"contact_id": ["w"], "channel": ["chat"], "subject": [None],
                                "input_hash": ["h"]}),
                  pd.DataFrame({"contact_id": ["w"], "seq": [0], "role": ["customer"],
                                "author": [None], "text": ["Waar blijft mijn pakket?"],
                                "subject": [None]}))


@SLOW
@given(texts=st.lists(st.text(max_size=3000), min_size=1, max_size=6),
       roles=st.lists(st.sampled_from(["customer", "agent", "bot", "system"]), min_size=6, max_size=6),
       channel=st.sampled_from(["email", "chat", "call"]))
def test_nlp_stage_on_arbitrary_text(warm_nlp, texts, roles, channel):
    from pipeline.nlp import prepare_frame

    contacts = pd.DataFrame({"contact_id": ["c"], "channel": [channel], "subject": [texts[0][:50]],
                             "input_hash": ["h"]})
    messages = pd.DataFrame({"contact_id": ["c"] * len(texts), "seq": range(len(texts)),
                             "role": roles[:len(texts)], "author": [None] * len(texts),
                             "text": texts, "subject": [None] * len(texts)})
    out = prepare_frame(contacts, messages)
    assert list(out["contact_id"]) == ["c"]


def test_mail_without_a_body_is_read():
    message = EmailMessage()
    message["From"], message["Date"] = "a@example.nl", "Mon, 3 Aug 2026 10:00:00 +0200"
    assert _parse("e.eml", message.as_bytes())[0] == "ok"
