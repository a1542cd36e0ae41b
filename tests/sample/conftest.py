"""One generated export shared by the sample tests (the default size, generated once per session)."""

from __future__ import annotations

import csv

import pytest

from pipeline.sample import GROUND_TRUTH, generate


@pytest.fixture(scope="session")
def export(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    summary = generate(out, size=1600, seed=7)
    return out, summary


@pytest.fixture(scope="session")
def truth(export):
    out, _ = export
    with open(out / GROUND_TRUTH, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
