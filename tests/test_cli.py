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


def test_ingest_takes_its_own_memory_limit_and_gives_it_back(tmp_path, monkeypatch):
    from pipeline import store

    export = tmp_path / "export"
    export.mkdir()
    (export / "chat.txt").write_text("[01-09-2026 10:00:00] Klant: waar is mijn pakket?\n")
    config = tmp_path / "klantvraag.toml"
    config.write_text('[ingest]\nduckdb_memory_limit = "300MB"\n')
    limits = []
    configure = store.configure

    def recorded(con, **settings):
        configure(con, **settings)
        limits.append(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])

    monkeypatch.setattr(store, "configure", recorded)
    args = ["ingest", str(export), "--db", str(tmp_path / "k.duckdb"), "--config", str(config)]
    assert runner.invoke(app, args).exit_code == 0
    # (connect sets the stages' 2GB first) ingest's own 300MB, then the stages' limit again
    ingesting = [i for i, limit in enumerate(limits) if limit.endswith("MiB")
                 and float(limit.split()[0]) < 300]
    assert ingesting and ingesting[-1] < len(limits) - 1
    assert limits[-1].endswith("GiB") and float(limits[-1].split()[0]) > 1.5
    config.write_text('[ingest]\nduckdb_memory_limit = "veel"\n')
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "duckdb_memory_limit 'veel'" in result.output
    assert "[ingest]" in result.output


def test_unknown_option_is_usage_error():
    result = runner.invoke(app, ["status", "--nonsense"])
    assert result.exit_code == 2


def test_an_unexpected_error_is_one_dutch_line_with_the_traceback_in_a_log(tmp_path, monkeypatch):
    from pipeline import cli

    def bug(con, config, paths):
        raise ValueError("a bug in a stage")
    monkeypatch.setattr(cli, "_ingest", bug)
    db = tmp_path / "project" / "k.duckdb"
    result = runner.invoke(app, ["ingest", str(tmp_path), "--db", str(db)])
    assert result.exit_code == 3
    assert "onverwachte fout" in result.output and "Traceback" not in result.output
    log = db.parent / cli.LOG_NAME
    assert "ValueError: a bug in a stage" in log.read_text()
    assert str(cli.LOG_NAME) in result.output
    shown = runner.invoke(app, ["--debug", "ingest", str(tmp_path), "--db", str(db)])
    assert shown.exit_code == 3 and "Traceback" in shown.output


def test_models_and_reports_live_beside_the_database(tmp_path):
    from pipeline.config import load_config

    first = load_config(None).place_beside(tmp_path / "a.duckdb")
    second = load_config(None).place_beside(tmp_path / "b.duckdb")
    assert first.models_dir == str(tmp_path / "models" / "a")
    assert first.report.output_dir == str(tmp_path / "reports" / "a")
    assert second.models_dir != first.models_dir and second.report.output_dir != first.report.output_dir
    chosen = load_config(None)
    chosen.models_dir, chosen.report.output_dir = "mijn/modellen", "mijn/rapport"
    assert chosen.place_beside(tmp_path / "a.duckdb").models_dir == "mijn/modellen"
    assert chosen.report.output_dir == "mijn/rapport"


def test_status_lists_runs_and_masks_file_names(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / "WhatsApp Chat met +31 6 12345678.txt").write_bytes(b"\x00\x01")
    db = tmp_path / "k.duckdb"
    result = runner.invoke(app, ["ingest", str(export), "--db", str(db)])
    assert result.exit_code == 0 and "12345678" not in result.output
    result = runner.invoke(app, ["status", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "runs" in result.output and "klaar" in result.output
    assert "[TELEFOON]" in result.output and "12345678" not in result.output


def test_a_fifo_named_on_the_command_line_does_not_hang(tmp_path):
    import os

    os.mkfifo(tmp_path / "pipe.txt")
    result = runner.invoke(app, ["ingest", str(tmp_path / "pipe.txt"), "--db", str(tmp_path / "k.duckdb")])
    assert result.exit_code == 0 and "pipe" in result.output


def test_help_speaks_dutch_without_type_names():
    from typer.testing import CliRunner as Runner

    for command in ("ingest", "run", "report", "reasons"):
        result = Runner().invoke(app, [command, "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0
        assert "<bool>" not in result.output and "<path>" not in result.output
        assert "Opties" in result.output and "Options" not in result.output


def test_dutch_words_keep_their_placeholders():
    import string

    from pipeline.cli import dutch_words

    def fields(text):
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for source, dutch in dutch_words().items():
        assert fields(source) == fields(dutch), source


def test_every_command_that_reads_or_writes_models_takes_models():
    for command in ("run", "reasons", "tag", "label"):
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert "--models" in result.output, command
