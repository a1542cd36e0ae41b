"""English --apply with and without the student (pipeline/reasons/student.py), on BANKING77:
the reason model is fitted on the train split, then applied to the test split.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/student.py [--features minilm-static+char-tfidf,char-tfidf]
                                                       [--gates 0.5,0.7] [--eval-dir ../shared/eval]

Prints, per student (features, gate): apply speed (texts/s, the model's own embedding
included for the unsure), the share it answered itself, agreement with the model alone, and
NMI / ARI against the true intents; the first line is the model alone (minilm-onnx).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # noqa: E402

from pipeline.reasons.model import ReasonModel  # noqa: E402
from pipeline.reasons.student import Student  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", default="minilm-static+char-tfidf,char-tfidf")
    parser.add_argument("--gates", default="0.5,0.7")
    parser.add_argument("--model", default="minilm-onnx")
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    args = parser.parse_args()
    root = args.eval_dir / "banking77_en"
    train, test = (pd.read_csv(root / f"{split}.csv") for split in ("train", "test"))
    fit_texts, texts = train["text"].astype(str).tolist(), test["text"].astype(str).tolist()
    truth = test["category"].astype(str).tolist()

    started = time.perf_counter()
    model = ReasonModel(language="en", embedding_model=args.model, random_state=42)
    model.fit(fit_texts)
    print(f"fit on {len(fit_texts)} train questions: {time.perf_counter() - started:.0f} s, "
          f"{model.n_reasons_} reasons", flush=True)
    started = time.perf_counter()
    alone, _, alone_subs, _ = model.assign(texts)
    seconds = time.perf_counter() - started
    print(f"{'apply':<34}{'texts/s':>9}{'student':>9}{'agree':>8}{'NMI':>7}{'ARI':>7}")
    print(f"{args.model + ' alone':<34}{len(texts) / seconds:9,.0f}{'':>9}{1:8.3f}"
          f"{normalized_mutual_info_score(truth, alone):7.3f}"
          f"{adjusted_rand_score(truth, alone):7.3f}", flush=True)
    sample_emb = model._embed(fit_texts)
    labels, _ = model._vote(sample_emb, threshold=-np.inf)
    subs = model._nearest_sub(sample_emb, labels)
    for features in args.features.split(","):
        started = time.perf_counter()
        student = Student(features).fit(fit_texts, labels, subs)
        fit_s = time.perf_counter() - started
        for gate in (float(g) for g in args.gates.split(",")):
            student.gate = gate
            model.student_ = student
            started = time.perf_counter()
            got, _, _, _ = model.assign(texts)
            seconds = time.perf_counter() - started
            _, _, _, sure = student.predict(texts)
            print(f"{f'{features} (gate {gate})':<34}{len(texts) / seconds:9,.0f}"
                  f"{sure.mean():9.2f}{(got == alone).mean():8.3f}"
                  f"{normalized_mutual_info_score(truth, got):7.3f}"
                  f"{adjusted_rand_score(truth, got):7.3f}", flush=True)
        print(f"  (student fit {fit_s:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
