import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError


def test_defaults_load():
    config = load_config(None)
    assert config.tagging.repeat_window_days == 7
    assert config.report.handling_minutes["call"] > 0
    assert config.reasons.min_reasons < config.reasons.max_reasons
    assert config.duckdb_memory_limit == "2GB"
    assert config.duckdb_checkpoint_threshold == "128MB"
    assert config.ingest.duckdb_memory_limit == "1GB"


def test_project_file_overrides(tmp_path):
    file = tmp_path / "k.toml"
    file.write_text("[tagging]\nrepeat_window_days = 14\n[report]\ncost_per_minute = 1\n")
    config = load_config(file)
    assert config.tagging.repeat_window_days == 14
    assert config.report.cost_per_minute == 1.0


@pytest.mark.parametrize("text, message", [
    ("[tagging]\nrepeat_days = 3\n", "onbekende sleutel 'repeat_days' in \\[tagging\\]"),
    ("[taging]\n", "onbekende sectie \\[taging\\]"),
    ("[tagging]\nrepeat_window_days = 'zeven'\n", "moet van het type int zijn"),
    ("[tagging\n", "geen geldige TOML"),
])
def test_bad_config_names_file_and_problem(tmp_path, text, message):
    file = tmp_path / "bad.toml"
    file.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(file)
    assert "bad.toml" in str(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="niet gevonden"):
        load_config(tmp_path / "nope.toml")
