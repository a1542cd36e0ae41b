"""The student (pipeline/reasons/student.py): taught at fit time what the reason model gives each
question, it answers at apply time where it is sure and leaves the rest to the model."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.reasons.model import ReasonModel
from pipeline.reasons.student import Student
from tests.reasons.synthetic import questions

pytestmark = pytest.mark.slow


def test_student_learns_reason_and_sub_reason_pairs():
    texts = ["pakket niet bezorgd", "waar is mijn pakket", "pakket kwijt",
             "factuur klopt niet", "dubbel betaald factuur", "factuur te hoog"] * 5
    labels = np.array([0, 0, 0, 1, 1, 1] * 5)
    subs = np.array([3, 4, 3, -1, -1, -1] * 5)
    student = Student("char-tfidf").fit(texts, labels, subs)
    got, got_subs, probs, sure = student.predict(["mijn pakket is niet bezorgd",
                                                  "de factuur is te hoog"])
    assert got.tolist() == [0, 1] and got_subs[1] == -1 and got_subs[0] in (3, 4)
    assert ((0 < probs) & (probs <= 1)).all()
    student.gate = 1.0              # nothing is that sure
    assert not student.predict(["pakket"])[3].any()
    one = Student("char-tfidf").fit(texts[:3], np.zeros(3), np.full(3, -1))
    assert one.predict(["iets anders"])[0].tolist() == [0]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    frame = questions(30, seed=4)
    model = ReasonModel(language="nl", embedding_model="char-tfidf", min_reasons=3,
                        max_reasons=12, student="char-tfidf").fit(frame["question_text"].tolist())
    folder = tmp_path_factory.mktemp("model")
    model.save(folder)
    return model, folder


def test_apply_agrees_with_the_model_and_asks_it_where_unsure(fitted):
    model, _ = fitted
    new = questions(8, seed=11)["question_text"].tolist()
    student = model.student_
    model.student_ = None
    alone = model.assign(new)
    model.student_ = student
    with_student = model.assign(new)
    assert (with_student[0] == alone[0]).mean() >= 0.9
    assert len(with_student[2]) == len(new)
    # a gate nothing reaches: every question goes to the model, the answers are its own
    student.gate = 1.0
    try:
        gated = model.assign(new)
    finally:
        student.gate = model.student_gate
    for mine, its in zip(gated, alone):
        assert np.array_equal(mine, its)


def test_student_is_saved_and_loaded_with_the_model(fitted, tmp_path):
    model, folder = fitted
    assert (folder / "student.joblib").exists()
    loaded = ReasonModel.load(folder)
    new = questions(5, seed=12)["question_text"].tolist()
    for mine, its in zip(loaded.assign(new), model.assign(new)):
        assert np.array_equal(mine, its)
    # refitted without a student: the old file goes, and loading does not use one
    plain = ReasonModel(language="nl", embedding_model="char-tfidf", min_reasons=3,
                        max_reasons=12).fit(questions(30, seed=4)["question_text"].tolist())
    plain.save(folder)
    assert not (folder / "student.joblib").exists()
    assert ReasonModel.load(folder).student_ is None
