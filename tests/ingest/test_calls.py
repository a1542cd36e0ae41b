import json

import pytest

from pipeline.errors import InputFileError, ResourceError
from pipeline.ingest.detect import parse_file
from pipeline.ingest.speakers import infer_agent, load_speaker_rules, score_text

RULES = load_speaker_rules()
ORG = ("voorbeeldwinkel",)


def parse(data_dir, ctx_factory, name):
    return parse_file((data_dir / "calls" / name).read_bytes(), ctx_factory(name))


def roles(parsed):
    return [m.role for m in parsed.messages]


def test_labelled_txt_with_header(data_dir, ctx_factory):
    name = "gesprek_2026-08-12_10-15-00_001.txt"
    parsed = parse(data_dir, ctx_factory, name)
    [contact] = parsed.contacts
    assert parsed.format == "transcript_txt" and contact.channel == "call"
    assert contact.external_id == name
    assert contact.started_at.isoformat() == "2026-08-12T10:15:00"
    from pipeline.ingest.identity import customer_key
    assert contact.customer_key == customer_key("pepper", "+31612345678")
    assert roles(parsed) == ["agent", "customer", "agent", "customer", "agent", "customer"]
    assert parsed.messages[4].text.endswith("factuur aan.\nU krijgt vandaag een nieuwe factuur per mail.")
    assert contact.meta == {"speaker_labels": "named"}
    assert all(m.meta is None for m in parsed.messages)


def test_numbered_txt_agent_inferred_from_cues_not_order(data_dir, ctx_factory):
    parsed = parse(data_dir, ctx_factory, "gesprek_2026-08-13_09-00-00_002.txt")
    assert roles(parsed) == ["customer", "agent", "customer", "agent", "customer"]
    contact = parsed.contacts[0]
    assert contact.started_at.isoformat() == "2026-08-13T09:00:00"   # from the file name
    assert contact.meta["role_inferred"] is True and contact.meta["evidence"].startswith("Spreker 2")
    assert all(m.meta["role_inferred"] for m in parsed.messages)


def test_webvtt_voice_tags_notes_and_merged_turns(data_dir, ctx_factory):
    parsed = parse(data_dir, ctx_factory, "call_voices.vtt")
    assert parsed.format == "webvtt"
    assert roles(parsed) == ["agent", "customer", "agent"]       # two Klant cues merged into one turn
    assert parsed.messages[1].text.endswith("oud. Valt dat onder de garantie?")
    assert "<v" not in parsed.messages[2].text
    assert parsed.messages[1].sent_at.isoformat() == "2026-09-14T15:30:04.500000"
    assert parsed.contacts[0].customer_key is not None


def test_webvtt_without_voice_tags_uses_prefixes(data_dir, ctx_factory):
    parsed = parse(data_dir, ctx_factory, "call_plain.vtt")
    assert roles(parsed) == ["agent", "customer", "agent"]
    assert parsed.messages[0].author == "Spreker 1" and parsed.contacts[0].started_at is None


def test_srt_numbered_speakers_and_multiline_cue(data_dir, ctx_factory):
    parsed = parse(data_dir, ctx_factory, "gesprek_2026-09-20_11-00-00_005.srt")
    assert parsed.format == "srt"
    assert roles(parsed) == ["agent", "customer", "agent"]
    assert parsed.messages[1].text == "ja ik heb een cadeaubon gekregen maar ik weet niet hoeveel er nog op staat"
    assert parsed.messages[1].sent_at.isoformat() == "2026-09-20T11:00:03.200000"


def test_whisper_json_without_speakers_roles_per_segment(data_dir, ctx_factory):
    parsed = parse(data_dir, ctx_factory, "whisper.json")
    assert parsed.format == "stt_json"
    assert roles(parsed) == ["agent", "customer"]
    assert parsed.contacts[0].meta["speaker_labels"] == "none"
    assert parsed.contacts[0].meta["stt_language"] == "nl"
    assert parsed.contacts[0].started_at.isoformat() == "2026-10-01T09:45:00"


def test_diarised_json(data_dir, ctx_factory):
    parsed = parse(data_dir, ctx_factory, "diarised.json")
    assert roles(parsed) == ["customer", "agent", "customer", "agent"]
    assert "SPEAKER_01" in parsed.contacts[0].meta["evidence"]


def test_explicit_agent_label_wins_over_inference(ctx_factory):
    data = b"Medewerker: goedemorgen\nSpreker 2: ik bel over mijn pakket\n"
    parsed = parse_file(data, ctx_factory("x.txt"))
    assert roles(parsed) == ["agent", "customer"]


def test_no_cue_takes_the_first_speaker(ctx_factory):
    agent, evidence = infer_agent([("A", "hallo"), ("B", "hoi")], RULES, ORG)
    assert agent == "A" and "first speaker" in evidence


def test_broken_cue_timing_names_the_line(ctx_factory):
    data = b"WEBVTT\n\n00:00:01.000 --> banaan\nKlant: hallo\n"
    with pytest.raises(InputFileError, match="onleesbare tijdregel") as info:
        parse_file(data, ctx_factory("x.vtt"))
    assert info.value.where == "regel 3"


def test_stt_segment_without_text(ctx_factory):
    data = json.dumps({"segments": [{"start": 0, "end": 1}]}).encode()
    with pytest.raises(InputFileError, match="heeft 'text' nodig"):
        parse_file(data, ctx_factory("x.json"))


@pytest.mark.parametrize("cue", RULES.agent_cues, ids=lambda c: c.id)
def test_agent_cue_examples_fire(cue):
    for example in cue.examples:
        assert cue.pattern.search(example), (cue.id, example)
        assert score_text(example, RULES, ())[0] > 0


@pytest.mark.parametrize("cue", RULES.customer_cues, ids=lambda c: c.id)
def test_customer_cue_examples_fire(cue):
    for example in cue.examples:
        assert cue.pattern.search(example), (cue.id, example)


def test_label_and_numbered_examples():
    for label, role in RULES.label_examples:
        assert RULES.role_of(label) == role
    for label in RULES.numbered_examples:
        assert RULES.is_numbered(label) and RULES.role_of(label) is None


def test_speaker_file_validation():
    with pytest.raises(ResourceError, match="missing 'examples'"):
        load_speaker_rules("labels:\n  - {id: x, role: customer, names: [klant]}\n", "s.yaml")
    with pytest.raises(ResourceError, match="is not customer, agent or bot"):
        load_speaker_rules("labels:\n  - {id: x, role: boss, names: [a], examples: [a]}\n", "s.yaml")
