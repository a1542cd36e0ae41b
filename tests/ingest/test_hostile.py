"""One hostile file is that file's recorded error; the good files beside it go in."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from pipeline import ingest
from pipeline.ingest.limits import Limits, json_depth, mime_depth
from pipeline.ingest.parallel import parse_job

GOOD_CHAT = {"conversations": [{"id": "g-1", "messages": [
    {"author": "klant", "role": "customer", "timestamp": "2026-08-03T10:00:00",
     "text": "Waar blijft mijn pakket?"}]}]}


def _mail(body: str = "Waar blijft mijn bestelling?", boundary_depth: int = 0,
          key: str = "q") -> bytes:
    head = ("From: klant@example.nl\nTo: service@voorbeeldwinkel.nl\nSubject: vraag\n"
            f"Date: Mon, 3 Aug 2026 10:00:00 +0200\nMessage-ID: <{key}@example.nl>\n")
    parts = [head]
    for level in range(boundary_depth):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{level}"\n\n--b{level}\n')
    parts.append(f"Content-Type: text/plain\n\n{body}\n")
    parts += [f"--b{level}--\n" for level in reversed(range(boundary_depth))]
    return "".join(parts).encode()


@pytest.fixture
def folder(tmp_path, data_dir) -> Path:
    """An export with two good files (a mail and a chat) to put hostile ones beside."""
    export = tmp_path / "export"
    export.mkdir()
    (export / "good.eml").write_bytes(_mail())
    (export / "good.json").write_bytes((data_dir / "chat" / "generic.json").read_bytes())
    return export


def _sources(con) -> dict[str, tuple[str, str]]:
    return {Path(p.split("!/")[0]).name + ("!/" + p.split("!/", 1)[1] if "!/" in p else ""): (s, e)
            for p, s, e in con.execute("SELECT path, status, coalesce(error, '') FROM sources").fetchall()}


def _good_went_in(con) -> None:
    rows = _sources(con)
    assert rows["good.eml"][0] == "ingested" and rows["good.json"][0] == "ingested"


@pytest.mark.parametrize("name, content, words", [
    ("deep.json", b"[" * 50_000 + b"]" * 50_000, "dieper genest dan 64"),
    ("deep_object.json", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "dieper genest dan 64"),
    ("deep.jsonl", b'{"id": 1}\n' + b"[" * 50_000 + b"]" * 50_000 + b"\n", "dieper genest dan 64"),
    ("deep.eml", _mail(boundary_depth=3000), "geneste MIME-delen"),
    ("top_level_list.json", b"[1, 2, 3]", "een lijst van int"),
    ("huge_number.json", b'{"id": ' + b"9" * 10_000 + b"}", "ongeldige JSON-waarde"),
])
def test_a_hostile_file_is_recorded_and_the_others_go_in(con, config, folder, name, content, words):
    (folder / name).write_bytes(content)
    ingest.run(con, [folder], config.ingest)
    _good_went_in(con)
    status, error = _sources(con)[name]
    assert status == "error" and words in error


def test_any_exception_in_a_parser_is_that_files_error(monkeypatch):
    from pipeline.ingest import parallel

    def explode(data, ctx):
        raise RecursionError("maximum recursion depth exceeded")
    monkeypatch.setattr(parallel, "parse_file", explode)
    outcome = parse_job(("a.json", "a.json", "s", b"{}", None), {})
    assert outcome[0] == "error" and "te diep genest" in outcome[1]
    monkeypatch.setattr(parallel, "parse_file", lambda d, c: {}["missing"])
    outcome = parse_job(("a.json", "a.json", "s", b"{}", None), {})
    assert outcome[0] == "error" and "KeyError" in outcome[1] and outcome[3]


def test_a_file_that_takes_too_long_is_stopped(monkeypatch):
    from pipeline.ingest import parallel

    def forever(data, ctx):
        while True:
            pass
    monkeypatch.setattr(parallel, "parse_file", forever)
    limits = Limits(max_seconds_per_file=1)
    outcome = parse_job(("slow.txt", "slow.txt", "s", b"x", None), {"limits": limits})
    assert outcome[0] == "error" and "langer dan 1 seconden" in outcome[1]


def test_depth_is_measured_without_parsing():
    assert json_depth(b'{"a": [1, {"b": "[[[[["}]}') == 3
    assert json_depth(b'["\\"[[[", [[]]]') == 3
    assert json_depth(b"[" * 10, stop_above=64) <= 64          # too few brackets to scan
    assert json_depth(b"[" * 1000, stop_above=64) == 65       # stops as soon as it is over
    assert mime_depth(_mail(boundary_depth=3)) == 3
    assert mime_depth(_mail()) == 0


def test_a_long_message_is_cut_and_flagged(con, config, folder):
    config.ingest.max_message_chars = 1000
    (folder / "log.eml").write_bytes(_mail("ERROR timeout\n" * 500, key="log"))
    ingest.run(con, [folder], config.ingest)
    text, meta = con.execute("SELECT text, meta FROM messages WHERE length(text) >= 1000").fetchone()
    assert len(text) == 1000
    assert json.loads(meta)["truncated"] == {"original_chars": 6999, "kept_chars": 1000}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_and_archive_total_are_refused(con, config, folder):
    config.ingest.max_archive_mb = 3
    log = b"2026-08-03 INFO ok\n" * 200_000                     # 3.8 MB, packs ~500 times
    (folder / "bomb.zip").write_bytes(_zip({"log.txt": log, "ok.eml": _mail("Is mijn retour binnen?", key="ok")}))
    varied = os.urandom(1_500_000).hex().encode()[:2_000_000]  # packs only ~2 times
    (folder / "big.zip").write_bytes(_zip({"a.txt": varied, "b.txt": varied[::-1]}))
    ingest.run(con, [folder], config.ingest)
    rows = _sources(con)
    assert "zip-bom" in rows["bomb.zip!/log.txt"][1]
    assert rows["bomb.zip!/ok.eml"][0] == "ingested"
    assert rows["big.zip!/a.txt"][0] != "error" or "max_archive_mb" not in rows["big.zip!/a.txt"][1]
    assert "max_archive_mb" in rows["big.zip!/b.txt"][1]
    _good_went_in(con)


def test_links_and_fifos_are_refused_unopened(con, config, folder, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("Agent: geheim\nKlant: niet voor de export\n")
    os.symlink(secret, folder / "link.txt")
    os.mkfifo(folder / "pipe.txt")
    os.mkfifo(tmp_path / "named.txt")
    ingest.run(con, [folder, tmp_path / "named.txt"], config.ingest)   # must not hang
    rows = _sources(con)
    assert "symbolische link" in rows["link.txt"][1]
    assert "pipe" in rows["pipe.txt"][1] and "pipe" in rows["named.txt"][1]
    texts = " ".join(t for (t,) in con.execute("SELECT text FROM messages").fetchall())
    assert "geheim" not in texts
    _good_went_in(con)


def test_links_are_followed_on_request_but_never_to_a_device(con, config, folder, tmp_path):
    secret = tmp_path / "call.txt"
    secret.write_text("Agent: Goedemiddag, waarmee kan ik helpen?\nKlant: Mijn pakket is zoek.\n")
    os.symlink(secret, folder / "link.txt")
    os.symlink("/dev/null", folder / "null.txt")
    config.ingest.follow_symlinks = True
    ingest.run(con, [folder], config.ingest)
    rows = _sources(con)
    assert rows["call.txt"][0] == "ingested"           # shown under the file it points to
    assert "apparaat" in rows["null.txt"][1]


def test_names_with_personal_data_are_masked_in_the_summary(con, config, folder):
    (folder / "WhatsApp Chat met +31 6 12345678.txt").write_bytes(b"\x00\x01\x02")
    summary = ingest.run(con, [folder], config.ingest)
    shown = " ".join(summary.warnings)
    assert "[TELEFOON]" in shown and "12345678" not in shown


def test_a_giant_subject_is_cut_too(con, config, folder):
    config.ingest.max_message_chars = 500
    mail = _mail(key="subject").replace(b"Subject: vraag", b"Subject: " + b"s" * 100_000)
    (folder / "subject.eml").write_bytes(mail)
    ingest.run(con, [folder], config.ingest)
    longest = con.execute("SELECT max(length(subject)) FROM contacts").fetchone()[0]
    meta = con.execute("SELECT max(length(json_extract_string(meta, '$.subject'))) FROM messages").fetchone()[0]
    assert longest == 500 and meta == 500


def test_a_link_loop_is_walked_once_when_links_are_followed(con, config, folder):
    os.symlink(".", folder / "loop")
    config.ingest.follow_symlinks = True
    summary = ingest.run(con, [folder], config.ingest)
    assert summary.rows[-1][1] == 2                        # the two good files, seen once each
    _good_went_in(con)


def test_a_csv_cell_with_a_pasted_log_is_read_and_cut(con, config, folder, data_dir):
    header = (data_dir / "chat" / "generic.csv").read_text().splitlines()[0]
    cell = "ERROR koppeling time-out " * 10_000                      # 250,000 characters
    (folder / "log.csv").write_text(f'{header}\nc-9,2026-09-05T14:00:00,customer,Lotte,K1,"{cell}"\n')
    ingest.run(con, [folder], config.ingest)
    assert _sources(con)["log.csv"][0] == "ingested"
    longest = con.execute("SELECT max(length(text)) FROM messages").fetchone()[0]
    assert longest == config.ingest.max_message_chars
