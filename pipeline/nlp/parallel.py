"""Worker processes for the nlp stage: cleaning and lemmas are pure per-chunk work.

On Linux the workers are forked after the rules, word lists and the spelling index are loaded in
the parent, so they start at once and share that memory; elsewhere they are spawned and load it
themselves. Small runs (tests, incremental updates) stay in one process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from typing import Iterable, Iterator

import pandas as pd

from pipeline.nlp.frame import add_languages, clean_frame, finish, lemma_strings

# Below this many contacts a pool costs more than it saves.
PARALLEL_MIN_CONTACTS = 4000
MAX_WORKERS = 4

_MAKER = None


def default_workers() -> int:
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(available or 1, MAX_WORKERS))


def context():
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else "spawn")


def warm() -> None:
    """Load everything the workers use, so forked workers inherit it."""
    from pipeline.nlp import autoreply, clean, dutch, names, pii

    clean.load_rules()
    pii.recognizers()
    names.load_rules()
    autoreply.load_rules()
    dutch.vocabulary("nl")
    dutch.is_stop_word("de")


def _clean_task(args: tuple[pd.DataFrame, pd.DataFrame, int, int]) -> pd.DataFrame:
    contacts, messages, turns, max_chars = args
    return clean_frame(contacts, messages, turns, max_chars)


def _init_lemmas(maker) -> None:
    global _MAKER
    _MAKER = maker


def _lemma_task(args: tuple[list[str], list[str]]) -> list[str]:
    texts, languages = args
    return lemma_strings(_MAKER, texts, languages)


def clean_chunks(chunks: Iterable[tuple[pd.DataFrame, pd.DataFrame]], question_turns: int,
                 workers: int, max_text_chars: int) -> Iterator[pd.DataFrame]:
    """clean_frame over (contacts, messages) chunks, in order; at most 2 chunks per worker are
    in flight, so memory stays bounded while the parent reads the next chunk."""
    if workers <= 1:
        for contacts, messages in chunks:
            yield clean_frame(contacts, messages, question_turns, max_text_chars)
        return
    warm()
    with context().Pool(workers) as pool:
        pending: deque = deque()
        for contacts, messages in chunks:
            pending.append(pool.apply_async(_clean_task,
                                            ((contacts, messages, question_turns, max_text_chars),)))
            while len(pending) > 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def lemma_chunks(maker, texts: list[str], languages: list[str], workers: int,
                 chunk_size: int = 2000) -> list[str]:
    """lemma_strings over all texts, split into chunks across workers."""
    if workers <= 1 or len(texts) <= chunk_size:
        return lemma_strings(maker, texts, languages)
    tasks = [(texts[i:i + chunk_size], languages[i:i + chunk_size])
             for i in range(0, len(texts), chunk_size)]
    with context().Pool(workers, initializer=_init_lemmas, initargs=(maker,)) as pool:
        parts = pool.map(_lemma_task, tasks, chunksize=1)
    return [lemmas for part in parts for lemmas in part]




def clean_and_detect(chunk: tuple[pd.DataFrame, pd.DataFrame], question_turns: int,
                     max_text_chars: int) -> pd.DataFrame:
    """One chunk's cleaning and languages, as a task on a Dask worker (its rules and the
    language detector load once per worker process, on first use)."""
    contacts, messages = chunk
    return add_languages(clean_frame(contacts, messages, question_turns, max_text_chars))


def lemma_frame(frame: pd.DataFrame, maker, workers: int = 1) -> pd.DataFrame:
    """A part of cleaned rows with its question_lemmas and prepared_at filled in."""
    return finish(frame, lemma_chunks(maker, frame["question_text"].tolist(),
                                      frame["language"].tolist(), workers))
