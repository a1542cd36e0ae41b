"""Fast tests of the reason stage's parts: language data, taxonomy files, merging, labels."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import ConfigError, ResourceError
from pipeline.reasons import merge, representation, taxonomy as tax
from pipeline.reasons.embed import make_embedder
from pipeline.reasons.model import ReasonModel
from pipeline.reasons.resources import WORD_ROLES, load_groups, stop_words, tokens


@pytest.mark.parametrize("group", load_groups(), ids=lambda g: g.id)
def test_stopword_examples(group):
    languages = ["nl", "en"] if group.language == "any" else [group.language]
    for language in languages:
        stops = stop_words(language)
        for phrase in group.stop_examples:
            assert all(w in stops for w in tokens(phrase)), (group.id, phrase)
        for phrase in group.keep_examples:
            assert not any(w in stops for w in tokens(phrase)), (group.id, phrase)


def test_tokens_drop_placeholders():
    assert tokens("Beste [NAAM], pakket NIET bezorgd (3x)") == ["beste", "pakket", "niet", "bezorgd"]


def test_stopword_file_is_validated(tmp_path):
    bad = tmp_path / "stop.yaml"
    bad.write_text("groups:\n  - id: x\n    language: nl\n    kind: stop\n    words: [a]\n")
    with pytest.raises(ResourceError, match="stop_examples"):
        load_groups(bad)


def test_merge_plan_merges_most_similar_first():
    centres = {0: np.array([1.0, 0.0]), 1: np.array([0.99, 0.14]), 2: np.array([0.0, 1.0])}
    centres = {k: v / np.linalg.norm(v) for k, v in centres.items()}
    plan = merge.merge_plan(centres, {0: 10, 1: 5, 2: 7}, max_reasons=2)
    assert plan == {0: 0, 1: 0, 2: 2}
    labels = merge.apply_plan(np.array([0, 1, 2, -1]), plan)
    assert labels.tolist() == [0, 0, 2, -1]


def test_relabel_by_size_is_deterministic():
    labels, mapping = merge.relabel_by_size(np.array([5, 3, 3, -1, 5, 3, 9]))
    assert labels.tolist() == [1, 0, 0, -1, 1, 0, 2]
    assert mapping == {3: 0, 5: 1, 9: 2}


def test_labels_read_like_a_person_wrote_them():
    texts = (["Hallo, mijn pakket is niet bezorgd. Met vriendelijke groet, [NAAM]"] * 6
             + ["Beste, pakket niet bezorgd gr [NAAM]"] * 3 + ["pakket niet bezrogd mvg"]
             + ["Hoi, kunt u een kopie van de factuur sturen? Alvast bedankt"] * 8)
    labels = np.array([0] * 10 + [1] * 8)
    names = representation.labels(texts, labels, [0, 1], "nl")
    assert names[0] == "pakket niet bezorgd"
    assert "factuur" in names[1]
    for name in names.values():
        assert not set(name.split()) & {"hallo", "groet", "vriendelijke", "bedankt", "bezrogd"}


def test_taxonomy_round_trip_and_merge_resolution(tmp_path):
    taxonomy = tax.Taxonomy("default", "v1", [
        tax.Reason("nl-001", "nl", "pakket niet bezorgd", auto_label="pakket niet bezorgd"),
        tax.Reason("nl-002", "nl", "pakket kwijt", merged_into="nl-001"),
    ])
    path = tmp_path / "taxonomy.yaml"
    tax.save(taxonomy, path)
    loaded = tax.load(path, "default")
    assert loaded.resolve("nl-002") == "nl-001"
    assert loaded.next_id("nl") == "nl-003"
    assert path.read_text("utf-8").startswith("# Contact reasons")


def test_taxonomy_rejects_bad_edits(tmp_path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text("reasons:\n  - {id: nl-001, language: nl, label: a, merged_into: nl-009}\n")
    with pytest.raises(ResourceError, match="nl-009"):
        tax.load(path, "default")
    path.write_text("reasons:\n  - {id: nl-001, language: nl, label: a, default_category: soms}\n")
    with pytest.raises(ResourceError, match="default_category"):
        tax.load(path, "default")


def test_seed_file_is_validated(tmp_path):
    path = tmp_path / "seeds.yaml"
    path.write_text("reasons:\n  - label: Levering\n    examples: [waar is mijn pakket]\n")
    with pytest.raises(ResourceError, match="at least 2"):
        tax.load_seeds(path)
    path.write_text("reasons:\n  - label: Waar is mijn pakket\n    examples: [a b, c d]\n")
    assert tax.load_seeds(path)[0].key == "waar_is_mijn_pakket"


def test_match_is_one_to_one_by_overlap():
    new = {0: {1, 2, 3, 4}, 1: {5, 6, 7}}
    old = {"nl-004": {1, 2, 3}, "nl-009": {4, 5, 6, 7}}
    assert tax.match(new, old) == {0: "nl-004", 1: "nl-009"}


def test_unknown_embedding_model_is_a_config_error():
    with pytest.raises(ConfigError, match="niet geïnstalleerd"):
        make_embedder("no-such-model-package")
    with pytest.raises(ConfigError, match="onbekend embeddingmodel"):
        make_embedder("some/hub-name")


def test_char_tfidf_embeddings_are_unit_length():
    texts = [f"pakket {i} niet bezorgd" for i in range(20)] + ["factuur kopie"] * 5
    vectors = make_embedder("char-tfidf").fit(texts).transform(texts)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_shipped_seed_example_is_valid():
    from importlib import resources

    example = resources.files("pipeline.resources").joinpath("reasons").joinpath(
        "seed_taxonomy.example.yaml")
    seeds = tax.load_seeds(str(example))
    assert [s.key for s in seeds] == ["levering_status", "factuur_kopie", "wachtwoord"]
    assert all(s.language == "nl" and len(s.examples) >= 2 for s in seeds)


@pytest.mark.parametrize("group", [g for g in representation.load_label_groups()
                                   if g.position in WORD_ROLES], ids=lambda g: g.id)
def test_label_word_examples(group):
    languages = ["nl", "en"] if group.language == "any" else [group.language]
    for language in languages:
        for phrase, ok in group.examples:
            assert representation.label_allowed(phrase, language) is ok, (group.id, phrase)


def test_label_prefers_a_distinctive_phrase_over_time_words_and_single_words():
    texts = (["Ik heb morgen een afspraak, maar de monteur is niet gekomen vandaag"] * 5
             + ["monteur niet gekomen, morgen weer thuis"] * 3
             + ["Mijn pakket is niet bezorgd, morgen nog thuis"] * 8)
    labels = np.array([0] * 8 + [1] * 8)
    names = representation.labels(texts, labels, [0, 1], "nl")
    assert names[0] == "monteur niet gekomen"
    assert names[1] == "pakket niet bezorgd"


def test_label_words_file_is_validated(tmp_path):
    path = tmp_path / "label_words.yaml"
    path.write_text("groups:\n  - {id: a, language: nl, position: middle, words: [x],"
                    " examples: [{phrase: x, ok: false}]}\n")
    with pytest.raises(ResourceError, match="position"):
        representation.load_label_groups(path)


def test_probability_leaves_the_question_itself_out():
    model = ReasonModel(vote_k=3)
    a1, a2, b1, b2 = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [0.28, 0.96]])
    model.bank_ = np.stack([a1, a2, b1, b2])
    model.bank_labels_ = np.array([0, 0, 1, 1])
    labels = np.array([0, 0, 1, 1])
    share = model._own_share(model.bank_, labels, bank_rows=np.arange(4))
    # a1's neighbours without itself: a2 (0.6), b2 (0.28), b1 (0, counted as 1e-6)
    assert share[0] == pytest.approx(0.6 / (0.6 + 0.28 + 1e-6))
    with_itself = model._own_share(model.bank_, labels, bank_rows=np.full(4, -1))
    assert with_itself[0] > share[0]
    outlier = model._own_share(model.bank_, np.array([-1, 0, 1, 1]), bank_rows=np.arange(4))
    assert outlier[0] == 0.0


def test_ward_tree_cuts_are_nested():
    from pipeline.reasons.model import _WardTree

    points = np.random.default_rng(0).normal(size=(60, 3))
    tree = _WardTree(n_clusters=4).fit(points)
    fine = tree.cut(9)
    assert len(set(tree.labels_)) == 4 and len(set(fine)) == 9
    for group in set(fine):      # every fine group lies inside one coarse cluster
        assert len(set(tree.labels_[fine == group])) == 1


def test_taxonomy_rejects_hand_made_sub_reasons(tmp_path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text("reasons:\n  - {id: nl-001, language: nl, label: a,\n"
                    "     sub_reasons: [{label: zonder id}]}\n")
    with pytest.raises(ResourceError, match="sub_reasons"):
        tax.load(path, "m")
    path.write_text("reasons:\n  - {id: nl-001, language: nl, label: a, sub_reasons: [\n"
                    "      {id: nl-001.1, label: x, size: 2}, {id: nl-001.1, label: y, size: 1}]}\n")
    with pytest.raises(ResourceError, match="repeated"):
        tax.load(path, "m")


def test_a_merged_reason_without_sub_reasons_becomes_one_inside_its_target():
    import pandas as pd

    from pipeline.reasons import _sub_reasons_frame, core

    taxonomy = tax.Taxonomy("m", "v", [
        tax.Reason("nl-001", "nl", "levering", sub_reasons=[
            {"id": "nl-001.1", "label": "te laat", "size": 2},
            {"id": "nl-001.2", "label": "kwijt", "size": 1}]),
        tax.Reason("nl-002", "nl", "pakket beschadigd", merged_into="nl-001"),
        tax.Reason("nl-003", "nl", "factuur")])
    out = pd.DataFrame({"contact_id": list("abcdef"), "language": "nl",
                        "reason_id": ["nl-001", "nl-001", "nl-001", "nl-002", "nl-002", "nl-003"],
                        "sub_reason_id": ["nl-001.1", "nl-001.1", "nl-001.2", None, None, None],
                        "probability": 1.0, "how": "assigned"})
    core._resolve(out, taxonomy)
    assert out["reason_id"].tolist() == ["nl-001"] * 5 + ["nl-003"]
    assert [s if isinstance(s, str) else None for s in out["sub_reason_id"]][3:] == \
        ["nl-002", "nl-002", None]
    frame = _sub_reasons_frame(core.Outcome(out, taxonomy), "m")
    assert dict(zip(frame["sub_reason_id"], frame["size"])) == {
        "nl-001.1": 2, "nl-001.2": 1, "nl-002": 2}
    assert set(frame["reason_id"]) == {"nl-001"}
    assert frame.loc[frame["sub_reason_id"] == "nl-002", "label"].item() == "pakket beschadigd"


def test_use_backend_puts_a_question_and_its_translation_together():
    embedder = make_embedder("use").fit([])
    vectors = embedder.transform(["Waar blijft mijn pakket?", "Where is my parcel?",
                                  "Ik wil mijn wachtwoord wijzigen", ""])
    assert vectors.shape == (4, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-4)
    assert not vectors[3].any()                                   # an empty text: a zero row
    assert vectors[0] @ vectors[1] > vectors[1] @ vectors[2] + 0.2


def test_texts_of_a_column_come_out_one_or_a_batch_at_a_time():
    """The fit reads its questions from the stage's (Arrow-backed) column by position, a
    missing one as "", without a list of them all."""
    import pandas as pd

    from pipeline.reasons.model import _Strings

    column = pd.Series(["pakket kwijt", None, "factuur"], index=[7, 3, 9], dtype="str")
    texts = _Strings(column)
    assert len(texts) == 3 and texts[0] == "pakket kwijt" and texts[1] == ""
    assert texts[np.int64(2)] == "factuur" and texts[1:3] == ["", "factuur"]
    assert _Strings(["a", None])[0:2] == ["a", ""]
