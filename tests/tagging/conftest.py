"""Shared, compiled-once rule set for the tagging tests (compiling takes a few seconds)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tagger():
    from pipeline.tagging import Tagger

    return Tagger()


@pytest.fixture(scope="session")
def matcher(tagger):
    return tagger.matcher


@pytest.fixture(scope="session")
def tag_text(tagger):
    """Tag one question text on its own (no batch context) and return the result."""
    from pipeline.tagging import ContactInput

    def run(question: str, agent: str | None = None):
        return tagger.tag([ContactInput("c1", question_text=question, customer_text=question,
                                        agent_text=agent)])[0]

    return run
