"""Fixtures for the report tests: a store filled with synthetic stage output."""

from __future__ import annotations

import dataclasses

import pytest

from tests.report.synth import synthesise


@pytest.fixture
def filled(con):
    """``con`` with 400 contacts through every stage; returns (con, truth per contact)."""
    truth = synthesise(con, 400, seed=3)
    return con, truth


@pytest.fixture
def report_config(config, tmp_path):
    cfg = dataclasses.replace(config.report, output_dir=str(tmp_path / "reports"))
    return cfg
