"""Typed configuration: package defaults, then a project TOML file, then CLI options.

One dataclass per stage. A stage reads only its own section.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError

DEFAULT_CONFIG_FILE = Path("klantvraag.toml")


@dataclass
class IngestConfig:
    agent_domains: list[str] = field(default_factory=list)
    chat_mapping: str = "auto"
    chat_mapping_files: list[str] = field(default_factory=list)
    organisation_names: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    strict: bool = False
    follow_symlinks: bool = False
    max_message_chars: int = 100_000
    max_file_mb: int = 512
    max_archive_mb: int = 2048
    max_compression_ratio: int = 250
    max_nesting_depth: int = 64
    max_seconds_per_file: int = 120
    duckdb_memory_limit: str = ""   # defaults.toml sets it; "" = the top-level one


@dataclass
class NlpConfig:
    batch_size: int = 256
    question_turns: int = 2
    model_languages: list[str] = field(default_factory=lambda: ["nl"])
    workers: int = 0
    max_text_chars: int = 100_000


@dataclass
class ReasonsConfig:
    model_name: str = "default"
    embedding_model_nl: str = "char-tfidf"
    embedding_model_en: str = "minilm-int8"
    student_en: str = ""
    student_gate: float = 0.5
    min_reasons: int = 15
    max_reasons: int = 40
    max_outlier_share: float = 0.0
    random_state: int = 42
    fit_sample_size: int = 20000
    seed_taxonomy: str = ""


@dataclass
class TaggingConfig:
    repeat_window_days: int = 7
    extra_rule_files: list[str] = field(default_factory=list)
    unsure_below: float = 0.6
    label_count: int = 50


@dataclass
class PartyConfig:
    """One named partner of the organisation ([[organisatie.partijen]])."""
    naam: str
    type: str                      # carrier | installer | store | supplier | payment | backoffice
    aliassen: list[str] = field(default_factory=list)


@dataclass
class OrganisationConfig:
    """The organisation's own world ([organisatie]): its names, its departments (internal parties,
    type backoffice) and its named partners. The tagger matches all of them in the text."""
    naam: str = ""
    aliassen: list[str] = field(default_factory=list)
    afdelingen: list[str] = field(default_factory=list)
    partijen: list[PartyConfig] = field(default_factory=list)

    def own_names(self) -> list[str]:
        return [n for n in [self.naam, *self.aliassen] if n.strip()]


@dataclass
class ReportConfig:
    lang: str = "nl"
    handling_minutes: dict[str, float] = field(default_factory=dict)
    cost_per_minute: float = 0.85
    currency: str = "EUR"
    # defaults.toml sets "": beside the database (Config.place_beside); "reports" for code that
    # builds a ReportConfig itself.
    output_dir: str = "reports"
    # Share of a category's contacts (and so of their handling cost) expected to disappear once
    # the cause is tackled; the report states these rates beside every saving.
    removal_rate: dict[str, float] = field(default_factory=dict)
    project_min_contacts: int = 20
    project_scale_below: int = 2000
    # CSV tables: "nl" (; and decimal comma, UTF-8 with BOM, CRLF: Dutch Excel) or "international".
    csv_dialect: str = "nl"


@dataclass
class Config:
    ingest: IngestConfig = field(default_factory=IngestConfig)
    nlp: NlpConfig = field(default_factory=NlpConfig)
    reasons: ReasonsConfig = field(default_factory=ReasonsConfig)
    tagging: TaggingConfig = field(default_factory=TaggingConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    organisatie: OrganisationConfig = field(default_factory=OrganisationConfig)
    models_dir: str = "models"      # defaults.toml sets "": beside the database (place_beside)
    duckdb_memory_limit: str = ""   # defaults.toml sets it; "" = DuckDB's own (80% of RAM)
    duckdb_checkpoint_threshold: str = ""   # defaults.toml sets it; "" = DuckDB's own (16MB)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def place_beside(self, db: str | Path) -> "Config":
        """Fill in the folders left empty with ones beside the database, so two databases in
        one folder never share (and overwrite) each other's models or reports:
        ``<db folder>/models/<db name>/`` and ``<db folder>/reports/<db name>/``."""
        db = Path(db)
        if not self.models_dir:
            self.models_dir = str(db.parent / "models" / db.stem)
        if not self.report.output_dir:
            self.report.output_dir = str(db.parent / "reports" / db.stem)
        return self


def load_config(path: str | Path | None = None) -> Config:
    """Defaults from the package, overridden by ``path`` (or ./klantvraag.toml when it exists)."""
    defaults = tomllib.loads(
        resources.files("pipeline.resources").joinpath("defaults.toml").read_text("utf-8")
    )
    config = _merge(Config(), defaults, "defaults.toml")
    if path is None and DEFAULT_CONFIG_FILE.exists():
        path = DEFAULT_CONFIG_FILE
    if path is not None:
        file = Path(path)
        if not file.exists():
            raise ConfigError("configuratiebestand niet gevonden", path=str(file))
        try:
            overrides = tomllib.loads(file.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"geen geldige TOML: {exc}", path=str(file)) from exc
        config = _merge(config, overrides, str(file))
    return config


def _merge(config: Config, data: dict[str, Any], origin: str) -> Config:
    sections = {f.name: f for f in dataclasses.fields(Config)}
    for key, value in data.items():
        if key not in sections:
            raise ConfigError(f"onbekende sectie [{key}]", path=origin,
                              hint=f"geldige secties: {', '.join(sorted(sections))}")
        current = getattr(config, key)
        if not dataclasses.is_dataclass(current):
            setattr(config, key, value)
            continue
        if not isinstance(value, dict):
            raise ConfigError(f"[{key}] moet een tabel zijn", path=origin)
        known = {f.name: f for f in dataclasses.fields(current)}
        for name, item in value.items():
            if name not in known:
                raise ConfigError(f"onbekende sleutel '{name}' in [{key}]", path=origin,
                                  hint=f"geldige sleutels: {', '.join(sorted(known))}")
            expected = type(getattr(current, name))
            if expected is float and isinstance(item, int):
                item = float(item)
            if not isinstance(item, expected):
                raise ConfigError(
                    f"[{key}] {name} moet van het type {expected.__name__} zijn, niet {type(item).__name__}",
                    path=origin)
            if key == "organisatie" and name == "partijen":
                item = _parties(item, origin)
            elif key == "organisatie" and isinstance(item, list) and not all(
                    isinstance(v, str) for v in item):
                raise ConfigError(f"[organisatie] {name} moet een lijst van namen zijn", path=origin)
            setattr(current, name, item)
    return config


_PARTY_KEYS = {"naam", "type", "aliassen"}


def _parties(items: list, origin: str) -> list[PartyConfig]:
    """[[organisatie.partijen]] tables, each type written as one of ours or a documented alias
    (pipeline/resources/tagging/party_types.yaml: 'network operator' -> supplier, ...)."""
    from pipeline.tagging.party_types import canonical_type, known_types

    parties = []
    for number, item in enumerate(items, start=1):
        where = f"[[organisatie.partijen]] nr. {number}"
        if not isinstance(item, dict):
            raise ConfigError(f"{where} moet een tabel zijn met naam, type en aliassen", path=origin)
        unknown = set(item) - _PARTY_KEYS
        if unknown:
            raise ConfigError(f"onbekende sleutel(s) {sorted(unknown)} in {where}", path=origin,
                              hint=f"geldige sleutels: {', '.join(sorted(_PARTY_KEYS))}")
        name = item.get("naam")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where} heeft geen naam", path=origin,
                              hint='schrijf naam = "..." (de naam die het rapport toont)')
        kind = canonical_type(str(item.get("type", "")))
        if kind is None:
            raise ConfigError(f"{where} ({name}): type {item.get('type')!r} is onbekend",
                              path=origin, hint=f"geldige types: {known_types()}")
        aliases = item.get("aliassen", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise ConfigError(f"{where} ({name}): aliassen moet een lijst van namen zijn", path=origin)
        parties.append(PartyConfig(name.strip(), kind, [a.strip() for a in aliases if a.strip()]))
    return parties
