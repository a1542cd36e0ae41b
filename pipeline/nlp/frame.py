"""The nlp stage's pure core on DataFrames: contacts + messages in, ``contact_text`` rows out.

Three steps, so the expensive ones can run in worker processes (:mod:`.parallel`):
1. :func:`clean_frame` per chunk of contacts: clean, mask, pick the question, mark auto-replies;
2. :func:`add_languages` over everything (lingua runs its own threads);
3. :func:`lemma_maker` once over all question texts (corpus word counts for spelling), then
   :func:`lemma_strings` per chunk.
:func:`prepare_frame` runs the three in one process.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from pipeline.config import NlpConfig

OUTPUT_COLUMNS = ["contact_id", "language", "language_confidence", "is_auto_reply",
                  "auto_reply_kind", "question_text", "customer_text", "agent_text", "bot_text",
                  "question_lemmas", "pii_counts", "clean_rules", "input_hash", "prepared_at"]
_CLEAN_COLUMNS = ["contact_id", "input_hash", "is_auto_reply", "auto_reply_kind", "question_text",
                  "customer_text", "agent_text", "bot_text", "pii_counts", "clean_rules"]


def clean_frame(contacts: pd.DataFrame, messages: pd.DataFrame, question_turns: int = 2,
                max_text_chars: int = NlpConfig.max_text_chars) -> pd.DataFrame:
    """contacts (contact_id, channel, subject, input_hash) and their messages (contact_id, seq,
    role, author, text, subject) -> cleaned, masked texts per contact. A message's text is cut
    to ``max_text_chars`` first: spaCy refuses texts over a million characters (E088) and the
    cleaning regexes slow down on giant pasted logs."""
    from pipeline.nlp.question import Message, prepare_contact

    grouped: dict[str, list[Message]] = {}
    messages = messages.sort_values(["contact_id", "seq"], kind="stable")
    for cid, role, text, author, subject in zip(messages["contact_id"], messages["role"],
                                                messages["text"], messages["author"],
                                                messages["subject"]):
        grouped.setdefault(cid, []).append(
            Message(role, (text or "")[:max_text_chars], _str(author),
                    _str(subject, max_text_chars)))
    hashes = contacts["input_hash"] if "input_hash" in contacts else [""] * len(contacts)
    rows: list[dict[str, Any]] = []
    for cid, channel, subject, input_hash in zip(contacts["contact_id"], contacts["channel"],
                                                 contacts["subject"], hashes):
        prepared = prepare_contact(channel, grouped.get(cid, []), _str(subject, max_text_chars),
                                   question_turns)
        rows.append({"contact_id": cid, "input_hash": input_hash,
                     "is_auto_reply": prepared.is_auto_reply,
                     "auto_reply_kind": prepared.auto_reply_kind,
                     "question_text": prepared.question_text,
                     "customer_text": prepared.customer_text, "agent_text": prepared.agent_text,
                     "bot_text": prepared.bot_text,
                     "pii_counts": json.dumps(dict(sorted(prepared.pii_counts.items()))),
                     "clean_rules": json.dumps(dict(sorted(prepared.rules.items())))})
    return pd.DataFrame(rows, columns=_CLEAN_COLUMNS)


def add_languages(frame: pd.DataFrame) -> pd.DataFrame:
    """language + language_confidence from the customer's text (the question when empty)."""
    from pipeline.nlp import language

    detected = language.detect_many(
        [(c or q or "")[:language.MAX_CHARS]
         for c, q in zip(frame["customer_text"], frame["question_text"])])
    frame["language"] = [code for code, _ in detected]
    frame["language_confidence"] = [conf for _, conf in detected]
    return frame


def lemma_maker(texts: list[str], languages: list[str], batch_size: int = 256):
    """A :class:`~pipeline.nlp.dutch.LemmaMaker` that knows this corpus: its word counts (the
    speller keeps words the corpus uses often) and the words it writes capitalised (brands and
    places, never corrected or split). The spelling index is built here, once."""
    from pipeline.nlp import dutch

    counts, capitalised = Counter(), Counter()
    for text, lang in zip(texts, languages):
        if lang in ("nl", "unknown"):
            for word in dutch.words(text):
                lower = word.lower()
                counts[lower] += 1
                if word[:1].isupper():
                    capitalised[lower] += 1
    proper = frozenset(w for w, n in capitalised.items()
                       if n >= 3 and n >= 0.8 * counts[w] and not dutch.is_stop_word(w))
    maker = dutch.LemmaMaker(corpus_counts=counts, batch_size=batch_size, proper=proper)
    maker.speller.warm()
    return maker


def lemma_strings(maker, texts: list[str], languages: list[str]) -> list[str]:
    """question_lemmas per text; Dutch for 'nl' and 'unknown', the language's own rules otherwise."""
    out = [""] * len(texts)
    by_lang: dict[str, list[int]] = {}
    for i, lang in enumerate(languages):
        by_lang.setdefault("nl" if lang == "unknown" else lang, []).append(i)
    for lang, idx in by_lang.items():
        for i, lemmas in zip(idx, maker.lemmas([texts[i] for i in idx], lang)):
            out[i] = lemmas
    return out


def finish(frame: pd.DataFrame, lemmas: list[str]) -> pd.DataFrame:
    frame["question_lemmas"] = lemmas
    frame["prepared_at"] = datetime.now(timezone.utc).replace(tzinfo=None)
    return frame[OUTPUT_COLUMNS]


def prepare_frame(contacts: pd.DataFrame, messages: pd.DataFrame,
                  config: NlpConfig | None = None) -> pd.DataFrame:
    """All steps in this process: one ``contact_text`` row per contact."""
    config = config or NlpConfig()
    frame = clean_frame(contacts, messages, config.question_turns, config.max_text_chars)
    if frame.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    frame = add_languages(frame)
    texts, langs = frame["question_text"].tolist(), frame["language"].tolist()
    maker = lemma_maker(texts, langs, config.batch_size)
    return finish(frame, lemma_strings(maker, texts, langs))


def _str(value: Any, limit: int | None = None) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None
