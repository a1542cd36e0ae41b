"""Every worked example in docs/mapping.md is a fixture here, ingested end to end."""

from pathlib import Path

import pytest
import yaml

from pipeline import ingest
from pipeline.errors import ResourceError
from pipeline.ingest.mapping import load_mapping

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "mappings"
DOC = Path(__file__).resolve().parents[2] / "docs" / "mapping.md"
FOLDERS = sorted(p for p in EXAMPLES.iterdir() if p.is_dir())


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_worked_example_is_ingested_as_documented(folder, con, config):
    expect = yaml.safe_load((folder / "expect.yaml").read_text("utf-8"))
    config.ingest.chat_mapping_files = [str(folder / "mapping.yaml")]
    exports = sorted(p for p in folder.iterdir() if p.name not in ("mapping.yaml", "expect.yaml"))
    summary = ingest.run(con, exports, config.ingest)
    assert not summary.warnings, summary.warnings
    rows = con.execute("SELECT external_id, channel, started_at, ended_at, subject, contact_id "
                       "FROM contacts ORDER BY external_id").fetchall()
    assert len(rows) == expect["contacts"]
    by_id = {r[0]: r for r in rows}
    for external_id, roles in expect["roles"].items():
        got = [r[0] for r in con.execute("SELECT role FROM messages WHERE contact_id = ? ORDER BY seq",
                                         [by_id[str(external_id)][5]]).fetchall()]
        assert got == roles, external_id
    channels = expect["channel"]
    for external_id, row in by_id.items():
        wanted = channels if isinstance(channels, str) else channels[external_id]
        assert row[1] == wanted, external_id
    for external_id, text in (expect.get("first_text") or {}).items():
        assert con.execute("SELECT text FROM messages WHERE contact_id = ? AND seq = 0",
                           [by_id[str(external_id)][5]]).fetchone()[0] == text
    for key, column in (("started_at", 2), ("ended_at", 3), ("subject", 4)):
        for external_id, value in (expect.get(key) or {}).items():
            assert str(by_id[str(external_id)][column]) == str(value), (key, external_id)
    for name, contacts in (expect.get("files") or {}).items():
        assert con.execute("SELECT n_contacts, status FROM sources WHERE path LIKE ?",
                           [f"%/{name}"]).fetchone() == (contacts, "ingested")


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_docs_show_each_example_mapping_verbatim(folder):
    assert (folder / "mapping.yaml").read_text("utf-8").strip() in DOC.read_text("utf-8")


BASE = {"id": "mijn_export", "document": "array", "conversation": {"id": "id"}, "messages": "m",
        "message": {"text": "t", "role": "r"}, "roles": {"k": "customer"}}


@pytest.mark.parametrize("change, key, valid", [
    ({"document": "lijst"}, "document", "wrapper, array, object, ndjson"),
    ({"channel": "fax"}, "channel", "email, chat, call"),
    ({"channel": {"field": "m", "values": {"Fax": "fax"}}}, "channel", "email, chat, call"),
    ({"timestamp_format": "dd-mm-jjjj"}, "timestamp_format", "%d-%m-%Y"),
    ({"timezone": "Amsterdam"}, "timezone", "Europe/Amsterdam"),
    ({"message": {"text": "t", "role": {"if": "a = b", "then": "customer", "else": "agent"}}},
     "message.role", "FIELD == FIELD"),
    ({"message": {"text": "t", "role": {"if": "a == b", "then": "klant", "else": "agent"}}},
     "message.role", "customer, agent, bot, system"),
    ({"first_message": {"role": "customer"}}, "first_message", "{text: FIELD"),
    ({"messages_file": {"file": "x.json"}}, "messages_file", "'key'"),
    ({"kanaal": "call"}, "kanaal", "valid keys:"),
    ({"document": "wrapper"}, "conversations", "document: array / object"),
])
def test_mapping_errors_name_the_file_the_key_and_what_is_valid(change, key, valid):
    with pytest.raises(ResourceError) as info:
        load_mapping(yaml.safe_dump({**BASE, **change}), "mijn_mapping.yaml")
    assert info.value.path == "mijn_mapping.yaml"
    assert info.value.where == f"mapping mijn_export, {key}"
    assert valid in info.value.message


def test_messages_file_missing_is_the_conversation_files_error(tmp_path, con, config):
    folder = EXAMPLES / "09_messages_file"
    (tmp_path / "tickets.json").write_bytes((folder / "tickets.json").read_bytes())
    config.ingest.chat_mapping_files = [str(folder / "mapping.yaml")]
    summary = ingest.run(con, [tmp_path], config.ingest)
    assert any("berichtenbestand 'reacties*.json' niet gevonden" in w for w in summary.warnings)


def test_messages_file_inside_a_zip(tmp_path, con, config):
    import zipfile

    folder = EXAMPLES / "09_messages_file"
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        for name in ("tickets.json", "reacties.json"):
            archive.write(folder / name, f"export/{name}")
    config.ingest.chat_mapping_files = [str(folder / "mapping.yaml")]
    ingest.run(con, [tmp_path / "export.zip"], config.ingest)
    assert con.execute("SELECT count(*) FROM messages").fetchone()[0] == 3


def test_a_linked_messages_file_is_not_followed(config, tmp_path):
    """A messages file that is a symbolic link is never read, as discover never reads links."""
    import shutil

    from pipeline.ingest.joined import _siblings
    from pipeline.ingest.records import Context

    outside = tmp_path / "buiten.json"
    outside.write_text("[]")
    export = tmp_path / "export"
    export.mkdir()
    (export / "reacties.json").symlink_to(outside)
    shutil.copy(outside, export / "reacties2.json")
    ctx = Context(path=str(export / "gesprekken.json"), name="gesprekken.json", source_id="x")
    assert [Path(p).name for p, _ in _siblings(ctx, "reacties*.json")] == ["reacties2.json"]
