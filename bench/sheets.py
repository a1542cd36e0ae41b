"""Benchmark: the CRM spreadsheet and CSV readers on a 10k-row sheet.

    python bench/sheets.py                 # 10,000 rows
    python bench/sheets.py --rows 50000

The rows carry real customer questions we did not write (BANKING77 train.csv from
../shared/eval, cycled; its category is the subject), a day-first Dutch date, a channel and an
answer. The sheet is written once per shape into a temporary folder: .xlsx (openpyxl), a Dutch
Excel CSV (';', Windows-1252) and Excel's "Unicode-tekst" (UTF-16, tab). Each is parsed with
pipeline.ingest.detect.parse_file (best of 3, wall clock) and ingested once into a fresh DuckDB
file with pipeline.ingest.run. Prints rows/s per shape.
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent.parent / "shared" / "eval" / "banking77_en" / "train.csv"
HEADER = ["Ticketnummer", "Onderwerp", "Omschrijving", "Datum", "Kanaal", "Klantnummer",
          "Antwoord", "Medewerker"]
CHANNELS = ["Telefoon", "E-mail", "Chat", "WhatsApp", "Webformulier"]


def rows(count: int, source: Path) -> list[list]:
    with source.open(encoding="utf-8") as handle:
        questions = [(r["text"], r["category"]) for r in csv.DictReader(handle)]
    start = datetime(2026, 9, 1, 8, 0)
    return [[f"T-{i + 1}", questions[i % len(questions)][1].replace("_", " "),
             questions[i % len(questions)][0], start + timedelta(minutes=7 * i),
             CHANNELS[i % len(CHANNELS)], f"K{i % 3000}", "Dank voor uw vraag, we lossen het op.",
             "Sanne"] for i in range(count)]


def write(folder: Path, table: list[list]) -> dict[str, Path]:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Contacten")
    sheet.append(HEADER)
    for row in table:
        sheet.append(row)
    xlsx = folder / "export.xlsx"
    book.save(xlsx)
    text = [HEADER] + [[v.strftime("%d-%m-%Y %H:%M") if isinstance(v, datetime) else v for v in r]
                       for r in table]
    out = {"xlsx": xlsx}
    for name, delimiter, encoding in (("csv_cp1252", ";", "cp1252"), ("txt_utf16", "\t", "utf-16")):
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(text)
        path = folder / f"export_{name}.{'txt' if name.startswith('txt') else 'csv'}"
        path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
        out[name] = path
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--source", type=Path, default=EVAL)
    args = parser.parse_args()

    from pipeline import ingest, store
    from pipeline.config import load_config
    from pipeline.ingest.detect import parse_file
    from pipeline.ingest.mapping import load_mappings
    from pipeline.ingest.records import Context

    mappings = tuple(load_mappings())
    with tempfile.TemporaryDirectory() as tmp:
        files = write(Path(tmp), rows(args.rows, args.source))
        print(f"{'shape':<12} {'MiB':>6} {'parse s':>8} {'rows/s':>9} {'ingest s':>9} {'contacts/s':>11}")
        for shape, path in files.items():
            data = path.read_bytes()
            ctx = Context(path=str(path), name=path.name, source_id="bench", mappings=mappings)
            best = float("inf")
            for _ in range(3):
                began = time.perf_counter()
                parsed = parse_file(data, ctx)
                best = min(best, time.perf_counter() - began)
            assert len(parsed.contacts) == args.rows, (shape, len(parsed.contacts))
            con = store.connect(Path(tmp) / f"{shape}.duckdb")
            began = time.perf_counter()
            ingest.run(con, [path], load_config(None).ingest, workers=1)
            seconds = time.perf_counter() - began
            con.close()
            print(f"{shape:<12} {len(data) / 2**20:>6.1f} {best:>8.2f} {args.rows / best:>9,.0f} "
                  f"{seconds:>9.2f} {args.rows / seconds:>11,.0f}")


if __name__ == "__main__":
    main()
