"""The analyst's label sheet: an .xlsx written by `klantvraag label`, filled in Excel, read back
by `klantvraag label --read`.

Sheet 'Labelen': one contact per row with what the tagger saw and decided (question, agent text,
reason, proposal, confidence, evidence) and three columns for the analyst: categorie, derde partij
and partij, the first two with a drop-down list of the allowed values (Excel data validation).
Sheet 'Uitleg': the definitions. Reading accepts the codes and the Dutch words of
party_types.yaml ('vervoerder' -> carrier), 'geen' for no third party; an empty cell means "not
judged". A row with a value that is not allowed is reported by row number and skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.errors import InputFileError
from pipeline.tagging.analyst import THIRD_PARTY_VALUES, Label
from pipeline.tagging.party_types import canonical_type
from pipeline.tagging.rules import CATEGORIES

SHEET = "Labelen"
COLUMNS = ("contact_id", "kanaal", "reden", "vraag van de klant", "tekst medewerker",
           "voorstel categorie", "zekerheid categorie", "voorstel derde partij", "voorstel partij",
           "zekerheid derde partij", "bewijs", "categorie", "derde partij", "partij")
ANSWER = {"categorie": COLUMNS.index("categorie"), "derde partij": COLUMNS.index("derde partij"),
          "partij": COLUMNS.index("partij")}
NO_PARTY = ("none", "geen", "geen derde partij", "-")
TEXT_LIMIT = 1500

DEFINITIONS = [
    ("voorkomen", "Contact dat niet nodig had moeten zijn: een belofte, levering, afspraak, "
                  "rekening of brief ging mis of was onduidelijk. Het verdwijnt als het proces "
                  "of de communicatie wordt verbeterd."),
    ("verschuiven", "Een terechte vraag die een goedkoper of beter kanaal beantwoordt (status op "
                    "de website, een formulier, de app)."),
    ("automatiseren", "Onvermijdelijk, eenvoudig en herhalend (adreswijziging, meterstand, kopie "
                      "factuur). Automatiseer alleen wat niet te voorkomen is."),
    ("waardevol", "Contact met waarde voor klant of organisatie (advies, verkoop, behoud, een "
                  "ingewikkeld probleem dat een mens nodig heeft)."),
    ("derde partij", "De partij wiens stap misging: carrier (vervoerder), installer (monteur, "
                     "installateur), store (winkel, franchisenemer), supplier (leverancier, "
                     "netbeheerder), payment (betaalprovider, incassobureau), backoffice (een "
                     "interne afdeling buiten het contactcenter), of none (geen)."),
    ("invullen", "Vul per rij 'categorie' en 'derde partij' in (keuzelijst); 'partij' is de naam "
                 "(bv. PostNL), mag leeg. Een lege cel betekent: niet beoordeeld. Lees het bestand "
                 "daarna in met: klantvraag label --read BESTAND.xlsx"),
]


def write_sheet(path: str | Path, rows: list[dict]) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([
            row["contact_id"], row.get("channel") or "", row.get("reason") or "",
            _clip(row.get("question_text")), _clip(row.get("agent_text")),
            row.get("avoidable_category") or "", _round(row.get("confidence")),
            row.get("third_party_type") or "none", row.get("party") or "",
            _round(row.get("third_party_confidence")), _evidence(row.get("evidence")),
            None, None, None])
    last = max(2, len(rows) + 1)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for name, index in ANSWER.items():
        letter = _letter(index)
        for r in range(2, last + 1):
            sheet[f"{letter}{r}"].fill = fill
        if name == "partij":
            continue
        values = CATEGORIES if name == "categorie" else THIRD_PARTY_VALUES
        check = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                               allow_blank=True, showErrorMessage=True,
                               errorTitle="Niet toegestaan", error="Kies een waarde uit de lijst.")
        check.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(check)
    for index, width in enumerate((14, 8, 24, 60, 40, 14, 10, 14, 16, 10, 40, 16, 16, 18)):
        sheet.column_dimensions[_letter(index)].width = width
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B2"
    help_sheet = book.create_sheet("Uitleg")
    help_sheet.append(["begrip", "betekenis"])
    for term, text in DEFINITIONS:
        help_sheet.append([term, text])
    help_sheet.column_dimensions["A"].width = 16
    help_sheet.column_dimensions["B"].width = 110
    book.save(path)
    return path


def read_sheet(path: str | Path) -> tuple[list[Label], list[str]]:
    """The filled-in rows as labels, and one problem line per row that was skipped."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    if not path.is_file():
        raise InputFileError("label sheet not found", path=str(path),
                             hint="give the .xlsx that `klantvraag label` wrote")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputFileError(f"not a readable .xlsx file: {exc}", path=str(path),
                             hint="save it from Excel as .xlsx (Excel-werkmap)") from exc
    if SHEET not in book.sheetnames:
        raise InputFileError(f"no sheet '{SHEET}'", path=str(path),
                             hint="use the file that `klantvraag label` wrote")
    rows = book[SHEET].iter_rows(values_only=True)
    header = [str(v).strip() if v is not None else "" for v in next(rows, ())]
    missing = [c for c in ("contact_id", *ANSWER) if c not in header]
    if missing:
        raise InputFileError(f"columns {missing} are missing in sheet '{SHEET}'", path=str(path),
                             hint="do not rename or delete the columns")
    at = {name: header.index(name) for name in ("contact_id", *ANSWER)}
    labels, problems = [], []
    for number, values in enumerate(rows, start=2):
        get = (lambda name: _cell(values, at[name]))
        contact_id = get("contact_id")
        category, written_type, party = get("categorie"), get("derde partij"), get("partij")
        if not contact_id or not (category or written_type):
            continue
        category = category.lower() if category else None
        if category and category not in CATEGORIES:
            problems.append(f"rij {number} ({contact_id}): categorie '{category}' is niet "
                            f"toegestaan (kies uit {', '.join(CATEGORIES)}); rij overgeslagen")
            continue
        kind = None
        if written_type:
            kind = "none" if written_type.lower() in NO_PARTY else canonical_type(written_type)
            if kind is None:
                problems.append(f"rij {number} ({contact_id}): derde partij '{written_type}' is "
                                f"niet toegestaan (kies uit {', '.join(THIRD_PARTY_VALUES)}); "
                                "rij overgeslagen")
                continue
        labels.append(Label(contact_id, category, kind, party if kind != "none" else None))
    book.close()
    return labels, problems


def _cell(values: tuple, index: int) -> str | None:
    if index >= len(values) or values[index] is None:
        return None
    text = str(values[index]).strip()
    return text or None


def _clip(text) -> str:
    text = (text or "").strip()
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + " …"


def _round(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _evidence(raw) -> str:
    """The deciding evidence as short lines: 'vk.still_not: nog steeds'."""
    try:
        items = json.loads(raw) if isinstance(raw, str) else (raw or [])
    except ValueError:
        return ""
    lines = [f"{i.get('rule')}: {i.get('span') or i.get('note') or ''}".strip()
             for i in items[:5] if isinstance(i, dict)]
    return "\n".join(lines)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(index + 1)
