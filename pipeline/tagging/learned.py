"""A small learned text model that backs up the rules: TF-IDF (character + word n-grams) and
multinomial logistic regression, one head for the avoidable category, one for the third-party type.

Estimator contract (scikit-learn style): ``__init__`` only stores parameters, ``fit`` returns self
and sets attributes ending in ``_``, ``predict_proba`` needs a fitted model (NotFittedError).
The fitted state is saved as a plain ``.npz`` (vocabularies, idf, coefficients; no pickle), so it
loads in any environment with numpy and scikit-learn. The shipped model
(pipeline/resources/tagging/text_model.npz) is trained by bench/train_tagging_model.py on
generated data (pipeline.sample, a seed apart from the benchmark's); the rules stay in charge:
see Tagger for how the two are combined. The .npz also carries the learned combiners of rules and
model (``combiner_*``: the avoidable category, ``party_combiner_*``: the third party) and the
calibration (``calibration_*``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from pipeline.errors import NotFittedError, ResourceError

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "resources" / "tagging" / "text_model.npz"
_HEADS = ("avoidable", "third_party")


class TextModel:
    def __init__(self, char_ngram: tuple[int, int] = (2, 5), word_ngram: tuple[int, int] = (1, 2),
                 min_df: int = 3, max_char_features: int = 12000, max_word_features: int = 6000,
                 c_avoidable: float = 1.0, c_third_party: float = 4.0,
                 balanced_avoidable: bool = True, balanced_third_party: bool = False,
                 max_iter: int = 2000) -> None:
        self.char_ngram = char_ngram
        self.word_ngram = word_ngram
        self.min_df = min_df
        self.max_char_features = max_char_features
        self.max_word_features = max_word_features
        self.c_avoidable = c_avoidable
        self.c_third_party = c_third_party
        self.balanced_avoidable = balanced_avoidable
        self.balanced_third_party = balanced_third_party
        self.max_iter = max_iter

    # -- fitting -----------------------------------------------------------------------------
    def _vectorizers(self, char_vocab=None, word_vocab=None):
        from sklearn.feature_extraction.text import TfidfVectorizer
        common = {"lowercase": True, "sublinear_tf": True, "dtype": np.float32}
        # char_wb n-grams, computed once per distinct word (words repeat a lot: ~3x faster).
        char = TfidfVectorizer(analyzer=WordCharGrams(*self.char_ngram),
                               min_df=1 if char_vocab else self.min_df,
                               max_features=None if char_vocab else self.max_char_features,
                               vocabulary=char_vocab, **common)
        word = TfidfVectorizer(analyzer="word", ngram_range=tuple(self.word_ngram),
                               min_df=1 if word_vocab else max(2, self.min_df - 1),
                               max_features=None if word_vocab else self.max_word_features,
                               vocabulary=word_vocab, **common)
        return char, word

    def fit(self, texts: list[str], avoidable: list[str], third_party: list[str],
            sample_weight: list[float] | None = None) -> "TextModel":
        """``sample_weight`` lets a few hundred hand-written contacts count against thousands
        of generated ones (scikit-learn's per-sample weight of the loss). A label of None means
        "not given" (an analyst who filled in only the category): that text has weight 0 in that
        head; "" or "none" as third party means no third party."""
        from scipy.sparse import hstack
        from sklearn.linear_model import LogisticRegression
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if weight is not None and len(weight) != len(texts):
            raise ValueError(f"sample_weight has {len(weight)} values for {len(texts)} texts")
        char, word = self._vectorizers()
        features = hstack([char.fit_transform(texts), word.fit_transform(texts)]).tocsr()
        self.char_vocabulary_ = _ordered(char.vocabulary_)
        self.word_vocabulary_ = _ordered(word.vocabulary_)
        self.char_idf_ = char.idf_.astype(np.float32)
        self.word_idf_ = word.idf_.astype(np.float32)
        base = np.ones(len(texts)) if weight is None else weight
        for head, labels, c, balanced in (
                ("avoidable", list(avoidable), self.c_avoidable, self.balanced_avoidable),
                ("third_party", [None if t is None else (t or "none") for t in third_party],
                 self.c_third_party, self.balanced_third_party)):
            given = np.array([label is not None for label in labels])
            filler = next(label for label in labels if label is not None)
            labels = [filler if label is None else label for label in labels]
            model = LogisticRegression(C=c, max_iter=self.max_iter,
                                       class_weight="balanced" if balanced else None)
            model.fit(features[given], np.asarray(labels)[given], sample_weight=base[given])
            coef, intercept = model.coef_, model.intercept_
            if len(model.classes_) == 2:    # one logit z: softmax([-z/2, z/2]) = sigmoid(z)
                coef = np.vstack([-coef / 2, coef / 2])
                intercept = np.concatenate([-intercept / 2, intercept / 2])
            setattr(self, f"{head}_classes_", [str(k) for k in model.classes_])
            setattr(self, f"{head}_coef_", coef.astype(np.float32))
            setattr(self, f"{head}_intercept_", intercept.astype(np.float32))
        self._compiled = None
        return self

    # -- predicting --------------------------------------------------------------------------
    def _check(self) -> None:
        if not hasattr(self, "avoidable_coef_"):
            raise NotFittedError("the tagging text model is not fitted",
                                 hint="fit it (bench/train_tagging_model.py) or load a saved one")

    def _features(self, texts: list[str]):
        from scipy.sparse import hstack
        compiled = getattr(self, "_compiled", None)
        if compiled is None:
            char, word = self._vectorizers(
                {t: i for i, t in enumerate(self.char_vocabulary_)},
                {t: i for i, t in enumerate(self.word_vocabulary_)})
            char.idf_ = self.char_idf_
            word.idf_ = self.word_idf_
            compiled = self._compiled = (char, word)
        char, word = compiled
        return hstack([self._char_features(char, texts), word.transform(texts)]).tocsr()

    def _char_features(self, char, texts: list[str]):
        """``char.transform(texts)`` computed per distinct word (same numbers, ~3x faster):
        counts -> 1 + log(count) -> x idf -> unit length per row."""
        from scipy.sparse import csr_matrix
        analyzer, vocabulary = char.analyzer, char.vocabulary_
        cache = self._word_ids = getattr(self, "_word_ids", None) or {}
        if len(cache) > analyzer.max_words:
            cache.clear()
        ids: list[int] = []
        indptr = [0]
        for text in texts:
            for word in _WHITE_SPACES.sub(" ", text.lower()).split():
                found = cache.get(word)
                if found is None:
                    found = cache[word] = [vocabulary[g] for g in analyzer.word_grams(word)
                                           if g in vocabulary]
                ids.extend(found)
            indptr.append(len(ids))
        rows = np.repeat(np.arange(len(texts)), np.diff(indptr))
        counts = csr_matrix((np.ones(len(ids), dtype=np.float32), (rows, np.array(ids, dtype=np.int64))),
                            shape=(len(texts), len(vocabulary)), dtype=np.float32)
        counts.sum_duplicates()
        counts.data = (np.log(counts.data) + 1.0) * self.char_idf_[counts.indices]
        norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        counts.data /= np.repeat(norms, np.diff(counts.indptr)).astype(np.float32)
        return counts

    def predict_proba(self, texts: list[str]) -> dict[str, tuple[list[str], np.ndarray]]:
        """Per head: (classes, probabilities of shape (len(texts), n_classes))."""
        self._check()
        if not texts:
            return {h: (getattr(self, f"{h}_classes_"), np.zeros((0, len(getattr(
                self, f"{h}_classes_"))))) for h in _HEADS}
        features = self._features(texts)
        out = {}
        for head in _HEADS:
            logits = features @ getattr(self, f"{head}_coef_").T + getattr(self, f"{head}_intercept_")
            logits = np.asarray(logits, dtype=np.float64)
            logits -= logits.max(axis=1, keepdims=True)
            exp = np.exp(logits)
            out[head] = (getattr(self, f"{head}_classes_"), exp / exp.sum(axis=1, keepdims=True))
        return out

    # -- saving ------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        self._check()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {"char_vocabulary": np.array(self.char_vocabulary_),
                  "word_vocabulary": np.array(self.word_vocabulary_),
                  "char_idf": self.char_idf_, "word_idf": self.word_idf_,
                  "params": np.array([repr(self._params())])}
        for name, values in getattr(self, "calibration_", {}).items():
            arrays[f"calibration_{name}"] = np.asarray(values, dtype=np.float64)
        if getattr(self, "combiner_", None) is not None:
            for name, values in self.combiner_.arrays().items():
                arrays[f"combiner_{name}"] = values
        if getattr(self, "party_combiner_", None) is not None:
            for name, values in self.party_combiner_.arrays().items():
                arrays[f"party_combiner_{name}"] = values
        for head in _HEADS:
            arrays[f"{head}_classes"] = np.array(getattr(self, f"{head}_classes_"))
            arrays[f"{head}_coef"] = getattr(self, f"{head}_coef_")
            arrays[f"{head}_intercept"] = getattr(self, f"{head}_intercept_")
        with open(path, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "TextModel":
        import ast
        path = Path(path)
        try:
            data = np.load(path, allow_pickle=False)
            params = ast.literal_eval(str(data["params"][0]))
            model = cls(**params)
            model.char_vocabulary_ = [str(t) for t in data["char_vocabulary"]]
            model.word_vocabulary_ = [str(t) for t in data["word_vocabulary"]]
            model.char_idf_ = data["char_idf"].astype(np.float32)
            model.word_idf_ = data["word_idf"].astype(np.float32)
            for head in _HEADS:
                setattr(model, f"{head}_classes_", [str(k) for k in data[f"{head}_classes"]])
                setattr(model, f"{head}_coef_", data[f"{head}_coef"].astype(np.float32))
                setattr(model, f"{head}_intercept_", data[f"{head}_intercept"].astype(np.float32))
            # Platt scaling of the tagger's confidence (pipeline/tagging/confidence.py), when fitted.
            model.calibration_ = {k[len("calibration_"):]: data[k] for k in data.files
                                  if k.startswith("calibration_")}
            # The learned combination of rules and model (pipeline/tagging/combiner.py).
            model.combiner_ = None
            if "combiner_coef" in data.files:
                from pipeline.tagging.combiner import Combiner
                model.combiner_ = Combiner.from_arrays(
                    {k[len("combiner_"):]: data[k] for k in data.files
                     if k.startswith("combiner_")})
            # The learned third-party decision (pipeline/tagging/party_combiner.py).
            model.party_combiner_ = None
            if "party_combiner_type_coef" in data.files:
                from pipeline.tagging.party_combiner import PartyCombiner
                model.party_combiner_ = PartyCombiner.from_arrays(
                    {k[len("party_combiner_"):]: data[k] for k in data.files
                     if k.startswith("party_combiner_")})
        except (OSError, KeyError, ValueError, SyntaxError, TypeError) as exc:
            raise ResourceError(f"cannot read the tagging text model: {exc}", path=str(path),
                                hint="retrain it with bench/train_tagging_model.py") from exc
        model._compiled = None
        return model

    def _params(self) -> dict:
        return {k: getattr(self, k) for k in (
            "char_ngram", "word_ngram", "min_df", "max_char_features", "max_word_features",
            "c_avoidable", "c_third_party", "balanced_avoidable", "balanced_third_party",
            "max_iter")}


class WordCharGrams:
    """scikit-learn's ``analyzer="char_wb"`` (lower-cased, same n-grams in the same order),
    with each word's n-grams cached: a bounded cache, emptied when it holds max_words words."""

    def __init__(self, min_n: int, max_n: int, max_words: int = 200_000) -> None:
        self.min_n = min_n
        self.max_n = max_n
        self.max_words = max_words
        self._cache: dict[str, list[str]] = {}

    def __call__(self, text: str) -> list[str]:
        cache = self._cache
        if len(cache) > self.max_words:
            cache.clear()
        grams: list[str] = []
        for word in _WHITE_SPACES.sub(" ", text.lower()).split():
            found = cache.get(word)
            if found is None:
                found = cache[word] = self.word_grams(word)
            grams.extend(found)
        return grams

    def word_grams(self, word: str) -> list[str]:
        padded = f" {word} "
        length = len(padded)
        out = []
        for n in range(self.min_n, self.max_n + 1):
            offset = 0
            out.append(padded[offset:offset + n])
            while offset + n < length:
                offset += 1
                out.append(padded[offset:offset + n])
            if offset == 0:     # the word is shorter than n: sklearn stops here too
                break
        return out

    def __getstate__(self) -> dict:
        return {"min_n": self.min_n, "max_n": self.max_n, "max_words": self.max_words,
                "_cache": {}}


_WHITE_SPACES = re.compile(r"\s\s+")


def _ordered(vocabulary: dict[str, int]) -> list[str]:
    return [term for term, _ in sorted(vocabulary.items(), key=lambda kv: kv[1])]
