from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def ctx_factory():
    from pipeline.ingest.mapping import load_mappings
    from pipeline.ingest.records import Context
    from pipeline.ingest.speakers import load_speaker_rules

    mappings, rules = tuple(load_mappings()), load_speaker_rules()

    def make(path: Path | str, **overrides) -> Context:
        name = Path(str(path)).name
        base = {"path": str(path), "name": name, "source_id": "s-" + name, "salt": "pepper",
                "agent_domains": ("voorbeeldwinkel.nl", "service.voorbeeldwinkel.nl"),
                "organisation_names": ("voorbeeldwinkel", "voorbeeld winkel"),
                "mappings": mappings, "speakers": rules}
        base.update(overrides)
        return Context(**base)

    return make
