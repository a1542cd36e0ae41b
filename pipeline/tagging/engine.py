"""An anchor-indexed executor for spaCy Matcher token patterns (the subset the rules use).

spaCy's ``Matcher`` starts every pattern at every token and evaluates set predicates
(``{"LEMMA": {"IN": [...]}}``) in its slow path: with our ~700 patterns it did about 44
contacts/s. This executor indexes each pattern by its first token (a lemma, a word form, a
number or a prefix) and only tries the patterns whose first token is present, which is what
makes the tagger fast. It returns the same ``(key, start, end)`` triples as ``Matcher`` (all
matches, every start and end); tests/tagging compare the two on real text.

Supported token specs: ``{"LEMMA": str | {"IN": [...]} | {"REGEX": "^(?:a|b)"}}``,
``{"LOWER": str | {"IN": [...]}}``, ``{"LIKE_NUM": True}``, ``{}`` (any token), each with an
optional ``"OP": "?"``, and the gap ``{"OP": "{0,n}"}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GAP = re.compile(r"^\{0,(\d+)\}$")
PREFIX_INDEX = 3


@dataclass(frozen=True)
class _Spec:
    kind: str                 # lemma | lower | prefix | num | any | gap
    values: frozenset | tuple = frozenset()
    optional: bool = False
    gap: int = 0


def _spec(token: dict) -> _Spec:
    op = token.get("OP")
    if op is not None and op != "?":
        match = _GAP.match(op)
        if not match or len(token) != 1:
            raise ValueError(f"unsupported token pattern {token}")
        return _Spec("gap", gap=int(match.group(1)))
    optional = op == "?"
    if "LEMMA" in token:
        value = token["LEMMA"]
        if isinstance(value, str):
            return _Spec("lemma", frozenset([value]), optional)
        if "IN" in value:
            return _Spec("lemma", frozenset(value["IN"]), optional)
        if "REGEX" in value:
            body = value["REGEX"]
            if not (body.startswith("^(?:") and body.endswith(")")):
                raise ValueError(f"unsupported REGEX {body!r}")
            prefixes = tuple(re.sub(r"\\(.)", r"\1", p) for p in body[4:-1].split("|"))
            return _Spec("prefix", prefixes, optional)
    if "LOWER" in token:
        value = token["LOWER"]
        values = [value] if isinstance(value, str) else value["IN"]
        return _Spec("lower", frozenset(values), optional)
    if token.get("LIKE_NUM"):
        return _Spec("num", optional=optional)
    if not {k for k in token if k != "OP"}:
        return _Spec("any", optional=optional)
    raise ValueError(f"unsupported token pattern {token}")


def _ok(spec: _Spec, lemma: str, lower: str, num: bool) -> bool:
    kind = spec.kind
    if kind == "lemma":
        return lemma in spec.values
    if kind == "lower":
        return lower in spec.values
    if kind == "prefix":
        return lemma.startswith(spec.values)
    if kind == "num":
        return num
    return True


def _leading_variants(specs: list[_Spec]) -> list[list[_Spec]]:
    """Patterns that start with an optional token or a gap, rewritten to start with a fixed one."""
    if not specs:
        return []
    head = specs[0]
    if head.kind == "gap":
        return _leading_variants(specs[1:])
    if head.optional:
        required = _Spec(head.kind, head.values, False)
        return _leading_variants(specs[1:]) + [[required] + specs[1:]]
    return [specs]


class TokenPatternIndex:
    """Patterns added with ``add(key, [token patterns])``; call with a Doc for the matches."""

    def __init__(self) -> None:
        self._by_lemma: dict[str, list] = {}
        self._by_lower: dict[str, list] = {}
        self._by_num: list = []         # first token: a number
        self._by_prefix: dict[str, list] = {}   # first token: a prefix, by its first letters
        self._other: list = []          # first token: a short prefix or any token

    def add(self, key: str, patterns: list[list[dict]]) -> None:
        for pattern in patterns:
            specs = [_spec(t) for t in pattern]
            for variant in _leading_variants(specs):
                if not variant:
                    continue
                # The words every match needs besides the first: a pattern is only tried in a
                # text that holds one of each (a cheap, conservative check per text).
                required = tuple(spec.values for spec in variant[1:]
                                 if spec.kind in ("lemma", "lower") and not spec.optional)
                entry = (key, tuple(variant), required)
                head = variant[0]
                if head.kind == "lemma":
                    for value in head.values:
                        self._by_lemma.setdefault(value, []).append(entry)
                elif head.kind == "lower":
                    for value in head.values:
                        self._by_lower.setdefault(value, []).append(entry)
                elif head.kind == "num":
                    self._by_num.append(entry)
                elif head.kind == "prefix" and all(len(v) >= PREFIX_INDEX for v in head.values):
                    # Tried only at tokens that start with the same letters (configured party
                    # names are prefixes: tried at every token they cost a third of the speed).
                    for key_ in {v[:PREFIX_INDEX] for v in head.values}:
                        self._by_prefix.setdefault(key_, []).append(entry)
                else:
                    self._other.append(entry)

    def __call__(self, lemmas: list[str], lowers: list[str],
                 nums: list[bool]) -> list[tuple[str, int, int]]:
        found: set[tuple[str, int, int]] = set()
        n = len(lemmas)
        words = set(lemmas)
        words.update(lowers)
        possible: dict[int, bool] = {}
        by_lemma, by_lower, other, by_num = (self._by_lemma, self._by_lower, self._other,
                                             self._by_num)
        by_prefix = self._by_prefix
        for i in range(n):
            candidates = by_lemma.get(lemmas[i])
            extra = by_lower.get(lowers[i])
            if extra:
                candidates = (candidates or []) + extra
            if by_prefix:
                extra = by_prefix.get(lemmas[i][:PREFIX_INDEX])
                if extra:
                    candidates = (candidates or []) + extra
            if other:
                candidates = (candidates or []) + other
            if nums[i] and by_num:
                candidates = (candidates or []) + by_num
            if not candidates:
                continue
            for entry in candidates:
                key, specs, required = entry
                if required:
                    ident = id(entry)
                    allowed = possible.get(ident)
                    if allowed is None:
                        allowed = possible[ident] = all(not words.isdisjoint(values)
                                                        for values in required)
                    if not allowed:
                        continue
                if not _ok(specs[0], lemmas[i], lowers[i], nums[i]):
                    continue
                for end in _ends(specs, 1, i + 1, lemmas, lowers, nums, n):
                    found.add((key, i, end))
        return sorted(found, key=lambda m: (m[1], m[2], m[0]))


def _ends(specs, k, i, lemmas, lowers, nums, n) -> set[int]:
    """Every end position at which specs[k:] can match starting at token i."""
    if k == len(specs):
        return {i}
    spec = specs[k]
    if spec.kind == "gap":
        ends: set[int] = set()
        for skip in range(spec.gap + 1):
            if i + skip > n:
                break
            ends |= _ends(specs, k + 1, i + skip, lemmas, lowers, nums, n)
        return ends
    ends = _ends(specs, k + 1, i, lemmas, lowers, nums, n) if spec.optional else set()
    if i < n and _ok(spec, lemmas[i], lowers[i], nums[i]):
        ends |= _ends(specs, k + 1, i + 1, lemmas, lowers, nums, n)
    return ends
