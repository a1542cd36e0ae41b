"""A giant message (a pasted log) never reaches spaCy whole: prepare cuts it first, also in a
database that an older klantvraag filled without the ingest limit."""

from __future__ import annotations

from pipeline import nlp
from tests.nlp.test_stage import CONTACTS, MESSAGES, load

LOG_LINE = "ERROR 2026-08-03 koppeling time-out na 30 seconden bij aanroep van de voorraadservice\n"


def test_prepare_survives_a_message_over_spacys_limit(con, config):
    giant = "Mijn bestelling komt niet door, hier is de log:\n" + LOG_LINE * 14_000   # 1.2M chars
    assert len(giant) > 1_000_000                                           # spaCy's max_length
    messages = [m for m in MESSAGES if m[0] != "c-mail"] + [("c-mail", 0, "customer", "Jan", giant)]
    load(con, CONTACTS, messages)
    config.nlp.max_text_chars = 20_000
    nlp.run(con, config.nlp, workers=1)
    question, customer = con.execute(
        "SELECT question_text, customer_text FROM contact_text WHERE contact_id = 'c-mail'").fetchone()
    assert question.startswith("Mijn bestelling komt niet door")
    assert len(customer) < 21_000                # cut to 20,000 (cleaning adds sentence ends)
    assert con.execute("SELECT count(*) FROM contact_text").fetchone()[0] == len(CONTACTS)


def test_a_giant_word_is_left_alone_by_speller_and_compound_splitter():
    import time

    from pipeline.nlp import dutch
    from pipeline.nlp.frame import lemma_maker

    blob = "Onderwerp " + "s" * 100_000 + " pakket bezorgd"     # a megabyte header, cut
    assert dutch.split_compound("s" * 100_000) == ()
    maker = lemma_maker([blob], ["nl"])
    started = time.perf_counter()
    lemmas = maker.lemmas([blob])[0]
    assert time.perf_counter() - started < 5                 # was quadratic: hours
    assert "pakket" in lemmas


def test_a_higher_limit_is_followed_by_the_cleaning_too(con, config):
    # the SQL read and clean_frame both cut: a limit set above the default must reach both
    long_mail = "Mijn factuur klopt niet. " + "regel van de factuur " * 7_000    # 147k chars
    messages = [m for m in MESSAGES if m[0] != "c-mail"] + [("c-mail", 0, "customer", "Jan",
                                                            long_mail)]
    load(con, CONTACTS, messages)
    config.nlp.max_text_chars = 200_000
    nlp.run(con, config.nlp, workers=1)
    customer = con.execute(
        "SELECT customer_text FROM contact_text WHERE contact_id = 'c-mail'").fetchone()[0]
    assert len(customer) > 140_000
