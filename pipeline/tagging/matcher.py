"""Phrase patterns over lemmas: spaCy's Matcher on ``spacy.blank("nl")`` with the lookup lemmatizer.

Pattern syntax (one phrase per string, tokens separated by spaces):

- ``ontvangen``        the token's lemma equals the lemma of the word (``gebeld`` matches ``bellen``)
- ``niet|geen|nooit``  any of these words
- ``word?``            optional token (also ``niet|geen?``)
- ``*``                exactly one token of any kind; ``...`` zero to three tokens,
                       ``....`` zero to six tokens
- ``#``                a number (``3``, ``drie``)
- ``bezorg~``          any token whose lemma starts with ``bezorg`` (compounds, inflections)
- ``(twee keer|dubbel)`` a group of alternatives of several words (expanded into patterns)
- ``=kopen``           exactly this word form, not its lemma (tense: ``kopen``, not ``gekocht``)

A match is then checked against its context: a negation cue (``niet``, ``geen``, ...) in the
three tokens before it, or a hypothetical cue (``als``, ``mocht``, ...) earlier in the same clause,
cancels it when the rule says so (``negation: cancel`` / ``hypothetical: cancel``, the default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import spacy
from spacy.attrs import LIKE_NUM, LOWER, ORTH
from spacy.matcher import Matcher

from pipeline.errors import ResourceError
from pipeline.tagging.engine import TokenPatternIndex
from pipeline.tagging.rules import Rule, RuleSet

_SENTENCE_END = {".", "!", "?", ";", "\n"}
_CLAUSE_END = _SENTENCE_END | {",", ":", "maar", "want", "omdat", "en", "dus", "alleen"}
NEGATION_WINDOW = 3
HYPOTHETICAL_WINDOW = 6


@dataclass(frozen=True)
class Hit:
    rule_id: str
    start: int
    end: int
    span: str
    sentence: int
    negated: bool
    hypothetical: bool
    means: bool         # a 'via'/'met'/... cue right before it (for party mentions)
    next_word: str      # the word after the match (place names for stores)


_GROUP = re.compile(r"\(([^()]*)\)")
MAX_EXPANSIONS = 64


def expand_groups(phrase: str, rule: Rule) -> list[str]:
    """``(al twee keer|dubbel) gebeld`` -> ``al twee keer gebeld``, ``dubbel gebeld``."""
    done, todo = [], [phrase]
    while todo:
        current = todo.pop()
        match = _GROUP.search(current)
        if not match:
            if "(" in current or ")" in current:
                raise ResourceError(f"unbalanced parentheses in pattern '{phrase}'",
                                    path=rule.origin, where=f"rule {rule.id}")
            done.append(" ".join(current.split()))
            continue
        for alternative in match.group(1).split("|"):
            todo.append(current[:match.start()] + f" {alternative} " + current[match.end():])
        if len(done) + len(todo) > MAX_EXPANSIONS:
            raise ResourceError(f"pattern '{phrase}' expands into more than {MAX_EXPANSIONS} "
                                "phrases", path=rule.origin, where=f"rule {rule.id}",
                                hint="split it into several patterns")
    return done


@lru_cache(maxsize=1)
def make_nlp():
    """spaCy's blank Dutch pipeline with the lookup lemmatizer (built once per process)."""
    nlp = spacy.blank("nl")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


class PhraseMatcher:
    """All rules of a :class:`RuleSet`, compiled once; ``match`` returns the hits per text."""

    def __init__(self, ruleset: RuleSet, nlp=None, engine: str = "index") -> None:
        self.ruleset = ruleset
        self.nlp = nlp or make_nlp()
        self.rules = ruleset.by_id()
        # "index": the anchor-indexed executor (fast); "spacy": spaCy's own Matcher (reference).
        self.engine = engine
        self.matcher = TokenPatternIndex() if engine == "index" else Matcher(self.nlp.vocab)
        self._lemma_cache: dict[str, str] = {}
        for rule in ruleset.rules:
            token_patterns = [self._compile(rule, expanded) for phrase in rule.patterns
                              for expanded in expand_groups(phrase, rule)]
            self.matcher.add(rule.id, token_patterns)
        self.negation = set(ruleset.cues.get("negation", []))
        self.hypothetical = set(ruleset.cues.get("hypothetical", []))
        self.means = set(ruleset.cues.get("means", []))
        # Rules that spell a negation themselves ("niet ontvangen") are only checked before the
        # match; the others also inside it ("past niet in" is no match for "past ... in").
        self._negation_inside = {
            rule.id: not any(word in self.negation for phrase in rule.patterns
                             for word in re.split(r"[\s|()?=]+", phrase.lower()))
            for rule in ruleset.rules}
        self._string_cache: dict[int, str] = {}
        self._lemma_by_orth: dict[int, str] = {}
        self._lemmatizer = self.nlp.get_pipe("lemmatizer")
        self.spelling = {}
        for pair in ruleset.cues.get("spelling", []):
            variant, _, standard = pair.partition("=")
            if not variant or not standard:
                raise ResourceError(f"spelling cue '{pair}' must look like 'variant=standard'",
                                    path="cues", where="cues.spelling")
            self.spelling[variant.strip()] = self.lemma(standard.strip())

    # -- compiling ---------------------------------------------------------------------------
    def lemma(self, word: str) -> str:
        if word not in self._lemma_cache:
            doc = self.nlp(word)
            self._lemma_cache[word] = doc[0].lemma_.lower() if len(doc) == 1 else ""
        return self._lemma_cache[word]

    def _compile(self, rule: Rule, phrase: str) -> list[dict]:
        tokens = []
        for raw in phrase.split():
            optional = raw.endswith("?") and len(raw) > 1
            word = raw[:-1] if optional else raw
            if word in ("...", "...."):
                tokens.append({"OP": "{0,3}" if word == "..." else "{0,6}"})
                continue
            if word == "*":
                spec: dict = {}
            elif word == "#":
                spec = {"LIKE_NUM": True}
            elif word.startswith("="):
                forms = [w.lstrip("=").lower() for w in word.split("|")]
                if not all(w.startswith("=") for w in word.split("|")) or not all(forms):
                    raise ResourceError(
                        f"'{word}' in pattern '{phrase}' mixes =exact and lemma words",
                        path=rule.origin, where=f"rule {rule.id}",
                        hint="write every alternative with = or none")
                spec = {"LOWER": forms[0]} if len(forms) == 1 else {"LOWER": {"IN": forms}}
            elif "~" in word:
                if not all(w.endswith("~") and len(w) > 1 for w in word.split("|")):
                    raise ResourceError(
                        f"'{word}' in pattern '{phrase}' mixes prefix~ and whole words",
                        path=rule.origin, where=f"rule {rule.id}",
                        hint="write every alternative with ~ or none")
                prefixes = [re.escape(p.rstrip("~").lower()) for p in word.split("|")]
                spec = {"LEMMA": {"REGEX": f"^(?:{'|'.join(prefixes)})"}}
            else:
                lemmas = []
                for alternative in word.split("|"):
                    lemma = self.lemma(alternative.lower())
                    if not lemma:
                        raise ResourceError(
                            f"'{alternative}' in pattern '{phrase}' is more than one token",
                            path=rule.origin, where=f"rule {rule.id}",
                            hint="write it as separate words in the pattern")
                    lemmas.append(lemma)
                spec = {"LEMMA": lemmas[0]} if len(lemmas) == 1 else {"LEMMA": {"IN": lemmas}}
            if optional:
                spec = {**spec, "OP": "?"}
            tokens.append(spec)
        if not tokens or all(t.get("OP") in ("?", "{0,3}", "{0,6}") for t in tokens):
            raise ResourceError(f"pattern '{phrase}' can match nothing", path=rule.origin,
                                where=f"rule {rule.id}", hint="it needs at least one fixed word")
        return tokens

    # -- matching ----------------------------------------------------------------------------
    def match(self, texts: list[str], batch_size: int = 256) -> list[list[Hit]]:
        results = []
        for doc in self.docs(texts, batch_size=batch_size):
            results.append(self.match_doc(doc))
        return results

    def docs(self, texts, batch_size: int = 512):
        """Tokenised docs; lemmas come from :meth:`_words` (the lookup table, cached per word)."""
        return self.nlp.tokenizer.pipe((t or "" for t in texts), batch_size=batch_size)

    def _words(self, doc) -> tuple[list[str], list[str], list[bool]]:
        """Lower-case forms, lookup lemmas (spelling variants normalised) and number flags.

        The lookup lemmatizer depends on the word alone, so its answer is cached per word form:
        the same lemmas as running the pipe, without a Python call per token."""
        array = doc.to_array([ORTH, LOWER, LIKE_NUM])
        lemma_cache, lower_cache = self._lemma_by_orth, self._string_cache
        strings = self.nlp.vocab.strings
        lemmas, lowers = [], []
        for i, (orth, lower) in enumerate(array[:, :2].tolist()):
            text = lower_cache.get(lower)
            if text is None:
                text = lower_cache[lower] = strings[lower]
            lowers.append(text)
            lemma = lemma_cache.get(orth)
            if lemma is None:
                lemma = lemma_cache[orth] = self._lookup(doc[i])
            lemmas.append(lemma)
        if self.spelling:
            spelling = self.spelling
            lemmas = [spelling.get(w, lemma) for w, lemma in zip(lowers, lemmas)]
        return lowers, lemmas, [bool(v) for v in array[:, 2].tolist()]

    def _lookup(self, token) -> str:
        return self._lemmatizer.lookup_lemmatize(token)[0].lower()

    def match_doc(self, doc) -> list[Hit]:
        lowers, lemmas, nums = self._words(doc)
        if self.engine == "index":
            matches = self.matcher(lemmas, lowers, nums)
        else:
            for token, lemma in zip(doc, lemmas):
                token.lemma_ = lemma
            strings = self.nlp.vocab.strings
            matches = [(strings[m], start, end) for m, start, end in self.matcher(doc)]
        if not matches:
            return []
        sentence, clause = [], []
        s = c = 0
        for text in lowers:
            newline = "\n" in text
            if newline or text in _SENTENCE_END:
                s += 1
            if newline or text in _CLAUSE_END:
                c += 1
            sentence.append(s)
            clause.append(c)
        best: dict[tuple[str, int], tuple[int, int]] = {}
        for rule_id, start, end in matches:
            key = (rule_id, start)
            # The longest match per rule and start token.
            if key not in best or end > best[key][1]:
                best[key] = (start, end)
        hits, seen_ends = [], set()
        for (rule_id, _), (start, end) in sorted(best.items(), key=lambda kv: kv[1]):
            if (rule_id, end) in seen_ends:
                continue
            seen_ends.add((rule_id, end))
            rule = self.rules[rule_id]
            # A negation cue just before the match, or inside it (in a gap), cancels it.
            last = end if self._negation_inside[rule_id] else start
            window = range(max(0, start - NEGATION_WINDOW), last)
            negated = any(lemmas[i] in self.negation and clause[i] == clause[start]
                          for i in window)
            h_window = range(max(0, start - HYPOTHETICAL_WINDOW), start)
            hypothetical = any(lemmas[i] in self.hypothetical and clause[i] == clause[start]
                               for i in h_window)
            means = any(lemmas[i] in self.means for i in range(max(0, start - 2), start))
            hits.append(Hit(
                rule_id=rule_id, start=start, end=end, span=doc[start:end].text,
                sentence=sentence[start],
                negated=negated and rule.negation == "cancel",
                hypothetical=hypothetical and rule.hypothetical == "cancel",
                means=means,
                next_word=_next_word(doc, end),
            ))
        return hits


def _next_word(doc, end: int) -> str:
    i = end
    if i < len(doc) and doc[i].lower_ in ("in", "te", "aan", "op"):
        i += 1
    if i < len(doc) and doc[i].text[:1].isupper() and doc[i].is_alpha:
        return doc[i].text
    return ""


def active(hits: list[Hit]) -> list[Hit]:
    """The hits that survive their negation and hypothetical checks."""
    return [h for h in hits if not h.negated and not h.hypothetical]


def example_failures(matcher: PhraseMatcher) -> list[str]:
    """Every rule's examples run through the matcher; one line per example that went wrong."""
    failures = []
    for rule in matcher.ruleset.rules:
        for text, expected in ([(t, True) for t in rule.match_examples]
                               + [(t, False) for t in rule.no_match_examples]):
            found = any(h.rule_id == rule.id for h in active(matcher.match_doc(matcher.nlp(text))))
            if found != expected:
                verb = "does not match" if expected else "matches"
                failures.append(f"{rule.origin}: rule {rule.id} {verb} its example {text!r}")
    return failures
