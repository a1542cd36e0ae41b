"""The ``klantvraag`` command. Commands parse options, load config, open the store and call one
stage's ``run()``; all logic lives in the stages."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline import __version__
from pipeline.config import Config, load_config
from pipeline.errors import KlantvraagError
from pipeline.summary import Summary

# Nothing may reach the Hugging Face hub at run time (the machine has no network for it).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

app = typer.Typer(
    name="klantvraag",
    help="Wat vraagt de klant nu echt? Contact reasons, avoidable contact and third-party causes "
         "from a contact-centre export (e-mail, chat, call transcripts), stored in one DuckDB file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=False)
err_console = Console(stderr=True)

DbOption = Annotated[Path, typer.Option(
    "--db", help="The DuckDB file that holds everything (created when missing).")]
ConfigOption = Annotated[Optional[Path], typer.Option(
    "--config", help="A TOML file that overrides the defaults (default: ./klantvraag.toml if present).")]
DEFAULT_DB = Path("data/klantvraag.duckdb")
WorkersOption = Annotated[Optional[int], typer.Option(
    "--workers", min=1,
    help="Spread the per-contact work (prepare, tag) over a local Dask cluster of this many "
         "worker processes (needs the [dask] extra).")]
SchedulerOption = Annotated[Optional[str], typer.Option(
    "--scheduler", help="Use a running Dask cluster, e.g. tcp://HOST:8786 (see README, "
                        "'Grote exports').")]


def _version(value: bool) -> None:
    if value:
        console.print(f"klantvraag {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and stop.")] = False,
) -> None:
    """klantvraag: run `klantvraag run EXPORT` for everything, or one stage at a time."""


def _print(summary: Summary) -> None:
    table = Table(title=summary.title, title_justify="left")
    for index, column in enumerate(summary.columns):
        numeric = bool(summary.rows) and all(
            isinstance(row[index], (int, float)) for row in summary.rows if row[index] is not None)
        table.add_column(column, justify="right" if numeric else "left")
    for row in summary.rows:
        table.add_row(*[f"{v:,}".replace(",", ".") if isinstance(v, int) else escape(str(v))
                        for v in row])
    console.print(table)
    # Notes and warnings carry file names and config keys like [ingest]: never rich markup.
    for note in summary.notes:
        console.print(f"  {escape(note)}", soft_wrap=True)
    for warning in summary.warnings:
        err_console.print(f"[yellow]waarschuwing:[/yellow] {escape(warning)}", soft_wrap=True,
                          highlight=False)


def _guard(work: Callable[[], list[Summary]]) -> None:
    """Run a command: user errors become one line and exit 1; bugs keep their traceback."""
    try:
        summaries = work()
    except KlantvraagError as exc:
        err_console.print(f"[red]fout:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        err_console.print("afgebroken")
        raise typer.Exit(130)
    for summary in summaries:
        _print(summary)


@contextmanager
def _opened(db: Path, config_file: Optional[Path]):
    """The config and an open store, closed again when the command ends (also on errors), so
    the database file is free for the next command in the same process."""
    from pipeline import store

    config = load_config(config_file)
    con = store.connect(db)
    try:
        yield config, con
    finally:
        con.close()


# -- stages ---------------------------------------------------------------------------------------

def _ingest(con, config: Config, paths: list[Path]) -> Summary:
    from pipeline import ingest

    return ingest.run(con, paths, config.ingest)


def _runner(workers: Optional[int], scheduler: Optional[str]):
    from pipeline.batches import Runner

    return Runner(workers=workers, scheduler=scheduler)


def _prepare(con, config: Config, runner=None) -> Summary:
    from pipeline import nlp

    return nlp.run(con, config.nlp, workers=config.nlp.workers or None, runner=runner)


def _reasons(con, config: Config, apply: bool = False, runner=None) -> Summary:
    # Reasons fit on a sample and assign in this process; ``runner`` is not used here yet.
    from pipeline import reasons

    return reasons.run(con, config.reasons, models_dir=Path(config.models_dir), apply=apply)


def _tag(con, config: Config, runner=None) -> Summary:
    from pipeline import tagging

    return tagging.run(con, config.tagging, runner=runner)


def _report(con, config: Config, out: Optional[Path], lang: Optional[str]) -> Summary:
    from pipeline import report

    if lang:
        config.report.lang = lang
    if out:
        config.report.output_dir = str(out)
    return report.run(con, config.report)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(
        help="Export files, folders or .zip archives: .eml, .mbox, chat JSON/JSONL/CSV, "
             "WhatsApp .txt, call transcripts (.txt, .vtt, .srt, speech-to-text .json).")],
    db: DbOption = DEFAULT_DB,
    config_file: ConfigOption = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Stop at the first file that cannot be read (default: record it and go on).")] = False,
) -> None:
    """Read an export into the database. Files already ingested are skipped; a changed file is re-read."""
    def work():
        with _opened(db, config_file) as (config, con):
            config.ingest.strict = config.ingest.strict or strict
            return [_ingest(con, config, paths)]
    _guard(work)


@app.command()
def prepare(db: DbOption = DEFAULT_DB, config_file: ConfigOption = None,
            workers: WorkersOption = None, scheduler: SchedulerOption = None) -> None:
    """Clean the messages: strip quotes, signatures and greetings, mask personal data, detect language."""
    def work():
        with _opened(db, config_file) as (config, con), _runner(workers, scheduler) as runner:
            return [_prepare(con, config, runner)]
    _guard(work)


@app.command()
def reasons(
    db: DbOption = DEFAULT_DB,
    config_file: ConfigOption = None,
    apply: Annotated[bool, typer.Option(
        "--apply", help="Assign contacts to the reasons of the saved model without refitting; "
                        "contacts that fit none are listed as candidate new reasons.")] = False,
    model_name: Annotated[Optional[str], typer.Option(
        "--model", help="Name of the model folder under models/ (default from config: 'default').")] = None,
    embedding_model: Annotated[Optional[str], typer.Option(
        "--embedding-model", help="A sentence-transformers model by local path or package name, "
                                  "used for Dutch instead of the built-in character n-gram backend.")] = None,
    seed_taxonomy: Annotated[Optional[Path], typer.Option(
        "--seed-taxonomy", help="Your own reasons (YAML with example phrases) to guide the model.")] = None,
    min_reasons: Annotated[Optional[int], typer.Option(
        "--min-reasons", help="Fewest reasons to end with.")] = None,
    max_reasons: Annotated[Optional[int], typer.Option(
        "--max-reasons", help="Most reasons to end with; similar reasons are merged to get there.")] = None,
) -> None:
    """Group the customers' questions into contact reasons (BERTopic) and save an editable taxonomy."""
    def work():
        with _opened(db, config_file) as (config, con):
            if model_name:
                config.reasons.model_name = model_name
            if embedding_model:
                config.reasons.embedding_model_nl = embedding_model
            if seed_taxonomy:
                config.reasons.seed_taxonomy = str(seed_taxonomy)
            if min_reasons is not None:
                config.reasons.min_reasons = min_reasons
            if max_reasons is not None:
                config.reasons.max_reasons = max_reasons
            return [_reasons(con, config, apply=apply)]
    _guard(work)


@app.command()
def tag(
    db: DbOption = DEFAULT_DB,
    config_file: ConfigOption = None,
    repeat_days: Annotated[Optional[int], typer.Option(
        "--repeat-days", help="Contacts of the same customer within this many days count as repeats.")] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Tag each contact as avoidable or not, and with its third-party cause, with evidence."""
    def work():
        with _opened(db, config_file) as (config, con), _runner(workers, scheduler) as runner:
            if repeat_days is not None:
                config.tagging.repeat_window_days = repeat_days
            return [_tag(con, config, runner)]
    _guard(work)


LangOption = Annotated[Optional[str], typer.Option(
    "--lang", help="Report language: nl (default) or en.")]
OutOption = Annotated[Optional[Path], typer.Option(
    "--out", help="Folder for the report files (default: reports/).")]


@app.command()
def report(db: DbOption = DEFAULT_DB, config_file: ConfigOption = None,
           lang: LangOption = None, out: OutOption = None) -> None:
    """Write the report: one HTML file, an Excel workbook and CSV/Parquet tables."""
    def work():
        with _opened(db, config_file) as (config, con):
            return [_report(con, config, out, lang)]
    _guard(work)


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(help="Export files, folders or .zip archives.")],
    db: DbOption = DEFAULT_DB,
    config_file: ConfigOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first unreadable file.")] = False,
    lang: LangOption = None,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Everything in one go: ingest, prepare, reasons, tag and report."""
    def work():
        with _opened(db, config_file) as (config, con), _runner(workers, scheduler) as runner:
            config.ingest.strict = config.ingest.strict or strict
            _print(_ingest(con, config, paths))
            for stage in (_prepare, _reasons, _tag):
                _print(stage(con, config, runner=runner))
            return [_report(con, config, out, lang)]
    _guard(work)


@app.command()
def status(db: DbOption = DEFAULT_DB) -> None:
    """Show what the database holds: contacts per channel and format, files per status, errors."""
    def work():
        from pipeline import status as status_module, store

        con = store.connect(db, read_only=True)
        try:
            return status_module.summaries(con, str(db))
        finally:
            con.close()
    _guard(work)


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the export into.")] = Path("data/sample"),
    size: Annotated[int, typer.Option("--size", min=1, help="Number of contacts to generate.")] = 1600,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same export.")] = 7,
) -> None:
    """Generate a realistic fictional Dutch export (with a ground-truth file) for demos and benchmarks."""
    def work():
        from pipeline import sample as sample_module

        return [sample_module.generate(out, size=size, seed=seed)]
    _guard(work)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
