"""Over a generated sample export: no raw e-mail address, phone number or IBAN from the source
survives in question_text or customer_text."""

from __future__ import annotations

import re

import pytest

from pipeline import ingest, nlp, sample

# Independent of pipeline/resources/nlp/pii.yaml on purpose: what a reviewer would grep for.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w])(?:\+31|0031|0)[\d ()\-.]{8,16}\d(?![\w])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")


def _phone_digits(raw: str) -> str | None:
    digits = re.sub(r"\D", "", raw.replace("(0)", ""))
    return digits if 10 <= len(digits) <= 12 else None


def _loose(digits: str) -> re.Pattern:
    """The digits with any separators between them: catches a reformatted number."""
    return re.compile(r"(?<!\d)" + r"[\s().\-/]*".join(digits) + r"(?!\d)")


@pytest.mark.slow
def test_no_raw_email_phone_or_iban_survives(con, config, tmp_path):
    sample.generate(tmp_path / "export", size=400, seed=11)
    ingest.run(con, [tmp_path / "export"], config.ingest)
    nlp.run(con, config.nlp)
    source = " \n ".join(t for (t,) in con.execute(
        "SELECT text FROM messages WHERE role = 'customer'").fetchall())
    emails = set(EMAIL.findall(source))
    phones = {d for d in (_phone_digits(p) for p in PHONE.findall(source)) if d}
    ibans = set(IBAN.findall(source))
    assert len(emails) > 20 and len(phones) > 20 and len(ibans) > 5, "the sample has PII to test"

    texts = con.execute("SELECT question_text, customer_text FROM contact_text").fetchall()
    output = " \n ".join(part or "" for row in texts for part in row)
    leaked_emails = sorted(e for e in emails if e.lower() in output.lower())
    leaked_ibans = sorted(i for i in ibans if i.replace(" ", "") in output.replace(" ", ""))
    leaked_phones = sorted(p for p in phones if _loose(p).search(output))
    assert (leaked_emails, leaked_phones, leaked_ibans) == ([], [], [])
