"""The reason stage's language data: stop words for keywords and labels, validated on load."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pipeline.errors import ResourceError
from pipeline.resources import read_yaml

TOKEN = re.compile(r"\b[^\W\d_][\w'’-]*[^\W_]\b|\b[^\W\d_]\b", re.UNICODE)
PLACEHOLDER = re.compile(r"\[[A-Z_]+\]|<[A-Z_]+>|\{[A-Z_]+\}")
_KINDS = {"stop", "keep"}
_LANGUAGES = {"nl", "en", "any"}


@dataclass(frozen=True)
class StopGroup:
    id: str
    language: str
    kind: str
    words: frozenset[str]
    stop_examples: tuple[str, ...]
    keep_examples: tuple[str, ...]


def tokens(text: str) -> list[str]:
    """Lowercased word tokens; masked placeholders like ``[NAAM]`` are dropped."""
    return TOKEN.findall(PLACEHOLDER.sub(" ", text or "").lower())


def word_groups(file_name: str, path: str | Path | None = None):
    """Read a reasons word-group file (``groups:`` of {id, language, words, ...}) and check what
    every such file shares: a unique id, a known language and a non-empty word list.

    Yields ``(item, label, where)`` so the caller checks and builds its own fields."""
    if path is None:
        source = resources.files("pipeline.resources").joinpath("reasons", file_name)
        label = f"pipeline/resources/reasons/{file_name}"
    else:
        source, label = Path(path), str(path)
    data = read_yaml(source, label)
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise ResourceError("expected a mapping with a list 'groups'", path=label)
    seen = set()
    for index, item in enumerate(data["groups"]):
        where = f"groups[{index}]"
        if not isinstance(item, dict):
            raise ResourceError("each group must be a mapping", path=label, where=where)
        group_id = item.get("id")
        if not isinstance(group_id, str) or not group_id or group_id in seen:
            raise ResourceError("each group needs a unique string 'id'", path=label, where=where)
        seen.add(group_id)
        where = f"group '{group_id}'"
        if item.get("language") not in _LANGUAGES:
            raise ResourceError(f"'language' must be one of {sorted(_LANGUAGES)}", path=label,
                                where=where)
        words = item.get("words")
        if not isinstance(words, list) or not words or not all(isinstance(w, str) for w in words):
            raise ResourceError("'words' must be a non-empty list of strings", path=label,
                                where=where)
        yield item, label, where


def load_groups(path: str | Path | None = None) -> list[StopGroup]:
    groups, label = [], ""
    for item, label, where in word_groups("stopwords.yaml", path):
        group_id, words = item["id"], item["words"]
        if item.get("kind") not in _KINDS:
            raise ResourceError(f"'kind' must be one of {sorted(_KINDS)}", path=label, where=where)
        examples_key = "stop_examples" if item["kind"] == "stop" else "keep_examples"
        examples = item.get(examples_key)
        if not isinstance(examples, list) or not examples:
            raise ResourceError(f"a {item['kind']} group needs '{examples_key}' (phrases tests run)",
                                path=label, where=where)
        groups.append(StopGroup(
            id=group_id, language=item["language"], kind=item["kind"],
            words=frozenset(w.lower().strip() for w in words),
            stop_examples=tuple(item.get("stop_examples") or ()),
            keep_examples=tuple(item.get("keep_examples") or ()),
        ))
    for keep in (g for g in groups if g.kind == "keep"):
        for stop in (g for g in groups if g.kind == "stop"):
            clash = keep.words & stop.words
            if clash and stop.language in (keep.language, "any"):
                raise ResourceError(f"words both kept and stopped: {sorted(clash)}", path=label,
                                    where=f"groups '{keep.id}' and '{stop.id}'")
    return groups


@lru_cache(maxsize=8)
def stop_words(language: str) -> frozenset[str]:
    """Base list for ``language`` + our stop groups - our keep groups."""
    if language == "nl":
        from spacy.lang.nl.stop_words import STOP_WORDS

        base = set(STOP_WORDS)
    elif language == "en":
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        base = set(ENGLISH_STOP_WORDS)
    else:
        base = set()
    groups = [g for g in load_groups() if g.language in (language, "any")]
    for group in groups:
        if group.kind == "keep":
            base -= group.words
    for group in groups:
        if group.kind == "stop":
            base |= group.words
    return frozenset(base)


@lru_cache(maxsize=8)
def kept_words(language: str) -> frozenset[str]:
    """The words our keep groups take back from the stop list (negations, 'nog', 'weer'):
    they carry a reason beside a content word ('niet bezorgd'), but say nothing alone."""
    return frozenset().union(*(g.words for g in load_groups()
                               if g.kind == "keep" and g.language in (language, "any")))


@lru_cache(maxsize=8)
def noise_words(language: str) -> frozenset[str]:
    """Greetings, closings and masked placeholders only: stripped before embedding."""
    words: set[str] = set()
    for group in load_groups():
        if group.kind == "stop" and group.language in (language, "any") and \
                group.id.startswith(("greeting_closing", "masked_placeholders")):
            words |= group.words
    return frozenset(words)


# -- label words (label_words.yaml) -------------------------------------------------------------
# Roles: anywhere / edge / first / last judge a label's words (examples {phrase, ok} for label_allowed);
# bridge / incidental / breaker / compound shape which phrases of a text may become a label (examples
# {text, phrase, ok}: whether ``phrase`` is one of ``text``'s candidate labels).
WORD_ROLES = {"anywhere", "edge", "first", "last"}
PHRASE_ROLES = {"bridge", "incidental", "breaker", "compound"}


@dataclass(frozen=True)
class LabelGroup:
    id: str
    language: str
    position: str
    words: frozenset[str]
    examples: tuple[tuple[str, bool], ...]
    texts: tuple[str, ...] = ()
    reads: str = ""          # a compound's one spelling in labels (its first word)


def load_label_groups(path: str | Path | None = None) -> list[LabelGroup]:
    """Words that read badly in a label or shape its phrase (see WORD_ROLES, PHRASE_ROLES)."""
    groups = []
    for item, name, where in word_groups("label_words.yaml", path):
        position = item.get("position")
        if position not in WORD_ROLES | PHRASE_ROLES:
            raise ResourceError(f"'position' must be one of {sorted(WORD_ROLES | PHRASE_ROLES)}",
                                path=name, where=where)
        keys = ("phrase", "ok") if position in WORD_ROLES else ("text", "phrase", "ok")
        cases = item.get("examples")
        if not isinstance(cases, list) or not cases or not all(
                isinstance(c, dict) and set(c) == set(keys) and isinstance(c["ok"], bool)
                and all(isinstance(c[k], str) for k in keys if k != "ok") for c in cases):
            shape = "{" + ", ".join(f"{k}: {'bool' if k == 'ok' else 'str'}" for k in keys) + "}"
            raise ResourceError(f"'examples' must list {shape} (tests run them)", path=name,
                                where=where)
        groups.append(LabelGroup(
            item["id"], item["language"], position,
            frozenset(" ".join(tokens(w)) if position in ("incidental", "compound")
                      else w.lower().strip() for w in item["words"]),
            tuple((c["phrase"], c["ok"]) for c in cases),
            tuple(c.get("text", "") for c in cases), " ".join(tokens(item["words"][0]))))
    return groups


@lru_cache(maxsize=8)
def label_rules(language: str) -> dict[str, frozenset[str]]:
    """Words per role for ``language`` (its own groups and those for 'any')."""
    rules: dict[str, set[str]] = {p: set() for p in WORD_ROLES | PHRASE_ROLES}
    for group in load_label_groups():
        if group.language in (language, "any"):
            rules[group.position] |= group.words
    return {p: frozenset(w) for p, w in rules.items()}


@lru_cache(maxsize=8)
def compounds(language: str) -> dict[str, str]:
    """Multiword names read as one word: each spelling (tokens joined by spaces) -> one token,
    its first spelling joined by '_' ('track & trace' -> 'track_en_trace')."""
    return {variant: group.reads.replace(" ", "_") for group in load_label_groups()
            if group.position == "compound" and group.language in (language, "any")
            for variant in group.words}
