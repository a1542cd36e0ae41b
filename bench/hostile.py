"""Benchmark: `klantvraag run` on 53 hostile files beside 20 good ones from data/sample.

    python bench/hostile.py                 # build in a temp folder, run, print, clean up
    python bench/hostile.py --keep DIR      # build into DIR and keep it (to look at it)

The hostile files: JSON, JSON lines and MIME nested thousands deep, a 1.1 MB e-mail, a zip
member that unpacks to 400 MB, links to /etc/passwd and /dev/zero, a FIFO (also named on the
command line), CSV cells with formulas, huge fields and missing/extra columns, broken MIME,
binary, empty and truncated files, impossible dates, a file named after a phone number, ...
It first ingests the 20 good files alone (the baseline), then runs the whole pipeline on the
mixed folder in a child process and prints: good files in (and no contact of theirs lost),
bad files recorded with their Dutch reasons, the exit code, whether a traceback appeared and
the peak memory of the run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
GOOD = [
    "chat/csv/chatlog_2026-08.csv", "chat/intercom/conversations_2026-08.json",
    "chat/json/gesprekken_2026-08.json", "chat/jsonl/chats_2026-08.jsonl",
    "chat/zendesk/tickets_2026-08.json",
]
GOOD_GLOBS = [("calls/json", "*.json", 3), ("calls/srt", "*.srt", 2), ("calls/txt", "*.txt", 3),
              ("calls/vtt", "*.vtt", 2), ("email/eml", "*.eml", 3), ("chat/whatsapp", "**/*.txt", 2)]
PHONE_NAME = "WhatsApp Chat met +31 6 12345678.txt"
CSV_HEAD = "conversation_id,timestamp,sender_type,sender_name,customer_id,message\n"


def good_files() -> list[Path]:
    files = [SAMPLE / p for p in GOOD]
    for folder, pattern, n in GOOD_GLOBS:
        files += sorted((SAMPLE / folder).glob(pattern))[:n]
    assert len(files) == 20, len(files)
    return files


def _nested_mime(depth: int) -> bytes:
    head = (b"From: klant@example.nl\nTo: service@voorbeeldwinkel.nl\nSubject: diep\n"
            b"Date: Mon, 3 Aug 2026 10:00:00 +0200\nMessage-ID: <deep@example.nl>\nMIME-Version: 1.0\n")
    parts = [head]
    for level in range(depth):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{level}"\n\n--b{level}\n'.encode())
    parts.append(b"Content-Type: text/plain\n\nhallo\n")
    for level in reversed(range(depth)):
        parts.append(f"--b{level}--\n".encode())
    return b"".join(parts)


def _mail(body: str, subject: str = "vraag") -> bytes:
    return (f"From: klant@example.nl\nTo: service@voorbeeldwinkel.nl\nSubject: {subject}\n"
            f"Date: Mon, 3 Aug 2026 10:00:00 +0200\nMessage-ID: <{subject}@example.nl>\n"
            f"Content-Type: text/plain; charset=utf-8\n\n{body}\n").encode()


def _zip(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _bomb(size: int) -> bytes:
    """A zip whose one member unpacks to ``size`` bytes of log lines, written in pieces."""
    buffer = io.BytesIO()
    line = b"2026-08-03 10:00:00 INFO request served in 12 ms\n" * 20000
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("export/log.txt", "w", force_zip64=True) as member:
            written = 0
            while written < size:
                member.write(line)
                written += len(line)
    return buffer.getvalue()


def hostile_files() -> dict[str, bytes | str]:
    """name -> content; a str starting with 'link:' / 'fifo:' makes a link or a FIFO."""
    good_chat = (SAMPLE / "chat/jsonl/chats_2026-08.jsonl").read_bytes().splitlines()[0]
    good_mail = (sorted((SAMPLE / "email/eml").glob("*.eml"))[0]).read_bytes()
    deep = 100_000
    files: dict[str, bytes | str] = {
        "deep_list.json": b"[" * deep + b"]" * deep,
        "deep_object.json": b'{"a":' * deep + b"1" + b"}" * deep,
        "deep_line.jsonl": good_chat + b"\n" + b"[" * deep + b"]" * deep + b"\n",
        "deep_mime.eml": _nested_mime(3000),
        "top_level_list.json": b"[1, 2, 3]",
        "top_level_strings.json": b'["hallo", "wereld"]',
        "top_level_number.json": b"42",
        "big_log_mail.eml": _mail("Hier is de log:\n" + "ERROR timeout bij koppeling\n" * 42000,
                                  "log"),
        "bomb.zip": _bomb(400 * 1024 * 1024),
        "passwd.txt": "link:/etc/passwd",
        "zero.txt": "link:/dev/zero",
        "dangling.eml": "link:/nonexistent/file.eml",
        "loop": "link:.",
        "pipe.txt": "fifo:",
        "formulas.csv": (CSV_HEAD +
                         "f-1,2026-08-03T10:00:00+02:00,customer,Jan,K1,=HYPERLINK(\"http://evil\",\"klik\")\n"
                         "f-1,2026-08-03T10:01:00+02:00,customer,Jan,K1,+cmd|' /C calc'!A0\n"
                         "f-1,2026-08-03T10:02:00+02:00,customer,Jan,K1,@SUM(1+1) waar is mijn pakket\n"
                         ).encode(),
        "huge_field.csv": (CSV_HEAD + "h-1,2026-08-03T10:00:00+02:00,customer,Jan,K1,"
                           f"\"{'x' * 200_000}\"\n").encode(),
        "ragged.csv": (CSV_HEAD + "r-1,2026-08-03T10:00:00+02:00\n"
                       "r-1,2026-08-03T10:01:00+02:00,customer,Jan,K1,hallo,extra,velden\n").encode(),
        "broken_mime.eml": (b"From: a@example.nl\nSubject: kapot\nMIME-Version: 1.0\n"
                            b'Content-Type: multipart/mixed; boundary="zzz"\n\n--zzz\n'
                            b"Content-Type: text/plain\n\nhalf"),
        "bad_base64.eml": (b"From: a@example.nl\nSubject: b64\nDate: Mon, 3 Aug 2026 10:00:00 +0200\n"
                           b"Content-Transfer-Encoding: base64\nContent-Type: text/plain\n\n!!!@@@###\n"),
        "unknown_charset.eml": (b"From: a@example.nl\nSubject: cs\nDate: Mon, 3 Aug 2026 10:00:00 +0200\n"
                                b"Content-Type: text/plain; charset=x-klingon\n\nqapla\n"),
        "long_header.eml": b"From: a@example.nl\nSubject: " + b"s" * 1_000_000 + b"\n\nhallo\n",
        "binary.eml": os.urandom(4096),
        "binary.json": os.urandom(4096),
        "binary.txt": bytes(range(256)) * 16,
        "binary.zip.txt": _zip({"a.txt": b"hallo"}),
        "empty.eml": b"", "empty.json": b"", "empty.csv": b"", "empty.vtt": b"",
        "whitespace.txt": b"\n\n   \t\n",
        "truncated.json": (SAMPLE / "chat/json/gesprekken_2026-08.json").read_bytes()[:5000],
        "truncated.zip": _zip({"a.eml": good_mail})[:200],
        "truncated.mbox": b"From x@example.nl Mon Aug  3 10:00:00 2026\nFrom: x@example.nl\n",
        "not_a_zip.zip": b"dit is geen zip",
        "latin1.jsonl": '{"id": "é", "text": "café"}\n'.encode("latin-1"),
        "utf16.json": '[{"id": 1}]'.encode("utf-16-le"),
        "nan.json": b'{"conversations": [{"id": NaN, "messages": Infinity}]}',
        "huge_int.json": b'{"id": ' + b"9" * 1_000_000 + b"}",
        "huge_float.json": b'{"id": 1e999999}',
        "impossible_dates.json": json.dumps({"conversations": [{
            "id": "d-1", "created_at": "2026-02-30T25:61:00",
            "messages": [{"author": "klant", "timestamp": 1e20, "text": "hallo"},
                         {"author": "klant", "timestamp": "0000-00-00", "text": "nog"}]}]}).encode(),
        "bad_times.vtt": b"WEBVTT\n\n99:99:99.999 --> 00:00:00.000\n<v Klant>hallo\n",
        "negative.srt": b"1\n00:00:05,000 --> -00:00:01,000\nKlant: hallo\n",
        "stt_nan.json": b'{"segments": [{"start": NaN, "end": -1, "speaker": 0, "text": "hallo"}]}',
        "whatsapp_bad_dates.txt": "[31-02-2026 25:99:00] Klant: hallo\n[00-00-0000 00:00] x: y\n"
                                  .encode(),
        "one_line_5mb.txt": b"Agent: " + b"bla " * 1_300_000 + b"\n",
        "page.html.eml": b"<html><body>geen mail</body></html>",
        "word.docx": _zip({"word/document.xml": b"<w/>"}),
        "scan.pdf": b"%PDF-1.4\n" + os.urandom(512),
        "outlook.msg": b"\xd0\xcf\x11\xe0" + os.urandom(512),
        "nested_traversal.zip": _zip({"../../evil.eml": good_mail, "/etc/abs.eml": good_mail}),
        "crc.zip": _crc_broken(good_mail),
        PHONE_NAME: b"",
        "naam\nmet\tregeleinde.txt": b"\x00\x01",
    }
    return files


def _crc_broken(content: bytes) -> bytes:
    data = bytearray(_zip({"mail.eml": content}, zipfile.ZIP_STORED))
    start = data.find(content[:20])
    data[start + 5] ^= 0xFF               # the member's bytes no longer match its CRC
    return bytes(data)


def build(folder: Path) -> tuple[list[Path], dict[str, str]]:
    """Write the export; returns the good files' copies and name -> kind of each hostile one."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for number, source in enumerate(good_files()):
        target = folder / "goed" / f"{number:02d}_{source.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        copies.append(target)
    kinds = {}
    bad = folder / "slecht"
    bad.mkdir(exist_ok=True)
    for name, content in hostile_files().items():
        path = bad / name
        if isinstance(content, str) and content.startswith("link:"):
            os.symlink(content[5:], path)
            kinds[name] = "link"
        elif content == "fifo:":
            os.mkfifo(path)
            kinds[name] = "fifo"
        else:
            path.write_bytes(content)
            kinds[name] = f"{len(content):,} B".replace(",", ".")
    return copies, kinds


def _ingest_only(files: list[Path], db: Path) -> set[str]:
    subprocess.run([sys.executable, "-m", "pipeline.cli", "ingest", *map(str, files), "--db", str(db)],
                   cwd=ROOT, check=True, capture_output=True, env=_env())
    return _contacts(db)


def _contacts(db: Path) -> set[str]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT contact_id FROM contacts").fetchall()}
    finally:
        con.close()


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, help="build into this folder and keep it")
    parser.add_argument("--timeout", type=int, default=600, help="seconds before the run counts as hung")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="klantvraag-hostile-"))
    try:
        copies, kinds = build(work / "export")
        print(f"export: {len(copies)} goede en {len(kinds)} vijandige bestanden in {work / 'export'}")
        baseline = _ingest_only(copies, work / "baseline.duckdb")
        db = work / "hostile.duckdb"
        command = [sys.executable, "-m", "pipeline.cli", "run", str(work / "export"),
                   str(work / "export" / "slecht" / "pipe.txt"), "--db", str(db)]
        started = time.perf_counter()
        try:
            done = subprocess.run(command, cwd=work, capture_output=True, text=True,
                                  timeout=args.timeout, env=_env())
            code, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as exc:
            code, output = "hung (timeout)", (exc.stdout or b"").decode() + (exc.stderr or b"").decode()
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        report(db, work, baseline, kinds, code, output, seconds, peak)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def report(db: Path, work: Path, baseline: set[str], kinds: dict[str, str], code, output: str,
           seconds: float, peak_mib: float) -> None:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT path, status, coalesce(error, '') FROM sources ORDER BY path").fetchall()
    runs = con.execute("SELECT command, status FROM runs ORDER BY started_at").fetchall()
    longest = con.execute("SELECT coalesce(max(length(text)), 0) FROM messages").fetchone()[0]
    con.close()
    contacts = _contacts(db)
    good = [r for r in rows if "/goed/" in r[0]]
    bad = [r for r in rows if "/slecht/" in r[0]]
    print(f"goede bestanden ingelezen: {sum(r[1] == 'ingested' for r in good)} van {len(good)}; "
          f"contacten van de goede bestanden alleen: {len(baseline)}, daarvan in de vijandige run: "
          f"{len(baseline & contacts)} (verloren: {len(baseline - contacts)})")
    print(f"vijandige bronnen in sources: {len(bad)} ({sum(r[1] == 'error' for r in bad)} als fout, "
          f"{sum(r[1] == 'ingested' for r in bad)} ingelezen)")
    for path, status, error in bad:
        name = path.split("/slecht/", 1)[1]
        print(f"  {status:8} {name!r:45.45} {error[:150]}")
    recorded = {p.split("/slecht/", 1)[1].split("!/", 1)[0] for p, _, _ in bad}
    missing = sorted(set(kinds) - recorded)
    print(f"vijandige bestanden zonder eigen rij in sources: {missing or 'geen'} (dezelfde inhoud "
          "als een eerder bestand, bijvoorbeeld leeg: als dubbel geteld)")
    print(f"langste bericht: {longest:,} tekens".replace(",", "."))
    print(f"runs: {runs}")
    print(f"exitcode: {code}; traceback in uitvoer: {'Traceback' in output}; "
          f"/etc/passwd-inhoud in uitvoer: {'root:x:0:0' in output}; "
          f"telefoonnummer in uitvoer: {'12345678' in output}")
    reports = sorted(p.relative_to(work) for p in work.rglob("klantvraag-rapport.html"))
    print(f"rapport: {[str(p) for p in reports]}")
    if reports:
        html = (work / reports[0]).read_text("utf-8")
        # The inlined Plotly bundle itself contains "12345678" (library code, not our output).
        from pipeline.report.charts import plotly_js

        html = html.replace(str(plotly_js()), "")
        print(f"telefoonnummer in rapport: {'12345678' in html}; /etc/passwd-inhoud in rapport: "
              f"{'root:x:0:0' in html}")
    print(f"tijd: {seconds:.0f} s; piekgeheugen (grootste kindproces): {peak_mib:,.0f} MiB"
          .replace(",", "."))
    tail = [line for line in output.splitlines() if line.strip()][-8:]
    print("laatste regels van de uitvoer:\n  " + "\n  ".join(tail))


if __name__ == "__main__":
    main()
