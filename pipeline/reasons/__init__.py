"""Contact reasons: cluster the customers' questions per language (BERTopic), name them, keep
them stable in an editable taxonomy, and assign new exports without refitting (``apply``).

``run(con, config, models_dir=..., apply=...)`` reads ``contacts`` and ``contact_text`` and
rewrites ``themes``, ``reasons``, ``sub_reasons`` and ``contact_reasons`` (one row per contact,
see :mod:`pipeline.reasons.inputs`); the pure core is :mod:`pipeline.reasons.core`.
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

HOW = ("assigned", "reduced", "seeded", "applied", "mapped", "outlier", "no_model", "auto_reply",
       "no_question")
# contact_reasons.how in the summary's words.
HOW_WORDS = {"assigned": "door het model", "reduced": "bij de dichtstbijzijnde groep",
             "seeded": "via de eigen taxonomie", "applied": "met het opgeslagen model",
             "mapped": "via de hoofdtaal", "outlier": "past slecht (kandidaat nieuwe reden)",
             "no_model": "zonder eigen model", "auto_reply": "automatisch antwoord",
             "no_question": "geen vraag"}
REASON_COLUMNS = ["reason_id", "model_name", "model_version", "language", "label", "description",
                  "keywords", "examples", "size", "default_category", "owner", "theme_id"]


def params_from_config(config: ReasonsConfig) -> dict[str, dict]:
    if not 1 <= config.min_reasons <= config.max_reasons:
        raise ConfigError(f"min_reasons {config.min_reasons} / max_reasons {config.max_reasons}",
                          where="[reasons]", hint="nodig: 1 <= min_reasons <= max_reasons")
    if not 0 <= config.max_outlier_share < 1:
        raise ConfigError("max_outlier_share moet in [0, 1) liggen", where="[reasons]")
    common = dict(min_reasons=config.min_reasons, max_reasons=config.max_reasons,
                  max_outlier_share=config.max_outlier_share, random_state=config.random_state,
                  fit_sample_size=config.fit_sample_size)
    if not 0 < config.student_gate <= 1:
        raise ConfigError("student_gate moet in (0, 1] liggen", where="[reasons]")
    return {"nl": {"embedding_model": config.embedding_model_nl, **common},
            "en": {"embedding_model": config.embedding_model_en, **common,
                   "student": config.student_en, "student_gate": config.student_gate}}


def read_input(con, unchanged: tuple[str, object] | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Questions to give a model reason (sorted by contact_id) and every other contact with its
    fixed reason (see :mod:`pipeline.reasons.inputs`); ``unchanged``: leave those out."""
    from pipeline.reasons import inputs

    return inputs.read(con, unchanged)


def _unchanged_since(con, folder: Path, model_name: str):
    """When ``reasons --apply`` may keep the reasons of contacts that did not change: the start
    of the last successful reasons run, if the rows in the store came from the model in
    ``folder`` as it is now (same model version, taxonomy.yaml not edited since). Else None:
    every contact is assigned again."""
    from datetime import datetime, timezone

    from pipeline.reasons import taxonomy as tax

    path = folder / "taxonomy.yaml"
    if not path.is_file():
        return None
    last = con.execute("SELECT started_at, finished_at FROM runs WHERE status = 'ok' "
                       "AND command IN ('reasons', 'reasons --apply') "
                       "ORDER BY started_at DESC LIMIT 1").fetchone()
    if last is None:
        return None
    since, finished = last
    # the run itself writes taxonomy.yaml (a fit); an edit is a change after it finished
    edited = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).replace(tzinfo=None)
    if edited > finished:
        return None
    versions = {v for (v,) in con.execute("SELECT DISTINCT model_version FROM reasons "
                                          "WHERE model_name = ?", [model_name]).fetchall()}
    try:
        current = tax.load(path, model_name).model_version
    except Exception:       # a damaged taxonomy is reported by apply itself
        return None
    return since if versions == {current} else None


def _work_key(frame: pd.DataFrame, folder: Path | None = None, settings: object = None) -> str:
    """What a run's finished batches depend on (see :func:`pipeline.batches.work_dir`): the
    questions in their order, the settings, and (``folder``) the saved model's files as they
    are on disk."""
    import hashlib

    from pipeline.reasons import core

    digest = hashlib.sha256(json.dumps([core.APPLY_BATCH, settings], sort_keys=True,
                                       default=str).encode())
    digest.update(pd.util.hash_pandas_object(frame[["contact_id", "language", "text"]],
                                             index=False).to_numpy().tobytes())
    if folder is not None:
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
            info = path.stat()
            digest.update(f"{path.relative_to(folder)}:{info.st_size}:{info.st_mtime_ns};"
                          .encode())
    return digest.hexdigest()


def run(con, config: ReasonsConfig, models_dir: Path = Path("models"),
        apply: bool = False, everything: bool = False) -> Summary:
    """Fit (or with ``apply``, assign with the saved model) and write the tables. ``apply``
    assigns only the contacts that are new or prepared again since the last reasons run and
    keeps the others' reasons, unless ``everything`` or the model changed since."""
    from pipeline import batches, store
    from pipeline.reasons import core, inputs, taxonomy as tax

    started = time.perf_counter()
    folder = Path(models_dir) / config.model_name
    since = _unchanged_since(con, folder, config.model_name) if apply and not everything else None
    unchanged = (config.model_name, since) if since is not None else None
    frame, rest = read_input(con, unchanged)
    kept = (con.execute(inputs.UNCHANGED_SQL, list(unchanged)).df() if unchanged
            else pd.DataFrame(columns=["contact_id", "language", "reason_id", "sub_reason_id",
                                       "probability", "how"]))
    if frame.empty and rest.empty and kept.empty:
        raise StageInputMissing("geen voorbereide contacten (contact_text is leeg)",
                                hint="draai eerst `klantvraag prepare`")
    command = "reasons --apply" if apply else "reasons"
    # Each finished batch (`--apply`: its reasons; a fit: its embeddings) stays in a work folder
    # beside the database until the tables are written: after Ctrl-C the same command goes on
    # where it stopped.
    work_dir = (batches.work_dir(con, "reasons-apply", _work_key(frame, folder)) if apply else
                batches.work_dir(con, "reasons-fit",
                                 _work_key(frame, settings=dataclasses.asdict(config))))
    with store.Run(con, command, dataclasses.asdict(config)) as record, work_dir as work:
        if apply:
            outcome = core.apply(frame, folder, config.model_name, work)
        else:
            seeds = tax.load_seeds(config.seed_taxonomy) if config.seed_taxonomy else []
            outcome = core.fit(frame, params_from_config(config), folder, seeds,
                               config.model_name, work)
            core.save(outcome, folder)
        assignments = _with_rest(outcome.assignments, rest, kept)
        reasons = _reasons_frame(outcome, assignments, config.model_name)
        sub_reasons = _sub_reasons_frame(outcome, config.model_name)
        themes = _themes_frame(outcome, reasons, config.model_name)
        _write(con, assignments, reasons, sub_reasons, themes, config.model_name)
        counts = assignments["how"].value_counts().to_dict()
        record.counts = {"contacts": len(assignments), "questions": len(frame),
                         "kept": len(kept),
                         "reasons": len(reasons), "sub_reasons": len(sub_reasons),
                         "themes": len(themes), **{k: int(v) for k, v in counts.items()}}
    summary = _summary(outcome, reasons, themes, assignments, frame, apply,
                       time.perf_counter() - started, folder)
    if apply:
        summary.notes.insert(0, (
            f"nieuw of opnieuw voorbereid: {len(frame) + len(rest):,} contacten ingedeeld; "
            f"{len(kept):,} ongewijzigd overgenomen (--all deelt alles opnieuw in)"
            if unchanged else f"alle {len(assignments):,} contacten ingedeeld").replace(",", "."))
    return summary


def _with_rest(assignments: pd.DataFrame, rest: pd.DataFrame,
               kept: pd.DataFrame | None = None) -> pd.DataFrame:
    """The model's rows plus the fixed reasons of the other contacts (and the ``kept`` rows of
    unchanged contacts): one row per contact. Questions no model could take (too few in the
    whole export) count as 'niet-ingedeeld'."""
    from pipeline.reasons import inputs

    assignments = assignments.copy()
    left = assignments["reason_id"].isna()
    assignments.loc[left, "reason_id"] = inputs.UNSORTED
    assignments.loc[left, "how"] = "no_model"
    extra = pd.DataFrame({"contact_id": rest["contact_id"], "language": rest["language"],
                          "reason_id": rest["reason_id"], "sub_reason_id": None,
                          "probability": 1.0,
                          "how": ["auto_reply" if r == inputs.AUTO_REPLY else "no_question"
                                  for r in rest["reason_id"]]})
    parts = [frame for frame in (assignments, extra, kept) if frame is not None and len(frame)]
    both = pd.concat(parts, ignore_index=True) if parts else assignments
    return both.sort_values("contact_id", kind="stable").reset_index(drop=True)


def _reasons_frame(outcome, assignments: pd.DataFrame, model_name: str) -> pd.DataFrame:
    from pipeline.reasons import inputs

    sizes = assignments["reason_id"].value_counts()
    rows = []
    for reason in outcome.taxonomy.reasons:
        if outcome.taxonomy.resolve(reason.id) != reason.id or not sizes.get(reason.id):
            continue      # merged into another, or all its questions mapped to the main language
        rows.append({
            "reason_id": reason.id, "model_name": model_name,
            "model_version": outcome.taxonomy.model_version, "language": reason.language,
            "label": reason.label, "description": reason.description,
            "keywords": json.dumps(reason.keywords, ensure_ascii=False),
            "examples": json.dumps(reason.examples, ensure_ascii=False),
            "size": int(sizes.get(reason.id, 0)), "default_category": reason.default_category,
            "owner": reason.owner, "theme_id": reason.theme})
    frame = pd.DataFrame(rows, columns=REASON_COLUMNS)
    special = inputs.special_reasons(model_name, outcome.taxonomy.model_version, sizes.to_dict())
    return pd.concat([frame, special], ignore_index=True) if len(special) else frame


def _themes_frame(outcome, reasons: pd.DataFrame, model_name: str) -> pd.DataFrame:
    """One row per theme; its size is the sum of its reasons' sizes (taken from ``reasons``,
    so the fixed theme 'geen-vraag' adds up as well)."""
    from pipeline.reasons import inputs

    sizes = reasons.groupby("theme_id")["size"].sum()
    labels = {t.id: t.label for t in outcome.taxonomy.themes}
    labels[inputs.NO_QUESTION_THEME] = inputs.NO_QUESTION_THEME_LABEL
    rows = [{"theme_id": theme_id, "model_name": model_name,
             "model_version": outcome.taxonomy.model_version,
             "label": labels.get(theme_id, theme_id), "size": int(size)}
            for theme_id, size in sizes.items() if theme_id is not None]
    return pd.DataFrame(rows, columns=["theme_id", "model_name", "model_version", "label",
                                       "size"]).sort_values("theme_id", ignore_index=True)


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
           themes: pd.DataFrame, model_name: str) -> None:
    theme_of = dict(zip(reasons["reason_id"], reasons["theme_id"]))
    contact_reasons = assignments[["contact_id", "reason_id", "probability", "how",
                                   "sub_reason_id"]].copy()
    contact_reasons["probability"] = contact_reasons["probability"].astype(float).round(6)
    for column in ("reason_id", "sub_reason_id"):      # pandas may have turned None into NaN
        contact_reasons[column] = [v if isinstance(v, str) else None
                                   for v in contact_reasons[column]]
    contact_reasons["theme_id"] = [theme_of.get(r) for r in contact_reasons["reason_id"]]
    contact_reasons["model_name"] = model_name
    frames = {"reasons_frame": reasons, "contact_reasons_frame": contact_reasons,
              "sub_reasons_frame": sub_reasons, "themes_frame": themes}
    con.execute("BEGIN TRANSACTION")
    try:
        for table in ("contact_reasons", "sub_reasons", "reasons", "themes"):
            con.execute(f"DELETE FROM {table}")
        for name, frame in frames.items():
            con.register(name, frame)
        con.execute("INSERT INTO reasons (reason_id, model_name, model_version, language, label, "
                    "description, keywords, examples, size, default_category, owner, theme_id) "
                    "SELECT reason_id, model_name, model_version, language, label, description, "
                    "keywords::JSON, examples::JSON, size, default_category, owner, theme_id "
                    "FROM reasons_frame")
        con.execute("INSERT INTO contact_reasons (contact_id, reason_id, probability, how, "
                    "model_name, sub_reason_id, theme_id) SELECT contact_id, reason_id, "
                    "probability, how, model_name, sub_reason_id, theme_id "
                    "FROM contact_reasons_frame")
        con.execute("INSERT INTO sub_reasons SELECT * FROM sub_reasons_frame")
        con.execute("INSERT INTO themes SELECT theme_id, model_name, model_version, label, size "
                    "FROM themes_frame")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in frames:
            con.unregister(name)


def _share(part: int, total: int) -> str:
    """Dutch percentage: 36,7%."""
    return f"{100 * part / max(1, total):.1f}%".replace(".", ",")


def _summary(outcome, reasons: pd.DataFrame, themes: pd.DataFrame, assignments: pd.DataFrame,
             questions: pd.DataFrame, apply: bool, seconds: float, folder: Path) -> Summary:
    """Themes by size, each followed by its reasons (indented) by size."""
    from pipeline.reasons import core

    title = "Contactredenen toegepast (zonder hertrainen)" if apply else "Contactredenen"
    summary = Summary(title=title, columns=["thema / reden", "taal", "label", "contacten",
                                            "aandeel"])
    total = len(assignments)
    for theme in themes.sort_values(["size", "theme_id"], ascending=[False, True]).itertuples():
        summary.rows.append([theme.theme_id, "", theme.label.upper(), int(theme.size),
                             _share(theme.size, total)])
        own = reasons[reasons["theme_id"] == theme.theme_id]
        for row in own.sort_values(["size", "reason_id"], ascending=[False, True]).itertuples():
            summary.rows.append([f"  {row.reason_id}", row.language, f"  {row.label}",
                                 int(row.size), _share(row.size, total)])
    how = assignments["how"].value_counts()
    summary.notes.append("ingedeeld: " + ", ".join(
        f"{HOW_WORDS.get(k, k)} {int(how.get(k, 0))}" for k in HOW if how.get(k, 0)))
    summary.notes.extend(outcome.notes)
    mapped = assignments[assignments["how"] == "mapped"]
    if len(mapped):
        summary.notes.append(f"ingedeeld bij een reden van de hoofdtaal ({outcome.main}) via de "
                             "meertalige vergelijking: " + ", ".join(
                                 f"{lang} {n}" for lang, n in
                                 mapped["language"].value_counts().items()))
    summary.notes.append(f"model: {folder} (taxonomy.yaml bewerkbaar); {total} contacten in "
                         f"{seconds:.1f} s")
    summary.warnings.extend(outcome.warnings)
    if apply and outcome.drift is not None and len(outcome.drift):
        drift = outcome.drift
        terms = core.drift_terms(drift, questions)
        summary.warnings.append(
            f"{len(drift)} contacten ({_share(len(drift), total)}) passen slecht bij de "
            f"bestaande redenen (wel ingedeeld bij de dichtstbijzijnde): kandidaten voor "
            f"nieuwe redenen; opvallende woorden: {', '.join(terms) or '-'}")
        for text in drift["text"].head(5):
            summary.notes.append(f"  drift-voorbeeld: {' '.join(str(text).split())[:160]}")
    return summary
