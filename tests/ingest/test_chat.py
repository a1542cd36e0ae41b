import json

import pytest
import yaml

from pipeline.errors import InputFileError, ResourceError
from pipeline.ingest.chat import parse_chat
from pipeline.ingest.detect import parse_file
from pipeline.ingest.mapping import load_mapping, load_mappings
from pipeline.ingest.whatsapp import parse_whatsapp


def roles(parsed, external_id=None):
    wanted = {c.contact_id for c in parsed.contacts if external_id in (None, c.external_id)}
    return [m.role for m in parsed.messages if m.contact_id in wanted]


@pytest.mark.parametrize("mapping", load_mappings(), ids=lambda m: m.id)
def test_each_shipped_mapping_parses_its_own_example(mapping, ctx_factory):
    if mapping.example_format == "csv":
        data = mapping.example.encode()
    elif mapping.example_format == "jsonl":
        data = "\n".join(json.dumps(c) for c in mapping.example).encode()
    else:
        data = json.dumps(mapping.example).encode()
    parsed = parse_chat(data, mapping.example_format, ctx_factory("example." + mapping.example_format,
                                                                   chat_mapping=mapping.id))
    assert len(parsed.contacts) == mapping.example_expect["contacts"]
    assert roles(parsed) == mapping.example_expect["roles"]
    auto = parse_chat(data, mapping.example_format, ctx_factory("example"))
    assert auto.contacts[0].meta["mapping"] == mapping.id  # auto-detection finds the same mapping


def test_generic_json(data_dir, ctx_factory):
    parsed = parse_file((data_dir / "chat/generic.json").read_bytes(), ctx_factory("generic.json"))
    assert parsed.format == "chat_json"
    assert [c.external_id for c in parsed.contacts] == ["c-1001", "c-1002"]
    assert roles(parsed, "c-1001") == ["bot", "customer", "bot", "agent"]
    first = parsed.contacts[0]
    assert first.started_at.isoformat() == "2026-08-20T19:02:11"
    assert first.customer_key is not None and parsed.contacts[1].customer_key is not None


def test_generic_jsonl_and_csv(data_dir, ctx_factory):
    jsonl = parse_file((data_dir / "chat/generic.jsonl").read_bytes(), ctx_factory("g.jsonl"))
    assert jsonl.format == "chat_jsonl" and len(jsonl.contacts) == 2
    csv = parse_file((data_dir / "chat/generic.csv").read_bytes(), ctx_factory("g.csv"))
    assert csv.format == "chat_csv"
    assert [c.external_id for c in csv.contacts] == ["c-3001", "c-3002"]
    assert roles(csv, "c-3002") == ["bot", "customer"]
    assert "nieuwe:\nWELKOM10" in csv.messages[1].text      # quoted multi-line cell


def test_zendesk_internal_notes_are_system_and_html_is_text(data_dir, ctx_factory):
    parsed = parse_file((data_dir / "chat/zendesk.json").read_bytes(), ctx_factory("z.json"))
    [ticket] = parsed.contacts
    assert ticket.meta == {"mapping": "zendesk", "channel": "web"}
    assert ticket.subject == "Monteur niet gekomen"
    assert roles(parsed) == ["customer", "system", "agent"]
    assert parsed.messages[2].text.startswith("Beste klant,") and "<p>" not in parsed.messages[2].text
    assert parsed.messages[0].author == "Kees Bakker"


def test_intercom_source_parts_notes_and_unix_times(data_dir, ctx_factory):
    # a conversation.list page is Intercom's own shape: the vendor reader takes it (notes: 'note')
    parsed = parse_file((data_dir / "chat/intercom.json").read_bytes(), ctx_factory("i.json"))
    assert parsed.format == "intercom_api"
    assert roles(parsed) == ["customer", "bot", "note", "agent"]  # assignment part skipped
    assert parsed.messages[0].text == "Ik wil mijn lidmaatschap opzeggen."
    assert parsed.messages[0].sent_at == parsed.contacts[0].started_at


def test_unknown_shape_is_an_error_with_a_hint(ctx_factory):
    with pytest.raises(InputFileError, match="geen chat-mapping past") as info:
        parse_chat(b'{"rows": [1, 2]}', "json", ctx_factory("x.json"))
    assert "chat_mapping_files" in info.value.hint


def test_unknown_role_value_names_the_message(ctx_factory):
    data = json.dumps({"conversations": [{"id": "c", "messages": [
        {"from": "customer", "text": "a"}, {"from": "martian", "text": "b"}]}]}).encode()
    with pytest.raises(InputFileError, match="onbekende rol 'martian'") as info:
        parse_chat(data, "json", ctx_factory("x.json"))
    assert info.value.where == "gesprek 1, bericht 2"


def test_invalid_json_reports_line(data_dir, ctx_factory):
    with pytest.raises(InputFileError, match="ongeldige JSON") as info:
        parse_file((data_dir / "broken/invalid.json").read_bytes(), ctx_factory("invalid.json"))
    assert info.value.where.startswith("regel 3")


def test_analyst_mapping_file(tmp_path, ctx_factory):
    mapping = {"id": "acme", "formats": ["json"], "detect": {"json_keys": ["chats"], "item_keys": ["key"]},
               "conversations": "chats", "conversation": {"id": "key", "customer": "phone"},
               "messages": "lines", "message": {"role": "who", "text": "say", "sent_at": "t"},
               "roles": {"c": "customer", "a": "agent"}, "timestamps": "unix"}
    file = tmp_path / "acme.yaml"
    file.write_text(yaml.safe_dump(mapping))
    mappings = tuple(load_mappings([str(file)]))
    data = json.dumps({"chats": [{"key": 7, "phone": "06 11122233", "lines": [
        {"who": "c", "say": "hoi", "t": 1788163200}, {"who": "a", "say": "hallo", "t": 1788163260}]}]})
    parsed = parse_chat(data.encode(), "json", ctx_factory("acme.json", mappings=mappings))
    assert parsed.contacts[0].external_id == "7" and roles(parsed) == ["customer", "agent"]


@pytest.mark.parametrize("broken, message", [
    ({"id": "x", "formats": ["xml"], "detect": {}, "messages": "m", "message": {}, "roles": {}}, "formats"),
    ({"id": "x", "formats": ["json"], "detect": {}, "messages": "m", "message": {"text": "t"},
      "roles": {}, "conversation": {"id": "id"}}, "'text' and 'role'"),
    ({"id": "x", "formats": ["json"], "detect": {}, "messages": "m", "conversation": {"id": "id"},
      "message": {"text": "t", "role": "r"}, "roles": {"x": "robot"}}, "roles maps"),
    ({"id": "x", "formats": ["json"], "detect": {}, "messages": "m", "conversation": {"id": "id"},
      "message": {"text": "t", "role": {"lookup": "nope", "by": "a", "field": "b"}},
      "roles": {}}, "unknown lookup"),
])
def test_mapping_validation_names_file_and_rule(broken, message):
    with pytest.raises(ResourceError, match=message) as info:
        load_mapping(yaml.safe_dump(broken), "my_mapping.yaml")
    assert info.value.path == "my_mapping.yaml" and "mapping x" in info.value.where


def test_whatsapp_ios_multiline_and_media(data_dir, ctx_factory):
    parsed = parse_file((data_dir / "chat/whatsapp_ios.txt").read_bytes(), ctx_factory("whatsapp_ios.txt"))
    assert parsed.format == "whatsapp"
    [contact] = parsed.contacts
    assert contact.external_id == "whatsapp_ios.txt" and contact.channel == "chat"
    assert roles(parsed) == ["customer", "customer", "agent", "customer", "agent"]
    assert parsed.messages[1].text == "De deur zit helemaal scheef\nen er zit een deuk in de zijkant"
    assert parsed.messages[3].meta == {"media_omitted": True}
    assert parsed.messages[0].sent_at.isoformat() == "2026-08-12T14:05:12"


def test_whatsapp_android_phone_is_the_customer(data_dir, ctx_factory):
    data = (data_dir / "chat/whatsapp_android.txt").read_bytes()
    parsed = parse_whatsapp(data, ctx_factory("whatsapp_android.txt"))
    assert roles(parsed) == ["system", "customer", "agent", "customer", "agent"]
    assert parsed.messages[-1].text.endswith("terug.\nFijne dag!")
    from pipeline.ingest.identity import customer_key
    assert parsed.contacts[0].customer_key == customer_key("pepper", "0612345678")
