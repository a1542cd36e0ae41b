"""Which contacts the reason model sees, and where every other contact is counted.

Every contact (in ``contacts`` or ``contact_text``) gets exactly one reason:

* its question text (``question_text``; where that came out empty, every customer turn
  ``customer_text``: a short judgement like 'Lange wachttijd.' is a reason too) goes to the
  model when it holds at least one word that is not a stop word, greeting or placeholder;
* an auto-reply (out-of-office, bounce, acknowledgement) is counted under ``auto-antwoord``;
* a contact with nothing to go on (empty, only a greeting or thanks, only an attachment, or not
  prepared) under ``geen-vraag``;
* should no model be possible at all (fewer than 4 questions in the export), its questions are
  counted under ``niet-ingedeeld``.
These three reasons belong to the theme ``geen-vraag``. Their ids and labels are fixed (the
report joins on ``reasons.theme_id``); a contact is never left without a reason row.
"""

from __future__ import annotations

import pandas as pd

from pipeline.reasons.resources import noise_words, stop_words, tokens

NO_QUESTION = "geen-vraag"
AUTO_REPLY = "auto-antwoord"
UNSORTED = "niet-ingedeeld"
NO_QUESTION_THEME = "geen-vraag"
SPECIAL = {  # reason id -> (label, description)
    NO_QUESTION: ("Geen vraag", "Contacten zonder bruikbare vraag: leeg, alleen een groet of "
                                "bedankje, alleen een bijlage."),
    AUTO_REPLY: ("Automatisch antwoord", "Automatische antwoorden (afwezigheidsmelding, "
                                         "onbestelbaar, ontvangstbevestiging): geen klantvraag."),
    UNSORTED: ("Niet ingedeeld", "Te weinig vragen in deze export om redenen te vinden."),
}
NO_QUESTION_THEME_LABEL = "Geen vraag"


# Contacts whose reason from an earlier run still holds: they have a row of this model and
# have not been prepared again since that run began (params: model_name, since).
UNCHANGED_SQL = """
    SELECT cr.contact_id, coalesce(t.language, 'unknown') AS language, cr.reason_id,
           cr.sub_reason_id, cr.probability, cr.how
    FROM contact_reasons cr LEFT JOIN contact_text t USING (contact_id)
    WHERE cr.model_name = ? AND (t.prepared_at IS NULL OR t.prepared_at < ?)
      AND cr.contact_id IN (SELECT contact_id FROM contacts UNION
                            SELECT contact_id FROM contact_text)
"""


def read(con, unchanged: tuple[str, object] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(questions for the model: contact_id, language, text, lemmas, sorted by contact_id;
    the other contacts: contact_id, language, reason_id among SPECIAL). ``unchanged``
    (model_name, since): leave out the contacts of :data:`UNCHANGED_SQL`."""
    where, params = "", []
    if unchanged is not None:
        where = (f"WHERE e.contact_id NOT IN (SELECT contact_id FROM ({UNCHANGED_SQL})) ")
        params = list(unchanged)
    frame = con.execute(
        "WITH everyone AS (SELECT contact_id FROM contacts UNION "
        "                  SELECT contact_id FROM contact_text) "
        "SELECT e.contact_id, coalesce(t.language, 'unknown') AS language, "
        "       t.contact_id IS NULL AS unprepared, coalesce(t.is_auto_reply, false) AS auto, "
        "       coalesce(nullif(trim(t.question_text), ''), trim(t.customer_text), '') AS text, "
        "       CASE WHEN length(trim(coalesce(t.question_text, ''))) > 0 "
        "            THEN coalesce(t.question_lemmas, '') ELSE '' END AS lemmas "
        "FROM everyone e LEFT JOIN contact_text t USING (contact_id) "
        f"{where}ORDER BY e.contact_id", params).df()
    usable = [not auto and has_words(text, language)
              for auto, text, language in zip(frame["auto"], frame["text"], frame["language"])]
    usable = pd.Series(usable, index=frame.index, dtype=bool)
    # lemmas feed the keywords only; a text without them (customer_text) is its own lemmas
    frame["lemmas"] = frame["lemmas"].where(frame["lemmas"].str.len() > 0, frame["text"].str.lower())
    questions = frame.loc[usable, ["contact_id", "language", "text", "lemmas"]]
    rest = frame.loc[~usable, ["contact_id", "language"]].copy()
    rest["reason_id"] = [AUTO_REPLY if auto else NO_QUESTION
                         for auto in frame.loc[~usable, "auto"]]
    return questions.reset_index(drop=True), rest.reset_index(drop=True)


def has_words(text: str, language: str) -> bool:
    """Whether a text holds a word to cluster on: one that is not a stop word, greeting,
    closing or masked placeholder ('Bedankt!' and '[BIJLAGE]' hold none)."""
    language = language if language in ("nl", "en") else "nl"
    skip = stop_words(language) | noise_words(language)
    return any(len(w) > 1 and w not in skip for w in tokens(text))


def special_reasons(model_name: str, model_version: str, sizes: dict[str, int]) -> pd.DataFrame:
    """Rows for ``reasons``: the fixed reasons that hold at least one contact."""
    rows = [{"reason_id": reason_id, "model_name": model_name, "model_version": model_version,
             "language": "nl", "label": label, "description": description, "keywords": "[]",
             "examples": "[]", "size": int(sizes.get(reason_id, 0)), "default_category": None,
             "owner": None, "theme_id": NO_QUESTION_THEME}
            for reason_id, (label, description) in SPECIAL.items() if sizes.get(reason_id)]
    return pd.DataFrame(rows)
