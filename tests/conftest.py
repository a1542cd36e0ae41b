"""Shared fixtures: an in-memory store, the default config, and no network for models."""

from __future__ import annotations

import os

import pytest

# Tests never reach the Hugging Face hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("KLANTVRAAG_QUIET", "1")


@pytest.fixture
def con():
    from pipeline import store

    connection = store.connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture
def config():
    from pipeline.config import load_config

    return load_config(None)
