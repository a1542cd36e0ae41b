"""Strip what is not the customer's own words: quoted history, disclaimers, "sent from my phone"
lines, closings and signatures (e-mail), greetings, name introductions and ASR filler (turns).

The patterns live in ``pipeline/resources/nlp/clean.yaml``; this module only decides where they
apply. Pure functions on strings, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.nlp import rules

# A closing only ends the message when at most this much text follows it (the signature).
MAX_TAIL_AFTER_CLOSING = 400
MAX_SIGNATURE_LINES = 6

_NBSP = re.compile(r"[\u00a0\u2007\u202f\t]+")
_SPACES = re.compile(r"[ ]{2,}")
_BLANK_LINES = re.compile(r"\n{3,}")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])[ ]+(?=[A-Z])")
_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")
# The same word (or number group) said twice or more in a row.
_REPEAT = re.compile(r"(?<![\w-])([\w-]+)(?:[ ]+\1)+(?![\w-])", re.IGNORECASE)
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-Ý][\w'À-ÿ.-]*|van|de|der|den|het|ter|ten|te|el|al|\[NAAM\])$")


@dataclass(frozen=True)
class CleanRules:
    reply_headers: tuple[rules.Rule, ...]
    quote_lines: tuple[rules.Rule, ...]
    disclaimers: tuple[rules.Rule, ...]
    device_signatures: tuple[rules.Rule, ...]
    closings: tuple[rules.Rule, ...]
    signature_lines: tuple[rules.Rule, ...]
    greetings: tuple[rules.Rule, ...]
    fillers: tuple[rules.Rule, ...]


@lru_cache(maxsize=1)
def load_rules() -> CleanRules:
    flags = re.IGNORECASE | re.MULTILINE
    sections = {name: tuple(rules.compile_rules("clean.yaml", name, default_flags=flags))
                for name in CleanRules.__dataclass_fields__}
    return CleanRules(**sections)


def normalise(text: str) -> str:
    """Unify line ends and odd spaces; strip trailing blanks per line."""
    text = _NBSP.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def strip_quoted(text: str, found: list[str] | None = None) -> str:
    """Cut quoted history at the first reply header; drop '>' lines anywhere."""
    r = load_rules()
    cut = len(text)
    for rule in r.reply_headers:
        match = rule.regex.search(text)
        if match and match.start() < cut:
            cut = match.start()
            _note(found, rule.id)
    text = text[:cut]
    for rule in r.quote_lines:
        text, n = rule.regex.subn("", text)
        if n:
            _note(found, rule.id)
    return text.strip()


def strip_disclaimers(text: str, found: list[str] | None = None) -> str:
    """Remove each line holding a disclaimer cue and the rest of its paragraph."""
    lines = text.split("\n")
    keep = [True] * len(lines)
    for number, line in enumerate(lines):
        if not keep[number] or not line.strip():
            continue
        rule = _first(load_rules().disclaimers, line)
        if rule is None:
            continue
        _note(found, rule.id)
        end = number
        while end < len(lines) and lines[end].strip():
            keep[end] = False
            end += 1
    return "\n".join(l for l, k in zip(lines, keep) if k).strip()


def strip_device_signatures(text: str, found: list[str] | None = None) -> str:
    for rule in load_rules().device_signatures:
        text, n = rule.regex.subn("", text)
        if n:
            _note(found, rule.id)
    return text.strip()


def strip_closing(text: str, found: list[str] | None = None) -> str:
    """Cut from the closing phrase ('Met vriendelijke groet', 'Mvg', ...) to the end, when only a
    signature-sized tail follows it and some text precedes it."""
    text = _split_last_sentences(text)
    best = None
    for rule in load_rules().closings:
        for match in rule.regex.finditer(text):
            if not text[:match.start()].strip():
                continue
            if len(text) - match.end() > MAX_TAIL_AFTER_CLOSING:
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), rule.id)
            break
    if best is None:
        return text
    _note(found, best[1])
    return text[:best[0]].strip()


def strip_signature_block(text: str, found: list[str] | None = None) -> str:
    """Drop a trailing signature without a closing phrase: name, address and phone lines."""
    lines = text.split("\n")
    dropped = 0
    while lines and dropped < MAX_SIGNATURE_LINES:
        line = lines[-1].strip()
        if not line:
            lines.pop()
            continue
        if len([l for l in lines if l.strip()]) <= 1 or not _is_signature_line(line):
            break
        lines.pop()
        dropped += 1
    if dropped:
        _note(found, "signature_block")
    return "\n".join(lines).strip()


def clean_email(text: str, found: list[str] | None = None) -> str:
    """The structural cleaning of one e-mail body (before PII masking)."""
    text = normalise(text)
    text = strip_quoted(text, found)
    text = strip_disclaimers(text, found)
    text = strip_device_signatures(text, found)
    text = strip_closing(text, found)
    text = strip_signature_block(text, found)
    return text


def strip_turn(text: str, *, spoken: bool, found: list[str] | None = None) -> str:
    """Greetings and name introductions at the start of a turn (after masking: the name is
    [NAAM]); for spoken turns also ASR filler anywhere. Returns readable one-line text."""
    r = load_rules()
    for _ in range(3):                      # "Hallo, goedemiddag, met [NAAM]," peels in turns
        before = text
        for rule in r.greetings:
            new = rule.regex.sub("", text, count=1)
            if new != text:
                _note(found, rule.id)
                text = new.lstrip(" ,.!\n")
        if text == before:
            break
    if spoken:
        for rule in r.fillers:
            new = rule.regex.sub(" ", text)
            if new != text:
                _note(found, rule.id)
                text = new
    return to_line(text)


def strip_spoken_noise(text: str, found: list[str] | None = None) -> str:
    """Speech-to-text noise, before masking so name and number patterns see clean speech:
    filler words out, stutters collapsed ("u spreekt spreekt met", "0031 0031 6 ...")."""
    for rule in load_rules().fillers:
        new = rule.regex.sub(" ", text)
        if new != text:
            _note(found, rule.id)
            text = new
    new = _REPEAT.sub(r"\1", text)
    if new != text:
        _note(found, "repeated_words")
    return _SPACES.sub(" ", new)


def to_line(text: str) -> str:
    """Join lines into readable running text."""
    parts = [p.strip() for p in text.split("\n") if p.strip()]
    out = []
    for part in parts:
        if out and not out[-1].endswith((".", "!", "?", ":", ";", ",")):
            out[-1] += "."
        out.append(part)
    line = _SPACES.sub(" ", " ".join(out)).strip(" ,")
    line = re.sub(r"\s+([,.!?])", r"\1", line)
    return line


def _is_signature_line(line: str) -> bool:
    if len(line) > 80 or line.endswith(("?", "!")):
        return False
    words = line.rstrip(",.").split()
    if _PLACEHOLDER.fullmatch(line.strip(" ,.")):
        return True
    if 1 <= len(words) <= 5 and all(_NAME_WORD.match(w) for w in words):
        return True
    rule = _first(load_rules().signature_lines, line)
    return rule is not None and len(words) <= 6 and not line.endswith(".")


def _split_last_sentences(text: str) -> str:
    """Put sentences of the last lines on their own line so 'Bedankt. Groetjes, Jan' is seen."""
    lines = text.split("\n")
    tail = [_SENTENCE_SPLIT.sub("\n", line) for line in lines[-3:]]
    return "\n".join(lines[:-3] + tail)


def _first(rule_list, text: str):
    for rule in rule_list:
        if rule.regex.search(text):
            return rule
    return None


def _note(found: list[str] | None, rule_id: str) -> None:
    if found is not None:
        found.append(rule_id)
