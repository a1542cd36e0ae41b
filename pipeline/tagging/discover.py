"""`klantvraag parties`: organisation and party names found in the data, for the user to confirm.

Looks in every message (a database, or an export ingested into a temporary one) for
- capitalised names that are not ordinary Dutch words ("Liander", "Glasnet Montage", "KPN"),
  counted, and counted again when a failure word is in the same sentence ("bij oorzaak");
- what an agent hands over to ("ik verbind u door met de afdeling Facturatie");
- the organisation's own name after "u spreekt met", "welkom bij", ... in agent turns;
- e-mail and web domains (the sender's domain names the organisation or a partner);
and guesses each name's type from the type words in its sentences (party_types.yaml: "monteur"
-> installer). The output ends with an [organisatie] snippet to paste into klantvraag.toml.
The cue words are data: pipeline/resources/tagging/discover.yaml.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import InputFileError
from pipeline.resources import parse_yaml
from pipeline.summary import Summary
from pipeline.tagging.organisation import is_dutch_word
from pipeline.tagging.party_types import _table as type_words
from pipeline.tagging.rules import package_dir

_NAME = re.compile(r"\b[A-Z][\w&'-]*(?:[ ](?:[A-Z][\w&'-]*|[A-Z]{2,}))*")
_DOMAIN = re.compile(r"(?:@|\bwww\.|\b)([a-z0-9-]+)\.(?:nl|com|be|eu|net|org)\b", re.I)
_SENTENCE = re.compile(r"(?<=[.!?\n])\s+")
_LEAD = re.compile(r"^(?:de |het |onze |jullie |een )?(?:afdeling |collega's van |collega van )?",
                   re.I)


@lru_cache(maxsize=1)
def cues() -> dict:
    return parse_yaml(package_dir().joinpath("discover.yaml").read_text("utf-8"),
                      "pipeline/resources/tagging/discover.yaml")


@lru_cache(maxsize=1)
def _first_names() -> frozenset[str]:
    """Person first names (pipeline/resources/nlp/names.yaml): an agent's or customer's name is
    not a party."""
    from pipeline.nlp import rules as nlp_rules
    return frozenset(nlp_rules.word_list("names.yaml", "first_names"))


def _is_name(name: str) -> bool:
    words = name.split()
    if not words or words[0] in set(cues()["not_names"]) or words[0] in _first_names():
        return False
    if len(words) > 1 or len(name) < 2:
        return len(name) >= 2
    odd_case = name.isupper() or any(c.isupper() for c in name[1:])
    return odd_case or not (is_dutch_word(name.lower()) or name.lower() in _stop_words())


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.nl.stop_words import STOP_WORDS
    return frozenset(STOP_WORDS)


class Finder:
    """Counts over messages; ``add(text, role)`` per message, then ``parties`` / ``own``."""

    def __init__(self) -> None:
        c = cues()
        self.handover = [h.lower() for h in c["agent_handover"]]
        self.own_cues = [h.lower() for h in c["own_name_cues"]]
        self.cause = [w.lower() for w in c["cause_words"]]
        self.types = type_words()
        self.counts: Counter = Counter()
        self.at_cause: Counter = Counter()
        self.kind_votes: dict[str, Counter] = defaultdict(Counter)
        self.departments: Counter = Counter()
        self.own_names: Counter = Counter()
        self.domains: Counter = Counter()
        self.lower_words: Counter = Counter()     # words written in lower case anywhere

    def add(self, text: str, role: str) -> None:
        for domain in _DOMAIN.findall(text or ""):
            self.domains[domain.lower()] += 1
        for sentence in _SENTENCE.split(text or ""):
            self._sentence(sentence, role)

    def _sentence(self, sentence: str, role: str) -> None:
        lower = sentence.lower()
        for word in re.findall(r"\b[a-z][\w-]*", sentence):
            self.lower_words[word] += 1
        failure = any((f" {w} " in f" {lower} ") for w in self.cause)
        starts = {m.start() for m in re.finditer(r"(?:^|[.!?]\s+)\S", sentence)}
        for match in _NAME.finditer(sentence):
            name = match.group(0).strip(" -'")
            if match.start() in starts or match.start() == 0:
                # Sentence-initial: drop the first word when it is an ordinary word.
                first, _, rest = name.partition(" ")
                if not _is_name(first) or first in cues()["not_names"]:
                    name = rest
            if not name or not _is_name(name):
                continue
            self.counts[name] += 1
            self.at_cause[name] += failure
            # Type words within a few words of the name ("de monteur van Glasnet").
            around = sentence[max(0, match.start() - 40):match.end() + 40].lower()
            for kind in self._kinds(set(re.findall(r"[\w-]+", around))):
                self.kind_votes[name][kind] += 1
        if role != "agent":
            return
        for cue in self.handover:
            for found in re.finditer(re.escape(cue) + r"\s+([^.,;!?\n]{2,60})", lower):
                target = _LEAD.sub("", found.group(1)).split()
                if target:
                    original = sentence[found.start(1):found.start(1) + len(found.group(1))]
                    self.departments[_words_like(original, " ".join(target[:3]))] += 1
        for cue in self.own_cues:
            at = lower.find(cue)
            if at >= 0:
                match = _NAME.match(sentence[at + len(cue):].lstrip())
                if match:
                    self.own_names[match.group(0).strip()] += 1

    def _kinds(self, words: set[str]) -> list[str]:
        kinds = [self.types[w] for w in words if w in self.types]
        return kinds + [kind for word, kind in self.types.items()
                        if " " not in word and len(word) > 4
                        and any(w.endswith(word) and w != word for w in words)]

    def parties(self, minimum: int) -> list[tuple[str, int, int, str | None]]:
        own = {n.lower() for n in self.own_names}
        out = []
        for name, n in self.counts.most_common():
            if n < minimum or name.lower() in own:
                continue
            # A word the texts also write in lower case as often is an ordinary word that
            # started a sentence or a line ("Aan", "Indien"), not a name.
            if " " not in name and self.lower_words[name.lower()] * 2 >= n:
                continue
            votes = self.kind_votes.get(name)
            out.append((name, n, self.at_cause[name],
                        votes.most_common(1)[0][0] if votes else None))
        return out


def _words_like(original: str, lowered: str) -> str:
    """The words of ``lowered`` as the text wrote them (keeps 'Facturatie' capitalised)."""
    at = original.lower().find(lowered)
    return original[at:at + len(lowered)] if at >= 0 else lowered


def _messages(con):
    return con.execute("SELECT text, role FROM messages").fetchall()


def scan(paths: list[Path], config: Config) -> Finder:
    from pipeline import ingest, store

    finder = Finder()
    databases = [p for p in paths if p.suffix.lower() in (".duckdb", ".db")]
    exports = [p for p in paths if p not in databases]
    for path in databases:
        if not path.is_file():
            raise InputFileError("database not found", path=str(path),
                                 hint="give the --db file of an earlier run, or the export")
        con = store.connect(path, read_only=True)
        try:
            for text, role in _messages(con):
                finder.add(text, role)
        finally:
            con.close()
    if exports:
        with tempfile.TemporaryDirectory() as tmp:
            con = store.connect(Path(tmp) / "parties.duckdb")
            try:
                ingest.run(con, exports, config.ingest)
                for text, role in _messages(con):
                    finder.add(text, role)
            finally:
                con.close()
    return finder


def run(paths: list[Path], config: Config, minimum: int = 2) -> list[Summary]:
    finder = scan(paths, config)
    found = finder.parties(minimum)
    summary = Summary(title="Namen in de contacten (bevestig ze in klantvraag.toml)",
                      columns=["naam", "aantal", "bij oorzaak", "type (gok)"])
    for name, n, at_cause, kind in found[:40]:
        summary.rows.append([name, n, at_cause, kind or "?"])
    if finder.departments:
        summary.notes.append("doorverbonden met: " + ", ".join(
            f"{d} ({n})" for d, n in finder.departments.most_common(10)))
    if finder.own_names:
        summary.notes.append("eigen naam (na 'u spreekt met', 'welkom bij'): " + ", ".join(
            f"{d} ({n})" for d, n in finder.own_names.most_common(5)))
    if finder.domains:
        summary.notes.append("domeinen: " + ", ".join(
            f"{d} ({n})" for d, n in finder.domains.most_common(8)))
    summary.notes.append("om te plakken in klantvraag.toml (controleer type en schrap wat geen "
                         "partij is):\n" + snippet(finder, found[:15], minimum))
    if not found and not finder.departments:
        summary.warnings.append("geen namen gevonden; staan er berichten in de database?")
    return [summary]


def snippet(finder: Finder, found: list, minimum: int) -> str:
    own = [n for n, _ in finder.own_names.most_common(3)]
    departments = [d for d, n in finder.departments.most_common(8)
                   if n >= minimum and d[:1].isupper()]
    lines = ["[organisatie]", f'naam = "{own[0] if own else ""}"',
             "aliassen = [" + ", ".join(f'"{n}"' for n in own[1:]) + "]",
             "afdelingen = [" + ", ".join(f'"{d}"' for d in departments) + "]"]
    for name, _, _, kind in found:
        lines += ["", "[[organisatie.partijen]]", f'naam = "{name}"',
                  f'type = "{kind}"' if kind else
                  'type = "?"   # kies: carrier, installer, store, supplier, payment, backoffice',
                  "aliassen = []"]
    return "\n".join(lines)
