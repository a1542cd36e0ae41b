"""Find person names to mask: the authors of a contact's messages, names after cues ("mijn naam
is", "u spreekt met", "Beste ..."), and capitalised first names from a list, with their surnames.

Data in ``pipeline/resources/nlp/names.yaml``. Pure functions; no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from pipeline.errors import ResourceError
from pipeline.nlp import rules

_WORD = r"[^\W\d_][\w'’-]*"
_CAP = r"[A-ZÀ-ÝÖ][\w'’-]+"
_INITIALS = r"(?:[A-Z]\.){1,3}"
# In lower-case speech a word after a strong cue is only believed to be a name when it is this rare
# in Dutch (visser 4.1, bakker 4.3 pass; betrekking 4.8 does not); a second word after a first name
# may be more common (bos 4.8).
MAX_FIRST_ZIPF = 4.7
MAX_SURNAME_ZIPF = 5.0


@dataclass(frozen=True)
class NameRules:
    particles: frozenset[str]
    non_person: frozenset[str]
    not_names: frozenset[str]
    first_names: frozenset[str]
    cues: tuple[rules.Rule, ...]
    first_names_cased: frozenset[str]
    surname_re: re.Pattern


@lru_cache(maxsize=1)
def load_rules() -> NameRules:
    path = f"{rules.PACKAGE_DIR}/names.yaml"
    particles = [p.lower() for p in rules.word_list("names.yaml", "particles")]
    particle_re = "|".join(re.escape(p) for p in sorted(particles, key=len, reverse=True))
    name = (rf"(?P<name>(?:{_INITIALS}\s?{_CAP}|{_WORD})(?:\s+(?:(?i:{particle_re})\s+){{0,3}}{_WORD})"
            r"{0,2})")
    capname = (rf"(?P<name>(?:{_INITIALS}\s?{_CAP}|{_CAP})(?:\s+(?:(?i:{particle_re})\s+){{0,3}}{_CAP})"
               r"{0,2})")
    data = rules.load("names.yaml")
    raw = data.get("cues")
    if not isinstance(raw, list):
        raise ResourceError("section 'cues' must be a list of rules", path=path)
    for number, item in enumerate(raw, 1):
        if not isinstance(item, dict) or not isinstance(item.get("pattern"), str):
            raise ResourceError("a cue must be a mapping with id, hint, pattern, examples",
                                path=path, where=f"cues #{number}")
        if "NAME" not in item["pattern"]:
            raise ResourceError("a cue pattern must contain NAME or CAPNAME", path=path,
                                where=f"cues/{item.get('id')}")
    # NAME / CAPNAME become the name sub-patterns; _compile_patched checks the examples.
    # Speech-to-text puts filler between cue and name ("u spreekt met dus mitchell").
    filler = r"(?:(?i:dus|nou|eh|uhm|zeg maar)\s+)*"
    patched = [dict(item, pattern=item["pattern"].replace("CAPNAME", filler + capname)
                    .replace("NAME", filler + name)) for item in raw]
    cues = _compile_patched(patched, path)
    first = rules.word_list("names.yaml", "first_names")
    surname_re = re.compile(rf"(?:\s+(?:(?:{particle_re})\s+){{0,3}}{_CAP})")
    return NameRules(
        particles=frozenset(particles),
        non_person=frozenset(w.lower() for w in rules.word_list("names.yaml", "non_person_authors")),
        not_names=frozenset(w.lower() for w in rules.word_list("names.yaml", "not_names")),
        first_names=frozenset(n.lower() for n in first),
        cues=cues, first_names_cased=frozenset(first), surname_re=surname_re)


def _compile_patched(items: list[dict], path: str) -> tuple[rules.Rule, ...]:
    compiled = []
    for item in items:
        try:
            regex = re.compile(item["pattern"], re.MULTILINE)
        except re.error as exc:
            raise ResourceError(f"pattern does not compile: {exc}", path=path,
                                where=f"cues/{item.get('id')}") from exc
        examples = tuple(item.get("examples") or ())
        if not examples:
            raise ResourceError("cue needs examples", path=path, where=f"cues/{item.get('id')}")
        for example in examples:
            if not regex.search(example):
                raise ResourceError(f"pattern does not find its example {example!r}", path=path,
                                    where=f"cues/{item.get('id')}")
        lowercase = item.get("lowercase", "first_names")
        if lowercase not in ("first_names", "any"):
            raise ResourceError("lowercase must be 'first_names' or 'any'", path=path,
                                where=f"cues/{item.get('id')}")
        hint = item.get("hint")
        if not isinstance(hint, str) or not hint:
            raise ResourceError("cue needs a 'hint': a quick regex any text it matches contains",
                                path=path, where=f"cues/{item.get('id')}")
        compiled.append(rules.Rule(str(item.get("id")), regex, examples,
                                   extra={"lowercase": lowercase,
                                          "hint": re.compile(hint, re.IGNORECASE)}))
    return tuple(compiled)


def author_names(authors: Iterable[str | None]) -> tuple[str, ...]:
    """The person-name parts of message authors ('Jan de Vries', 'Jan', 'Vries'); role accounts,
    bots and speaker labels give nothing."""
    r = load_rules()
    found: set[str] = set()
    for author in authors:
        if not author:
            continue
        text = re.sub(r"<[^>]*>|\S+@\S+|\(.*?\)", " ", author)
        words = re.findall(r"[^\W\d_][\w'’.-]*", text)
        if not words or any(w.lower().strip(".") in r.non_person for w in words):
            continue
        parts = [w for w in words if w.lower() not in r.particles and len(w.strip(".")) >= 2]
        if not parts:
            continue
        found.add(" ".join(words))
        found.update(parts)
    return tuple(sorted(found, key=len, reverse=True))


_CAP_TOKEN = re.compile(r"(?<![\w-])[A-ZÀ-ÝÖ][\w'’-]*")


def find(text: str, known: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Spans of person names in ``text``; ``known`` are names already known for this contact
    (see :func:`author_names`). Adjacent parts ("Jan" "de" "Vries") come back as one span."""
    r = load_rules()
    spans: list[tuple[int, int]] = []
    lowered = None
    for name in known:
        if " " in name:
            continue
        lowered = lowered if lowered is not None else text.lower()
        spans.extend(_occurrences(lowered, name.lower()))
    for token in _CAP_TOKEN.finditer(text):
        word = token.group()
        if word in r.first_names_cased:
            surname = r.surname_re.match(text, token.end())
            span = _trim(text, token.start(), surname.end() if surname else token.end(), r)
            if span:
                spans.append(span)
    for cue in r.cues:
        if not cue.extra["hint"].search(text):
            continue
        for match in cue.regex.finditer(text):
            span = _trim(text, match.start("name"), match.end("name"), r,
                         any_lowercase=cue.extra["lowercase"] == "any")
            if span:
                spans.append(span)
    return _merge(text, spans, r)


def _occurrences(lowered: str, word: str) -> list[tuple[int, int]]:
    """Whole-word occurrences of ``word`` (str.find: far cheaper than a regex per contact)."""
    found, start = [], lowered.find(word)
    while start >= 0:
        end = start + len(word)
        before = lowered[start - 1] if start else " "
        after = lowered[end] if end < len(lowered) else " "
        if not (before.isalnum() or before in "-_") and not (after.isalnum() or after in "-_"):
            found.append((start, end))
        start = lowered.find(word, end)
    return found


def _merge(text: str, spans: list[tuple[int, int]], r: NameRules) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged:
            last_start, last_end = merged[-1]
            gap = text[last_end:start]
            if start <= last_end or (not gap.strip() or all(
                    w.lower() in r.particles for w in gap.split())) and len(gap) < 12:
                merged[-1] = (last_start, max(last_end, end))
                continue
        merged.append((start, end))
    return merged


def _trim(text: str, start: int, end: int, r: NameRules,
          any_lowercase: bool = False) -> tuple[int, int] | None:
    """Keep the name's words: a first word that is a name, then particles and one surname;
    stop at a common word ("met jan ik bel" -> "jan", "met de haan de korting" -> "de haan").

    any_lowercase: the cue is strong enough that a lower-case word that is not a common Dutch word
    counts as a name (speech-to-text writes names in lower case)."""
    from pipeline.nlp.dutch import is_common_word, is_stop_word

    kept_end = None
    have_first = particle = surname_done = first_known = False
    for token in re.finditer(r"\S+", text[start:end]):
        word = token.group().strip(",.!?:;")
        lower = word.lower()
        capital = word[:1].isupper()
        if lower in r.particles and (capital or any_lowercase or have_first):
            if have_first and not (first_known or capital):
                break                         # "met brouwer de pakbon": no first name, no surname
            particle = True
            continue
        if lower in r.not_names or (is_stop_word(lower) and not (capital and particle)):
            break                             # ("van der Meer": a capitalised word after a particle)
        if not have_first and not particle:
            if not capital and lower not in r.first_names and (
                    not any_lowercase or is_common_word(lower, MAX_FIRST_ZIPF)):
                return None
            first_known = capital or lower in r.first_names
        elif surname_done and not capital:
            break
        elif not (capital or particle or (any_lowercase and have_first
                                          and not is_common_word(lower, MAX_SURNAME_ZIPF))):
            break
        if particle and have_first or particle and not capital:
            surname_done = True
        kept_end = start + token.start() + len(word)
        have_first, particle = True, False
    return (start, kept_end) if kept_end else None
