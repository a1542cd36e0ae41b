"""The ``klantvraag`` command. Commands parse options, load config, open the store and call one
stage's ``run()``; all logic lives in the stages."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from contextlib import contextmanager
from datetime import datetime
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
ModelsOption = Annotated[Optional[Path], typer.Option(
    "--models", help="Folder for the fitted reason models (default: models/<db name>/ beside the database).")]
FollowOption = Annotated[bool, typer.Option(
    "--follow-symlinks", help="Follow symbolic links in the export (default: refuse and list them).")]
DEFAULT_DB = Path("data/klantvraag.duckdb")
LOG_NAME = "klantvraag-fouten.log"
_settings = {"debug": False}


def _version(value: bool) -> None:
    if value:
        console.print(f"klantvraag {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and stop.")] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show the full traceback of an unexpected error on screen "
                        f"(otherwise it goes to {LOG_NAME} beside the database).")] = False,
) -> None:
    """klantvraag: run `klantvraag run EXPORT` for everything, or one stage at a time."""
    _settings["debug"] = debug


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


def _guard(work: Callable[[], list[Summary]], db: Optional[Path] = None) -> None:
    """Run a command: user errors become one line and exit 1; an unexpected error (a bug)
    becomes one Dutch line too, with its traceback in a log file beside the database (or on
    screen with --debug), exit 3 (2 is click's code for wrong usage)."""
    log_file = _log_file(db)
    handler = _attach_log(log_file)
    try:
        summaries = work()
    except KlantvraagError as exc:
        err_console.print(f"[red]fout:[/red] {escape(_masked(str(exc)))}", highlight=False,
                          soft_wrap=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        err_console.print("afgebroken")
        raise typer.Exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
        if _settings["debug"]:
            traceback.print_exc()
        where = _write_traceback(log_file, exc)
        err_console.print(
            f"[red]fout:[/red] onverwachte fout in klantvraag ({type(exc).__name__}); "
            f"{escape(where)}. Wat al opgeslagen was blijft bewaard; meld dit met dat bestand, "
            "of draai opnieuw met `klantvraag --debug ...` voor de details.",
            highlight=False, soft_wrap=True)
        raise typer.Exit(3)
    finally:
        if handler is not None:
            logging.getLogger("klantvraag").removeHandler(handler)
            handler.close()
    for summary in summaries:
        _print(summary)


def _log_file(db: Optional[Path]) -> Path:
    folder = Path(db).parent if db is not None else Path(".")
    return folder / LOG_NAME


def _attach_log(log_file: Path) -> Optional[logging.Handler]:
    """Stages log unexpected per-file errors (with traceback) to logger 'klantvraag'; the file
    is only created when something is logged."""
    try:
        handler = logging.FileHandler(log_file, encoding="utf-8", delay=True)
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger("klantvraag")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return handler


def _write_traceback(log_file: Path, exc: BaseException) -> str:
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {datetime.now():%Y-%m-%d %H:%M:%S} klantvraag {__version__} "
                         f"{' '.join(sys.argv[1:2])}\n")
            handle.write("".join(traceback.format_exception(exc)))
        return f"details in {_masked(str(log_file))}"
    except OSError:
        return "details alleen met --debug te zien (logbestand niet te schrijven)"


def _masked(text: str) -> str:
    from pipeline.nlp.pii import mask_path

    return mask_path(text)


@contextmanager
def _opened(db: Path, config_file: Optional[Path]):
    """The config and an open store, closed again when the command ends (also on errors), so
    the database file is free for the next command in the same process."""
    from pipeline import store

    config = load_config(config_file).place_beside(db)
    con = store.connect(db)
    try:
        yield config, con
    finally:
        con.close()


# -- stages ---------------------------------------------------------------------------------------

def _ingest(con, config: Config, paths: list[Path]) -> Summary:
    from pipeline import ingest

    return ingest.run(con, paths, config.ingest)


def _prepare(con, config: Config) -> Summary:
    from pipeline import nlp

    return nlp.run(con, config.nlp, workers=config.nlp.workers or None)


def _reasons(con, config: Config, apply: bool = False) -> Summary:
    from pipeline.atomic import remove_leftovers

    from pipeline import reasons

    folder = Path(config.models_dir) / config.reasons.model_name
    if folder.is_dir():
        remove_leftovers(folder)          # temporary files of a save that was killed
    return reasons.run(con, config.reasons, models_dir=Path(config.models_dir), apply=apply)


def _tag(con, config: Config) -> Summary:
    from pipeline import tagging

    return tagging.run(con, config.tagging)


def _report(con, config: Config, out: Optional[Path], lang: Optional[str],
            csv_dialect: Optional[str] = None) -> Summary:
    from pipeline import report

    if lang:
        config.report.lang = lang
    if csv_dialect:
        config.report.csv_dialect = csv_dialect
    if out:
        config.report.output_dir = str(out)
    return report.run(con, config.report)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(
        help="Export files, folders or .zip archives: .eml, .mbox, chat JSON/JSONL/CSV, CRM "
             "spreadsheets (.xlsx, .ods, CSV), WhatsApp .txt, call transcripts (.txt, .vtt, .srt, "
             "speech-to-text .json).")],
    db: DbOption = DEFAULT_DB,
    config_file: ConfigOption = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Stop at the first file that cannot be read (default: record it and go on).")] = False,
    follow_symlinks: FollowOption = False,
) -> None:
    """Read an export into the database. Files already ingested are skipped; a changed file is re-read.

    Check first with `klantvraag inspect EXPORT`; an unrecognised shape needs a mapping: docs/mapping.md
    """
    def work():
        with _opened(db, config_file) as (config, con):
            config.ingest.strict = config.ingest.strict or strict
            config.ingest.follow_symlinks = config.ingest.follow_symlinks or follow_symlinks
            return [_ingest(con, config, paths)]
    _guard(work, db)


@app.command()
def inspect(
    paths: Annotated[list[Path], typer.Argument(
        help="Exportbestanden, mappen of .zip-archieven, zoals bij `klantvraag ingest`.")],
    config_file: ConfigOption = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Schrijf het overzicht als JSON (voor scripts) in plaats van tabellen.")] = False,
) -> None:
    """Bekijk wat `ingest` van een export zou maken, zonder iets op te slaan: per bestand als wat het
    herkend is (of waarom niet, en welke bekende vorm het dichtst bij komt), hoeveel contacten en
    berichten, welke velden waarvoor gebruikt worden, kanalen, rollen, periode en overgeslagen bestanden."""
    def work():
        from pipeline.ingest.inspect import inspect_paths, summaries

        report = inspect_paths(paths, load_config(config_file).ingest)
        if as_json:
            print(report.to_json())
            return []
        return summaries(report)
    _guard(work)


@app.command()
def prepare(db: DbOption = DEFAULT_DB, config_file: ConfigOption = None) -> None:
    """Clean the messages: strip quotes, signatures and greetings, mask personal data, detect language."""
    def work():
        with _opened(db, config_file) as (config, con):
            return [_prepare(con, config)]
    _guard(work, db)


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
    models: ModelsOption = None,
) -> None:
    """Group the customers' questions into contact reasons (BERTopic) and save an editable taxonomy."""
    def work():
        with _opened(db, config_file) as (config, con):
            if models:
                config.models_dir = str(models)
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
    _guard(work, db)


@app.command()
def tag(
    db: DbOption = DEFAULT_DB,
    config_file: ConfigOption = None,
    repeat_days: Annotated[Optional[int], typer.Option(
        "--repeat-days", help="Contacts of the same customer within this many days count as repeats.")] = None,
) -> None:
    """Tag each contact as avoidable or not, and with its third-party cause, with evidence."""
    def work():
        with _opened(db, config_file) as (config, con):
            if repeat_days is not None:
                config.tagging.repeat_window_days = repeat_days
            return [_tag(con, config)]
    _guard(work, db)


LangOption = Annotated[Optional[str], typer.Option(
    "--lang", help="Report language: nl (default) or en.")]
OutOption = Annotated[Optional[Path], typer.Option(
    "--out", help="Folder for the report files (default: reports/<db name>/ beside the database).")]
CsvDialectOption = Annotated[Optional[str], typer.Option(
    "--csv-dialect", help="CSV tables: nl (';', decimal comma, UTF-8 with BOM: Dutch Excel; the "
                          "default) or international (',', decimal point, UTF-8).")]


@app.command()
def report(db: DbOption = DEFAULT_DB, config_file: ConfigOption = None,
           lang: LangOption = None, out: OutOption = None,
           csv_dialect: CsvDialectOption = None) -> None:
    """Write the report: one HTML file, an Excel workbook and CSV/Parquet tables."""
    def work():
        with _opened(db, config_file) as (config, con):
            return [_report(con, config, out, lang, csv_dialect)]
    _guard(work, db)


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(help="Export files, folders or .zip archives.")],
    db: DbOption = DEFAULT_DB,
    config_file: ConfigOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first unreadable file.")] = False,
    lang: LangOption = None,
    out: OutOption = None,
    csv_dialect: CsvDialectOption = None,
    models: ModelsOption = None,
    follow_symlinks: FollowOption = False,
) -> None:
    """Everything in one go: ingest, prepare, reasons, tag and report."""
    def work():
        with _opened(db, config_file) as (config, con):
            config.ingest.strict = config.ingest.strict or strict
            config.ingest.follow_symlinks = config.ingest.follow_symlinks or follow_symlinks
            if models:
                config.models_dir = str(models)
            _print(_ingest(con, config, paths))
            for stage in (_prepare, _reasons, _tag):
                _print(stage(con, config))
            return [_report(con, config, out, lang, csv_dialect)]
    _guard(work, db)


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
    _guard(work, db)


@app.command()
def purge(
    db: DbOption = DEFAULT_DB,
    config_file: ConfigOption = None,
    raw: Annotated[bool, typer.Option(
        "--raw", help="Vervang alle ruwe tekst (berichten, onderwerpen, auteurs, bestandsnamen) "
                      "door de gemaskeerde vorm. De analyse blijft zoals hij is.")] = False,
) -> None:
    """Verwijder persoonsgegevens uit de database zodra de analyse klaar is."""
    def work():
        from pipeline import nlp
        from pipeline.nlp.purge import purge_raw

        if not raw:
            raise KlantvraagError("zeg wat er weg moet: gebruik `klantvraag purge --raw`")
        with _opened(db, config_file) as (config, con):
            return [purge_raw(con, nlp.hash_salt(config.nlp))]
    _guard(work, db)


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
