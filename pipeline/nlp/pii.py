"""Mask personal data with typed placeholders: ``[EMAIL]``, ``[TELEFOON]``, ``[IBAN]``, ...

Presidio-style pattern recognizers (``pipeline/resources/nlp/pii.yaml``): a regex, an optional
validator (IBAN mod-97, BSN 11-proef, phone digit count) and optional context words before the
match. Names come from :mod:`pipeline.nlp.names`. Overlapping matches: the longer span wins, then the higher priority (so a phone-like run inside a longer order number
stays part of the order number). Pure functions; no database.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

from pipeline.errors import ResourceError
from pipeline.nlp import names as name_finder
from pipeline.nlp import rules

PLACEHOLDER = re.compile(r"\[(EMAIL|URL|IBAN|TRACKINGCODE|ORDERNUMMER|BSN|TELEFOON|POSTCODE_HUISNR|"
                         r"ADRES|GEBOORTEDATUM|NAAM|KAARTNUMMER|KENTEKEN|NUMMER)\]")
_DATE = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.](?:\d{2}|\d{4})$")
_SEPARATORS = re.compile(r"[ \t.\-/()]")
_DIGIT = re.compile(r"\d")


def iban_valid(value: str) -> bool:
    """ISO 13616 mod-97 check; a Dutch-shaped IBAN (NLdd AAAA dddddddddd) counts even with a wrong
    check digit, because a mistyped account number is still personal data."""
    compact = re.sub(r"\s", "", value).upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    if re.fullmatch(r"NL\d{2}[A-Z]{4}\d{10}", compact):
        return True
    digits = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def bsn_valid(value: str) -> bool:
    """Dutch 11-proef for a 9-digit (or zero-padded 8-digit) burgerservicenummer."""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 8:
        digits = "0" + digits
    if len(digits) != 9 or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
    return total % 11 == 0


def phone_valid(value: str) -> bool:
    """Digit count by prefix: 0 + 9 digits nationally, +31/0031 + 9, other countries 8-15."""
    if _DATE.match(value.strip()):
        return False
    compact = re.sub(r"\(0\)", "", value)
    digits = re.sub(r"\D", "", compact)
    if compact.startswith("+") or digits.startswith("00"):
        digits = digits[2:] if digits.startswith("00") else digits
        if digits.startswith("31"):
            return len(digits) == 11
        return 8 <= len(digits) <= 15
    if digits.startswith("0800") or digits.startswith("0900"):
        return 8 <= len(digits) <= 11
    return len(digits) == 10 and digits.startswith("0") and digits[1] != "0"


def not_date(value: str) -> bool:
    return not _DATE.match(value.strip())


def plate_valid(value: str) -> bool:
    """A registration plate after 'kenteken': six letters and digits, both kinds present."""
    compact = re.sub(r"[\s-]", "", value)
    return (len(compact) == 6 and any(c.isdigit() for c in compact)
            and any(c.isalpha() for c in compact))


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "iban": iban_valid, "bsn": bsn_valid, "phone": phone_valid, "not_date": not_date,
    "plate": plate_valid}


@dataclass(frozen=True)
class Recognizer:
    id: str
    type: str
    priority: int
    regex: re.Pattern
    validator: Callable[[str], bool] | None
    context: re.Pattern | None
    context_window: int
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]
    requires: str | None = None           # 'digit', or a substring every match contains

    def applies(self, text: str, has_digit: bool) -> bool:
        """A cheap pre-check: most texts have no '@' and many no digit at all."""
        if self.requires is None:
            return True
        return has_digit if self.requires == "digit" else self.requires in text

    def find(self, text: str) -> Iterable[tuple[int, int]]:
        position = 0
        while position <= len(text):
            match = self.regex.search(text, position)
            if match is None:
                return
            start, end = match.span()
            span = None
            if self.context is None or self.context.search(
                    text, max(0, start - self.context_window), start):
                span = self._validated(text, start, end)
            if span:
                yield span
                position = max(span[1], start + 1)
            else:
                position = start + 1      # a rejected match must not hide one that starts inside it

    def _validated(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        if self.validator is None or self.validator(text[start:end]):
            return start, end
        # A greedy match may have run into the next number ("06-12345678 2 keer"): try it
        # shorter, ending at a separator.
        for cut in range(end - 1, start, -1):
            if _SEPARATORS.match(text[cut]) and self.validator(text[start:cut].rstrip(" .-/(")):
                return start, start + len(text[start:cut].rstrip(" .-/("))
        return None


@lru_cache(maxsize=1)
def recognizers() -> tuple[Recognizer, ...]:
    path = f"{rules.PACKAGE_DIR}/pii.yaml"
    found = []
    for rule in rules.compile_rules("pii.yaml", "recognizers", required=("type", "priority")):
        extra = rule.extra
        validator_name = extra.get("validator")
        if validator_name is not None and validator_name not in VALIDATORS:
            raise ResourceError(f"unknown validator '{validator_name}'", path=path,
                                where=f"recognizers/{rule.id}",
                                hint=f"valid validators: {', '.join(sorted(VALIDATORS))}")
        context = extra.get("context")
        if context is not None and (not isinstance(context, list) or not context):
            raise ResourceError("context must be a non-empty list of regexes", path=path,
                                where=f"recognizers/{rule.id}")
        try:
            context_re = (re.compile("|".join(f"(?:{c})" for c in context), re.IGNORECASE)
                          if context else None)
        except re.error as exc:
            raise ResourceError(f"context does not compile: {exc}", path=path,
                                where=f"recognizers/{rule.id}") from exc
        found.append(Recognizer(
            id=rule.id, type=str(extra["type"]), priority=int(extra["priority"]), regex=rule.regex,
            validator=VALIDATORS.get(validator_name) if validator_name else None,
            context=context_re, context_window=int(extra.get("context_window", 40)),
            examples=rule.examples, counter_examples=rule.counter_examples,
            requires=_requires(rule, path)))
    return tuple(found)


def _requires(rule: rules.Rule, path: str) -> str | None:
    requires = rule.extra.get("requires")
    if requires is None:
        return None
    if not isinstance(requires, str) or not requires:
        raise ResourceError("requires must be 'digit' or a substring", path=path,
                            where=f"recognizers/{rule.id}")
    for example in rule.examples:
        ok = _DIGIT.search(example) if requires == "digit" else requires in example
        if not ok:
            raise ResourceError(f"example {example!r} lacks what the rule requires ({requires!r})",
                                path=path, where=f"recognizers/{rule.id}")
    return requires


def find(text: str, person_names: Iterable[str] = ()) -> list[tuple[int, int, str]]:
    """Non-overlapping PII spans (start, end, type), in text order."""
    candidates = []
    has_digit = bool(_DIGIT.search(text))
    for rec in recognizers():
        if not rec.applies(text, has_digit):
            continue
        for start, end in rec.find(text):
            candidates.append((rec.priority, end - start, start, end, rec.type))
    for start, end in name_finder.find(text, person_names):
        candidates.append((40, end - start, start, end, "NAAM"))
    candidates.sort(key=lambda c: (-c[1], -c[0], c[2]))
    taken: list[tuple[int, int, str]] = []
    for _, _, start, end, kind in candidates:
        if any(start < t_end and t_start < end for t_start, t_end, _ in taken):
            continue
        taken.append((start, end, kind))
    taken.sort()
    return taken


def mask(text: str, person_names: Iterable[str] = (),
         counts: Counter | None = None) -> str:
    """``text`` with every PII span replaced by its placeholder; adds to ``counts`` per type."""
    if not text:
        return text
    spans = find(text, person_names)
    if not spans:
        return text
    out, last = [], 0
    for start, end, kind in spans:
        out.append(text[last:start])
        out.append(f"[{kind}]")
        last = end
        if counts is not None:
            counts[kind] += 1
    out.append(text[last:])
    return "".join(out)


_PATH_PARTS = re.compile(r"([/\\]|!/)")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_EXTENSION = re.compile(r"(\.[A-Za-z0-9]{1,5})+$")


def mask_path(path: str) -> str:
    """A file path (or a message that names one) with personal data in its names masked, for
    CLI output and reports: WhatsApp names an export after the phone number or the contact
    ('WhatsApp Chat met +31 6 12345678.txt'). Each folder and file name is masked on its own
    (a '/' before a number is no word boundary in text), with '_' read as a space and the
    extension kept. Control characters (a newline in a file name) become '?', as ``ls`` shows
    them, so one name is one line."""
    if not path:
        return path
    out = []
    for part in _PATH_PARTS.split(_CONTROL_CHARS.sub("?", str(path))):
        if not part or _PATH_PARTS.fullmatch(part):
            out.append(part)
            continue
        extension = _EXTENSION.search(part)
        cut = extension.start() if extension and extension.start() > 0 else len(part)
        stem, suffix = part[:cut], part[cut:]
        masked = mask(stem.replace("_", " "))
        if masked == stem.replace("_", " "):
            masked = mask(part.replace("_", " "))        # an address runs into the extension
            out.append(part if masked == part.replace("_", " ") else masked)
        else:
            out.append(masked + suffix)
    return "".join(out)
