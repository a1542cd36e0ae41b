"""Contact reasons: cluster the customers' questions per language (BERTopic), name them, keep
them stable in an editable taxonomy, and assign new exports without refitting (``apply``).

``run(con, config, models_dir=..., apply=...)`` reads ``contact_text`` and rewrites ``reasons``,
``sub_reasons`` and ``contact_reasons``; the pure core is :mod:`pipeline.reasons.core`.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pandas as pd

from pipeline.config import ReasonsConfig
from pipeline.errors import ConfigError, StageInputMissing
from pipeline.summary import Summary

__all__ = ["run", "read_input", "params_from_config"]

HOW = ("assigned", "reduced", "seeded", "applied", "outlier")


def params_from_config(config: ReasonsConfig) -> dict[str, dict]:
    if not 1 <= config.min_reasons <= config.max_reasons:
        raise ConfigError(f"min_reasons {config.min_reasons} / max_reasons {config.max_reasons}",
                          where="[reasons]", hint="need 1 <= min_reasons <= max_reasons")
    if not 0 <= config.max_outlier_share < 1:
        raise ConfigError("max_outlier_share must be in [0, 1)", where="[reasons]")
    common = dict(min_reasons=config.min_reasons, max_reasons=config.max_reasons,
                  max_outlier_share=config.max_outlier_share, random_state=config.random_state,
                  fit_sample_size=config.fit_sample_size)
    return {"nl": {"embedding_model": config.embedding_model_nl, **common},
            "en": {"embedding_model": config.embedding_model_en, **common}}


def read_input(con) -> tuple[pd.DataFrame, int]:
    """Questions to give a reason (sorted by contact_id) and the number of contacts left out
    (auto-replies, no question text)."""
    frame = con.execute(
        "SELECT contact_id, coalesce(language, 'unknown') AS language, question_text AS text, "
        "coalesce(question_lemmas, '') AS lemmas FROM contact_text "
        "WHERE NOT is_auto_reply AND length(trim(coalesce(question_text, ''))) > 0 "
        "ORDER BY contact_id").df()
    total = con.execute("SELECT count(*) FROM contact_text").fetchone()[0]
    return frame, total - len(frame)


def run(con, config: ReasonsConfig, models_dir: Path = Path("models"),
        apply: bool = False) -> Summary:
    from pipeline import store
    from pipeline.reasons import core, taxonomy as tax

    started = time.perf_counter()
    frame, left_out = read_input(con)
    if frame.empty:
        raise StageInputMissing("no customer questions in contact_text",
                                hint="run `klantvraag prepare` first")
    folder = Path(models_dir) / config.model_name
    command = "reasons --apply" if apply else "reasons"
    with store.Run(con, command, dataclasses.asdict(config)) as record:
        if apply:
            outcome = core.apply(frame, folder, config.model_name)
        else:
            seeds = tax.load_seeds(config.seed_taxonomy) if config.seed_taxonomy else []
            outcome = core.fit(frame, params_from_config(config), folder, seeds,
                               config.model_name)
            core.save(outcome, folder)
        reasons = _reasons_frame(outcome, config.model_name)
        sub_reasons = _sub_reasons_frame(outcome, config.model_name)
        _write(con, outcome.assignments, reasons, sub_reasons, config.model_name)
        counts = outcome.assignments["how"].value_counts().to_dict()
        record.counts = {"contacts": len(frame), "left_out": left_out,
                         "reasons": len(reasons), "sub_reasons": len(sub_reasons),
                         **{k: int(v) for k, v in counts.items()}}
    return _summary(outcome, reasons, frame, left_out, apply, time.perf_counter() - started,
                    folder)


def _reasons_frame(outcome, model_name: str) -> pd.DataFrame:
    sizes = outcome.assignments["reason_id"].value_counts()
    rows = []
    for reason in outcome.taxonomy.reasons:
        if reason.merged_into:
            continue
        rows.append({
            "reason_id": reason.id, "model_name": model_name,
            "model_version": outcome.taxonomy.model_version, "language": reason.language,
            "label": reason.label, "description": reason.description,
            "keywords": json.dumps(reason.keywords, ensure_ascii=False),
            "examples": json.dumps(reason.examples, ensure_ascii=False),
            "size": int(sizes.get(reason.id, 0)), "default_category": reason.default_category,
            "owner": reason.owner})
    columns = ["reason_id", "model_name", "model_version", "language", "label", "description",
               "keywords", "examples", "size", "default_category", "owner"]
    return pd.DataFrame(rows, columns=columns)


def _sub_reasons_frame(outcome, model_name: str) -> pd.DataFrame:
    taxonomy = outcome.taxonomy
    sizes = outcome.assignments["sub_reason_id"].value_counts()
    merged = taxonomy.merged_groups()
    rows = [{"sub_reason_id": sub["id"], "reason_id": taxonomy.resolve(reason.id),
             "model_name": model_name, "model_version": taxonomy.model_version,
             "language": reason.language, "label": sub["label"],
             "size": int(sizes.get(sub["id"], 0))}
            for reason in taxonomy.reasons
            for sub in reason.sub_reasons or
            ([{"id": reason.id, "label": reason.label}] if reason.id in merged else [])]
    columns = ["sub_reason_id", "reason_id", "model_name", "model_version", "language", "label",
               "size"]
    return pd.DataFrame(rows, columns=columns)


def _write(con, assignments: pd.DataFrame, reasons: pd.DataFrame, sub_reasons: pd.DataFrame,
           model_name: str) -> None:
    contact_reasons = assignments[["contact_id", "reason_id", "probability", "how",
                                   "sub_reason_id"]].copy()
    contact_reasons["probability"] = contact_reasons["probability"].astype(float).round(6)
    for column in ("reason_id", "sub_reason_id"):      # pandas may have turned None into NaN
        contact_reasons[column] = [v if isinstance(v, str) else None
                                   for v in contact_reasons[column]]
    contact_reasons["model_name"] = model_name
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM contact_reasons")
        con.execute("DELETE FROM sub_reasons")
        con.execute("DELETE FROM reasons")
        con.register("reasons_frame", reasons)
        con.execute("INSERT INTO reasons (reason_id, model_name, model_version, language, label, "
                    "description, keywords, examples, size, default_category, owner) "
                    "SELECT reason_id, model_name, model_version, language, "
                    "label, description, keywords::JSON, examples::JSON, size, "
                    "default_category, owner FROM reasons_frame")
        con.register("contact_reasons_frame", contact_reasons)
        con.execute("INSERT INTO contact_reasons (contact_id, reason_id, probability, how, "
                    "model_name, sub_reason_id) SELECT contact_id, reason_id, probability, how, "
                    "model_name, sub_reason_id FROM contact_reasons_frame")
        con.register("sub_reasons_frame", sub_reasons)
        con.execute("INSERT INTO sub_reasons SELECT * FROM sub_reasons_frame")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("reasons_frame")
        con.unregister("contact_reasons_frame")
        con.unregister("sub_reasons_frame")


def _summary(outcome, reasons: pd.DataFrame, frame: pd.DataFrame, left_out: int, apply: bool,
             seconds: float, folder: Path) -> Summary:
    from pipeline.reasons import core

    title = "Contactredenen toegepast (zonder hertrainen)" if apply else "Contactredenen"
    summary = Summary(title=title, columns=["reden", "taal", "label", "contacten", "aandeel"])
    total = len(frame)
    for row in reasons.sort_values(["size", "reason_id"], ascending=[False, True]).itertuples():
        summary.rows.append([row.reason_id, row.language, row.label, int(row.size),
                             f"{row.size / total:.1%}"])
    assignments = outcome.assignments
    unassigned = int(assignments["reason_id"].isna().sum())
    summary.rows.append(["-", "-", core.OTHER, unassigned, f"{unassigned / total:.1%}"])
    how = assignments["how"].value_counts()
    summary.notes.append(", ".join(f"{k}: {int(how.get(k, 0))}" for k in HOW if how.get(k, 0)))
    summary.notes.extend(outcome.notes)
    other = assignments[~assignments["language"].isin(core.MODEL_LANGUAGES)]
    if len(other):
        by_language = other["language"].value_counts()
        summary.notes.append("andere talen, niet toegewezen: " + ", ".join(
            f"{lang} {n}" for lang, n in by_language.items()))
    if left_out:
        summary.notes.append(f"{left_out} contacten zonder vraag of automatisch antwoord: "
                             "overgeslagen")
    summary.notes.append(f"model: {folder} (taxonomy.yaml bewerkbaar); {total} contacten in "
                         f"{seconds:.1f} s")
    summary.warnings.extend(outcome.warnings)
    if apply and outcome.drift is not None and len(outcome.drift):
        drift = outcome.drift
        terms = core.drift_terms(drift, frame)
        summary.warnings.append(
            f"{len(drift)} contacten ({len(drift) / total:.1%}) passen bij geen bestaande reden: "
            f"kandidaten voor nieuwe redenen; opvallende woorden: {', '.join(terms) or '-'}")
        for text in drift["text"].head(5):
            summary.notes.append(f"  drift-voorbeeld: {' '.join(str(text).split())[:160]}")
    return summary
