"""`klantvraag label`: the sheet out (uncertain contacts), the answers in (refit and re-tag).

The organisation's own text model is saved as models/<model_name>/tagging_model.npz: the shipped
training data plus every analyst label so far, with its calibration. `tag` uses it when present.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Config
from pipeline.errors import StageInputMissing
from pipeline.summary import Summary
from pipeline.tagging import analyst, label_sheet, training

MODEL_FILE = "tagging_model.npz"
# An analyst label counts like this many generated contacts (the hand-written ones count 24):
# the analyst's own organisation is what the model must learn.
ANALYST_WEIGHT = 48.0


def model_path(config: Config) -> Path:
    return Path(config.models_dir) / config.reasons.model_name / MODEL_FILE


def write(con, config: Config, out: Path, count: int | None = None) -> Summary:
    n_tags = con.execute("SELECT count(*) FROM contact_tags").fetchone()[0]
    if n_tags == 0:
        raise StageInputMissing("geen gelabelde contacten om voor te leggen", where="contact_tags",
                                hint="draai eerst `klantvraag tag`")
    count = count or config.tagging.label_count
    pool = analyst.candidates(con)
    chosen = analyst.select_uncertain(pool, count)
    label_sheet.write_sheet(out, chosen)
    summary = Summary(title="Labelblad voor de analist", columns=["", "aantal"])
    summary.rows.append(["contacten op het blad", len(chosen)])
    summary.rows.append(["redenen waarover ze verspreid zijn", len({c["reason"] for c in chosen})])
    summary.rows.append(["nog zonder analistlabel", len(pool)])
    summary.notes.append(f"geschreven: {out} (vul 'categorie' en 'derde partij' in en lees het "
                         f"in met: klantvraag label --read {out.name})")
    if chosen:
        mean = sum(c["uncertainty"] for c in chosen) / len(chosen)
        summary.notes.append(f"gekozen op onzekerheid van de tagger: gemiddeld "
                             f"{(1 - mean) * 100:.0f}% zeker".replace(".", ","))
    return summary


def read(con, config: Config, sheet: Path, refit: bool = True) -> list[Summary]:
    from pipeline import tagging

    labels, problems = label_sheet.read_sheet(sheet)
    known = {r[0] for r in con.execute("SELECT contact_id FROM contact_text").fetchall()}
    unknown = [label for label in labels if label.contact_id not in known]
    labels = [label for label in labels if label.contact_id in known]
    written = analyst.store_labels(con, labels, Path(sheet).name)
    total = con.execute("SELECT count(*) FROM analyst_labels").fetchone()[0]
    summary = Summary(title="Analistlabels ingelezen", columns=["", "aantal"])
    summary.rows.append(["labels uit dit blad", written])
    summary.rows.append(["analistlabels in totaal", total])
    summary.warnings.extend(problems)
    if unknown:
        summary.warnings.append(f"{len(unknown)} rij(en) met een contact_id dat niet in deze "
                                f"database staat, overgeslagen (bv. {unknown[0].contact_id})")
    out = [summary]
    if refit and total:
        path = model_path(config)
        examples = training.shipped() + analyst.training_examples(con, ANALYST_WEIGHT)
        model = training.fit(examples, organisation=config.organisatie)
        model.save(path)
        summary.notes.append(f"tekstmodel opnieuw getraind op de meegeleverde data plus {total} "
                             f"analistlabels: {path}")
        out.append(tagging.run(con, config.tagging, organisation=config.organisatie,
                               model_path=path))
    return out
