"""One contact's messages -> its question text, customer text, agent text and bot text: cleaned,
PII-masked, auto-replies set apart. The pure core of the nlp stage (no database, no spaCy).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from pipeline.nlp import autoreply, clean, names, pii

INTERNAL_ROLES = ("note", "system")
_WORDS = re.compile(r"[^\W\d_]{3,}")
_SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|antw|aw|wg|tr)\s*(?:\[\d+\])?\s*:\s*)+",
                             re.IGNORECASE)


@dataclass
class Message:
    role: str                      # customer | agent | bot | system | note
    text: str
    author: str | None = None
    subject: str | None = None     # an e-mail's own subject (messages.meta.subject)


@dataclass
class Prepared:
    question_text: str = ""
    customer_text: str = ""
    agent_text: str = ""
    bot_text: str = ""
    is_auto_reply: bool = False
    auto_reply_kind: str | None = None
    pii_counts: Counter = field(default_factory=Counter)
    rules: Counter = field(default_factory=Counter)


def substantive(text: str, min_words: int = 1) -> bool:
    """Whether a turn says something beyond greetings, names and 'ja': at least ``min_words``
    words that are not stop words."""
    from pipeline.nlp.dutch import is_stop_word

    plain = pii.PLACEHOLDER.sub(" ", text).lower()
    return sum(1 for w in _WORDS.findall(plain) if not is_stop_word(w)) >= min_words


def prepare_contact(channel: str, messages: Sequence[Message], subject: str | None = None,
                    question_turns: int = 2) -> Prepared:
    """Clean and mask every message of one contact (in order) and pick the question turns.

    E-mail: the question is the first customer mail that is not an auto-reply, without quoted
    history, signature or disclaimer (its subject when the body is empty). Chat and call: the
    customer's first ``question_turns`` substantive turns; greeting-only turns ("ja goedemiddag
    met ...") are skipped. Internal notes and system messages (role ``note`` / ``system``) are
    never customer, agent or bot text: nobody said them to the other party.
    """
    out = Prepared()
    known_names = names.author_names(m.author for m in messages)
    spoken = channel == "call"
    min_words = 2 if spoken else 1
    customer_turns: list[str] = []
    agent_turns: list[str] = []
    bot_turns: list[str] = []
    auto_kinds: list[str] = []
    n_customer = 0
    for message in messages:
        if message.role in INTERNAL_ROLES:
            continue
        raw = clean.normalise(message.text or "")
        found: list[str] = []
        if message.role == "customer":
            n_customer += 1
            automatic = autoreply.classify(
                message.subject or (subject if n_customer == 1 else None), raw)
            if automatic:
                auto_kinds.append(automatic[0])
                out.rules[automatic[1]] += 1
                continue
        text = clean.clean_email(raw, found) if channel == "email" else raw
        if spoken:
            text = clean.strip_spoken_noise(text, found)
        text = pii.mask(text, known_names, out.pii_counts)
        text = clean.strip_turn(text, spoken=spoken, found=found)
        out.rules.update(found)
        if not text:
            continue
        if message.role == "customer":
            customer_turns.append(text)
        elif message.role == "bot":
            bot_turns.append(text)
        else:
            agent_turns.append(text)
    out.customer_text = "\n".join(customer_turns)
    out.agent_text = "\n".join(agent_turns)
    out.bot_text = "\n".join(bot_turns)
    if n_customer and len(auto_kinds) == n_customer:
        out.is_auto_reply = True
        out.auto_reply_kind = auto_kinds[0]
        return out
    if channel == "email":
        question = customer_turns[:1]
    else:
        question = [t for t in customer_turns if substantive(t, min_words)][:question_turns]
    out.question_text = " ".join(question)
    if not out.question_text and subject and n_customer:
        bare = _SUBJECT_PREFIX.sub("", subject).strip()
        if substantive(bare):
            out.question_text = pii.mask(bare, known_names, out.pii_counts)
    return out
