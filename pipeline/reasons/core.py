"""The reason stage without a database: fit or apply models per language, keep ids stable.

Input: a frame with contact_id, language, text (question_text) and lemmas (question_lemmas),
sorted by contact_id. Output: one row per contact (reason_id, probability, how, language) and
the taxonomy. A model folder ``models/<name>/`` holds taxonomy.yaml, ids.json (model class ->
reason id per language) and one sub-folder per language with the fitted ReasonModel.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.atomic import write_text
from pipeline.reasons import taxonomy as tax, themes
from pipeline.reasons.model import (MIN_FIT_TEXTS, MIN_SMALL_FIT_TEXTS, OUTLIER, ReasonModel,
                                    damaged_model_file)
from pipeline.reasons.representation import analyzer

MODEL_LANGUAGES = ("nl", "en")
BANK_FILE = "bank.npz"


@dataclass
class Outcome:
    assignments: pd.DataFrame     # contact_id, language, reason_id, sub_reason_id, probability, how
    taxonomy: tax.Taxonomy
    models: dict[str, ReasonModel] = field(default_factory=dict)
    ids: dict[str, dict[int, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    drift: pd.DataFrame | None = None
    bank: themes.Bank | None = None     # typical questions of every reason, multilingual
    main: str = "nl"                    # the language whose reasons the others map onto


def model_version(frame: pd.DataFrame, params: dict, seeds: list[tax.Seed]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(params, sort_keys=True, default=str).encode())
    digest.update(json.dumps([s.__dict__ for s in seeds], sort_keys=True).encode())
    for row in frame[["contact_id", "text"]].itertuples(index=False):
        digest.update(f"{row.contact_id}\x1f{row.text}\x1e".encode())
    return digest.hexdigest()[:12]


def _empty(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"contact_id": frame["contact_id"].to_numpy(),
                         "language": frame["language"].to_numpy(),
                         "reason_id": pd.Series([None] * len(frame), dtype=object),
                         "sub_reason_id": pd.Series([None] * len(frame), dtype=object),
                         "probability": np.zeros(len(frame)),
                         "how": np.full(len(frame), "outlier", dtype=object)})


def fit(frame: pd.DataFrame, params: dict, folder: Path, seeds: list[tax.Seed],
        model_name: str, work: Path | None = None) -> Outcome:
    """Fit one model per language in MODEL_LANGUAGES; other languages stay unassigned.
    ``work``: a folder where each language's model keeps its embeddings while it fits
    (``ReasonModel(memory=...)``): a fit interrupted and started again embeds only what it had
    not."""
    old = tax.load(folder / "taxonomy.yaml", model_name)
    old_ids = _load_ids(folder, damaged_ok=True)     # a damaged ids.json must not block a refit
    new = tax.Taxonomy(model_name, model_version(frame, params, seeds))
    out = _empty(frame)
    outcome = Outcome(out, new)
    for language in MODEL_LANGUAGES:
        rows = np.flatnonzero(frame["language"].to_numpy() == language)
        if len(rows) == 0:
            continue
        part = frame.iloc[rows]
        if len(rows) < MIN_SMALL_FIT_TEXTS:
            outcome.warnings.append(
                f"{language}: {len(rows)} contacten, te weinig om eigen redenen te vinden "
                f"(minimaal {MIN_SMALL_FIT_TEXTS}); ze krijgen de best passende reden van een "
                f"andere taal")
            continue
        lang_seeds = [s for s in seeds if s.language == language]
        model = ReasonModel(language=language, **params[language],
                            memory=work / language if work is not None else None).fit(
            part["text"], part["lemmas"],
            seeds={s.key: s.examples for s in lang_seeds} or None)
        if model.embeddings_reused_:
            outcome.notes.append(
                f"{language}: hervat: {model.embeddings_reused_} batch(es) embeddings uit de "
                "onderbroken fit overgenomen")
        # Which old reason does each new class continue? Ask the old model about the fit
        # sample's questions (a uniform sample: the same overlaps as every question).
        sample = model.sample_
        previous = _previous_members(folder / language, old_ids.get(language, {}),
                                     part.iloc[sample])
        members = {c: set(np.flatnonzero(model.labels_[sample] == c)) for c in model.centroids_}
        matched = tax.match(members, previous)
        seed_by_key = {s.key: s for s in lang_seeds}
        ids: dict[int, str] = {}
        for cls, info in enumerate(model.reasons_):
            seed = seed_by_key.get(info["seed"]) if info["seed"] else None
            reason_id = matched.get(cls)
            if seed is not None:
                reason_id = seed.key if seed.key.startswith(f"{language}-") else \
                    f"{language}-{seed.key}"
            if reason_id is None or reason_id in ids.values():
                reason_id = old.next_id(language, set(ids.values()) | set(new.by_id()))
            ids[cls] = reason_id
            label = themes.sentence_case(info["label"])
            reason = tax.Reason(
                id=reason_id, language=language, label=label,
                description=info["description"], keywords=info["keywords"], size=info["size"],
                examples=info["examples"], auto_label=label, seeded=seed is not None)
            if seed is not None:
                reason.label, reason.default_category, reason.owner = \
                    seed.label, seed.default_category, seed.owner
                reason.description = seed.description or reason.description
            _keep_edits(reason, old.by_id().get(reason_id))
            new.reasons.append(reason)
        sub_ids = sub_reason_ids(model, ids)
        by_id = new.by_id()
        for sub, info in enumerate(model.sub_reasons_):
            by_id[ids[info["parent"]]].sub_reasons.append(
                {"id": sub_ids[sub], "label": themes.sentence_case(info["label"]),
                 "size": info["size"]})
        out.loc[rows, "reason_id"] = _named(model.labels_, ids)
        out.loc[rows, "sub_reason_id"] = _named(model.sub_labels_, dict(enumerate(sub_ids)))
        out.loc[rows, "probability"] = model.probabilities_
        out.loc[rows, "how"] = model.how_
        outcome.models[language], outcome.ids[language] = model, ids
        outcome.notes.append(_model_note(language, model))
    _carry_merges(new, old)
    _place_leftovers(frame, out, outcome)
    if not outcome.models:
        _resolve(out, new)
        return outcome
    central, central_subs = _central_texts(frame, outcome)
    outcome.bank = themes.Bank.build(central, central_subs)
    outcome.main = _main_language(frame, outcome)
    _map_languages(frame, out, outcome, new)
    _resolve(out, new)
    themes.build(new, old, out, central, outcome.bank.profiles(), outcome.main)
    return outcome


def _central_texts(frame: pd.DataFrame, outcome: "Outcome"):
    """Reason id -> its most typical questions (nearest its centre in its own model), and
    reason id -> their sub-reason ids ('' where none)."""
    texts_of, subs_of = {}, {}
    for language, model in outcome.models.items():
        texts = frame["text"].to_numpy()[frame["language"].to_numpy() == language]
        ids = outcome.ids[language]
        sub_ids = dict(enumerate(sub_reason_ids(model, ids)))
        for cls, rows in model.central_.items():
            texts_of[ids[cls]] = [str(texts[i]) for i in rows]
            subs_of[ids[cls]] = [sub_ids.get(int(model.sub_labels_[i]), "") for i in rows]
    return texts_of, subs_of


def _main_language(frame: pd.DataFrame, outcome: "Outcome") -> str:
    """The fitted language with the most contacts: its reasons and labels are the taxonomy's."""
    counts = frame["language"].value_counts()
    return max(outcome.models, key=lambda lang: (int(counts.get(lang, 0)), lang == "nl"))


def _place_leftovers(frame: pd.DataFrame, out: pd.DataFrame, outcome: "Outcome") -> None:
    """A question the fit left without a reason (max_outlier_share > 0) takes the reason its
    neighbours vote for; it keeps how='outlier' (it fits none well)."""
    for language, model in outcome.models.items():
        rows = np.flatnonzero((frame["language"].to_numpy() == language)
                              & out["reason_id"].isna().to_numpy())
        if len(rows) == 0:
            continue
        labels, probs, subs, _ = model.assign(frame["text"].iloc[rows].tolist())
        ids = outcome.ids[language]
        out.loc[rows, "reason_id"] = _named(labels, ids)
        out.loc[rows, "sub_reason_id"] = _named(subs, dict(enumerate(sub_reason_ids(model, ids))))
        out.loc[rows, "probability"] = probs


def _map_languages(frame: pd.DataFrame, out: pd.DataFrame, outcome: "Outcome",
                   taxonomy: tax.Taxonomy, rows: np.ndarray | None = None) -> None:
    """One taxonomy across languages (themes.py): a question in another language than the
    main one takes the main language's reason that its nearest typical questions vote for
    (how='mapped'), where the nearest is at least MAP_SIMILARITY similar; a language without
    a model of its own always does. ``rows``: only these (default: every other language)."""
    if rows is None:
        rows = np.flatnonzero(frame["language"].to_numpy() != outcome.main)
    for start in range(0, len(rows), APPLY_BATCH):     # embeddings of one batch at a time
        _map_rows(frame, out, outcome, taxonomy, rows[start:start + APPLY_BATCH])


def _map_rows(frame: pd.DataFrame, out: pd.DataFrame, outcome: "Outcome",
              taxonomy: tax.Taxonomy, rows: np.ndarray,
              vectors: np.ndarray | None = None) -> np.ndarray:
    """:func:`_map_languages` for ``rows`` (``vectors``: their multilingual embeddings, when
    they were already made). Returns which of ``rows`` took a main-language reason."""
    taken = np.zeros(len(rows), dtype=bool)
    if outcome.bank is None or len(rows) == 0:
        return taken
    main_ids = {r.id for r in taxonomy.reasons if r.language == outcome.main}
    bank = outcome.bank.only(main_ids)
    if len(bank.owners) == 0:
        return taken
    if vectors is None:
        vectors = themes.embed(frame["text"].iloc[rows].tolist())
    chosen, best, subs = bank.vote(vectors)
    modelled = frame["language"].iloc[rows].isin(list(outcome.models)).to_numpy()
    take = ~modelled | (best >= themes.MAP_SIMILARITY)
    rows, best = rows[take], best[take]
    out.loc[rows, "reason_id"] = [r for r, t in zip(chosen, take) if t]
    out.loc[rows, "sub_reason_id"] = [s or None for s, t in zip(subs, take) if t]
    out.loc[rows, "probability"] = np.clip(best, 0.0, 1.0)
    out.loc[rows, "how"] = "mapped"
    return take


def apply(frame: pd.DataFrame, folder: Path, model_name: str,
          work: Path | None = None) -> Outcome:
    """Assign contacts to the saved reasons without refitting; misfits are drift.

    ``work``: a folder for each finished batch's rows (see :func:`pipeline.batches.work_dir`):
    a run interrupted and started again over the same questions and model takes the batches
    it finished from there instead of assigning them again."""
    from pipeline.batches import done, load_done, save_done
    from pipeline.errors import NotFittedError

    taxonomy = tax.load(folder / "taxonomy.yaml", model_name)
    ids = _load_ids(folder)
    if not taxonomy.reasons or not ids:
        raise NotFittedError("geen getraind redenmodel", path=str(folder),
                             hint="draai eerst `klantvraag reasons` zonder --apply")
    out = _empty(frame)
    outcome = Outcome(out, taxonomy, bank=themes.Bank.load(folder / BANK_FILE),
                      main=_load_main(folder))
    resumed = 0
    for language, class_ids in ids.items():
        rows = np.flatnonzero(frame["language"].to_numpy() == language)
        if len(rows) == 0:
            continue
        model = ReasonModel.load(folder / language)
        outcome.models[language] = model
        # In batches: memory for embeddings stays that of one batch. A language other than the
        # main one is mapped first (one multilingual pass); only the questions the map leaves
        # need the language's own model, whose answer the map would overwrite anyway. A model
        # on the multilingual backend reuses the map's embeddings.
        shared = language != outcome.main and model.embedding_model == "use"
        sub_ids = dict(enumerate(sub_reason_ids(model, class_ids)))
        for number, start in enumerate(range(0, len(rows), APPLY_BATCH)):
            batch = rows[start:start + APPLY_BATCH]
            marker = done(work, f"apply-{language}", number) if work is not None else None
            finished = load_done(marker) if marker is not None else None
            if finished is not None and len(finished) == len(batch):
                for column in RESULT_COLUMNS:      # column by column: each keeps its dtype
                    out.loc[batch, column] = finished[column].to_numpy()
                resumed += 1
                continue
            vectors = themes.embed(frame["text"].iloc[batch].tolist()) if shared else None
            own = np.ones(len(batch), dtype=bool)
            if language != outcome.main:
                own = ~_map_rows(frame, out, outcome, taxonomy, batch, vectors)
            if own.any():
                _place(out, batch[own], model, class_ids, sub_ids,
                       vectors[own] if shared else None, frame)
            if marker is not None:
                save_done(marker, out.loc[batch, RESULT_COLUMNS].reset_index(drop=True))
    if resumed:
        outcome.notes.append(f"hervat: {resumed} batch(es) van {APPLY_BATCH:,} vragen waren al "
                             "ingedeeld in de onderbroken run en zijn overgenomen"
                             .replace(",", "."))
    # languages without a model of their own always take the main language's reasons
    unmodelled = ~frame["language"].isin([outcome.main, *ids]).to_numpy()
    _map_languages(frame, out, outcome, taxonomy, np.flatnonzero(unmodelled))
    _resolve(out, taxonomy)
    misfit = out["how"].eq("outlier")
    outcome.drift = frame.loc[misfit.to_numpy(), ["contact_id", "language", "text", "lemmas"]]
    return outcome


RESULT_COLUMNS = ["reason_id", "sub_reason_id", "probability", "how"]


def _place(out: pd.DataFrame, placed: np.ndarray, model: ReasonModel,
           class_ids: dict[int, str], sub_ids: dict[int, str], vectors: np.ndarray | None,
           frame: pd.DataFrame) -> None:
    """Assign the questions at rows ``placed`` with the language's own model (``vectors``:
    their embeddings, when the map already made them on the model's backend)."""
    labels, probs, subs, fits = model.assign(frame["text"].iloc[placed].tolist(), vectors)
    out.loc[placed, "reason_id"] = _named(labels, class_ids)
    out.loc[placed, "sub_reason_id"] = _named(subs, sub_ids)
    out.loc[placed, "probability"] = probs
    # placed in the nearest reason either way; 'outlier' marks the ones that fit none
    out.loc[placed, "how"] = np.where(fits, "applied", "outlier")


APPLY_BATCH = 20_000         # texts embedded at once by `reasons --apply`


def _named(labels: np.ndarray, ids: dict[int, str]) -> list[str | None]:
    """The id of each model label (None for an outlier)."""
    return [ids.get(int(label)) if label != OUTLIER else None for label in labels]


def sub_reason_ids(model: ReasonModel, class_ids: dict[int, str]) -> list[str]:
    """'nl-007.1', 'nl-007.2', ...: a sub-reason's id is its reason's id and its rank by size
    within that reason in the fit sample (the order of ``model.sub_reasons_``). Unlike reason
    ids they are not carried from one fit to the next: each fit rewrites its sub-reasons."""
    seen: Counter = Counter()
    result = []
    for info in model.sub_reasons_:
        seen[info["parent"]] += 1
        result.append(f"{class_ids[info['parent']]}.{seen[info['parent']]}")
    return result


def drift_terms(drift: pd.DataFrame, everything: pd.DataFrame, top: int = 8) -> list[str]:
    """Words and phrases much more common among the misfits than overall: new reasons?"""
    if drift is None or drift.empty:
        return []
    terms = []
    for language, part in drift.groupby("language"):
        analyze = analyzer(str(language))
        inside = Counter(t for text in part["lemmas"].fillna(part["text"]) for t in set(analyze(text)))
        base = everything[everything["language"] == language]
        overall = Counter(t for text in base["lemmas"].fillna(base["text"])
                          for t in set(analyze(text)))
        n_in, n_all = max(1, len(part)), max(1, len(base))
        score = {t: (c / n_in) / ((overall[t] + 1) / n_all) * np.log1p(c)
                 for t, c in inside.items() if c >= 2}
        terms += [t for t, _ in sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    return terms


def save(outcome: Outcome, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for language, model in outcome.models.items():
        model.save(folder / language)
    ids = {lang: {str(c): i for c, i in m.items()} for lang, m in outcome.ids.items()}
    previous = _load_ids(folder, damaged_ok=True)
    for language in previous:           # a language not refitted keeps its saved model
        if language not in ids:
            ids[language] = {str(c): i for c, i in previous[language].items()}
    write_text(folder / "ids.json", json.dumps(ids, indent=1))
    if outcome.bank is not None:
        outcome.bank.save(folder / BANK_FILE)
        write_text(folder / "main_language.txt", outcome.main)
    tax.save(outcome.taxonomy, folder / "taxonomy.yaml")


def _load_main(folder: Path) -> str:
    file = folder / "main_language.txt"
    return file.read_text("utf-8").strip() if file.exists() else "nl"


def _load_ids(folder: Path, damaged_ok: bool = False) -> dict[str, dict[int, str]]:
    file = folder / "ids.json"
    if not file.exists():
        return {}
    try:
        data = json.loads(file.read_text("utf-8"))
        return {lang: {int(c): i for c, i in m.items()} for lang, m in data.items()}
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        if damaged_ok:
            return {}
        raise damaged_model_file(folder, exc, "ids.json") from exc


def _previous_members(model_folder: Path, class_ids: dict[int, str],
                      part: pd.DataFrame) -> dict[str, set[int]]:
    if not class_ids or not (model_folder / "model.json").exists():
        return {}
    try:
        labels, _ = ReasonModel.load(model_folder).transform(part["text"].tolist())
    except Exception:  # an unreadable old model only costs the id continuity
        return {}
    members: dict[str, set[int]] = {}
    for position, cls in enumerate(labels):
        if cls != OUTLIER and int(cls) in class_ids:
            members.setdefault(class_ids[int(cls)], set()).add(position)
    return members


def _keep_edits(reason: tax.Reason, previous: tax.Reason | None) -> None:
    if previous is None:
        return
    if previous.label != previous.auto_label:
        reason.label = previous.label
    if not previous.description.startswith(("Automatisch gevonden", "Found automatically")):
        reason.description = previous.description
    for name in ("default_category", "owner", "merged_into"):
        if getattr(previous, name):
            setattr(reason, name, getattr(previous, name))


def _carry_merges(new: tax.Taxonomy, old: tax.Taxonomy) -> None:
    """A merge target that the new fit did not find again is kept as an empty reason."""
    present = new.by_id()
    for reason in list(new.reasons):
        target = reason.merged_into
        while target and target not in present and target in old.by_id():
            kept = old.by_id()[target]
            carried = tax.Reason(**{**kept.__dict__, "size": 0, "sub_reasons": []})
            new.reasons.append(carried)
            present[target] = carried
            target = carried.merged_into
        if reason.merged_into and reason.merged_into not in present:
            reason.merged_into = None


def _resolve(out: pd.DataFrame, taxonomy: tax.Taxonomy) -> None:
    """Contacts of a merged reason move to the reason it was merged into. Inside that reason a
    merged reason without sub-reasons of its own is one sub-reason (its id and label), so the
    merged reason's sub-reasons still add up to it."""
    plain = taxonomy.merged_groups() & {r.id for r in taxonomy.reasons if not r.sub_reasons}
    own = out["reason_id"].isin(plain) & out["sub_reason_id"].isna()
    out.loc[own, "sub_reason_id"] = out.loc[own, "reason_id"]
    out["reason_id"] = [taxonomy.resolve(r) if r is not None else None for r in out["reason_id"]]


def _model_note(language: str, model: ReasonModel) -> str:
    merged = getattr(model, "merged_", 0)
    if model.method_ == "agglomerative":
        return (f"{language}: {model.n_reasons_} redenen ({model.embedding_model}; minder dan "
                f"{MIN_FIT_TEXTS} verschillende vragen, dus agglomeratieve clustering in plaats "
                f"van BERTopic)")
    note = (f"{language}: {model.n_reasons_} redenen ({model.embedding_model}; HDBSCAN vond "
            f"{model.dense_groups_} dichte groepen bij min_cluster_size {model.min_cluster_size_}, "
            f"Ward verdeelde alle vragen")
    note += f", {merged} groepen samengevoegd)" if merged else ")"
    if model.sub_reasons_:
        holders = len({info["parent"] for info in model.sub_reasons_})
        note += (f"; {holders} redenen bundelen samen {len(model.sub_reasons_)} subredenen "
                 f"(tabel sub_reasons)")
    return note
