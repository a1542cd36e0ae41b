"""The CLI as a user meets it: help text everywhere, clear errors, exit codes."""

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()
COMMANDS = ["ingest", "inspect", "prepare", "reasons", "tag", "report", "run", "status", "sample"]


def test_top_level_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_and_option_has_help(command):
    import click
    import typer.main

    group = typer.main.get_command(app)
    cmd = group.commands[command]
    assert cmd.help, f"{command} has no help text"
    for param in cmd.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert param.help, f"{command} {param.opts} has no help text"


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and "klantvraag" in result.output


def test_status_on_missing_database_is_one_clear_line(tmp_path):
    result = runner.invoke(app, ["status", "--db", str(tmp_path / "nope.duckdb")])
    assert result.exit_code == 1
    assert "nope.duckdb" in result.output and "Traceback" not in result.output


def test_bad_config_exits_1_naming_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[tagging]\nrepeat_window_dayz = 3\n")
    result = runner.invoke(app, ["tag", "--db", str(tmp_path / "k.duckdb"), "--config", str(bad)])
    assert result.exit_code == 1
    assert "bad.toml" in result.output and "repeat_window_dayz" in result.output


def test_unknown_option_is_usage_error():
    result = runner.invoke(app, ["status", "--nonsense"])
    assert result.exit_code == 2

