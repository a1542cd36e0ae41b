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

def dutch_words() -> dict[str, str]:
    """typer's own words in Dutch (pipeline/resources/cli/click_nl.yaml)."""
    from pipeline.resources import package_file, read_yaml

    data = read_yaml(package_file("cli", "click_nl.yaml"), "pipeline/resources/cli/click_nl.yaml")
    return dict(data["messages"])


def _speak_dutch() -> None:
    """typer prints its section titles and [required]/[default] marks through gettext; hand
    them Dutch so the help never mixes languages (the help texts are ours, in Dutch). Its own
    copy of click writes "Usage:" and "Error:" literally: those stay English."""
    import typer.core

    words = dutch_words()
    typer.core._ = lambda message: words.get(message, message)


_speak_dutch()

app = typer.Typer(
    name="klantvraag",
    help="Wat vraagt de klant nu echt? Contactredenen, vermijdbaar contact en derde partijen als "
         "oorzaak, uit een export van een klantcontactcentrum (e-mail, chat, gesprekken), in één "
         "DuckDB-bestand.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console(stderr=False)
err_console = Console(stderr=True)

DbOption = Annotated[Path, typer.Option(
    "--db", metavar="BESTAND", help="Het DuckDB-bestand waar alles in staat (wordt aangemaakt als het er niet is).")]
ConfigOption = Annotated[Optional[Path], typer.Option(
    "--config", metavar="BESTAND", help="Een TOML-bestand met eigen instellingen (standaard: ./klantvraag.toml als dat er is).")]
ModelsOption = Annotated[Optional[Path], typer.Option(
    "--models", metavar="MAP", help="Map voor de getrainde redenmodellen (standaard: models/<db-naam>/ naast de database).")]
FollowOption = Annotated[bool, typer.Option(
    "--follow-symlinks", help="Volg symbolische links in de export (standaard: weigeren en melden).")]
DEFAULT_DB = Path("data/klantvraag.duckdb")
LOG_NAME = "klantvraag-fouten.log"
_settings = {"debug": False}
WorkersOption = Annotated[Optional[int], typer.Option(
    "--workers", metavar="AANTAL", min=1,
    help="Verdeel het werk per contact (voorbereiden, labelen) over een lokaal Dask-cluster met "
         "zoveel werkprocessen (extra [dask] nodig).")]
SchedulerOption = Annotated[Optional[str], typer.Option(
    "--scheduler", metavar="ADRES", help="Gebruik een draaiend Dask-cluster, bijvoorbeeld "
                                         "tcp://HOST:8786 (README, 'Grote exports').")]


def _version(value: bool) -> None:
    if value:
        console.print(f"klantvraag {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Toon de versie en stop.")] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Toon bij een onverwachte fout de volledige traceback op het scherm "
                        f"(anders staat die in {LOG_NAME} naast de database).")] = False,
) -> None:
    """klantvraag: `klantvraag run EXPORT` doet alles, of draai de stappen één voor één."""
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
        err_console.print("afgebroken: wat klaar was blijft bewaard; draai hetzelfde commando "
                          "opnieuw om verder te gaan waar het stopte")
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
def _opened(db: Path, config_file: Optional[Path], models: Optional[Path] = None):
    """The config and an open store, closed again when the command ends (also on errors), so
    the database file is free for the next command in the same process. ``models``: --models,
    which wins over the folder beside the database."""
    from pipeline import store

    config = load_config(config_file).place_beside(db)
    if models:
        config.models_dir = str(models)
    con = store.connect(db, memory_limit=config.duckdb_memory_limit,
                        checkpoint_threshold=config.duckdb_checkpoint_threshold)
    try:
        yield config, con
    finally:
        con.close()


# -- stages ---------------------------------------------------------------------------------------

def _ingest(con, config: Config, paths: list[Path]) -> Summary:
    """Ingest under its own DuckDB memory limit ([ingest] duckdb_memory_limit), the stages'
    limit again afterwards (``run`` goes on with the same connection)."""
    from pipeline import ingest, store

    store.configure(con, memory_limit=config.ingest.duckdb_memory_limit, where="[ingest]")
    try:
        return ingest.run(con, paths, config.ingest)
    finally:
        store.configure(con, memory_limit=config.duckdb_memory_limit)


def _runner(workers: Optional[int], scheduler: Optional[str]):
    from pipeline.batches import Runner

    return Runner(workers=workers, scheduler=scheduler)


def _prepare(con, config: Config, runner=None) -> Summary:
    from pipeline import nlp

    return nlp.run(con, config.nlp, workers=config.nlp.workers or None, runner=runner)


def _reasons(con, config: Config, apply: bool = False, runner=None,
             everything: bool = False) -> Summary:
    # Reasons fit on a sample and assign in this process; ``runner`` is not used here yet.
    from pipeline.atomic import remove_leftovers

    from pipeline import reasons

    folder = Path(config.models_dir) / config.reasons.model_name
    if folder.is_dir():
        remove_leftovers(folder)          # temporary files of a save that was killed
    return reasons.run(con, config.reasons, models_dir=Path(config.models_dir), apply=apply,
                       everything=everything)


def _tag(con, config: Config, runner=None, everything: bool = False) -> Summary:
    from pipeline import tagging
    from pipeline.tagging.labelling import model_path

    return tagging.run(con, config.tagging, organisation=config.organisatie,
                       model_path=model_path(config), runner=runner, everything=everything)


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
        metavar="EXPORT...",
        help="Exportbestanden, mappen of .zip-archieven: .eml, .mbox, exports van Zendesk, "
             "Freshdesk, Intercom, Genesys, Amazon Connect en Twilio, chat-JSON/JSONL/CSV, "
             "CRM-werkbladen (.xlsx, .ods, CSV), WhatsApp-.txt, gesprekken (.txt, .vtt, .srt, "
             "spraak-naar-tekst-.json).")],
    db: DbOption = DEFAULT_DB,
    config_file: ConfigOption = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Stop bij het eerste onleesbare bestand (standaard: noteren en doorgaan).")] = False,
    follow_symlinks: FollowOption = False,
) -> None:
    """Lees een export in de database. Al ingelezen bestanden worden overgeslagen; een gewijzigd
    bestand wordt opnieuw gelezen.

    Kijk eerst met `klantvraag inspect EXPORT`; een onbekende vorm heeft een mapping nodig: docs/mapping.md
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
        metavar="EXPORT...", help="Exportbestanden, mappen of .zip-archieven, zoals bij `klantvraag ingest`.")],
    config_file: ConfigOption = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Schrijf het overzicht als JSON (voor scripts) in plaats van tabellen.")] = False,
    follow_symlinks: FollowOption = False,
) -> None:
    """Bekijk wat `ingest` van een export zou maken, zonder iets op te slaan: per bestand als wat het
    herkend is (of waarom niet, en welke bekende vorm het dichtst bij komt), hoeveel contacten en
    berichten, welke velden waarvoor gebruikt worden, kanalen, rollen, periode en overgeslagen bestanden."""
    def work():
        from pipeline.ingest.inspect import inspect_paths, summaries

        config = load_config(config_file)
        config.ingest.follow_symlinks = config.ingest.follow_symlinks or follow_symlinks
        report = inspect_paths(paths, config.ingest)
        if as_json:
            print(report.to_json())
            return []
        return summaries(report)
    _guard(work)


@app.command()
def prepare(db: DbOption = DEFAULT_DB, config_file: ConfigOption = None,
            workers: WorkersOption = None, scheduler: SchedulerOption = None) -> None:
    """Schoon de berichten op: citaten, handtekeningen en groeten weg, persoonsgegevens gemaskeerd, taal bepaald."""
    def work():
        with _opened(db, config_file) as (config, con), _runner(workers, scheduler) as runner:
            return [_prepare(con, config, runner)]
    _guard(work, db)


@app.command()
def reasons(
    db: DbOption = DEFAULT_DB,
    config_file: ConfigOption = None,
    apply: Annotated[bool, typer.Option(
        "--apply", help="Deel contacten in bij de redenen van het opgeslagen model zonder opnieuw "
                        "te trainen; contacten die nergens passen worden kandidaat-redenen.")] = False,
    everything: Annotated[bool, typer.Option(
        "--all", help="Met --apply: deel ook de contacten opnieuw in die sinds de vorige run niet "
                      "veranderd zijn (standaard alleen nieuwe en opnieuw voorbereide).")] = False,
    model_name: Annotated[Optional[str], typer.Option(
        "--model", metavar="NAAM", help="Naam van de modelmap onder models/ (standaard uit de instellingen: 'default').")] = None,
    embedding_model: Annotated[Optional[str], typer.Option(
        "--embedding-model", metavar="MODEL", help="Een sentence-transformers-model (lokaal pad of pakketnaam) voor "
                                  "Nederlands in plaats van de ingebouwde tekenreeks-n-grammen.")] = None,
    seed_taxonomy: Annotated[Optional[Path], typer.Option(
        "--seed-taxonomy", metavar="BESTAND", help="Eigen redenen (YAML met voorbeeldzinnen) om het model te sturen.")] = None,
    min_reasons: Annotated[Optional[int], typer.Option(
        "--min-reasons", metavar="AANTAL", help="Minimaal aantal redenen.")] = None,
    max_reasons: Annotated[Optional[int], typer.Option(
        "--max-reasons", metavar="AANTAL", help="Maximaal aantal redenen; verwante redenen worden samengevoegd.")] = None,
    models: ModelsOption = None,
) -> None:
    """Groepeer de vragen van klanten in thema's, contactredenen en subredenen (BERTopic) en bewaar een bewerkbare taxonomie."""
    def work():
        with _opened(db, config_file, models) as (config, con):
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
            return [_reasons(con, config, apply=apply, everything=everything)]
    _guard(work, db)


@app.command()
def tag(
    db: DbOption = DEFAULT_DB,
    config_file: ConfigOption = None,
    repeat_days: Annotated[Optional[int], typer.Option(
        "--repeat-days", metavar="DAGEN", help="Contacten van dezelfde klant binnen zoveel dagen tellen als herhaalcontact.")] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    models: ModelsOption = None,
    everything: Annotated[bool, typer.Option(
        "--all", help="Tag ook de contacten opnieuw die sinds de vorige run niet veranderd zijn "
                      "(standaard alleen klanten met een nieuw, opnieuw voorbereid of anders "
                      "ingedeeld contact).")] = False,
) -> None:
    """Label elk contact: voorkomen, verschuiven, automatiseren of waardevol, en de derde partij als oorzaak, met bewijs."""
    def work():
        with _opened(db, config_file, models) as (config, con), \
                _runner(workers, scheduler) as runner:
            if repeat_days is not None:
                config.tagging.repeat_window_days = repeat_days
            return [_tag(con, config, runner, everything)]
    _guard(work, db)


@app.command()
def label(
    db: DbOption = DEFAULT_DB,
    config_file: ConfigOption = None,
    out: Annotated[Path, typer.Option(
        "--out", metavar="BESTAND", help="Het labelblad (.xlsx) dat geschreven wordt.")] = Path("labelblad.xlsx"),
    count: Annotated[Optional[int], typer.Option(
        "--aantal", metavar="AANTAL", min=1, help="Hoeveel contacten op het blad (standaard [tagging] label_count).")] = None,
    read: Annotated[Optional[Path], typer.Option(
        "--read", metavar="BESTAND", help="Lees een ingevuld labelblad in, train het tekstmodel opnieuw en tag opnieuw.")] = None,
    models: ModelsOption = None,
) -> None:
    """Leer van de analist: een werkblad met de contacten waar de tagger het minst zeker van is, en lees het ingevuld terug."""
    def work():
        from pipeline.tagging import labelling

        with _opened(db, config_file, models) as (config, con):
            if read is not None:
                return labelling.read(con, config, read)
            return [labelling.write(con, config, out, count)]
    _guard(work, db)


@app.command()
def parties(
    paths: Annotated[list[Path], typer.Argument(
        help="De DuckDB-database of exportbestanden/-mappen om in te zoeken.")],
    config_file: ConfigOption = None,
    minimum: Annotated[int, typer.Option("--min", metavar="AANTAL", min=1, help="Alleen namen die minstens zo vaak voorkomen.")] = 2,
) -> None:
    """Toon namen van de organisatie en van partijen in de data, met een [organisatie]-stuk om te plakken."""
    def work():
        from pipeline.tagging import discover

        config = load_config(config_file)
        return discover.run(paths, config, minimum=minimum)
    _guard(work)


LangOption = Annotated[Optional[str], typer.Option(
    "--lang", metavar="TAAL", help="Taal van het rapport: nl (standaard) of en.")]
OutOption = Annotated[Optional[Path], typer.Option(
    "--out", metavar="MAP", help="Map voor de rapportbestanden (standaard: reports/<db-naam>/ naast de database).")]
CsvDialectOption = Annotated[Optional[str], typer.Option(
    "--csv-dialect", metavar="DIALECT", help="CSV-tabellen: nl (';', decimale komma, UTF-8 met BOM: Nederlandse "
                          "Excel; standaard) of international (',', decimale punt, UTF-8).")]


@app.command()
def report(db: DbOption = DEFAULT_DB, config_file: ConfigOption = None,
           lang: LangOption = None, out: OutOption = None,
           csv_dialect: CsvDialectOption = None) -> None:
    """Schrijf het rapport: één HTML-bestand, een Excel-werkmap en CSV/Parquet-tabellen."""
    def work():
        with _opened(db, config_file) as (config, con):
            return [_report(con, config, out, lang, csv_dialect)]
    _guard(work, db)


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(metavar="EXPORT...", help="Exportbestanden, mappen of .zip-archieven.")],
    db: DbOption = DEFAULT_DB,
    config_file: ConfigOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop bij het eerste onleesbare bestand.")] = False,
    lang: LangOption = None,
    out: OutOption = None,
    csv_dialect: CsvDialectOption = None,
    models: ModelsOption = None,
    follow_symlinks: FollowOption = False,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Alles in één keer: inlezen, voorbereiden, redenen, labelen en rapport."""
    def work():
        with _opened(db, config_file, models) as (config, con), \
                _runner(workers, scheduler) as runner:
            config.ingest.strict = config.ingest.strict or strict
            config.ingest.follow_symlinks = config.ingest.follow_symlinks or follow_symlinks
            _print(_ingest(con, config, paths))
            for stage in (_prepare, _reasons, _tag):
                _print(stage(con, config, runner=runner))
            return [_report(con, config, out, lang, csv_dialect)]
    _guard(work, db)


@app.command()
def status(db: DbOption = DEFAULT_DB) -> None:
    """Toon wat de database bevat: contacten per kanaal en formaat, bestanden per status, fouten, runs."""
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
    out: Annotated[Path, typer.Option("--out", metavar="MAP", help="Map waarin de export komt.")] = Path("data/sample"),
    size: Annotated[int, typer.Option("--size", metavar="AANTAL", min=1, help="Aantal contacten.")] = 1600,
    seed: Annotated[int, typer.Option("--seed", metavar="GETAL", help="Startwaarde: dezelfde waarde geeft dezelfde export.")] = 7,
    first_index: Annotated[int, typer.Option("--first-index", metavar="NUMMER", min=0, help="Nummer van het eerste contact: geef elk deel van een grote export een eigen reeks, dan botsen de gespreks-id's van de delen niet.")] = 0,
) -> None:
    """Maak een realistische, verzonnen Nederlandse export (met de juiste antwoorden) voor demo's en benchmarks."""
    def work():
        from pipeline import sample as sample_module

        return [sample_module.generate(out, size=size, seed=seed, first_index=first_index)]
    _guard(work)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
