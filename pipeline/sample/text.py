"""Text variation: how real people type and how speech-to-text writes them down.

- ``typos``: swapped, dropped, doubled and neighbour-key letters at a given rate.
- ``informal``: lower-case starts, dropped full stops, chat abbreviations (ff, aub, idd, ws).
- ``asr``: lower case, no punctuation, filler words (eh, uhm, ja nee, nou), repeated words.
"""

from __future__ import annotations

import random
import re

_NEIGHBOURS = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "z": "xa",
}
_ABBREVIATIONS = (
    (re.compile(r"\beven\b"), ("ff", "even", "effe")),
    (re.compile(r"\balsjeblieft\b|\balstublieft\b"), ("aub", "pls", "alsjeblieft")),
    (re.compile(r"\binderdaad\b"), ("idd",)),
    (re.compile(r"\bwaarschijnlijk\b"), ("ws", "waarschijnlijk")),
    (re.compile(r"\bbedankt\b"), ("thx", "bedankt", "dankje")),
    (re.compile(r"\bmet vriendelijke groet\b", re.I), ("mvg", "Met vriendelijke groet")),
    (re.compile(r"\bik heb\b"), ("ik heb", "heb")),
    (re.compile(r"\bniet\b"), ("niet", "niet", "nie")),
    (re.compile(r"\bwordt\b"), ("word", "wordt", "wordt")),
)
_WORD = re.compile(r"[A-Za-zÀ-ÿ]{4,}")
_PROTECTED = re.compile(r"[@\d]|^[A-Z]{2}\d")


def typos(text: str, rng: random.Random, rate: float) -> str:
    """Introduce letter errors in about ``rate`` of the longer words (never in numbers or addresses)."""
    if rate <= 0:
        return text

    def damage(match: re.Match) -> str:
        word = match.group(0)
        if rng.random() >= rate:
            return word
        i = rng.randrange(1, len(word) - 1)
        kind = rng.randrange(4)
        if kind == 0:
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if kind == 1:
            return word[:i] + word[i + 1:]
        if kind == 2:
            return word[:i] + word[i] + word[i:]
        near = _NEIGHBOURS.get(word[i].lower())
        return word[:i] + (rng.choice(near) if near else word[i]) + word[i + 1:]

    parts = re.split(r"(\S*[@\d]\S*)", text)  # leave tokens with digits or @ alone (PII stays exact)
    return "".join(p if _PROTECTED.search(p or "") else _WORD.sub(damage, p) for p in parts)


def dutch_typos(text: str, rng: random.Random, rate: float) -> str:
    """The classic Dutch spelling slips: d/t endings, ei/ij."""
    if rng.random() > rate:
        return text
    swaps = ((r"\bwordt\b", "word"), (r"\bword ik\b", "wordt ik"), (r"\bgebeld\b", "gebelt"),
             (r"\bbezorgd\b", "bezorgt"), (r"\bontvangen\b", "ontvange"), (r"\bmijn\b", "mijn"),
             (r"\bbestelling\b", "bestelling"), (r"\bzei\b", "zij"), (r"\bmisschien\b", "misschein"),
             (r"\bgeleverd\b", "geleverdt"), (r"\bbeschadigd\b", "beschadigt"), (r"\bgeannuleerd\b", "geanuleerd"))
    pattern, repl = rng.choice(swaps)
    return re.sub(pattern, repl, text, count=1)


def informal(text: str, rng: random.Random) -> str:
    """Make a written message look typed on a phone."""
    for pattern, choices in _ABBREVIATIONS:
        if rng.random() < 0.5:
            text = pattern.sub(lambda _m: rng.choice(choices), text)
    if rng.random() < 0.5:
        text = re.sub(r"\.(\s|$)", lambda m: m.group(1) if rng.random() < 0.6 else m.group(0), text)
    if rng.random() < 0.35:
        text = "\n".join(line[:1].lower() + line[1:] for line in text.split("\n"))
    if rng.random() < 0.15:
        text = re.sub(r"\?(\s|$)", r"??\1", text, count=1)
    if rng.random() < 0.08:
        text = text.rstrip() + rng.choice((" 😡", " 🙏", " 😊", " !!", " :("))
    return text


def asr(text: str, rng: random.Random, fillers: tuple[str, ...], filler_rate: float = 0.05) -> str:
    """Write ``text`` as a speech recogniser would: no case, no punctuation, fillers, stutters."""
    text = text.replace("&", " en ").replace("€", " euro ").replace("/", " ")
    text = re.sub(r"(?<=\d)[.,](?=\d)", " komma ", text)
    text = re.sub(r"[^\w\s@+\-]", " ", text.lower())
    words = text.split()
    out: list[str] = []
    if rng.random() < 0.35:
        out.append(rng.choice(fillers))  # "ja nee", "nou", "eh" open a turn more than anything
    for i, word in enumerate(words):
        if i and rng.random() < filler_rate and not (word[:1].isdigit() or words[i - 1][:1].isdigit()):
            filler = rng.choice(fillers)
            out.append("eh" if filler in ("ja nee", "ja") else filler)
        if rng.random() < 0.03:
            out.append(word)  # stutter: "ik ik"
        out.append(word)
    return " ".join(out)


def paraphrase(text: str, rng: random.Random, rules, share: float = 0.5) -> str:
    """Apply each paraphrase rule (see paraphrase.yaml) with probability ``share``."""
    for rule in rules:
        if rng.random() < share and rule.pattern.search(text):
            text = rule.pattern.sub(lambda _m: rng.choice(rule.options), text, count=1)
    return text


def sentences(text: str) -> list[str]:
    """Split on sentence ends, keeping the punctuation."""
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
